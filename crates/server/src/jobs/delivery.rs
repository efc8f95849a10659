//! Outbox delivery (SPEC §5, STYLE rule 11): every event is sent at least once, with exponential
//! back-off, and given up — visibly — on a permanent refusal or after `mail_give_up`.
//!
//! Each event's Message-ID is its idempotency key, so a mail sent twice (a process dying between
//! the SMTP answer and the database update) is recognisably the same mail.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sportello_domain::catalog::Catalog;
use tokio::sync::Notify;

use crate::app::Clock;
use crate::events::OutboxEvent;
use crate::mail::Composer;
use crate::store::{OutboxRecord, Store, StoreError};

/// How long a claimed event is ours; a worker that dies gives it back after this.
const LEASE: Duration = Duration::from_secs(60);
/// Events claimed and sent at once: an SMTP exchange is mostly waiting, so they overlap.
pub const BATCH: i64 = 32;
/// When there is nothing to wake us, look anyway this often (other instances write events too).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The wait before retry number `attempts + 1`: 5 s, 10 s, 20 s… at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    Duration::from_secs(5u64.saturating_mul(1u64 << exponent)).min(Duration::from_secs(3600))
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub given_up: usize,
}

pub struct Delivery {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub composer: Composer,
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    pub give_up_after: Duration,
    pub clock: Clock,
}

impl Delivery {
    /// Sends what is due at `now`, one batch; tests call this to drain the outbox deterministically.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        let lease = chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
        let give_up_after = chrono::Duration::from_std(self.give_up_after).unwrap_or(chrono::Duration::MAX);
        let mut pass = Pass::default();
        let events = self.store.claim_outbox(now, lease, BATCH).await?;
        let outcomes = futures_util::future::join_all(events.iter().map(|event| self.send(event))).await;
        for (record, outcome) in events.iter().zip(outcomes) {
            match outcome {
                Ok(event) => {
                    self.store
                        .mark_sent(record.id, now, &event.clone().without_secrets())
                        .await?;
                    pass.sent += 1;
                }
                Err(Failure::Permanent(why)) => {
                    tracing::warn!(key = %record.idempotency_key, %why, "giving up: refused for good");
                    self.store.give_up(record.id, &why, now).await?;
                    pass.given_up += 1;
                }
                Err(Failure::Transient(why)) => {
                    if now - record.created_at >= give_up_after {
                        tracing::warn!(key = %record.idempotency_key, %why, "giving up: out of time");
                        self.store.give_up(record.id, &why, now).await?;
                        pass.given_up += 1;
                    } else {
                        let wait =
                            chrono::Duration::from_std(backoff(record.attempts)).unwrap_or(chrono::Duration::MAX);
                        tracing::info!(key = %record.idempotency_key, %why, attempts = record.attempts + 1, "will retry");
                        self.store.mark_failed(record.id, &why, now + wait).await?;
                        pass.retrying += 1;
                    }
                }
            }
        }
        Ok(pass)
    }

    /// Sends one event; the event sent, or why not.
    async fn send<'r>(&self, record: &'r OutboxRecord) -> Result<&'r OutboxEvent, Failure> {
        // A payload that does not read back cannot be sent, now or later: an agent must look.
        let event = record
            .event
            .as_ref()
            .map_err(|why| Failure::Permanent(format!("the event cannot be read: {why}")))?;
        let message = self
            .composer
            .compose(&self.catalog, event, &record.idempotency_key)
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(event),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
            Err(e) => Err(Failure::Transient(e.to_string())),
        }
    }

    /// Delivers until the process stops: at once when woken by a new event, else every second.
    pub async fn run(self, wake: Arc<Notify>) {
        loop {
            match self.deliver_due(self.clock.now()).await {
                // A full batch: there may be more waiting.
                Ok(pass) if pass.sent + pass.retrying + pass.given_up >= BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox pass failed"),
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

enum Failure {
    Permanent(String),
    Transient(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::from_secs(5));
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(5), Duration::from_secs(160));
        assert_eq!(backoff(10), Duration::from_secs(3600));
        assert_eq!(backoff(i64::MAX), Duration::from_secs(3600));
        assert_eq!(backoff(-3), Duration::from_secs(5));
    }
}
