//! Canned replies over the API (SPEC §7, §9): every agent lists the ones they may use and gets
//! one filled in for a case; admins add, change and remove them. A reply names the one it began
//! from (`"canned"` in its body) to set its status and priority.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sportello_domain::access::TeamId;
use sportello_domain::case::Status;
use sportello_domain::triage::Priority;
use utoipa::ToSchema;

use super::error::AppError;
use super::extract::{ApiAgent, JsonBody};
use super::WebState;
use crate::app::canned::{self, CannedInput};
use crate::store::{CannedId, CannedRecord};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/canned", get(list).post(add))
        .route("/api/v1/canned/{id}", put(change).delete(remove))
        .route("/api/v1/tickets/{case}/canned/{id}", get(filled))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CannedBody {
    id: i64,
    name: String,
    /// The team it is for; null: every team.
    team: Option<i64>,
    /// Language → text, placeholders as written (`{customer_name}`, `{case_number}`,
    /// `{status_url}`, `{agent_name}`, `{missing_fields}`).
    texts: BTreeMap<String, String>,
    #[schema(value_type = Option<String>, example = "resolved")]
    set_status: Option<Status>,
    #[schema(value_type = Option<String>, example = "high")]
    set_priority: Option<Priority>,
    updated_at: DateTime<Utc>,
}

impl From<CannedRecord> for CannedBody {
    fn from(r: CannedRecord) -> CannedBody {
        CannedBody {
            id: r.id.0,
            name: r.canned.name,
            team: r.canned.team.map(|t| t.0),
            texts: r.canned.texts,
            set_status: r.canned.set_status,
            set_priority: r.canned.set_priority,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CannedList {
    canned: Vec<CannedBody>,
}

#[utoipa::path(operation_id = "canned_list", get, path = "/api/v1/canned", tag = "agents",
    security(("bearer" = [])),
    responses((status = 200, description = "The canned replies the caller may use (every global one and their teams'; an admin's: all), by name", body = CannedList),
        (status = 401, description = "No credentials, or no longer good ones")))]
pub(crate) async fn list(State(state): State<WebState>, who: ApiAgent) -> Result<Json<CannedList>, AppError> {
    let canned = canned::usable(&state.app, &who.principal).await?;
    Ok(Json(CannedList {
        canned: canned.into_iter().map(CannedBody::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CannedWrite {
    name: String,
    /// A team's id; absent or null: every team.
    team: Option<i64>,
    /// Language → text; at least one. An unknown `{placeholder}` is refused (422
    /// `unknown_placeholder`, with the one meant as `suggestion` when it is a typo).
    texts: BTreeMap<String, String>,
    /// `open`, `pending_customer` or `resolved`: the status a reply from it leaves the case in.
    #[schema(value_type = Option<String>, example = "resolved")]
    set_status: Option<Status>,
    #[schema(value_type = Option<String>, example = "high")]
    set_priority: Option<Priority>,
}

impl From<CannedWrite> for CannedInput {
    fn from(w: CannedWrite) -> CannedInput {
        CannedInput {
            name: w.name,
            team: w.team.map(TeamId),
            texts: w.texts,
            set_status: w.set_status,
            set_priority: w.set_priority,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CannedCreated {
    id: i64,
}

#[utoipa::path(operation_id = "canned_add", post, path = "/api/v1/canned", tag = "agents",
    request_body = CannedWrite,
    security(("bearer" = [])),
    responses((status = 201, description = "Added", body = CannedCreated),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only (or a session with the CSRF header)"),
        (status = 409, description = "A canned reply has this name already (`canned_taken`), or the team is unknown"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn add(
    State(state): State<WebState>,
    who: ApiAgent,
    JsonBody(body): JsonBody<CannedWrite>,
) -> Result<Response, AppError> {
    let id = canned::add(&state.app, &who.principal, body.into()).await?;
    Ok((StatusCode::CREATED, Json(CannedCreated { id: id.0 })).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CannedChanged {
    changed: bool,
}

#[utoipa::path(operation_id = "canned_change", put, path = "/api/v1/canned/{id}", tag = "agents",
    params(("id" = i64, Path, description = "The canned reply's id")),
    request_body = CannedWrite,
    security(("bearer" = [])),
    responses((status = 200, description = "Written anew; whether anything changed", body = CannedChanged),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such canned reply"),
        (status = 409, description = "Another canned reply has this name, or the team is unknown"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn change(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<CannedWrite>,
) -> Result<Json<CannedChanged>, AppError> {
    let changed = canned::change(&state.app, &who.principal, CannedId(id), body.into()).await?;
    Ok(Json(CannedChanged { changed }))
}

#[utoipa::path(operation_id = "canned_remove", delete, path = "/api/v1/canned/{id}", tag = "agents",
    params(("id" = i64, Path, description = "The canned reply's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed"),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such canned reply")))]
pub(crate) async fn remove(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    canned::remove(&state.app, &who.principal, CannedId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CannedFilled {
    id: i64,
    name: String,
    /// The language of the text chosen: the customer's, else English, else the first.
    language: String,
    /// The text with the case's values in; `{status_url}` stays, and becomes the customer's
    /// status link (with a fresh token) in the mail the reply goes out as.
    body: String,
    #[schema(value_type = Option<String>)]
    set_status: Option<Status>,
    #[schema(value_type = Option<String>)]
    set_priority: Option<Priority>,
}

#[utoipa::path(operation_id = "canned_filled", get, path = "/api/v1/tickets/{case}/canned/{id}", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013"),
        ("id" = i64, Path, description = "The canned reply's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The canned reply filled in for the case, in the customer's language; send it with `POST /api/v1/tickets/{case}/reply` and `\"canned\": id`", body = CannedFilled),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 404, description = "No such case or canned reply, one the caller may not see, or one not for this case's team (the same answer)")))]
pub(crate) async fn filled(
    State(state): State<WebState>,
    who: ApiAgent,
    Path((case, id)): Path<(String, i64)>,
) -> Result<Json<CannedFilled>, AppError> {
    let f = canned::fill(&state.app, &who.principal, &case, CannedId(id)).await?;
    Ok(Json(CannedFilled {
        id: f.id.0,
        name: f.name,
        language: f.language,
        body: f.body,
        set_status: f.set_status,
        set_priority: f.set_priority,
    }))
}
