//! What every page shares: the layout's frame with its language switcher, the HTML response with
//! its cookies, redirects, and the error pages that show the request id the logs carry.

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::assets::ASSET_VERSION;
use super::prefs::percent_encode;
use super::{Prefs, Tr};
use crate::i18n::Lang;
use crate::web::error::Refusal;
use crate::web::WebState;

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
    /// The page warns of fake support in its own body (a confirmation): the footer does not
    /// say it again.
    pub warned: bool,
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
            warned: false,
        }
    }

    /// For a page that carries the fake-support warning itself.
    pub fn warned(mut self) -> Frame {
        self.warned = true;
        self
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

/// An error answer (one that carries a [`Refusal`]) to a browser's request (`headers`) as a page:
/// the same error in the reader's language, with the request id the logs carry. Any other answer
/// is returned as it is.
pub fn as_page(state: &WebState, headers: &HeaderMap, response: Response) -> Response {
    let Some(refusal) = response.extensions().get::<Refusal>() else {
        return response;
    };
    let prefs = Prefs::read(headers, None).on_site(&state.app.settings.public_url);
    // A heading of the refusal's own where there is one ("Too many requests"), else the general one.
    let own = format!("error-title-{}", refusal.code);
    let (heading, message) = match refusal.code {
        "not_found" => ("not-found-title", prefs.t.msg("not-found")),
        "internal" => (
            "error-title",
            prefs.t.with("error-page", "request_id", request_id(headers)),
        ),
        _ if prefs.t.msg(&own) != own => (own.as_str(), refusal.message(prefs.t.lang())),
        _ => ("error-title", refusal.message(prefs.t.lang())),
    };
    let mut page = error_page(&prefs, response.status(), heading, message);
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        page.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    page
}

pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}
