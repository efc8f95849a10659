//! The JSON API: `POST /api/v1/requests` and `GET /api/v1/catalog` (SPEC §3).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
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
use super::pages::{Failure, Posted};
use super::{language_of, WebState};
use crate::app::submit::{submit, Channel, SubmitError, Submitted};
use crate::i18n::Lang;

/// Three 5 MiB screenshots and the text around them.
pub const INTAKE_BODY_LIMIT: usize = 3 * 5 * 1024 * 1024 + 1024 * 1024;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/requests", post(create_request))
        .layer(axum::extract::DefaultBodyLimit::max(INTAKE_BODY_LIMIT))
        .route("/api/v1/catalog", get(catalog))
}

async fn create_request(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, AppError> {
    state.check_intake_rate(peer.ip())?;
    let headers = request.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let new_request = if content_type.starts_with("multipart/form-data") {
        from_posted(Posted::read(request, &state).await)?
    } else if content_type.starts_with("application/json") {
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
    respond(&lang, submit(&state.app, new_request, Channel::Api).await)
}

/// Turns the use case's answer into SPEC §3.2–§3.3 bodies.
pub fn respond(lang: &Lang, outcome: Result<Submitted, SubmitError>) -> Result<Response, AppError> {
    match outcome {
        Ok(Submitted::Created { case, token, triage }) => {
            let body = Created {
                status_url: format!("/status/{}?t={}", case, token.as_str()),
                case_number: case,
                priority: triage.priority,
                first_response_due: triage.due.first_response_due,
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
        Ok(Submitted::Merged { case, token }) => {
            let body = Merged {
                status_url: format!("/status/{}?t={}", case, token.as_str()),
                merged_into: case,
            };
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        Err(SubmitError::Invalid(problems)) => Err(AppError::Invalid {
            problems,
            lang: lang.clone(),
        }),
        Err(SubmitError::Store(e)) if e.is_unavailable() => Err(AppError::Unavailable(e.to_string())),
        Err(e) => Err(AppError::Internal(anyhow::Error::new(e))),
    }
}

/// SPEC §3.2: the 201 body.
#[derive(Serialize)]
struct Created<'a> {
    case_number: CaseNumber,
    status_url: String,
    priority: Priority,
    first_response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    warnings: Vec<WarningBody<'a>>,
}

#[derive(Serialize)]
struct WarningBody<'a> {
    code: &'a str,
    field: Option<&'a str>,
    message: String,
}

/// SPEC §3.3: the 200 body of a request added to the contact's open case.
#[derive(Serialize)]
struct Merged {
    merged_into: CaseNumber,
    status_url: String,
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

/// One place maps a submitted name to the request, for forms and JSON alike.
pub fn set_field(request: &mut NewRequest, name: &str, value: String) {
    match name {
        "category" => request.category = value,
        "subcategory" => request.subcategory = value,
        "email" => request.email = value,
        "phone" => request.phone = value,
        "description" => request.description = value,
        "device" => request.device = value,
        "name" => request.name = Some(value),
        "country" => request.country = Some(value),
        "language" => request.language = Some(value),
        "urgent" => request.urgent = is_yes(&value),
        "email_confirmed" => request.email_confirmed = is_yes(&value),
        _ => {
            request.fields.insert(name.to_owned(), value);
        }
    }
}

fn is_yes(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "on" | "1" | "yes" | "si" | "sì"
    )
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

#[derive(Deserialize)]
struct CatalogQuery {
    lang: Option<String>,
}

/// The catalog with labels in the request's language (SPEC §3.5).
async fn catalog(
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
