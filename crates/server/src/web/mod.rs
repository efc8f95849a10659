//! HTTP: one router per feature, merged here, sharing [`WebState`] (STYLE rule 2).

pub mod api;
pub mod check;
pub mod error;
pub mod health;
pub mod pages;
pub mod status;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderName, Request};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::config::RateLimit;
use crate::i18n::Lang;
use error::AppError;

/// Cloned for every request (axum's `State`): two reference counts, nothing more.
#[derive(Clone)]
pub struct WebState {
    pub app: Arc<App>,
    intake_limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl WebState {
    pub fn new(app: App, intake_rate_limit: Option<RateLimit>) -> WebState {
        let intake_limiter = intake_rate_limit.and_then(|limit| {
            let burst = NonZeroU32::new(limit.requests)?;
            // N per period, replenished evenly: the GCRA equivalent of a sliding window.
            let quota = Quota::with_period(limit.period / limit.requests)?.allow_burst(burst);
            Some(Arc::new(RateLimiter::keyed(quota)))
        });
        WebState {
            app: Arc::new(app),
            intake_limiter,
        }
    }

    /// SPEC §3.4: 429 with Retry-After past the per-IP intake limit.
    pub fn check_intake_rate(&self, ip: IpAddr) -> Result<(), AppError> {
        let Some(limiter) = &self.intake_limiter else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets clients that have been quiet, so the limiter's memory stays bounded.
    pub fn forget_quiet_clients(&self) {
        if let Some(limiter) = &self.intake_limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
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

pub fn router(state: WebState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api::router())
        .merge(check::router())
        .merge(pages::router())
        .merge(status::router())
        .merge(health::router())
        .with_state(state)
        .layer(axum::middleware::from_fn(pages::security_headers))
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

/// How often the rate limiter drops state of quiet clients.
pub const LIMITER_SWEEP: Duration = Duration::from_secs(60);
