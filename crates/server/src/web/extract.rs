//! Who is asking, for the desk's pages and the agents' API alike (DESIGN "Layout"): a session
//! cookie or an `Authorization: Bearer` token becomes a [`Principal`]; a disabled agent's
//! session or token is no one's, at once, because both are looked up on every request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sportello_domain::access::Principal;

use super::error::AppError;
use super::pages::{see_other, Prefs};
use super::WebState;
use crate::app::sign_in;
use crate::store::AgentRecord;

/// The session cookie's name: `__Host-` (bound to this host, path `/`, Secure) on an https site.
pub fn session_cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-sportello_session"
    } else {
        "sportello_session"
    }
}

/// The session cookie for `token` (SPEC §6: HttpOnly, SameSite=Lax, Secure on https).
pub fn session_cookie(public_url: &str, token: &str) -> HeaderValue {
    let cookie = Cookie::build((session_cookie_name(public_url), token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public_url.starts_with("https://"));
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie that ends the session in the browser.
pub fn cleared_session_cookie(public_url: &str) -> HeaderValue {
    let cookie = Cookie::build((session_cookie_name(public_url), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public_url.starts_with("https://"))
        .max_age(cookie::time::Duration::ZERO);
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token the request carries, if any.
pub fn session_token(state: &WebState, headers: &HeaderMap) -> Option<String> {
    let jar = CookieJar::from_headers(headers);
    jar.get(session_cookie_name(&state.app.settings.public_url))
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// An agent signed in on the desk's pages (a session cookie), with the page's preferences. A
/// request without one is sent to the sign-in page.
pub struct DeskAgent {
    pub principal: Principal,
    pub agent: AgentRecord,
    pub prefs: Prefs,
}

impl FromRequestParts<WebState> for DeskAgent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<DeskAgent, Response> {
        let prefs = Prefs::read(&parts.headers, None).on_site(&state.app.settings.public_url);
        let Some(token) = session_token(state, &parts.headers) else {
            return Err(see_other("/desk/login"));
        };
        match sign_in::session(&state.app, &token).await {
            // SPEC §6: when every agent needs a second factor, one without it sets it up first.
            Ok(Some((_, agent)))
                if state.app.settings.require_totp
                    && agent.totp_secret.is_none()
                    && !parts.uri.path().starts_with("/desk/profile") =>
            {
                Err(see_other("/desk/profile#authenticator"))
            }
            Ok(Some((principal, agent))) => Ok(DeskAgent {
                prefs: prefs_for(prefs, &parts.headers, &agent),
                principal,
                agent,
            }),
            Ok(None) => Err(see_other("/desk/login")),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

/// The agent's own language and zone, unless the request chose another language.
fn prefs_for(prefs: Prefs, headers: &HeaderMap, agent: &AgentRecord) -> Prefs {
    let chosen = CookieJar::from_headers(headers).get("lang").is_some();
    let mut prefs = if chosen {
        prefs
    } else {
        Prefs::read(headers, Some(&agent.language))
    };
    if let Ok(tz) = agent.time_zone.parse() {
        prefs.tz = Some(tz);
    }
    prefs
}

/// A caller of the agents' API: a bearer token, or a desk session (whose changes need the CSRF
/// header, SPEC §6). Anyone else gets 401.
pub struct ApiAgent {
    pub principal: Principal,
    pub agent: AgentRecord,
    /// Came with a session cookie rather than a token.
    pub by_session: bool,
}

impl FromRequestParts<WebState> for ApiAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<ApiAgent, AppError> {
        if let Some(token) = bearer_token(&parts.headers) {
            return match sign_in::bearer(&state.app, token).await? {
                Some((principal, agent)) => Ok(ApiAgent {
                    principal,
                    agent,
                    by_session: false,
                }),
                None => Err(AppError::Unauthorized),
            };
        }
        let token = session_token(state, &parts.headers).ok_or(AppError::Unauthorized)?;
        let (principal, agent) = sign_in::session(&state.app, &token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        if state.app.settings.require_totp && agent.totp_secret.is_none() {
            return Err(AppError::Forbidden);
        }
        let changes = !parts.method.is_safe();
        if changes {
            let prefs = Prefs::read(&parts.headers, None);
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
            if !prefs.csrf_ok(sent) {
                return Err(AppError::Forbidden);
            }
        }
        Ok(ApiAgent {
            principal,
            agent,
            by_session: true,
        })
    }
}

/// A JSON body (`application/json`, any case) read into `T`; anything else is the SPEC's 400 or
/// 415, never a framework's own text.
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<WebState> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &WebState) -> Result<JsonBody<T>, AppError> {
        if super::posted::media_type(request.headers()) != "application/json" {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::BadRequest(e.body_text())
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| AppError::BadRequest(format!("invalid JSON: {e}")))
    }
}
