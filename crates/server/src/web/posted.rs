//! What every channel posts over HTTP, read one way for the API and the pages alike: a
//! multipart (or url-encoded) body read as far as it goes — what was read is never thrown away, so
//! a refused or cut-off submit comes back with the person's values — and the names of a request's
//! fields.

use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use sportello_domain::evidence;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::request::{NewRequest, Upload, MAX_ATTACHMENTS};

use crate::web::WebState;

/// What a posted request may weigh: its screenshots at their limit (SPEC §3.1), and room for the
/// text fields and the multipart framing.
pub const BODY_LIMIT: usize = MAX_ATTACHMENTS * evidence::MAX_BYTES + TEXT_ROOM;
const TEXT_ROOM: usize = 1024 * 1024;

/// Why a posted form could not be read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    TooLarge,
    Unreadable,
}

/// A posted form as far as it could be read: what was read is never thrown away.
#[derive(Debug, Default)]
pub struct Posted {
    pub texts: Vec<(String, String)>,
    pub files: Vec<Upload>,
    /// Fields whose bytes were not UTF-8 (kept, with replacement characters, and refused).
    pub not_utf8: Vec<String>,
    pub failure: Option<Failure>,
}

impl Posted {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.texts
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Reads `multipart/form-data` (what the pages send) or `application/x-www-form-urlencoded`.
    pub async fn read(request: Request, state: &WebState) -> Posted {
        let mut posted = Posted::default();
        if media_type(request.headers()) == "application/x-www-form-urlencoded" {
            match axum::Form::<Vec<(String, String)>>::from_request(request, state).await {
                Ok(axum::Form(pairs)) => posted.texts = pairs,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => posted.failure = Some(Failure::TooLarge),
                Err(_) => posted.failure = Some(Failure::Unreadable),
            }
            return posted;
        }
        let Ok(mut multipart) = Multipart::from_request(request, state).await else {
            posted.failure = Some(Failure::Unreadable);
            return posted;
        };
        let failure = |e: MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::TooLarge
            } else {
                Failure::Unreadable
            }
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => {
                    posted.failure = Some(failure(e));
                    break;
                }
            };
            let name = field.name().unwrap_or("").to_owned();
            let filename = field.file_name().map(ToOwned::to_owned);
            let bytes = match field.bytes().await {
                Ok(bytes) => bytes,
                Err(e) => {
                    posted.failure = Some(failure(e));
                    break;
                }
            };
            if matches!(name.as_str(), "attachment" | "attachment[]" | "attachments") {
                let filename = filename.unwrap_or_default();
                // An empty file input is how browsers send "no file".
                if !(bytes.is_empty() && filename.is_empty()) {
                    posted.files.push(Upload { filename, bytes });
                }
                continue;
            }
            let text = match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text,
                Err(_) => {
                    posted.not_utf8.push(name.clone());
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            posted.texts.push((name, text));
        }
        posted
    }
}

/// The problems for fields that were not UTF-8.
pub fn not_utf8_problems(fields: &[String]) -> Vec<Problem> {
    fields
        .iter()
        .map(|f| Problem::new(f.clone(), ProblemCode::FieldFormat))
        .collect()
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

/// The media type of a request, its essence in lower case (RFC 9110: types are case-insensitive).
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
