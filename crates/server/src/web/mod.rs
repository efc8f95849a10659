//! HTTP: one router per feature, merged here, sharing [`WebState`] (STYLE rule 2).

pub mod alerts;
pub mod api;
pub mod canned;
pub mod check;
pub mod desk;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod organisations;
pub mod pages;
pub mod posted;
pub mod reports;
pub mod search;
pub mod serve;
pub(crate) mod spreadsheet;
pub mod status;
pub mod tickets;
pub mod webhooks;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use ipnet::IpNet;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::config::RateLimit;
use crate::i18n::Lang;
use error::AppError;
use limits::{client_ip, ClientKey, Limiter};

/// Which per-client limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// New requests, by form or API (SPEC §3.4).
    Intake,
    /// Additions on a status page.
    Status,
    /// The form's live checks of an address or a phone.
    Check,
}

/// What the web layer knows besides the use cases.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    pub intake_rate_limit: Option<RateLimit>,
    pub status_rate_limit: Option<RateLimit>,
    pub check_rate_limit: Option<RateLimit>,
    pub trusted_proxies: Vec<IpNet>,
    /// The key of the MAC that ties a refused form's kept files to their browser.
    pub kept_files_key: [u8; 32],
    /// The bearer token `/metrics` asks for; open to anyone who reaches it when None.
    pub metrics_token: Option<String>,
}

/// Cloned for every request, by each extractor that reads it (axum's `State`): one reference
/// count, nothing more.
#[derive(Clone)]
pub struct WebState(Arc<Shared>);

/// What [`WebState`] shares.
pub struct Shared {
    pub app: App,
    limiters: [Option<Limiter>; 3],
    trusted_proxies: Vec<IpNet>,
    /// The key of the MAC that ties a refused form's kept files to their browser.
    pub kept_files_key: [u8; 32],
    pub metrics: metrics::Metrics,
    metrics_token: Option<String>,
}

impl std::ops::Deref for WebState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl WebState {
    pub fn new(app: App, settings: WebSettings) -> WebState {
        WebState(Arc::new(Shared {
            app,
            limiters: [
                settings.intake_rate_limit.map(Limiter::new),
                settings.status_rate_limit.map(Limiter::new),
                settings.check_rate_limit.map(Limiter::new),
            ],
            trusted_proxies: settings.trusted_proxies,
            kept_files_key: settings.kept_files_key,
            metrics: metrics::Metrics::default(),
            metrics_token: settings.metrics_token,
        }))
    }

    fn limiter(&self, limit: Limit) -> Option<&Limiter> {
        let index = match limit {
            Limit::Intake => 0,
            Limit::Status => 1,
            Limit::Check => 2,
        };
        self.limiters[index].as_ref()
    }

    /// Counts the request against `limit`: 429 with `Retry-After` past it (SPEC §3.4).
    pub fn admit(&self, limit: Limit, peer: IpAddr, headers: &HeaderMap) -> Result<(), AppError> {
        let Some(limiter) = self.limiter(limit) else {
            return Ok(());
        };
        let client = ClientKey::of(client_ip(peer, headers, &self.trusted_proxies));
        limiter.check(client, Instant::now()).map_err(|wait| {
            if limit == Limit::Intake {
                self.metrics.intake_outcome("rate_limited");
            }
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets clients that have been quiet, so the limiters' memory stays bounded.
    pub fn forget_quiet_clients(&self) {
        for limiter in self.limiters.iter().flatten() {
            limiter.forget_quiet(Instant::now());
        }
    }
}

/// The request's language: an explicit choice, else `Accept-Language`, else English.
pub fn language_of(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Lang::negotiate(explicit.into_iter().chain(Lang::from_accept_language(accept)))
}

/// What every request passes on its way in and out, in one layer (each layer costs every request
/// a boxed service and a boxed future: 2,800 instructions, a tenth of `/healthz`): a body that
/// declares itself larger than any request may be is refused before a byte of it is read (the
/// limits below would refuse it only once they had read that much), an error answered to a
/// browser becomes a page, and every answer gets the security headers.
async fn edge(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or(metrics::UNMATCHED, |m| m.as_str())
        .to_owned();
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let page_for = pages::wants_html(request.headers()).then(|| request.headers().clone());
    let response = if declared.is_some_and(|n| n > posted::BODY_LIMIT as u64) {
        AppError::TooLarge.into_response()
    } else {
        next.run(request).await
    };
    let mut response = match page_for {
        Some(headers) => pages::as_page(&state, &headers, response),
        None => response,
    };
    pages::secure(&mut response);
    state
        .metrics
        .request(method.as_str(), &route, response.status(), started.elapsed());
    response
}

pub fn router(state: WebState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api::router())
        .merge(alerts::router())
        .merge(check::router())
        .merge(desk::router())
        .merge(tickets::router())
        .merge(search::router())
        .merge(reports::router())
        .merge(canned::router())
        .merge(webhooks::router())
        .merge(organisations::router())
        .merge(openapi::router())
        .merge(pages::router())
        .merge(status::router())
        .merge(health::router())
        .merge(metrics::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state)
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let matched = request
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map_or_else(|| request.uri().path().to_owned(), |m| m.as_str().to_owned());
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %request.method(), route = %matched, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// How often the rate limiters drop state of quiet clients.
pub const LIMITER_SWEEP: Duration = Duration::from_secs(60);
