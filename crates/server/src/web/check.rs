//! Live checks for the request form's script: `GET /api/v1/check/email?value=` and
//! `GET /api/v1/check/phone?value=&country=`. Each calls the one domain rule the intake applies
//! (no copy of typo tables or phone metadata in JavaScript), with messages in the reader's language.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sportello_domain::contact::email::{self, EmailError};
use sportello_domain::contact::phone::{Phone, PhoneError};
use sportello_domain::problem::{Problem, ProblemCode};

use super::error::problem_message;
use super::{language_of, WebState};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/check/email", get(check_email))
        .route("/api/v1/check/phone", get(check_phone))
}

#[derive(Deserialize)]
struct CheckQuery {
    value: Option<String>,
    country: Option<String>,
    lang: Option<String>,
}

/// Longer values are not worth a look: the intake refuses them anyway.
const MAX_CHECKED: usize = 256;

fn problem(field: &str, code: ProblemCode, suggestion: Option<String>, lang: &crate::i18n::Lang) -> Value {
    let mut p = Problem::new(field, code);
    p.suggestion = suggestion.clone();
    json!({
        "status": code.as_str(),
        "message": problem_message(&p, lang),
        "suggestion": suggestion,
    })
}

/// `{"status":"ok","value":…}` or `{"status":"email_suspect"|"email_invalid","message":…,"suggestion":…}`.
async fn check_email(State(_): State<WebState>, Query(q): Query<CheckQuery>, headers: HeaderMap) -> Json<Value> {
    let lang = language_of(q.lang.as_deref(), &headers);
    let value = q.value.unwrap_or_default();
    if value.trim().is_empty() || value.len() > MAX_CHECKED {
        return Json(json!({ "status": "empty" }));
    }
    Json(match email::check(&value, false) {
        Ok(address) => json!({ "status": "ok", "value": address.as_str() }),
        Err(EmailError::Suspect { suggestion }) => problem("email", ProblemCode::EmailSuspect, Some(suggestion), &lang),
        Err(EmailError::Invalid { suggestion }) => problem("email", ProblemCode::EmailInvalid, suggestion, &lang),
    })
}

/// `{"status":"ok","value":"+39…"}` (the E.164 reading) or the problem with its suggestion.
async fn check_phone(State(_): State<WebState>, Query(q): Query<CheckQuery>, headers: HeaderMap) -> Json<Value> {
    let lang = language_of(q.lang.as_deref(), &headers);
    let value = q.value.unwrap_or_default();
    if value.trim().is_empty() || value.len() > MAX_CHECKED {
        return Json(json!({ "status": "empty" }));
    }
    let country = q.country.filter(|c| !c.trim().is_empty());
    Json(match Phone::parse(&value, country.as_deref()) {
        Ok(phone) => json!({ "status": "ok", "value": phone.as_str() }),
        Err(PhoneError::Invalid) => problem("phone", ProblemCode::PhoneInvalid, None, &lang),
        Err(PhoneError::MissingCountryCode { suggestion }) => {
            problem("phone", ProblemCode::PhoneMissingCountryCode, suggestion, &lang)
        }
    })
}
