//! One error type for every handler (STYLE rule 8): the SPEC's bodies for client mistakes, an
//! opaque 500 with a request id for ours, the cause chain logged once. The body is JSON; for a
//! client that asked for a page, `pages::html_errors` renders the same error as one, from the
//! [`Refusal`] each error response carries.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use sportello_domain::problem::Problem;

use crate::app;
use crate::app::conflict::Conflict;
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
    /// No such thing, or one the caller may not see (SPEC §6: the same answer).
    #[error("not found")]
    NotFound,
    /// No credentials, or ones that are no longer good (an agents' API call).
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A use case's error, with problems in `lang`.
    pub fn from_app(error: app::Error, lang: &Lang) -> AppError {
        match error {
            app::Error::Invalid(problems) => AppError::Invalid {
                problems,
                lang: lang.clone(),
            },
            app::Error::NotFound => AppError::NotFound,
            app::Error::Forbidden => AppError::Forbidden,
            app::Error::Conflict(why) => AppError::Conflict(why),
            app::Error::Store(e) if e.is_unavailable() => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<app::Error> for AppError {
    fn from(error: app::Error) -> AppError {
        AppError::from_app(error, &Lang::english())
    }
}

/// What an error response says, for a page that shows it in its reader's language: its machine
/// code, and the message (`error-CODE` with its arguments, or the problems' own sentences).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub problems: Vec<Problem>,
    /// Why, for a 409: worded in the reader's language when the page is made.
    pub conflict: Option<Conflict>,
}

impl Refusal {
    pub fn message(&self, lang: &Lang) -> String {
        if let Some(conflict) = &self.conflict {
            conflict.message(lang)
        } else if self.problems.is_empty() {
            lang.message(&format!("error-{}", self.code), &self.args)
        } else {
            self.problems
                .iter()
                .map(|p| problem_message(p, lang))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
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

impl AppError {
    /// The status, the refusal it makes, and the 422 body where there is one.
    fn parts(self) -> (StatusCode, Refusal, Option<serde_json::Value>) {
        let plain = |code, args| Refusal {
            code,
            args,
            problems: Vec::new(),
            conflict: None,
        };
        match self {
            AppError::Invalid { problems, lang } => {
                let body = problems_json(&problems, &lang);
                let refusal = Refusal {
                    code: "invalid",
                    args: Vec::new(),
                    problems,
                    conflict: None,
                };
                (StatusCode::UNPROCESSABLE_ENTITY, refusal, Some(body))
            }
            AppError::BadRequest(detail) => (
                StatusCode::BAD_REQUEST,
                plain("bad_request", vec![("detail", detail)]),
                None,
            ),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                plain("unsupported_media_type", Vec::new()),
                None,
            ),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, plain("too_large", Vec::new()), None),
            AppError::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                plain("rate_limited", vec![("seconds", retry_after_secs.to_string())]),
                None,
            ),
            AppError::NotFound => (StatusCode::NOT_FOUND, plain("not_found", Vec::new()), None),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, plain("unauthorized", Vec::new()), None),
            AppError::Forbidden => (StatusCode::FORBIDDEN, plain("forbidden", Vec::new()), None),
            AppError::Conflict(why) => {
                tracing::info!(%why, "conflict");
                let body = json!({
                    "error": "conflict",
                    "reason": why.reason(),
                    "message": why.message(&Lang::english()),
                });
                let refusal = Refusal {
                    conflict: Some(why),
                    ..plain("conflict", Vec::new())
                };
                (StatusCode::CONFLICT, refusal, Some(body))
            }
            AppError::Unavailable(why) => {
                tracing::warn!(%why, "unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, plain("unavailable", Vec::new()), None)
            }
            AppError::Internal(error) => {
                // Logged once, whole cause chain; the client sees only the request id (added by
                // the request-id layer to the response headers and the log span).
                tracing::error!(error = format!("{error:#}"), "internal error");
                let args = vec![("request_id", "see x-request-id".to_owned())];
                (StatusCode::INTERNAL_SERVER_ERROR, plain("internal", args), None)
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let unauthorized = matches!(self, AppError::Unauthorized);
        let (status, refusal, body) = self.parts();
        let body =
            body.unwrap_or_else(|| json!({ "error": refusal.code, "message": refusal.message(&Lang::english()) }));
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(refusal);
        response
    }
}
