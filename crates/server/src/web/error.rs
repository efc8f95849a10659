//! One error type for every handler: the SPEC's bodies for client mistakes, an opaque 500 with a
//! request id for ours (STYLE rule 8).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use sportello_domain::problem::Problem;

use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid request")]
    Invalid { problems: Vec<Problem>, lang: Lang },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    TooLarge,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("not found")]
    NotFound,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    field: &'a str,
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<&'a str>,
}

/// The 422 body of SPEC §3.1, messages in `lang`.
pub fn problems_json(problems: &[Problem], lang: &Lang) -> serde_json::Value {
    let errors: Vec<ProblemBody<'_>> = problems
        .iter()
        .map(|p| ProblemBody {
            field: &p.field,
            code: p.code.as_str(),
            message: problem_message(p, lang),
            suggestion: p.suggestion.as_deref(),
        })
        .collect();
    json!({ "errors": errors })
}

/// Why a field was refused, in `lang`, with its suggestion woven in (SPEC §3.1).
pub fn problem_message(problem: &Problem, lang: &Lang) -> String {
    lang.message(
        &format!("problem-{}", problem.code.as_str()),
        &[(
            "suggestion",
            problem.suggestion.clone().unwrap_or_else(|| "none".to_owned()),
        )],
    )
}

fn error_body(code: &str, message: String) -> Json<serde_json::Value> {
    Json(json!({ "error": code, "message": message }))
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let en = Lang::english();
        match self {
            AppError::Invalid { problems, lang } => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(problems_json(&problems, &lang))).into_response()
            }
            AppError::BadRequest(detail) => {
                let message = en.message("error-bad_request", &[("detail", detail)]);
                (StatusCode::BAD_REQUEST, error_body("bad_request", message)).into_response()
            }
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                error_body(
                    "unsupported_media_type",
                    "Send multipart/form-data or application/json.".to_owned(),
                ),
            )
                .into_response(),
            AppError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                error_body("too_large", en.message("error-too_large", &[])),
            )
                .into_response(),
            AppError::RateLimited { retry_after_secs } => {
                let message = en.message("error-rate_limited", &[("seconds", retry_after_secs.to_string())]);
                let mut response = (StatusCode::TOO_MANY_REQUESTS, error_body("rate_limited", message)).into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                response
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                error_body("not_found", en.message("error-not_found", &[])),
            )
                .into_response(),
            AppError::Unavailable(why) => {
                tracing::warn!(%why, "unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    error_body("unavailable", "Try again shortly.".to_owned()),
                )
                    .into_response()
            }
            AppError::Internal(error) => {
                // Logged once, whole cause chain; the client sees only the request id (added by
                // the request-id layer to the response headers and the log span).
                tracing::error!(error = format!("{error:#}"), "internal error");
                let message = en.message("error-internal", &[("request_id", "see x-request-id".to_owned())]);
                (StatusCode::INTERNAL_SERVER_ERROR, error_body("internal", message)).into_response()
            }
        }
    }
}
