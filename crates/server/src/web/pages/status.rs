//! `/status/{case}?t=…` as a page (SPEC §3.5): status, due times, the conversation, and a form to
//! add information and files under the intake's rules, with the same error display as the request
//! form. The JSON answer for API clients stays in `web/status.rs`.

use std::collections::BTreeMap;

use askama::Template;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use sportello_domain::problem::Problem;

use sportello_domain::case::{Author, Status};

use super::form::{Files, Input, SummaryItem};
use super::{
    due_in_words, html, internal_error, keep, moment, not_found, percent_encode, restore, see_other, Frame, Kept,
    Prefs, Tr,
};
use crate::app::access;
use crate::app::add_info::{add_info, Info};
use crate::app::status::{by_link, case_status, CaseStatus, StatusAttachment};
use crate::app::Error;
use crate::web::posted::{not_utf8_problems, Failure, Posted};
use crate::web::{Limit, WebState};

pub struct MessageView {
    pub mine: bool,
    pub who: String,
    pub when: String,
    pub at: String,
    pub body: String,
    /// "name (1920×1080)" for each file sent with it.
    pub files: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/status.html")]
pub struct StatusPage {
    pub frame: Frame,
    pub t: Tr,
    pub case: String,
    pub status: Status,
    pub status_label: String,
    pub first_response: String,
    pub resolution: String,
    /// None while a case opened by mail waits for it.
    pub device: Option<String>,
    pub messages: Vec<MessageView>,
    pub accepts: bool,
    pub missing: bool,
    pub action: String,
    pub csrf: String,
    pub banner: Option<String>,
    pub notice: Option<String>,
    pub summary: Vec<SummaryItem>,
    /// The missing catalog fields, then the message.
    pub inputs: Vec<Input>,
    pub files: Files,
}

#[derive(Deserialize)]
pub struct StatusQuery {
    pub t: Option<String>,
    pub lang: Option<String>,
    pub added: Option<String>,
}

/// What the customer typed into the add-information form, shown back after a refusal.
#[derive(Default)]
struct Typed {
    message: String,
    fields: BTreeMap<String, String>,
}

fn listed(files: &[StatusAttachment]) -> Vec<String> {
    files
        .iter()
        .map(|f| format!("{} ({}×{})", f.filename, f.width, f.height))
        .collect()
}

fn stamp(t: &Tr, at: DateTime<Utc>, now: DateTime<Utc>, tz: Option<Tz>) -> (String, String) {
    (moment(t, at, now, tz), at.to_rfc3339())
}

#[allow(clippy::too_many_arguments)]
fn page(
    state: &WebState,
    prefs: &Prefs,
    status: CaseStatus,
    token: &str,
    typed: &Typed,
    problems: &[Problem],
    kept: Vec<Kept>,
    notice: Option<String>,
) -> StatusPage {
    let t = &prefs.t;
    let number = status.case_number.to_string();
    let category = state.app.catalog.category(&status.category);
    let now = state.app.clock.now();
    let first_response = match status.first_response_at {
        Some(at) => t.with("status-first-response-done", "when", moment(t, at, now, prefs.tz)),
        None => t.with(
            "status-first-response",
            "when",
            due_in_words(t, status.first_response_due, now, prefs.tz),
        ),
    };
    let (when, at) = stamp(t, status.created_at, now, prefs.tz);
    let mut messages = vec![MessageView {
        mine: true,
        who: t.msg("status-description"),
        when,
        at,
        body: status.description.clone(),
        files: listed(&status.attachments),
    }];
    messages.extend(status.messages.iter().map(|m| {
        let (when, at) = stamp(t, m.created_at, now, prefs.tz);
        let mine = m.author == Author::Customer;
        MessageView {
            mine,
            who: t.msg(if mine { "status-you" } else { "status-support" }),
            when,
            at,
            body: m.body.clone(),
            files: listed(&m.attachments),
        }
    }));
    let typed_value = |id: &str| typed.fields.get(id).map_or("", String::as_str);
    // A case opened by mail asks first for what it waits for.
    let mut needed = Vec::new();
    if status.needs.contains(&"phone") {
        let mut phone = Input::new(t, "phone", "tel")
            .required()
            .autocomplete("tel")
            .value(typed_value("phone"));
        phone.inputmode = "tel";
        let mut country = Input::new(t, "country", "text")
            .autocomplete("country")
            .value(typed_value("country"));
        country.maxlength = 2;
        needed.extend([phone, country]);
    }
    if status.needs.contains(&"device") {
        needed.push(Input::new(t, "device", "text").required().value(typed_value("device")));
    }
    let fields: Vec<Input> = category
        .map(|c| {
            c.fields
                .iter()
                .filter(|f| status.missing.contains(&f.id))
                .map(|f| Input::catalog(t, f, typed.fields.get(&f.id).map_or("", String::as_str)))
                .collect()
        })
        .unwrap_or_default();
    let mut message = Input::new(t, "message", "textarea").value(&typed.message);
    message.maxlength = sportello_domain::text::DESCRIPTION_MAX_CHARS;
    let mut inputs = needed;
    inputs.extend(fields);
    inputs.push(message);
    for input in &mut inputs {
        input.error = problems.iter().find(|p| p.field == input.id).map(|p| t.problem(p));
    }
    let files = Files::new(t, problems, kept);
    let summary = problems
        .iter()
        .map(|p| {
            let target = if p.field.starts_with("attachment") {
                Some(&files.input)
            } else {
                inputs.iter().find(|i| i.id == p.field)
            };
            SummaryItem {
                href: target.map_or_else(String::new, |i| format!("#{}", i.id)),
                label: target.map_or_else(|| p.field.clone(), |i| i.label.clone()),
                message: t.problem(p),
            }
        })
        .collect();
    StatusPage {
        frame: Frame::new(
            prefs,
            t.with("status-title", "case", &number),
            &format!("/status/{number}"),
            &[("t", token)],
        ),
        t: t.clone(),
        status_label: t.msg(&format!("status-{}", status.status.as_str())),
        status: status.status,
        first_response,
        resolution: t.with(
            "status-resolution",
            "when",
            due_in_words(t, status.resolution_due, now, prefs.tz),
        ),
        device: status.device,
        messages,
        accepts: status.accepts_information,
        missing: !status.missing.is_empty() || !status.needs.is_empty(),
        action: format!("/status/{number}?t={token}"),
        csrf: prefs.csrf().to_owned(),
        banner: None,
        notice,
        summary,
        inputs,
        files,
        case: number,
    }
}

/// The page for a browser (JSON clients are answered in `web/status.rs`).
pub async fn show(state: WebState, case: Option<String>, q: StatusQuery, headers: HeaderMap) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let token = q.t.unwrap_or_default();
    let Some(case) = case else {
        return not_found(&prefs);
    };
    let status = match by_link(&state.app, &case, &token).await {
        Ok(status) => status,
        Err(Error::NotFound) => return not_found(&prefs),
        Err(e) => return internal_error(&prefs, &headers, &e),
    };
    // A merged case's link: on to the case it was merged into, with the same token.
    let asked = state.app.catalog.case_prefix().parse(&case).ok();
    if asked.as_ref() != Some(&status.case_number) {
        return see_other(&format!("/status/{}?t={}", status.case_number, percent_encode(&token)));
    }
    let notice = q.added.map(|how| {
        prefs.t.msg(if how == "normal" {
            "status-added-normal"
        } else {
            "status-added"
        })
    });
    let mut page = page(
        &state,
        &prefs,
        status,
        &token,
        &Typed::default(),
        &[],
        Vec::new(),
        notice,
    );
    page.frame.tz_reload = prefs.tz.is_none();
    html(StatusCode::OK, &page, &prefs)
}

/// `POST /status/{case}?t=…`: add information; back to the page (303) or the form with its
/// problems. Nothing is stored (not even a kept file) before the case, the rate limit and the
/// form's CSRF token have all been checked.
pub async fn add(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<StatusQuery>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let token = q.t.unwrap_or_default();
    let Ok(Path(case)) = case else {
        return not_found(&prefs);
    };
    let access = match access::customer(&state.app, &case, &token).await {
        Ok(access) => access,
        Err(Error::NotFound) => return not_found(&prefs),
        Err(e) => return internal_error(&prefs, &headers, &e),
    };
    if let Err(refused) = state.admit(Limit::Status, peer.ip(), &headers) {
        return refused.into_response();
    }
    let posted = Posted::read(request, &state).await;
    let mut typed = Typed::default();
    for (name, value) in &posted.texts {
        match name.as_str() {
            "message" => typed.message = value.clone(),
            "csrf" | "kept" => {}
            _ => {
                typed.fields.insert(name.clone(), value.clone());
            }
        }
    }
    // Shows the page again with what was typed; the case is read afresh (it may have moved).
    let again = |status_code: StatusCode, banner: Option<String>, problems: Vec<Problem>, kept: Vec<Kept>| {
        let (state, prefs, token, headers, access) = (
            state.clone(),
            prefs.clone(),
            token.clone(),
            headers.clone(),
            access.clone(),
        );
        let typed = &typed;
        async move {
            match case_status(&state.app, &access).await {
                Ok(status) => {
                    let mut page = page(&state, &prefs, status, &token, typed, &problems, kept, None);
                    page.banner = banner;
                    html(status_code, &page, &prefs)
                }
                Err(Error::NotFound) => not_found(&prefs),
                Err(e) => internal_error(&prefs, &headers, &e),
            }
        }
    };
    if let Some(failure) = posted.failure {
        let (code, banner) = match failure {
            Failure::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "form-too-large"),
            Failure::Unreadable => (StatusCode::BAD_REQUEST, "form-unreadable"),
        };
        return again(code, Some(prefs.t.msg(banner)), Vec::new(), Vec::new()).await;
    }
    if !prefs.csrf_ok(posted.text("csrf")) {
        return again(
            StatusCode::FORBIDDEN,
            Some(prefs.t.msg("form-expired")),
            Vec::new(),
            Vec::new(),
        )
        .await;
    }
    let kept = restore(&state, &prefs, &posted.all("kept")).await;
    let uploads: Vec<_> = kept.into_iter().chain(posted.files).collect();
    if !posted.not_utf8.is_empty() {
        let problems = not_utf8_problems(&posted.not_utf8);
        let kept = keep(&state, &prefs, &uploads, &problems).await;
        return again(StatusCode::UNPROCESSABLE_ENTITY, None, problems, kept).await;
    }
    let info = Info {
        message: typed.message.clone(),
        fields: typed.fields.clone(),
        attachments: uploads.clone(),
    };
    match add_info(&state.app, &access, info).await {
        Ok(added) => {
            let how = if added.restored { "normal" } else { "1" };
            see_other(&format!("/status/{}?t={token}&added={how}", added.case))
        }
        Err(Error::NotFound) => not_found(&prefs),
        Err(Error::Conflict(_)) => again(StatusCode::CONFLICT, None, Vec::new(), Vec::new()).await,
        Err(Error::Invalid(problems)) => {
            let kept = keep(&state, &prefs, &uploads, &problems).await;
            again(StatusCode::UNPROCESSABLE_ENTITY, None, problems, kept).await
        }
        Err(Error::Store(e)) if e.is_unavailable() => {
            tracing::warn!(error = %e, "store unavailable");
            let kept = keep(&state, &prefs, &uploads, &[]).await;
            again(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(prefs.t.msg("form-unavailable")),
                Vec::new(),
                kept,
            )
            .await
        }
        Err(e) => {
            let id = super::request_id(&headers);
            tracing::error!(error = %e, request_id = %id, "information could not be added");
            let kept = keep(&state, &prefs, &uploads, &[]).await;
            again(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(prefs.t.with("error-page", "request_id", id)),
                Vec::new(),
                kept,
            )
            .await
        }
    }
}
