//! The JSON API: `POST /api/v1/requests` and `GET /api/v1/catalog` (SPEC §3).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::request::NewRequest;
use sportello_domain::triage::Priority;

use super::error::AppError;
use super::posted::{media_type, set_field, Failure, Posted};
use super::{language_of, Limit, WebState};
use crate::app::submit::{submit, Submitted, Via};
use crate::app::Error;
use crate::i18n::Lang;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/requests", post(create_request))
        .layer(axum::extract::DefaultBodyLimit::max(super::posted::BODY_LIMIT))
        .route("/api/v1/catalog", get(catalog))
}

#[utoipa::path(operation_id = "api_create_request", post, path = "/api/v1/requests", tag = "customers",
    request_body(description = "The request's fields (SPEC §2): JSON, or multipart/form-data with up to three screenshots", content(
        (serde_json::Value = "application/json"),
        (serde_json::Value = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Accepted (SPEC §3.2)", body = Created),
        (status = 200, description = "Added to the contact's open case (SPEC §3.3); no status link", body = Merged),
        (status = 400, description = "A body that is not the declared type"),
        (status = 413, description = "Larger than the limit"),
        (status = 415, description = "Neither JSON nor multipart"),
        (status = 422, description = "Every problem at once (SPEC §3.1)"),
        (status = 429, description = "Over the intake rate limit, with Retry-After"),
    ))]
pub(crate) async fn create_request(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, AppError> {
    let headers = request.headers().clone();
    state.admit(Limit::Intake, peer.ip(), &headers)?;
    let content_type = media_type(&headers);
    let new_request = if content_type == "multipart/form-data" {
        from_posted(Posted::read(request, &state).await)?
    } else if content_type == "application/json" {
        let body = Bytes::from_request(request, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::BadRequest(e.body_text())
            }
        })?;
        let body: JsonRequest =
            serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))?;
        body.into_new_request()?
    } else {
        return Err(AppError::UnsupportedMediaType);
    };
    let lang = language_of(new_request.language.as_deref(), &headers);
    let outcome = submit(&state.app, new_request, Via::Api).await;
    state.metrics.intake(&outcome);
    respond(&lang, outcome)
}

/// Turns the use case's answer into SPEC §3.2–§3.3 bodies.
fn respond(lang: &Lang, outcome: Result<Submitted, Error>) -> Result<Response, AppError> {
    match outcome {
        Ok(Submitted::Created {
            case,
            token,
            triage,
            expected_first_response,
        }) => {
            let body = Created {
                status_url: format!("/status/{}?t={}", case, token.as_str()),
                case_number: case,
                priority: triage.priority,
                first_response_due: triage.due.first_response_due,
                expected_first_response,
                resolution_due: triage.due.resolution_due,
                warnings: triage
                    .warnings
                    .iter()
                    .map(|w| WarningBody {
                        code: w.code.as_str(),
                        field: w.field.as_deref(),
                        message: lang.message(&format!("warning-{}", w.code.as_str()), &[]),
                    })
                    .collect(),
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        // No status link: typing someone's address must never open their case (SPEC §3.3).
        Ok(Submitted::Merged { case }) => Ok((StatusCode::OK, Json(Merged { merged_into: case })).into_response()),
        Err(e) => Err(AppError::from_app(e, lang)),
    }
}

/// SPEC §3.2: the 201 body.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Created<'a> {
    #[schema(value_type = String, example = "WA0000000013")]
    case_number: CaseNumber,
    status_url: String,
    #[schema(value_type = String, example = "normal")]
    priority: Priority,
    first_response_due: DateTime<Utc>,
    /// When the first answer can be expected: the work ahead of the case in its team's queue at
    /// the team's pace of the last week, on the target's calendar; the target itself while the
    /// team has no week of answers to go by.
    expected_first_response: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    warnings: Vec<WarningBody<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WarningBody<'a> {
    #[schema(value_type = String)]
    code: &'a str,
    #[schema(value_type = Option<String>)]
    field: Option<&'a str>,
    message: String,
}

/// SPEC §3.3: the 200 body of a request added to the contact's open case.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Merged {
    #[schema(value_type = String, example = "WA0000000013")]
    merged_into: CaseNumber,
}

/// A multipart body as the API takes it: whole, and text in UTF-8, or refused.
fn from_posted(posted: Posted) -> Result<NewRequest, AppError> {
    match posted.failure {
        Some(Failure::TooLarge) => return Err(AppError::TooLarge),
        Some(Failure::Unreadable) => {
            return Err(AppError::BadRequest(
                "the multipart body cannot be read to its end".to_owned(),
            ))
        }
        None => {}
    }
    if let Some(name) = posted.not_utf8.first() {
        return Err(AppError::BadRequest(format!("the field `{name}` is not valid UTF-8")));
    }
    let mut request = NewRequest::default();
    for (name, value) in posted.texts {
        set_field(&mut request, &name, value);
    }
    request.attachments = posted.files;
    Ok(request)
}

/// A JSON request: the same names as the form; catalog fields beside the standard ones.
#[derive(Deserialize)]
struct JsonRequest {
    #[serde(flatten)]
    values: BTreeMap<String, serde_json::Value>,
}

impl JsonRequest {
    fn into_new_request(self) -> Result<NewRequest, AppError> {
        let mut request = NewRequest::default();
        for (name, value) in self.values {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "`{name}` must be a string, number or boolean"
                    )))
                }
            };
            set_field(&mut request, &name, text);
        }
        Ok(request)
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CatalogQuery {
    /// A BCP 47 language; `Accept-Language` otherwise.
    lang: Option<String>,
}

/// The catalog with labels in the request's language (SPEC §3.5).
#[utoipa::path(operation_id = "api_catalog", get, path = "/api/v1/catalog", tag = "customers", params(CatalogQuery),
    responses((status = 200, description = "Categories, sub-categories, fields and targets", body = serde_json::Value)))]
pub(crate) async fn catalog(
    State(state): State<WebState>,
    Query(q): Query<CatalogQuery>,
    headers: HeaderMap,
) -> Json<serde_json::Value> {
    let lang = language_of(q.lang.as_deref(), &headers);
    let code = lang.code();
    let categories: Vec<_> = state
        .app
        .catalog
        .categories()
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "label": c.label.get(&code),
                "urgent_allowed": c.urgent_allowed,
                "clock": c.clock,
                "first_response_hours": c.targets.first_response.num_minutes() as f64 / 60.0,
                "resolution_hours": c.targets.resolution.num_minutes() as f64 / 60.0,
                "subcategories": c.subcategories.iter().map(|s| json!({"id": s.id, "label": s.label.get(&code)})).collect::<Vec<_>>(),
                "fields": c.fields.iter().map(|f| json!({
                    "id": f.id,
                    "label": f.label.get(&code),
                    "hint": f.hint.as_ref().map(|h| h.get(&code)),
                    "requirement": match f.requirement {
                        sportello_domain::catalog::Requirement::Required => "required",
                        sportello_domain::catalog::Requirement::Recommended => "recommended",
                    },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "language": code, "categories": categories }))
}
