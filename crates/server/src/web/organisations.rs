//! Business accounts over the API (SPEC §10), for admins: organisations, and the month's cases
//! beyond their free quota as CSV for billing.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sportello_domain::contact::phone::Phone;
use utoipa::ToSchema;

use super::error::AppError;
use super::extract::{ApiAgent, JsonBody};
use super::WebState;
use crate::app::organisations::{self, OrganisationInput};
use crate::store::{OrganisationId, OrganisationRecord};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/organisations", get(list).post(add))
        .route("/api/v1/organisations/over-quota.csv", get(over_quota))
        .route("/api/v1/organisations/{id}", put(change).delete(remove))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationBody {
    id: i64,
    name: String,
    /// The blue tick: verified organisations' cases are answered faster (targets × 0.67).
    verified: bool,
    domains: Vec<String>,
    /// E.164.
    phones: Vec<String>,
    monthly_quota: i64,
    time_zone: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<OrganisationRecord> for OrganisationBody {
    fn from(r: OrganisationRecord) -> OrganisationBody {
        let o = r.organisation;
        OrganisationBody {
            id: r.id.0,
            name: o.name,
            verified: o.verified,
            domains: o.domains,
            phones: o.phones.iter().map(|p| Phone::as_str(p).to_owned()).collect(),
            monthly_quota: o.monthly_quota,
            time_zone: o.time_zone.name().to_owned(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationList {
    organisations: Vec<OrganisationBody>,
}

#[utoipa::path(operation_id = "organisations_list", get, path = "/api/v1/organisations", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every organisation, by name", body = OrganisationList),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins only")))]
pub(crate) async fn list(State(state): State<WebState>, who: ApiAgent) -> Result<Json<OrganisationList>, AppError> {
    let all = organisations::list(&state.app, &who.principal).await?;
    Ok(Json(OrganisationList {
        organisations: all.into_iter().map(OrganisationBody::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationWrite {
    name: String,
    #[serde(default)]
    verified: bool,
    /// E-mail domains whose addresses (and their sub-domains') are the organisation's people;
    /// public mail providers are refused.
    #[serde(default)]
    domains: Vec<String>,
    /// Phone numbers with their country code.
    #[serde(default)]
    phones: Vec<String>,
    /// Free cases a month (default 3); beyond it cases are accepted and flagged `over_quota`.
    monthly_quota: Option<i64>,
    /// The IANA zone its months are counted in (default UTC), e.g. `Europe/Rome`.
    time_zone: Option<String>,
}

impl From<OrganisationWrite> for OrganisationInput {
    fn from(w: OrganisationWrite) -> OrganisationInput {
        OrganisationInput {
            name: w.name,
            verified: w.verified,
            domains: w.domains,
            phones: w.phones,
            monthly_quota: w.monthly_quota,
            time_zone: w.time_zone,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationCreated {
    id: i64,
}

#[utoipa::path(operation_id = "organisations_add", post, path = "/api/v1/organisations", tag = "admin",
    request_body = OrganisationWrite,
    security(("bearer" = [])),
    responses((status = 201, description = "Added: new cases of its people are marked with it", body = OrganisationCreated),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 409, description = "Another organisation has the name, a domain or a phone (`organisation_taken`)"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn add(
    State(state): State<WebState>,
    who: ApiAgent,
    JsonBody(body): JsonBody<OrganisationWrite>,
) -> Result<Response, AppError> {
    let id = organisations::add(&state.app, &who.principal, body.into()).await?;
    Ok((StatusCode::CREATED, Json(OrganisationCreated { id: id.0 })).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationChanged {
    changed: bool,
}

#[utoipa::path(operation_id = "organisations_change", put, path = "/api/v1/organisations/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The organisation's id")),
    request_body = OrganisationWrite,
    security(("bearer" = [])),
    responses((status = 200, description = "Written anew (cases already open keep their targets); whether anything changed", body = OrganisationChanged),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such organisation"),
        (status = 409, description = "Another organisation has the name, a domain or a phone"),
        (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn change(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<OrganisationWrite>,
) -> Result<Json<OrganisationChanged>, AppError> {
    let changed = organisations::change(&state.app, &who.principal, OrganisationId(id), body.into()).await?;
    Ok(Json(OrganisationChanged { changed }))
}

#[utoipa::path(operation_id = "organisations_remove", delete, path = "/api/v1/organisations/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The organisation's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed; its cases keep naming it"),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins with a write token only"),
        (status = 404, description = "No such organisation")))]
pub(crate) async fn remove(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    organisations::remove(&state.app, &who.principal, OrganisationId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthQuery {
    /// `YYYY-MM`; each organisation's month in its own time zone.
    month: String,
}

#[utoipa::path(operation_id = "organisations_over_quota", get, path = "/api/v1/organisations/over-quota.csv", tag = "admin",
    params(MonthQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "`organisation,case_number,created_at`: the month's cases beyond each organisation's free quota, for billing", content_type = "text/csv", body = String),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Admins only"),
        (status = 422, description = "`month` is not YYYY-MM")))]
pub(crate) async fn over_quota(
    State(state): State<WebState>,
    who: ApiAgent,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let rows = organisations::over_quota(&state.app, &who.principal, &q.month).await?;
    let prefix = state.app.catalog.case_prefix();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| AppError::from(crate::app::Error::Internal(e.to_string()));
    csv.write_record(["organisation", "case_number", "created_at"])
        .map_err(failed)?;
    for r in rows {
        let number = r.ticket.number(prefix).map(|n| n.to_string()).unwrap_or_default();
        csv.write_record([
            super::spreadsheet::cell(&r.organisation),
            number,
            r.created_at.to_rfc3339(),
        ])
        .map_err(failed)?;
    }
    let body = csv
        .into_inner()
        .map_err(|e| AppError::from(crate::app::Error::Internal(e.to_string())))?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}
