//! Webhooks over the API (SPEC §9), for admins: register endpoints, change, disable, enable and
//! remove them, send a test event, read the last deliveries. What endpoints receive is documented
//! in the OpenAPI document's `webhooks` section (see `openapi.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::AppError;
use super::extract::{ApiAgent, JsonBody};
use super::WebState;
use crate::app::webhooks::{self, WebhookInput};
use crate::store::{DeliveryRecord, WebhookId, WebhookRecord};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(add))
        .route("/api/v1/webhooks/{id}", get(show).put(change).delete(remove))
        .route("/api/v1/webhooks/{id}/test", post(test))
        .route("/api/v1/webhooks/{id}/enable", post(enable))
        .route("/api/v1/webhooks/{id}/disable", post(disable))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookBody {
    id: i64,
    url: String,
    description: String,
    /// The events it hears of.
    #[schema(example = json!(["case.created", "sla.breached"]))]
    events: Vec<String>,
    /// False once disabled (by an admin, or after 24 hours of failures).
    enabled: bool,
    disabled_at: Option<DateTime<Utc>>,
    disabled_reason: Option<String>,
    /// Every delivery since then failed; null while it answers.
    failing_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookRecord> for WebhookBody {
    fn from(w: WebhookRecord) -> WebhookBody {
        WebhookBody {
            id: w.id.0,
            url: w.webhook.url,
            description: w.webhook.description,
            events: w.webhook.events.iter().map(|e| e.as_str().to_owned()).collect(),
            enabled: w.disabled_at.is_none(),
            disabled_at: w.disabled_at,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryBody {
    /// Sent as `Sportello-Delivery`.
    id: i64,
    /// The event's `id` in the body, the same on every attempt.
    event_id: String,
    #[schema(example = "case.created")]
    event: String,
    case_number: Option<String>,
    created_at: DateTime<Utc>,
    /// `delivered`, `retrying` (or waiting for its first attempt) or `given_up`.
    #[schema(example = "delivered")]
    state: &'static str,
    attempts: i64,
    /// The last answer's HTTP status; null when none came.
    response_status: Option<i64>,
    /// How long the last attempt took, in milliseconds.
    response_ms: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
}

pub(crate) fn delivery_state(d: &DeliveryRecord) -> &'static str {
    if d.delivered_at.is_some() {
        "delivered"
    } else if d.gave_up_at.is_some() {
        "given_up"
    } else {
        "retrying"
    }
}

fn delivery_body(state: &WebState, d: DeliveryRecord) -> DeliveryBody {
    let prefix = state.app.catalog.case_prefix();
    DeliveryBody {
        id: d.id,
        state: delivery_state(&d),
        event_id: d.event_id,
        event: d.kind.as_str().to_owned(),
        case_number: d.ticket.and_then(|t| t.number(prefix).ok()).map(|n| n.to_string()),
        created_at: d.created_at,
        attempts: d.attempts,
        response_status: d.response_status,
        response_ms: d.response_ms,
        last_error: d.last_error,
        next_attempt_at: (d.delivered_at.is_none() && d.gave_up_at.is_none()).then_some(d.next_attempt_at),
        delivered_at: d.delivered_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookList {
    webhooks: Vec<WebhookBody>,
}

#[utoipa::path(operation_id = "webhooks_list", get, path = "/api/v1/webhooks", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every endpoint not removed, oldest first", body = WebhookList),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins only")))]
pub(crate) async fn list(State(state): State<WebState>, who: ApiAgent) -> Result<Json<WebhookList>, AppError> {
    let webhooks = webhooks::list(&state.app, &who.principal).await?;
    Ok(Json(WebhookList {
        webhooks: webhooks.into_iter().map(WebhookBody::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookShown {
    #[serde(flatten)]
    webhook: WebhookBody,
    /// The last 50, newest first.
    deliveries: Vec<DeliveryBody>,
}

#[utoipa::path(operation_id = "webhooks_show", get, path = "/api/v1/webhooks/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoint and its last 50 deliveries", body = WebhookShown),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins only"),
        (status = 404, description = "No such endpoint")))]
pub(crate) async fn show(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<Json<WebhookShown>, AppError> {
    let (webhook, deliveries) = webhooks::show(&state.app, &who.principal, WebhookId(id)).await?;
    Ok(Json(WebhookShown {
        webhook: webhook.into(),
        deliveries: deliveries.into_iter().map(|d| delivery_body(&state, d)).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookWrite {
    /// `https://…` (or `http://`); refused (422 `webhook_target`) when it resolves to a loopback,
    /// private, link-local or metadata address not in `webhook_allow`.
    url: String,
    #[serde(default)]
    description: String,
    /// Any of `case.created`, `case.updated`, `message.created`, `sla.breached`,
    /// `alert.device_spike`; at least one.
    events: Vec<String>,
    /// The signing secret (16–200 characters). On add, absent: one is made and returned once.
    /// On change, absent: the secret stays.
    secret: Option<String>,
}

impl From<WebhookWrite> for WebhookInput {
    fn from(w: WebhookWrite) -> WebhookInput {
        WebhookInput {
            url: w.url,
            description: w.description,
            events: w.events,
            secret: w.secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookCreated {
    id: i64,
    /// The secret made for the endpoint, shown this once; absent when the request named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[utoipa::path(operation_id = "webhooks_add", post, path = "/api/v1/webhooks", tag = "admin",
    request_body = WebhookWrite,
    security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = WebhookCreated),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only (or a session with the CSRF header)"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body): `webhook_target` for an internal address")))]
pub(crate) async fn add(
    State(state): State<WebState>,
    who: ApiAgent,
    JsonBody(body): JsonBody<WebhookWrite>,
) -> Result<Response, AppError> {
    let created = webhooks::add(&state.app, &who.principal, body.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            id: created.id.0,
            secret: created.secret,
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookChanged {
    changed: bool,
}

#[utoipa::path(operation_id = "webhooks_change", put, path = "/api/v1/webhooks/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    request_body = WebhookWrite,
    security(("bearer" = [])),
    responses((status = 200, description = "Written anew; whether anything changed", body = WebhookChanged),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such endpoint"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn change(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<WebhookWrite>,
) -> Result<Json<WebhookChanged>, AppError> {
    let changed = webhooks::change(&state.app, &who.principal, WebhookId(id), body.into()).await?;
    Ok(Json(WebhookChanged { changed }))
}

#[utoipa::path(operation_id = "webhooks_remove", delete, path = "/api/v1/webhooks/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed; its pending deliveries are given up"),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such endpoint")))]
pub(crate) async fn remove(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    webhooks::remove(&state.app, &who.principal, WebhookId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TestSent {
    /// The delivery, among the endpoint's deliveries.
    delivery: i64,
}

#[utoipa::path(operation_id = "webhooks_test", post, path = "/api/v1/webhooks/{id}/test", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 202, description = "A `ping` event is on its way to this endpoint alone", body = TestSent),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such endpoint")))]
pub(crate) async fn test(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let delivery = webhooks::test(&state.app, &who.principal, WebhookId(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(TestSent { delivery })).into_response())
}

#[utoipa::path(operation_id = "webhooks_enable", post, path = "/api/v1/webhooks/{id}/enable", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Delivering again (its waiting deliveries resume); whether it was disabled", body = WebhookChanged),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such endpoint")))]
pub(crate) async fn enable(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<Json<WebhookChanged>, AppError> {
    let changed = webhooks::set_enabled(&state.app, &who.principal, WebhookId(id), true).await?;
    Ok(Json(WebhookChanged { changed }))
}

#[utoipa::path(operation_id = "webhooks_disable", post, path = "/api/v1/webhooks/{id}/disable", tag = "admin",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "No deliveries until enabled: those waiting stay, events meanwhile are not kept for it; whether it was enabled", body = WebhookChanged),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such endpoint")))]
pub(crate) async fn disable(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<Json<WebhookChanged>, AppError> {
    let changed = webhooks::set_enabled(&state.app, &who.principal, WebhookId(id), false).await?;
    Ok(Json(WebhookChanged { changed }))
}
