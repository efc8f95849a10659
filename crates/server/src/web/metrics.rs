//! Prometheus text at `/metrics` (SPEC §11). Two kinds of number: what this process served,
//! counted as it happens (requests and their latency by route, intake outcomes by code), and what
//! the database holds, read at each scrape (outbox depth, lag and failures, open cases by
//! priority, breaches), so every instance of a cluster reports the same shared figures and a
//! restart loses none of them.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use subtle::ConstantTimeEq;

use super::WebState;
use crate::app::submit::Submitted;
use crate::app::Error;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PriorityLabels {
    priority: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

/// The route of a request no route matched: one label for all of them, so a scan of random
/// paths cannot grow the series without bound.
pub const UNMATCHED: &str = "unmatched";

/// From half a millisecond to sixteen seconds, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    intakes: Family<OutcomeLabels, Counter>,
    outbox_pending: Gauge,
    outbox_lag: Gauge<f64, AtomicU64>,
    outbox_given_up: Gauge,
    outbox_retrying: Gauge,
    open_cases: Family<PriorityLabels, Gauge>,
    breaches: Family<TargetLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("sportello");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let intakes = Family::<OutcomeLabels, Counter>::default();
        let (outbox_pending, outbox_retrying, outbox_given_up) = (Gauge::default(), Gauge::default(), Gauge::default());
        let outbox_lag = Gauge::<f64, AtomicU64>::default();
        let open_cases = Family::<PriorityLabels, Gauge>::default();
        let breaches = Family::<TargetLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests this process answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "intake",
            "Requests for help this process took in: created, merged, or refused by each problem's code",
            intakes.clone(),
        );
        registry.register("outbox_pending", "Mails waiting to be sent", outbox_pending.clone());
        registry.register(
            "outbox_lag_seconds",
            "Age of the oldest mail waiting to be sent",
            outbox_lag.clone(),
        );
        registry.register(
            "outbox_retrying",
            "Mails waiting after at least one failed attempt",
            outbox_retrying.clone(),
        );
        registry.register(
            "outbox_given_up",
            "Mails given up on after failing for mail_give_up",
            outbox_given_up.clone(),
        );
        registry.register("open_cases", "Cases open, by priority", open_cases.clone());
        registry.register(
            "sla_breaches",
            "Targets breached, by target, as marked in the database",
            breaches.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            intakes,
            outbox_pending,
            outbox_lag,
            outbox_given_up,
            outbox_retrying,
            open_cases,
            breaches,
        }
    }
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts what became of a request for help: `created`, `merged`, each of its problems'
    /// codes when it was refused (a request with two problems counts under both), or
    /// `unavailable` / `error`.
    pub fn intake(&self, result: &Result<Submitted, Error>) {
        match result {
            Ok(Submitted::Created { .. }) => self.intake_outcome("created"),
            Ok(Submitted::Merged { .. }) => self.intake_outcome("merged"),
            Err(Error::Invalid(problems)) => {
                for problem in problems {
                    self.intake_outcome(problem.code.as_str());
                }
            }
            Err(Error::Store(e)) if e.is_unavailable() => self.intake_outcome("unavailable"),
            Err(_) => self.intake_outcome("error"),
        }
    }

    pub fn intake_outcome(&self, outcome: &str) {
        self.intakes
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    async fn render(&self, state: &WebState) -> Result<String, crate::store::StoreError> {
        let now = state.app.clock.now();
        let figures = state.app.store.operational_figures(now).await?;
        self.outbox_pending.set(figures.outbox_pending);
        self.outbox_lag.set(figures.outbox_lag.as_secs_f64());
        self.outbox_retrying.set(figures.outbox_retrying);
        self.outbox_given_up.set(figures.outbox_given_up);
        for (priority, n) in figures.open_by_priority {
            self.open_cases
                .get_or_create(&PriorityLabels {
                    priority: priority.as_str().to_owned(),
                })
                .set(n);
        }
        for (target, n) in figures.breaches {
            self.breaches.get_or_create(&TargetLabels { target }).set(n);
        }
        let mut text = String::new();
        // OpenMetrics text, which Prometheus reads; it ends with `# EOF`.
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| crate::store::StoreError::Other(e.to_string()))?;
        Ok(text)
    }
}

pub fn router() -> Router<WebState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes()))) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics_token required\n",
            )
                .into_response();
        }
    }
    match state.metrics.render(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}
