//! `/desk/admin/canned` (SPEC §7): admins write the canned replies agents pick in the reply box —
//! global or one team's, a text per language, the status and priority they set. A refused save
//! shows the form again with what was typed and why, so no text is lost.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_domain::access::TeamId;
use sportello_domain::canned::Placeholder;
use sportello_domain::case::Status;
use sportello_domain::problem::Problem;
use sportello_domain::triage::Priority;

use super::admin::Done;
use super::{Checked, DeskFrame};
use crate::app::canned::{self, CannedInput};
use crate::store::CannedId;
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, see_other, Tr};
use crate::web::posted::Posted;
use crate::web::WebState;

/// The languages every form offers a text for: those the desk speaks.
const LANGUAGES: [&str; 2] = ["en", "it"];

/// One canned reply's form: a new one (`id` None) or an existing one, as stored or as just typed.
#[derive(Clone)]
pub struct CannedForm {
    id: Option<i64>,
    name: String,
    team: String,
    set_status: String,
    set_priority: String,
    /// (language, its name for the reader, text).
    texts: Vec<(String, String, String)>,
    /// Why the last save was refused, in words.
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "desk/canned.html")]
struct CannedPage {
    frame: DeskFrame,
    notice: Option<String>,
    placeholders: Vec<String>,
    teams: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    /// Each canned reply's form, by name, then the form for a new one.
    forms: Vec<CannedForm>,
}

fn language_name(t: &Tr, code: &str) -> String {
    match code {
        "en" | "it" => t.msg(&format!("desk-lang-{code}")),
        other => other.to_owned(),
    }
}

fn form_of(t: &Tr, id: Option<i64>, input: &CannedInput, problems: Vec<String>) -> CannedForm {
    let mut languages: Vec<String> = LANGUAGES.iter().map(|l| (*l).to_owned()).collect();
    languages.extend(input.texts.keys().filter(|l| !LANGUAGES.contains(&l.as_str())).cloned());
    CannedForm {
        id,
        name: input.name.clone(),
        team: input.team.map_or_else(String::new, |t| t.0.to_string()),
        set_status: input.set_status.map_or_else(String::new, |s| s.as_str().to_owned()),
        set_priority: input.set_priority.map_or_else(String::new, |p| p.as_str().to_owned()),
        texts: languages
            .into_iter()
            .map(|l| {
                let text = input.texts.get(&l).cloned().unwrap_or_default();
                (l.clone(), language_name(t, &l), text)
            })
            .collect(),
        problems,
    }
}

/// The refused form's problems in the reader's words: the field, why, and the placeholder meant.
fn worded(t: &Tr, problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let why = t.args(
                &format!("problem-{}", p.code.as_str()),
                &[("suggestion", p.suggestion.clone().unwrap_or_default())],
            );
            let field = match p.field.strip_prefix("texts.") {
                Some(lang) => language_name(t, lang),
                None => t.msg(&format!("desk-canned-field-{}", p.field.replace('_', "-"))),
            };
            match &p.suggestion {
                Some(s) => format!(
                    "{field}: {why} {}",
                    t.with("desk-canned-did-you-mean", "placeholder", s)
                ),
                None => format!("{field}: {why}"),
            }
        })
        .collect()
}

async fn page(state: &WebState, me: &DeskAgent, notice: Option<String>, refused: Option<CannedForm>) -> Response {
    if me.principal.may_administer().is_err() {
        return AppError::Forbidden.into_response();
    }
    let t = &me.prefs.t;
    let (all, teams) = match (state.app.store.canned_replies().await, state.app.store.teams().await) {
        (Ok(c), Ok(t)) => (c, t),
        (Err(e), _) | (_, Err(e)) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    let (new, refused) = match refused {
        Some(form) if form.id.is_none() => (form, None),
        other => (form_of(t, None, &CannedInput::default(), Vec::new()), other),
    };
    let mut forms: Vec<CannedForm> = all
        .into_iter()
        .map(|c| match &refused {
            Some(form) if form.id == Some(c.id.0) => form.clone(),
            _ => {
                let input = CannedInput {
                    name: c.canned.name,
                    team: c.canned.team,
                    texts: c.canned.texts,
                    set_status: c.canned.set_status,
                    set_priority: c.canned.set_priority,
                };
                form_of(t, Some(c.id.0), &input, Vec::new())
            }
        })
        .collect();
    let status = if refused.is_some() || !new.problems.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    forms.push(new);
    let page = CannedPage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-canned-title"), Some(&me.agent)),
        notice,
        placeholders: Placeholder::ALL.iter().map(|p| format!("{{{p}}}")).collect(),
        teams: teams
            .iter()
            .map(|team| (team.id.0.to_string(), team.name.clone()))
            .collect(),
        statuses: [Status::Open, Status::PendingCustomer, Status::Resolved]
            .iter()
            .map(|s| (s.as_str().to_owned(), t.msg(&format!("desk-status-{s}"))))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str().to_owned(), t.msg(&format!("priority-{p}"))))
            .collect(),
        forms,
    };
    html(status, &page, &me.prefs)
}

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(done): Query<Done>) -> Response {
    let notice = done.notice(&me.prefs.t);
    page(&state, &me, notice, None).await
}

/// The form as posted: an empty choice is none; an unknown one is no value the form offers.
fn input_of(form: &Posted) -> Result<CannedInput, AppError> {
    fn choice<T: std::str::FromStr>(form: &Posted, name: &str) -> Result<Option<T>, AppError> {
        match form.text(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| AppError::BadRequest(name.to_owned())),
        }
    }
    let mut texts = std::collections::BTreeMap::new();
    for language in LANGUAGES {
        if let Some(text) = form.text(&format!("text-{language}")) {
            texts.insert(language.to_owned(), text.to_owned());
        }
    }
    for (language, text) in form.all("other_language").iter().zip(form.all("other_text")) {
        if !language.trim().is_empty() || !text.trim().is_empty() {
            texts.insert(language.clone(), text);
        }
    }
    Ok(CannedInput {
        name: form.text("name").unwrap_or_default().to_owned(),
        team: choice::<i64>(form, "team")?.map(TeamId),
        texts,
        set_status: choice(form, "set_status")?,
        set_priority: choice(form, "set_priority")?,
    })
}

/// A save's answer: back to the page, or the page again with the form as typed and why not.
async fn saved(
    state: &WebState,
    me: &DeskAgent,
    id: Option<i64>,
    input: CannedInput,
    result: Result<(), crate::app::Error>,
) -> Response {
    match result {
        Ok(()) => see_other("/desk/admin/canned?done=canned"),
        Err(crate::app::Error::Invalid(problems)) => {
            let t = &me.prefs.t;
            let form = form_of(t, id, &input, worded(t, &problems));
            page(state, me, None, Some(form)).await
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn add(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(refused) => return refused.into_response(),
    };
    let result = canned::add(&state.app, &me.principal, input.clone()).await.map(|_| ());
    saved(&state, &me, None, input, result).await
}

pub async fn change(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(id): Path<i64>,
    Checked(form): Checked,
) -> Response {
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(refused) => return refused.into_response(),
    };
    let result = canned::change(&state.app, &me.principal, CannedId(id), input.clone())
        .await
        .map(|_| ());
    saved(&state, &me, Some(id), input, result).await
}

pub async fn remove(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    match canned::remove(&state.app, &me.principal, CannedId(id)).await {
        Ok(()) => see_other("/desk/admin/canned?done=cannedremoved"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}
