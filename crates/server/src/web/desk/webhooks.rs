//! `/desk/admin/webhooks` (SPEC §9): admins register endpoints, see each one's health and last 50
//! deliveries, send it a test event, disable, enable, change and remove it. A made secret is shown
//! on the page that answers the registration, once, and never put in a URL.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sportello_domain::problem::Problem;
use sportello_domain::webhook::EventKind;

use super::admin::Done;
use super::{Checked, DeskFrame};
use crate::app::webhooks::{self, WebhookInput};
use crate::store::{WebhookId, WebhookRecord};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, moment, see_other, Tr};
use crate::web::posted::Posted;
use crate::web::webhooks::delivery_state;
use crate::web::WebState;

/// An endpoint's form, as stored or as just typed.
#[derive(Clone, Default)]
pub struct WebhookForm {
    url: String,
    description: String,
    /// (event name, checked).
    events: Vec<(String, bool)>,
    problems: Vec<String>,
}

/// An endpoint in the list.
pub struct Row {
    id: i64,
    url: String,
    description: String,
    events: String,
    /// Healthy, failing since when, or disabled and why.
    health: String,
    failing: bool,
}

#[derive(Template)]
#[template(path = "desk/webhooks.html")]
struct ListPage {
    frame: DeskFrame,
    notice: Option<String>,
    rows: Vec<Row>,
    new: WebhookForm,
}

/// One delivery as its table row shows it.
pub struct DeliveryRow {
    at: String,
    at_words: String,
    event: String,
    case: String,
    state: String,
    state_code: &'static str,
    status: String,
    millis: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "desk/webhook.html")]
struct EndpointPage {
    frame: DeskFrame,
    notice: Option<String>,
    /// The secret made at registration, shown this once.
    made_secret: Option<String>,
    id: i64,
    enabled: bool,
    health: String,
    form: WebhookForm,
    deliveries: Vec<DeliveryRow>,
}

fn form_of(events: &[String], url: &str, description: &str, problems: Vec<String>) -> WebhookForm {
    WebhookForm {
        url: url.to_owned(),
        description: description.to_owned(),
        events: EventKind::SUBSCRIBABLE
            .iter()
            .map(|k| (k.as_str().to_owned(), events.iter().any(|e| e == k.as_str())))
            .collect(),
        problems,
    }
}

fn stored_form(w: &WebhookRecord) -> WebhookForm {
    let events: Vec<String> = w.webhook.events.iter().map(|e| e.as_str().to_owned()).collect();
    form_of(&events, &w.webhook.url, &w.webhook.description, Vec::new())
}

fn health(t: &Tr, w: &WebhookRecord, now: chrono::DateTime<chrono::Utc>, tz: Option<chrono_tz::Tz>) -> String {
    match (w.disabled_at, w.failing_since) {
        (Some(at), _) => t.args(
            "desk-webhook-disabled",
            &[
                ("when", moment(t, at, now, tz)),
                ("why", w.disabled_reason.clone().unwrap_or_default()),
            ],
        ),
        (None, Some(since)) => t.with("desk-webhook-failing", "when", moment(t, since, now, tz)),
        (None, None) => t.msg("desk-webhook-healthy"),
    }
}

async fn list_page(state: &WebState, me: &DeskAgent, notice: Option<String>, new: Option<WebhookForm>) -> Response {
    let all = match webhooks::list(&state.app, &me.principal).await {
        Ok(all) => all,
        Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
    };
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let status = if new.as_ref().is_some_and(|f| !f.problems.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-webhooks-title"), Some(&me.agent)),
        notice,
        rows: all
            .iter()
            .map(|w| Row {
                id: w.id.0,
                url: w.webhook.url.clone(),
                description: w.webhook.description.clone(),
                events: w
                    .webhook
                    .events
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                health: health(t, w, now, me.prefs.tz),
                failing: w.disabled_at.is_some() || w.failing_since.is_some(),
            })
            .collect(),
        new: new.unwrap_or_else(|| form_of(&[], "", "", Vec::new())),
    };
    html(status, &page, &me.prefs)
}

async fn endpoint_page(
    state: &WebState,
    me: &DeskAgent,
    id: i64,
    notice: Option<String>,
    made_secret: Option<String>,
    refused: Option<WebhookForm>,
) -> Response {
    let (w, deliveries) = match webhooks::show(&state.app, &me.principal, WebhookId(id)).await {
        Ok(found) => found,
        Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
    };
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let prefix = state.app.catalog.case_prefix();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = EndpointPage {
        frame: DeskFrame::new(&me.prefs, w.webhook.url.clone(), Some(&me.agent)),
        notice,
        made_secret,
        id,
        enabled: w.disabled_at.is_none(),
        health: health(t, &w, now, me.prefs.tz),
        form: refused.unwrap_or_else(|| stored_form(&w)),
        deliveries: deliveries
            .into_iter()
            .map(|d| {
                let state_code = delivery_state(&d);
                DeliveryRow {
                    at: d.created_at.to_rfc3339(),
                    at_words: moment(t, d.created_at, now, me.prefs.tz),
                    event: d.kind.as_str().to_owned(),
                    case: d
                        .ticket
                        .and_then(|id| id.number(prefix).ok())
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                    state: t.msg(&format!("desk-delivery-{}", state_code.replace('_', "-"))),
                    state_code,
                    status: d.response_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                    millis: d.response_ms.map(|m| format!("{m} ms")).unwrap_or_else(|| "—".into()),
                    attempts: d.attempts,
                    error: d.last_error.unwrap_or_default(),
                }
            })
            .collect(),
    };
    html(status, &page, &me.prefs)
}

pub async fn list(State(state): State<WebState>, me: DeskAgent, Query(done): Query<Done>) -> Response {
    let notice = done.notice(&me.prefs.t);
    list_page(&state, &me, notice, None).await
}

pub async fn show(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Response {
    let notice = done.notice(&me.prefs.t);
    endpoint_page(&state, &me, id, notice, None, None).await
}

fn input_of(form: &Posted) -> WebhookInput {
    WebhookInput {
        url: form.text("url").unwrap_or_default().to_owned(),
        description: form.text("description").unwrap_or_default().to_owned(),
        events: form.all("events"),
        secret: form.text("secret").map(str::to_owned),
    }
}

fn typed(t: &Tr, input: &WebhookInput, problems: &[Problem]) -> WebhookForm {
    form_of(
        &input.events,
        &input.url,
        &input.description,
        super::worded(t, "desk-webhook-field", problems),
    )
}

pub async fn add(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let input = input_of(&form);
    match webhooks::add(&state.app, &me.principal, input.clone()).await {
        // The page answers the post itself: a made secret must not travel in a URL.
        Ok(created) => {
            let notice = Some(me.prefs.t.msg("desk-done-webhook"));
            endpoint_page(&state, &me, created.id.0, notice, created.secret, None).await
        }
        Err(crate::app::Error::Invalid(problems)) => {
            let new = typed(&me.prefs.t, &input, &problems);
            list_page(&state, &me, None, Some(new)).await
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn change(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(id): Path<i64>,
    Checked(form): Checked,
) -> Response {
    let input = input_of(&form);
    match webhooks::change(&state.app, &me.principal, WebhookId(id), input.clone()).await {
        Ok(_) => see_other(&format!("/desk/admin/webhooks/{id}?done=webhookchanged")),
        Err(crate::app::Error::Invalid(problems)) => {
            let refused = typed(&me.prefs.t, &input, &problems);
            endpoint_page(&state, &me, id, None, None, Some(refused)).await
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn test(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    match webhooks::test(&state.app, &me.principal, WebhookId(id)).await {
        Ok(_) => see_other(&format!("/desk/admin/webhooks/{id}?done=webhooktest")),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn enable(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    switched(&state, &me, id, true).await
}

pub async fn disable(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    switched(&state, &me, id, false).await
}

async fn switched(state: &WebState, me: &DeskAgent, id: i64, enabled: bool) -> Response {
    match webhooks::set_enabled(&state.app, &me.principal, WebhookId(id), enabled).await {
        Ok(_) => {
            let done = if enabled { "webhookenabled" } else { "webhookdisabled" };
            see_other(&format!("/desk/admin/webhooks/{id}?done={done}"))
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn remove(State(state): State<WebState>, me: DeskAgent, Path(id): Path<i64>, _checked: Checked) -> Response {
    match webhooks::remove(&state.app, &me.principal, WebhookId(id)).await {
        Ok(()) => see_other("/desk/admin/webhooks?done=webhookremoved"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}
