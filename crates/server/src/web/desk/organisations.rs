//! `/desk/admin/organisations` (SPEC §10): admins keep the business accounts — name, verified
//! mark, the domains and phones that identify their people, the monthly free quota and its time
//! zone — and download the month's cases beyond the quota. A refused save shows the form again as
//! typed, with why.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_domain::contact::phone::Phone;
use sportello_domain::problem::Problem;

use super::admin::Done;
use super::{Checked, DeskFrame};
use crate::app::organisations::{self, OrganisationInput, DEFAULT_QUOTA};
use crate::store::{OrganisationId, OrganisationRecord};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, see_other, Tr};
use crate::web::posted::Posted;
use crate::web::WebState;

/// One organisation's form: a new one (`id` None) or an existing one, as stored or as typed.
#[derive(Clone)]
pub struct OrganisationForm {
    id: Option<i64>,
    name: String,
    verified: bool,
    /// One per line.
    domains: String,
    phones: String,
    monthly_quota: String,
    time_zone: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "desk/organisations.html")]
struct OrganisationsPage {
    frame: DeskFrame,
    notice: Option<String>,
    /// This month, for the billing list's link (`YYYY-MM`).
    month: String,
    forms: Vec<OrganisationForm>,
}

fn stored(o: &OrganisationRecord) -> OrganisationForm {
    let x = &o.organisation;
    OrganisationForm {
        id: Some(o.id.0),
        name: x.name.clone(),
        verified: x.verified,
        domains: x.domains.join("\n"),
        phones: x.phones.iter().map(Phone::as_str).collect::<Vec<_>>().join("\n"),
        monthly_quota: x.monthly_quota.to_string(),
        time_zone: x.time_zone.name().to_owned(),
        problems: Vec::new(),
    }
}

fn blank() -> OrganisationForm {
    OrganisationForm {
        id: None,
        name: String::new(),
        verified: false,
        domains: String::new(),
        phones: String::new(),
        monthly_quota: DEFAULT_QUOTA.to_string(),
        time_zone: "UTC".to_owned(),
        problems: Vec::new(),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn page(state: &WebState, me: &DeskAgent, notice: Option<String>, refused: Option<OrganisationForm>) -> Response {
    let all = match organisations::list(&state.app, &me.principal).await {
        Ok(all) => all,
        Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
    };
    let t = &me.prefs.t;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (new, refused) = match refused {
        Some(form) if form.id.is_none() => (form, None),
        other => (blank(), other),
    };
    let mut forms: Vec<OrganisationForm> = all
        .iter()
        .map(|o| match &refused {
            Some(form) if form.id == Some(o.id.0) => form.clone(),
            _ => stored(o),
        })
        .collect();
    forms.push(new);
    let page = OrganisationsPage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-organisations-title"), Some(&me.agent)),
        notice,
        month: state.app.clock.now().format("%Y-%m").to_string(),
        forms,
    };
    html(status, &page, &me.prefs)
}

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(done): Query<Done>) -> Response {
    let notice = done.notice(&me.prefs.t);
    page(&state, &me, notice, None).await
}

fn input_of(form: &Posted) -> OrganisationInput {
    OrganisationInput {
        name: form.text("name").unwrap_or_default().to_owned(),
        verified: form.text("verified").is_some(),
        domains: lines(form.text("domains").unwrap_or_default()),
        phones: lines(form.text("phones").unwrap_or_default()),
        // What is not a number is kept as typed and refused by the rule for quotas.
        monthly_quota: form
            .text("monthly_quota")
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.parse().unwrap_or(-1)),
        time_zone: form.text("time_zone").map(str::to_owned),
    }
}

fn typed(t: &Tr, id: Option<i64>, form: &Posted, problems: &[Problem]) -> OrganisationForm {
    OrganisationForm {
        id,
        name: form.text("name").unwrap_or_default().to_owned(),
        verified: form.text("verified").is_some(),
        domains: form.text("domains").unwrap_or_default().to_owned(),
        phones: form.text("phones").unwrap_or_default().to_owned(),
        monthly_quota: form.text("monthly_quota").unwrap_or_default().to_owned(),
        time_zone: form.text("time_zone").unwrap_or_default().to_owned(),
        problems: super::worded(t, "desk-organisation-field", problems),
    }
}

async fn saved(
    state: &WebState,
    me: &DeskAgent,
    id: Option<i64>,
    form: &Posted,
    result: Result<(), crate::app::Error>,
) -> Response {
    match result {
        Ok(()) => see_other("/desk/admin/organisations?done=organisation"),
        Err(crate::app::Error::Invalid(problems)) => {
            let refused = typed(&me.prefs.t, id, form, &problems);
            page(state, me, None, Some(refused)).await
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn add(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let result = organisations::add(&state.app, &me.principal, input_of(&form))
        .await
        .map(|_| ());
    saved(&state, &me, None, &form, result).await
}

pub async fn change(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(id): Path<i64>,
    Checked(form): Checked,
) -> Response {
    let result = organisations::change(&state.app, &me.principal, OrganisationId(id), input_of(&form))
        .await
        .map(|_| ());
    saved(&state, &me, Some(id), &form, result).await
}

pub async fn remove(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    match organisations::remove(&state.app, &me.principal, OrganisationId(id)).await {
        Ok(()) => see_other("/desk/admin/organisations?done=organisationremoved"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}
