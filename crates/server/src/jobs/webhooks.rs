//! Webhook delivery (SPEC §9): every delivery row is posted, signed, at least once; retried with
//! back-off (5 s doubling to an hour) for 24 hours, then given up, visibly. An endpoint whose
//! every delivery failed for 24 hours is disabled and the admins are told (`app::webhooks`).
//!
//! The client follows no redirect (a 3xx is a failure: a redirect could point inside), uses no
//! proxy from the environment, and resolves through [`Targets::resolver`], so an endpoint whose
//! name comes to resolve to an internal address is refused at the moment of connecting.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sportello_domain::webhook::signature;

use super::delivery::{backoff, Pass};
use crate::app::webhooks::{disable_failing, sealing_key, targets, unseal};
use crate::app::{App, Error};
use crate::store::{Answer, DueDelivery, Next};
use crate::webhooks::target::Targets;
use crate::webhooks::Envelope;

/// A delivery is retried this long, and an endpoint failing this long is disabled.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// Deliveries claimed and posted at once.
const BATCH: i64 = 32;
/// When nothing wakes us, look anyway this often (other instances write deliveries too).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// What of an endpoint's refusal is kept to show: enough to read its error, not its page.
const KEPT_ANSWER_BYTES: usize = 512;

pub struct WebhookWorker {
    app: App,
    client: reqwest::Client,
    targets: Targets,
    timeout: Duration,
    /// The key secrets are sealed under, read once (it never changes).
    key: tokio::sync::OnceCell<[u8; 32]>,
}

impl WebhookWorker {
    /// `timeout` bounds each delivery, connection to last byte (`webhook_timeout`).
    pub fn new(app: App, timeout: Duration) -> anyhow::Result<WebhookWorker> {
        let targets = targets(&app);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(targets.resolver())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Sportello-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookWorker {
            app,
            client,
            targets,
            timeout,
            key: tokio::sync::OnceCell::new(),
        })
    }

    /// Posts what is due at `now`, one batch; tests call this to drain deliveries deterministically.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Pass, Error> {
        // No live endpoint, nothing to claim: no write transaction every second for nothing.
        if !self.app.store.any_live_webhook().await? {
            return Ok(Pass::default());
        }
        let lease = chrono::Duration::from_std(self.timeout * 2 + Duration::from_secs(30)).unwrap_or(GIVE_UP_AFTER);
        let due = self.app.store.claim_deliveries(now, lease, BATCH).await?;
        if due.is_empty() {
            return Ok(Pass::default());
        }
        let key = self.key.get_or_try_init(|| sealing_key(&self.app, now)).await?;
        let answers = futures_util::future::join_all(due.iter().map(|d| self.post(key, d))).await;
        let mut pass = Pass::default();
        let mut attempts = Vec::with_capacity(due.len());
        for (d, answer) in due.iter().zip(answers) {
            let next = match &answer {
                Ok(_) => Next::Delivered,
                Err(Failure::Permanent(_)) => Next::GiveUp,
                Err(Failure::Transient(_)) if now - d.created_at >= GIVE_UP_AFTER => Next::GiveUp,
                Err(Failure::Transient(_)) => {
                    Next::RetryAt(now + chrono::Duration::from_std(backoff(d.attempts)).unwrap_or(GIVE_UP_AFTER))
                }
            };
            let answer = match answer {
                Ok(a) => a,
                Err(Failure::Permanent(a) | Failure::Transient(a)) => a,
            };
            match next {
                Next::Delivered => pass.sent += 1,
                Next::RetryAt(_) => pass.retrying += 1,
                Next::GiveUp => pass.given_up += 1,
            }
            attempts.push((d, answer, next));
        }
        let failing = self.app.store.record_attempts(now, &attempts).await?;
        for (webhook, since) in failing.into_iter().filter(|(_, since)| now - *since >= GIVE_UP_AFTER) {
            let why = attempts
                .iter()
                .rev()
                .find(|(d, _, _)| d.webhook == webhook)
                .and_then(|(_, answer, _)| answer.error.as_deref())
                .unwrap_or("no answer");
            if disable_failing(&self.app, webhook, why, now).await? {
                tracing::warn!(webhook = webhook.0, %since, why, "webhook endpoint disabled: failing for a day");
            }
        }
        Ok(pass)
    }

    /// One attempt: the answer, or the failure with what was learnt of it.
    async fn post(&self, key: &[u8; 32], d: &DueDelivery) -> Result<Answer, Failure> {
        let given_up = |why: String| {
            Failure::Permanent(Answer {
                error: Some(why),
                ..Answer::default()
            })
        };
        let event = d
            .event
            .clone()
            .map_err(|why| given_up(format!("the event cannot be read: {why}")))?;
        let secret = unseal(key, &d.secret_sealed).map_err(given_up)?;
        let prefix = self.app.catalog.case_prefix();
        let body = serde_json::to_vec(&Envelope {
            id: d.event_id.clone(),
            created_at: d.created_at,
            case_number: d.ticket.and_then(|t| t.number(prefix).ok()).map(|n| n.to_string()),
            event,
        })
        .map_err(|e| given_up(format!("the event cannot be written: {e}")))?;
        let url = Targets::parse(&d.url).map_err(|e| given_up(e.to_string()))?;
        // The signed time is the transport's, for the receiver's freshness check: the wall clock,
        // not the one the use cases read.
        let t = Utc::now().timestamp();
        let started = Instant::now();
        let millis = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let failed = |status: Option<u16>, why: String, millis: i64| {
            Failure::Transient(Answer {
                status,
                millis,
                error: Some(why),
            })
        };
        // A name is checked as it resolves; an address written in the URL, here.
        self.targets
            .check_literal(&url)
            .map_err(|e| failed(None, e.to_string(), 0))?;
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Sportello-Signature", signature(&secret, t, &body))
            .header(
                "Sportello-Event",
                d.event.as_ref().map(|e| e.kind().as_str()).unwrap_or(""),
            )
            .header("Sportello-Delivery", d.id.to_string())
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return Err(failed(None, describe(&e, self.timeout), millis())),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(Answer {
                status: Some(status.as_u16()),
                millis: millis(),
                error: None,
            });
        }
        let mut kept = Vec::new();
        while kept.len() < KEPT_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                _ => break,
            }
        }
        kept.truncate(KEPT_ANSWER_BYTES);
        let text = String::from_utf8_lossy(&kept).trim().to_owned();
        let why = if status.is_redirection() {
            format!("HTTP {status}: redirects are not followed")
        } else if text.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {text}")
        };
        Err(failed(Some(status.as_u16()), why, millis()))
    }

    /// Delivers until the process stops: at once when this process wrote deliveries, else every
    /// second.
    pub async fn run(self) {
        let written = self.app.store.deliveries_written();
        loop {
            match self.deliver_due(self.app.clock.now()).await {
                Ok(pass) if pass.sent + pass.retrying + pass.given_up >= BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook pass failed"),
            }
            tokio::select! {
                () = written.wake.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

/// Why a request failed, in a line an admin can act on (the resolver's refusal included).
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {}", humantime::format_duration(timeout));
    }
    let mut why = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !why.contains(&text) {
            if !why.is_empty() {
                why.push_str(": ");
            }
            why.push_str(&text);
        }
        source = s.source();
    }
    why
}

enum Failure {
    Permanent(Answer),
    Transient(Answer),
}
