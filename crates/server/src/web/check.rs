//! Live checks for the request form's script: `GET /api/v1/check/email?value=` and
//! `GET /api/v1/check/phone?value=&country=`. Each calls the one domain rule the intake applies
//! (no copy of typo tables or phone metadata in JavaScript), with messages in the reader's language.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sportello_domain::problem::Problem;
use sportello_domain::request;

use super::error::{problem_message, AppError};
use super::{language_of, Limit, WebState};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/check/email", get(email))
        .route("/api/v1/check/phone", get(phone))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CheckQuery {
    value: Option<String>,
    country: Option<String>,
    lang: Option<String>,
}

/// Longer values are not worth a look: the intake refuses them anyway.
const MAX_CHECKED: usize = 256;

/// What the script shows: the reading, or the problem in the reader's language with its fix.
fn answer(checked: Result<String, Problem>, lang: &crate::i18n::Lang) -> Value {
    match checked {
        Ok(value) => json!({ "status": "ok", "value": value }),
        Err(p) => json!({
            "status": p.code.as_str(),
            "message": problem_message(&p, lang),
            "suggestion": p.suggestion,
        }),
    }
}

/// `{"status":"ok","value":…}` or `{"status":"email_suspect"|"email_invalid","message":…,"suggestion":…}`.
#[utoipa::path(operation_id = "check_email", get, path = "/api/v1/check/email", tag = "customers", params(CheckQuery),
    responses((status = 200, description = "The reading, or the problem with its suggestion", body = serde_json::Value),
        (status = 429, description = "Over the checks' rate limit")))]
pub(crate) async fn email(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<CheckQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    checked(&state, peer, q, &headers, |value, _| {
        request::check_email(value, false).map(|e| e.as_str().to_owned())
    })
}

/// `{"status":"ok","value":"+39…"}` (the E.164 reading) or the problem with its suggestion.
#[utoipa::path(operation_id = "check_phone", get, path = "/api/v1/check/phone", tag = "customers", params(CheckQuery),
    responses((status = 200, description = "The E.164 reading, or the problem with its suggestion", body = serde_json::Value),
        (status = 429, description = "Over the checks' rate limit")))]
pub(crate) async fn phone(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<CheckQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    checked(&state, peer, q, &headers, |value, country| {
        request::check_phone(value, country).map(|p| p.as_str().to_owned())
    })
}

/// One check, under the checks' rate limit, answered in the reader's language.
fn checked(
    state: &WebState,
    peer: SocketAddr,
    q: CheckQuery,
    headers: &HeaderMap,
    check: impl FnOnce(&str, Option<&str>) -> Result<String, Problem>,
) -> Result<Json<Value>, AppError> {
    state.admit(Limit::Check, peer.ip(), headers)?;
    let lang = language_of(q.lang.as_deref(), headers);
    let value = q.value.unwrap_or_default();
    if value.trim().is_empty() || value.len() > MAX_CHECKED {
        return Ok(Json(json!({ "status": "empty" })));
    }
    let country = q.country.filter(|c| !c.trim().is_empty());
    Ok(Json(answer(check(&value, country.as_deref()), &lang)))
}
