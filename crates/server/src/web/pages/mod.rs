//! The customer's pages (issue 4): the request form, its confirmation and the status page,
//! server-rendered from askama view structs (STYLE rule 20) and complete without JavaScript; one
//! small script (`static/app.js`) only adds live hints. Shared here: the page frame, language and
//! time-zone preferences, CSRF, files kept across a failed submit, static assets, security
//! headers and error pages.

pub mod confirmation;
pub mod form;
pub mod status;

use std::str::FromStr;
use std::sync::LazyLock;

use askama::Template;
use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use sportello_domain::evidence::{content_hash, ContentHash};
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::request::Upload;

use super::error::problem_message;
use super::WebState;
use crate::app::App;
use crate::i18n::Lang;

/// The form's body: three 5 MiB screenshots, the text around them, and the multipart framing.
pub const FORM_BODY_LIMIT: usize = super::api::INTAKE_BODY_LIMIT;
/// A value longer than this is not shown back in full (it is refused as too long anyway).
const SHOWN_MAX_CHARS: usize = 20_000;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(form::show).post(form::send))
        .layer(axum::extract::DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .route("/confirmation/{case}", get(confirmation::show))
        .route("/static/{file}", get(asset))
        .fallback(nowhere)
}

/// Any other address: a page for browsers, the API's JSON error for everyone else.
async fn nowhere(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if wants_html(&headers) {
        not_found(&Prefs::read(&headers, None).on_site(&state.app.settings.public_url))
    } else {
        super::error::AppError::NotFound.into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

/// Messages of one language, for templates: `{{ t.msg("form-title") }}`.
#[derive(Debug, Clone)]
pub struct Tr(Lang);

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr(lang)
    }

    pub fn lang(&self) -> &Lang {
        &self.0
    }

    pub fn msg(&self, id: &str) -> String {
        self.0.message(id, &[])
    }

    pub fn with(&self, id: &str, name: &'static str, value: impl ToString) -> String {
        self.0.message(id, &[(name, value.to_string())])
    }

    pub fn args(&self, id: &str, args: &[(&'static str, String)]) -> String {
        self.0.message(id, args)
    }

    pub fn problem(&self, problem: &Problem) -> String {
        problem_message(problem, &self.0)
    }
}

/// "by Monday at 20:00 (Europe/Rome time)": a due time in words, in the reader's time zone, or
/// in UTC (and saying so) when the browser did not tell its zone.
pub fn due_in_words(t: &Tr, due: DateTime<Utc>, now: DateTime<Utc>, tz: Option<Tz>) -> String {
    format!(
        "{} ({})",
        t.with("due-by", "when", moment(t, due, now, tz)),
        zone_note(t, tz)
    )
}

/// "today at 14:30", "Monday at 20:00", "Monday 7 December at 20:00".
pub fn moment(t: &Tr, at: DateTime<Utc>, now: DateTime<Utc>, tz: Option<Tz>) -> String {
    let zone = tz.unwrap_or(Tz::UTC);
    let local = at.with_timezone(&zone);
    let days = (local.date_naive() - now.with_timezone(&zone).date_naive()).num_days();
    let time = local.format("%H:%M").to_string();
    let day = t.msg(&format!("day-{}", local.weekday().number_from_monday()));
    match days {
        0 => t.with("due-today", "time", time),
        1 => t.with("due-tomorrow", "time", time),
        2..=6 => t.args("due-weekday", &[("day", day), ("time", time)]),
        _ => {
            let date = t.args(
                "date-format",
                &[
                    ("day", local.day().to_string()),
                    ("month", t.msg(&format!("month-{}", local.month()))),
                ],
            );
            t.args("due-date", &[("day", day), ("date", date), ("time", time)])
        }
    }
}

pub fn zone_note(t: &Tr, tz: Option<Tz>) -> String {
    match tz {
        Some(zone) => t.with("due-zone", "zone", zone.name()),
        None => t.msg("due-zone-utc"),
    }
}

// ---------------------------------------------------------------------------------------------
// Preferences and CSRF

/// What a page knows of its reader: language, time zone, and the CSRF secret of the session.
#[derive(Debug, Clone)]
pub struct Prefs {
    pub t: Tr,
    pub tz: Option<Tz>,
    csrf: String,
    /// The CSRF cookie came with the request (a form may be checked against it).
    csrf_sent: bool,
    /// `?lang=` chose a language: remember it in a cookie.
    remember_language: bool,
    /// The site is served over HTTPS: cookies are `Secure`.
    secure: bool,
}

impl Prefs {
    /// Language: `explicit` (`?lang=` or the form's `language`) > cookie `lang` >
    /// `Accept-Language` > English.
    pub fn read(headers: &HeaderMap, explicit: Option<&str>) -> Prefs {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let lang = Lang::negotiate(
            explicit
                .into_iter()
                .chain(cookie(headers, "lang"))
                .chain(Lang::from_accept_language(accept)),
        );
        let tz = cookie(headers, "tz").and_then(|v| Tz::from_str(&percent_decode(v)).ok());
        let (csrf, csrf_sent) = match cookie(headers, "csrf").filter(|v| is_token(v)) {
            Some(v) => (v.to_owned(), true),
            None => (new_token(), false),
        };
        Prefs {
            t: Tr(lang),
            tz,
            csrf,
            csrf_sent,
            remember_language: false,
            secure: false,
        }
    }

    /// Cookies are `Secure` when the public URL is `https://` (behind a proxy the request itself
    /// may not tell).
    pub fn on_site(mut self, public_url: &str) -> Prefs {
        self.secure = public_url.starts_with("https://");
        self
    }

    /// As [`Prefs::read`], and a language given in `?lang=` is kept in a cookie.
    pub fn from_query(headers: &HeaderMap, lang: Option<&str>) -> Prefs {
        let mut prefs = Prefs::read(headers, lang);
        prefs.remember_language = lang.is_some_and(|wanted| {
            Lang::negotiate([wanted]).code() == wanted.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase()
        });
        prefs
    }

    pub fn code(&self) -> String {
        self.t.lang().code()
    }

    /// The value every form of the page carries.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Double-submit check: the form's token equals the cookie's, and the cookie came with the
    /// request (SameSite=Strict, so another site cannot make the browser send it).
    pub fn csrf_ok(&self, sent: Option<&str>) -> bool {
        self.csrf_sent && sent.is_some_and(|s| constant_time_eq(s.as_bytes(), self.csrf.as_bytes()))
    }

    /// The cookies this response must set.
    fn cookies(&self) -> Vec<HeaderValue> {
        let mut out = Vec::new();
        let secure = if self.secure { "; Secure" } else { "" };
        if !self.csrf_sent {
            let c = format!("csrf={}; Path=/; HttpOnly; SameSite=Strict{secure}", self.csrf);
            out.extend(HeaderValue::from_str(&c).ok());
        }
        if self.remember_language {
            // Lax: a status link opened from the mail keeps its language.
            let c = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", self.code());
            out.extend(HeaderValue::from_str(&c).ok());
        }
        out
    }
}

/// A cookie's value from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// `%XX` sequences of ASCII decoded (a time-zone name as `encodeURIComponent` writes it).
fn percent_decode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match code {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &rest[at + 3..];
            }
            _ => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Unreserved characters kept, everything else as `%XX` (for links this code builds).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn new_token() -> String {
    use base64::Engine as _;
    let bits: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits)
}

fn is_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------
// The frame every page shares

#[derive(Debug, Clone)]
pub struct LanguageLink {
    pub code: String,
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// What the page layout (`pages/base.html`) shows around a page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub t: Tr,
    pub lang: String,
    pub title: String,
    pub languages: Vec<LanguageLink>,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// The page shows times in UTC for want of the reader's zone: the script, which knows it,
    /// may show the page again (only ever set on pages a GET renders).
    pub tz_reload: bool,
}

impl Frame {
    /// `path` and `keep` (query pairs to keep) build the language switcher's links.
    pub fn new(prefs: &Prefs, title: String, path: &str, keep: &[(&str, &str)]) -> Frame {
        let current = prefs.code();
        let languages = Lang::available()
            .into_iter()
            .map(|lang| {
                let code = lang.code();
                let query: String = keep
                    .iter()
                    .map(|(k, v)| format!("{k}={}&", percent_encode(v)))
                    .collect();
                LanguageLink {
                    name: lang.message("language-name", &[]),
                    href: format!("{path}?{query}lang={code}"),
                    current: code == current,
                    code,
                }
            })
            .collect();
        Frame {
            t: prefs.t.clone(),
            lang: current,
            title,
            languages,
            css: format!("/static/app.css?v={}", *ASSET_VERSION),
            js: format!("/static/app.js?v={}", *ASSET_VERSION),
            icon: format!("/static/icon.svg?v={}", *ASSET_VERSION),
            tz_reload: false,
        }
    }
}

/// A rendered page with the cookies it must set; never cached (status pages are private).
pub fn html(status: StatusCode, page: &impl Template, prefs: &Prefs) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in prefs.cookies() {
        headers.append(header::SET_COOKIE, c);
    }
    response
}

/// 303 to a page of ours (percent-encoded where needed, so the header is always valid).
pub fn see_other(location: &str) -> Response {
    let safe: String = location
        .chars()
        .map(|c| match c {
            '!'..='~' => c.to_string(),
            other => percent_encode(other.encode_utf8(&mut [0; 4])),
        })
        .collect();
    match HeaderValue::from_str(&safe) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, HeaderValue::from_static("/"))],
        )
            .into_response(),
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
pub struct ErrorPage {
    pub frame: Frame,
    pub heading: String,
    pub message: String,
}

pub fn error_page(prefs: &Prefs, status: StatusCode, heading: &str, message: String) -> Response {
    let t = &prefs.t;
    let page = ErrorPage {
        frame: Frame::new(prefs, t.msg(heading), "/", &[]),
        heading: t.msg(heading),
        message,
    };
    html(status, &page, prefs)
}

/// Wrong case or wrong token alike: the page never says which.
pub fn not_found(prefs: &Prefs) -> Response {
    error_page(
        prefs,
        StatusCode::NOT_FOUND,
        "not-found-title",
        prefs.t.msg("not-found"),
    )
}

/// Logged once with its cause; the reader sees the request id the log carries.
pub fn internal_error(prefs: &Prefs, headers: &HeaderMap, error: &dyn std::fmt::Display) -> Response {
    let id = request_id(headers);
    tracing::error!(error = %error, request_id = %id, "internal error");
    error_page(
        prefs,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-title",
        prefs.t.with("error-page", "request_id", id),
    )
}

pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Reading a posted form

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
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
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
            if name == "attachment" {
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

/// A value as shown back in a form.
pub fn shown(value: &str) -> String {
    value.chars().take(SHOWN_MAX_CHARS).collect()
}

// ---------------------------------------------------------------------------------------------
// Files kept across a failed submit

/// A valid file from a refused submit, stored as a blob and named in the re-rendered form, so
/// that the person does not have to pick it again.
#[derive(Debug, Clone)]
pub struct Kept {
    /// `sha256.mac.filename`; the MAC ties it to this browser's CSRF secret.
    pub value: String,
    pub name: String,
}

fn kept_mac(csrf: &str, hex: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("{csrf}\0{hex}\0{name}").as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores the uploads no problem names and returns them as kept files.
pub async fn keep(app: &App, prefs: &Prefs, uploads: &[Upload], problems: &[Problem]) -> Vec<Kept> {
    if problems.iter().any(|p| p.code == ProblemCode::AttachmentTooMany) {
        return Vec::new();
    }
    let mut kept = Vec::new();
    for (index, upload) in uploads.iter().enumerate() {
        let field = format!("attachment[{index}]");
        if problems.iter().any(|p| p.field == field) {
            continue;
        }
        let hash = content_hash(&upload.bytes);
        if let Err(e) = app.blobs.put(&hash, upload.bytes.clone()).await {
            tracing::warn!(error = %e, "could not keep an upload across a refused submit");
            continue;
        }
        let hex = hash.to_hex();
        let name: String = upload.filename.chars().filter(|c| !c.is_control()).take(200).collect();
        kept.push(Kept {
            value: format!("{hex}.{}.{name}", kept_mac(prefs.csrf(), &hex, &name)),
            name,
        });
    }
    kept
}

/// The kept files a form sends back, read from the blob store; forged or unknown ones are dropped.
pub async fn restore(app: &App, prefs: &Prefs, values: &[String]) -> Vec<Upload> {
    let mut uploads = Vec::new();
    for value in values.iter().take(sportello_domain::request::MAX_ATTACHMENTS) {
        let mut parts = value.splitn(3, '.');
        let (Some(hex), Some(mac), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !constant_time_eq(mac.as_bytes(), kept_mac(prefs.csrf(), hex, name).as_bytes()) {
            continue;
        }
        let Some(hash) = ContentHash::from_hex(hex) else {
            continue;
        };
        if let Ok(Some(bytes)) = app.blobs.get(&hash).await {
            uploads.push(Upload {
                filename: name.to_owned(),
                bytes,
            });
        }
    }
    uploads
}

// ---------------------------------------------------------------------------------------------
// Static assets and headers

const CSS: &str = include_str!("../../../static/app.css");
const JS: &str = include_str!("../../../static/app.js");
const ICON: &str = include_str!("../../../static/icon.svg");

/// Changes whenever an asset does, so assets can be cached for a year.
static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let all = [CSS, JS, ICON].concat();
    content_hash(all.as_bytes()).to_hex()[..12].to_owned()
});

async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = Response::new(Body::from(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// The content security policy: our own scripts, styles and images only; no inline script, no
/// framing, forms post only to us.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Security headers on every response (pages, API and assets alike).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Status links carry their token in the query: never send it on.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Whether the client asked for a page rather than JSON (browsers always name `text/html`).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_times_read_as_words_in_the_readers_zone() {
        let en = Tr::new(Lang::english());
        let it = Tr::new(Lang::negotiate(["it"]));
        let rome = Some(chrono_tz::Europe::Rome);
        // Friday 27 November 2026, 20:00 UTC; due Monday 30 November 20:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).unwrap();
        assert_eq!(
            due_in_words(&en, due, now, rome),
            "by Monday at 21:00 (Europe/Rome time)"
        );
        assert_eq!(
            due_in_words(&it, due, now, rome),
            "entro lunedì alle 21:00 (ora di Europe/Rome)"
        );
        assert!(due_in_words(&en, due, now, None).starts_with("by Monday at 20:00 (UTC"));
        let soon = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap();
        assert_eq!(moment(&en, soon, now, rome), "tomorrow at 03:00");
        let later = Utc.with_ymd_and_hms(2026, 12, 9, 9, 5, 0).unwrap();
        assert_eq!(moment(&it, later, now, rome), "mercoledì 9 dicembre alle 10:05");
    }

    #[test]
    fn cookies_and_time_zones_are_read_defensively() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tz=Europe%2FRome; lang=it"),
        );
        let prefs = Prefs::read(&headers, None);
        assert_eq!(prefs.tz, Some(chrono_tz::Europe::Rome));
        assert_eq!(prefs.code(), "it");
        // No CSRF cookie came: a fresh one is made, and no form can pass against it.
        assert!(!prefs.csrf_ok(Some(prefs.csrf())));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("tz=Mars%2FOlympus; csrf=short"),
        );
        let prefs = Prefs::read(&headers, Some("en"));
        assert_eq!(prefs.tz, None);
        assert!(is_token(prefs.csrf()));
        assert_eq!(percent_decode("%zz%2f%"), "%zz/%");
    }

    #[test]
    fn cookies_are_secure_on_an_https_site() {
        let headers = HeaderMap::new();
        let plain = Prefs::read(&headers, None).on_site("http://localhost:8080").cookies();
        assert!(plain.iter().all(|c| !c.to_str().unwrap().contains("Secure")));
        let secure = Prefs::from_query(&headers, Some("it"))
            .on_site("https://help.example")
            .cookies();
        assert_eq!(secure.len(), 2);
        assert!(
            secure.iter().all(|c| c.to_str().unwrap().ends_with("; Secure")),
            "{secure:?}"
        );
    }

    #[test]
    fn kept_files_are_bound_to_the_browsers_secret() {
        let headers = HeaderMap::new();
        let (a, b) = (Prefs::read(&headers, None), Prefs::read(&headers, None));
        let mac = kept_mac(a.csrf(), "ab", "x.png");
        assert_eq!(mac, kept_mac(a.csrf(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(b.csrf(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(a.csrf(), "ab", "y.png"));
    }

    /// The ids of a Fluent file (`id = …` at the start of a line).
    fn ids_in(path: &std::path::Path) -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map(ToOwned::to_owned)
            .collect()
    }

    /// Every id of every `.ftl` file of one language's folder (a language may be one file).
    fn ids_of(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "ftl"))
            .flat_map(|path| ids_in(&path))
            .collect()
    }

    #[test]
    fn every_language_has_every_message_of_english() {
        let english = ids_of("en");
        assert!(english.len() > 150, "{} ids", english.len());
        for lang in Lang::available() {
            let theirs = ids_of(&lang.code());
            let missing: Vec<_> = english.difference(&theirs).collect();
            let unknown: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && unknown.is_empty(),
                "{}: missing {missing:?}, unknown {unknown:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn every_message_the_pages_use_exists_in_italian_and_english() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates/pages", "src/web/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        // Literal ids: every `("…"` whose first word names one of the pages' message families.
        let families = [
            "back",
            "bad",
            "choose",
            "confirm",
            "copied",
            "copy",
            "date",
            "day",
            "due",
            "email",
            "error",
            "field",
            "file",
            "form",
            "hint",
            "kept",
            "language",
            "month",
            "not",
            "optional",
            "phone",
            "recommended",
            "required",
            "scam",
            "site",
            "skip",
            "status",
            "too",
            "use",
        ];
        let mut used: std::collections::BTreeSet<String> = sources
            .iter()
            .flat_map(|s| s.split("(\"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|id| {
                id.contains('-')
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            })
            .filter(|id| families.contains(&id.split('-').next().unwrap_or("")))
            .map(ToOwned::to_owned)
            .collect();
        assert!(used.len() > 50, "the scan found {} ids", used.len());
        // Ids built at run time.
        used.extend((1..=7).map(|d| format!("day-{d}")));
        used.extend((1..=12).map(|m| format!("month-{m}")));
        used.extend(
            ["new", "needs_info", "open", "pending_customer", "resolved", "closed"].map(|s| format!("status-{s}")),
        );
        for id in [
            "category",
            "subcategory",
            "name",
            "email",
            "phone",
            "country",
            "description",
            "device",
            "urgent",
            "attachment",
        ] {
            used.insert(format!("field-{id}"));
        }
        for lang in [Lang::english(), Lang::negotiate(["it"])] {
            for id in &used {
                let args = [
                    "value",
                    "case",
                    "when",
                    "day",
                    "date",
                    "time",
                    "month",
                    "zone",
                    "request_id",
                    "max",
                ];
                let text = lang.message(id, &args.map(|a| (a, "x".to_owned())));
                assert_ne!(&text, id, "{id} is missing in {}", lang.code());
            }
        }
    }
}
