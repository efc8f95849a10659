//! Webhooks out (SPEC §9): endpoints, and one delivery row per event and endpoint, written in the
//! transaction of the change the event tells of and claimed by workers under a lease, like the
//! outbox. The fan-out is one `INSERT … SELECT` over the subscriptions: no endpoint, no row.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sportello_domain::access::AgentId;
use sportello_domain::webhook::EventKind;

use super::columns::{ms, Columns};
use super::{Backend, Store, StoreError, TicketId, WriteTx};
use crate::webhooks::Event;

/// An endpoint's id, as URLs and the API name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebhookId(pub i64);

/// An endpoint as an admin writes it (its URL checked for form and address beforehand).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Webhook {
    pub url: String,
    pub description: String,
    pub events: BTreeSet<EventKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub webhook: Webhook,
    /// The signing secret, sealed (see `app::webhooks`): never shown again.
    pub secret_sealed: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every delivery since then failed; cleared by a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

/// A delivery, claimed for one attempt.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook: WebhookId,
    pub url: String,
    pub secret_sealed: String,
    pub event_id: String,
    pub ticket: Option<TicketId>,
    /// The event as stored: `{"type":…,"data":…}`, or why it does not read back.
    pub event: Result<Event, String>,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
}

/// What one attempt got back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// Milliseconds from sending to the answer (or to the failure).
    pub millis: i64,
    /// Why it failed; None for a 2xx.
    pub error: Option<String>,
}

/// What happens next to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// A delivery as an endpoint's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: String,
    pub kind: EventKind,
    pub ticket: Option<TicketId>,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub response_ms: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub gave_up_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// Tells the webhook worker that deliveries were written. `live` is whether any endpoint is live,
/// as the worker last read it: intake wakes the worker only then, so a desk without webhooks does
/// not pay a worker pass per request (deliveries are found by polling anyway; this only saves
/// the wait).
#[derive(Debug, Default)]
pub struct Written {
    pub wake: tokio::sync::Notify,
    pub live: std::sync::atomic::AtomicBool,
}

/// The fan-out: one row per live endpoint subscribed to the event's kind. Binds: event id, kind,
/// ticket, payload, time.
pub(super) const EMIT: &str = "INSERT INTO webhook_deliveries (webhook_id, event_id, kind, ticket_id, payload, \
     created_at, next_attempt_at) SELECT w.id, $1, $2, $3, $4, $5, $5 FROM webhooks w \
     JOIN webhook_subscriptions s ON s.webhook_id = w.id AND s.kind = $2 \
     WHERE w.disabled_at IS NULL AND w.removed_at IS NULL";

/// A new event's id: 128 random bits, the same for every endpoint and attempt.
pub(super) fn event_id() -> String {
    let bits: [u8; 16] = rand::random();
    let mut id = String::with_capacity(36);
    id.push_str("evt_");
    for b in bits {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

pub(super) fn payload(event: &Event) -> Result<String, StoreError> {
    serde_json::to_string(event).map_err(|e| StoreError::Other(format!("webhook payload: {e}")))
}

/// Writes `event` for every endpoint that hears of its kind, in the caller's transaction; the
/// deliveries written.
pub(super) async fn emit(
    conn: &mut sqlx::AnyConnection,
    ticket: Option<TicketId>,
    event: &Event,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(EMIT)
        .bind(event_id())
        .bind(event.kind().as_str())
        .bind(ticket.map(TicketId::get))
        .bind(payload(event)?)
        .bind(ms(at))
        .execute(conn)
        .await?
        .rows_affected())
}

/// The same on the SQLite writer's connection (intake).
pub(super) fn emit_sqlite(
    conn: &rusqlite::Connection,
    ticket: TicketId,
    event: &Event,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.prepare_cached(EMIT)?.execute(rusqlite::params![
        event_id(),
        event.kind().as_str(),
        ticket.get(),
        payload(event)?,
        ms(at)
    ])?;
    Ok(())
}

const COLUMNS: &str = "w.id, w.url, w.secret_sealed, w.description, w.created_at, w.updated_at, w.failing_since, \
     w.disabled_at, w.disabled_reason";

fn webhook_of(row: &sqlx::any::AnyRow, events: BTreeSet<EventKind>) -> Result<WebhookRecord, StoreError> {
    let c = Columns(row);
    Ok(WebhookRecord {
        id: WebhookId(c.i64("id")?),
        webhook: Webhook {
            url: c.text("url")?,
            description: c.text("description")?,
            events,
        },
        secret_sealed: c.text("secret_sealed")?,
        created_at: c.time("created_at")?,
        updated_at: c.time("updated_at")?,
        failing_since: c.opt_time("failing_since")?,
        disabled_at: c.opt_time("disabled_at")?,
        disabled_reason: c.opt_text("disabled_reason")?,
    })
}

impl Store {
    /// What the webhook worker waits on.
    pub fn deliveries_written(&self) -> std::sync::Arc<Written> {
        std::sync::Arc::clone(&self.deliveries)
    }

    /// Whether any endpoint is live (read by the worker on every pass; see [`Written`]).
    pub async fn any_live_webhook(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE disabled_at IS NULL AND removed_at IS NULL")
            .fetch_one(&self.reads)
            .await?;
        let live = Columns(&row).i64("n")? > 0;
        self.deliveries.live.store(live, std::sync::atomic::Ordering::Relaxed);
        Ok(live)
    }

    /// After an intake: wake the worker if there is anyone to tell.
    pub(super) fn intake_written(&self) {
        if self.deliveries.live.load(std::sync::atomic::Ordering::Relaxed) {
            self.deliveries.wake.notify_one();
        }
    }

    /// The endpoints not removed, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhooks w WHERE w.removed_at IS NULL ORDER BY w.id"
        ))
        .fetch_all(&self.reads)
        .await?;
        let subscriptions = sqlx::query(
            "SELECT s.webhook_id, s.kind FROM webhook_subscriptions s JOIN webhooks w ON w.id = s.webhook_id \
             WHERE w.removed_at IS NULL",
        )
        .fetch_all(&self.reads)
        .await?;
        let mut events: std::collections::BTreeMap<i64, BTreeSet<EventKind>> = Default::default();
        for row in &subscriptions {
            let c = Columns(row);
            events
                .entry(c.i64("webhook_id")?)
                .or_default()
                .insert(c.parsed("kind")?);
        }
        rows.iter()
            .map(|row| {
                let id = Columns(row).i64("id")?;
                webhook_of(row, events.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    pub async fn webhook(&self, id: WebhookId) -> Result<Option<WebhookRecord>, StoreError> {
        Ok(self.webhooks().await?.into_iter().find(|w| w.id == id))
    }

    /// The endpoint's last `limit` deliveries, newest first.
    pub async fn deliveries(&self, id: WebhookId, limit: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_id, kind, ticket_id, created_at, attempts, response_status, response_ms, last_error, \
             delivered_at, gave_up_at, next_attempt_at FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(id.0)
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|row| {
                let c = Columns(row);
                Ok(DeliveryRecord {
                    id: c.i64("id")?,
                    event_id: c.text("event_id")?,
                    kind: c.parsed("kind")?,
                    ticket: c.opt_i64("ticket_id")?.map(TicketId),
                    created_at: c.time("created_at")?,
                    attempts: c.i64("attempts")?,
                    response_status: c.opt_i64("response_status")?,
                    response_ms: c.opt_i64("response_ms")?,
                    last_error: c.opt_text("last_error")?,
                    delivered_at: c.opt_time("delivered_at")?,
                    gave_up_at: c.opt_time("gave_up_at")?,
                    next_attempt_at: c.time("next_attempt_at")?,
                })
            })
            .collect()
    }

    /// Claims up to `n` due deliveries of live endpoints for `lease` (as [`Store::claim_outbox`]).
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        n: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN (SELECT d.id FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id WHERE d.delivered_at IS NULL AND d.gave_up_at IS NULL \
             AND d.next_attempt_at <= $2 AND (d.locked_until IS NULL OR d.locked_until <= $2) \
             AND w.disabled_at IS NULL AND w.removed_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT $3 {lock}) \
             RETURNING id"
        );
        let mut tx = self.begin_write().await?;
        let claimed: Vec<i64> = sqlx::query(&sql)
            .bind(ms(now + lease))
            .bind(ms(now))
            .bind(n)
            .fetch_all(tx.conn())
            .await?
            .iter()
            .map(|r| Columns(r).i64("id"))
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let list = claimed.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT d.id, d.webhook_id, w.url, w.secret_sealed, d.event_id, d.ticket_id, d.payload, d.created_at, \
             d.attempts FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN ({list}) \
             ORDER BY d.id"
        ))
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(DueDelivery {
                    id: c.i64("id")?,
                    webhook: WebhookId(c.i64("webhook_id")?),
                    url: c.text("url")?,
                    secret_sealed: c.text("secret_sealed")?,
                    event_id: c.text("event_id")?,
                    ticket: c.opt_i64("ticket_id")?.map(TicketId),
                    event: serde_json::from_str(&c.text("payload")?).map_err(|e| e.to_string()),
                    created_at: c.time("created_at")?,
                    attempts: c.i64("attempts")?,
                })
            })
            .collect()
    }

    /// Records a pass's attempts and each endpoint's health with them, in one transaction (one
    /// turn of SQLite's writer for the whole batch, not one per delivery): an endpoint that took
    /// any delivery of the pass is answering; one that took none has been failing since its
    /// first failure. Answers since when each endpoint in the pass has been failing.
    pub async fn record_attempts(
        &self,
        at: DateTime<Utc>,
        attempts: &[(&DueDelivery, Answer, Next)],
    ) -> Result<BTreeMap<WebhookId, DateTime<Utc>>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut answering: BTreeMap<WebhookId, bool> = BTreeMap::new();
        for (d, answer, next) in attempts {
            let (delivered, retry, gave_up) = match *next {
                Next::Delivered => (Some(ms(at)), ms(at), None),
                Next::RetryAt(when) => (None, ms(when), None),
                Next::GiveUp => (None, ms(at), Some(ms(at))),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, response_status = $1, response_ms = $2, \
                 last_error = $3, delivered_at = $4, next_attempt_at = $5, gave_up_at = $6, locked_until = NULL \
                 WHERE id = $7",
            )
            .bind(answer.status.map(i64::from))
            .bind(answer.millis)
            .bind(&answer.error)
            .bind(delivered)
            .bind(retry)
            .bind(gave_up)
            .bind(d.id)
            .execute(tx.conn())
            .await?;
            *answering.entry(d.webhook).or_default() |= *next == Next::Delivered;
        }
        let mut failing = BTreeMap::new();
        for (webhook, answered) in answering {
            if answered {
                sqlx::query("UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
                    .bind(webhook.0)
                    .execute(tx.conn())
                    .await?;
                continue;
            }
            let row = sqlx::query(
                "UPDATE webhooks SET failing_since = COALESCE(failing_since, $1) WHERE id = $2 RETURNING failing_since",
            )
            .bind(ms(at))
            .bind(webhook.0)
            .fetch_optional(tx.conn())
            .await?;
            if let Some(since) = row
                .map(|r| Columns(&r).opt_time("failing_since"))
                .transpose()?
                .flatten()
            {
                failing.insert(webhook, since);
            }
        }
        tx.commit().await?;
        Ok(failing)
    }
}

impl WriteTx {
    /// Tells every endpoint that hears of the event's kind, once the transaction commits.
    pub async fn emit(&mut self, ticket: Option<TicketId>, event: &Event, at: DateTime<Utc>) -> Result<(), StoreError> {
        if emit(self.conn(), ticket, event, at).await? > 0 {
            self.emitted = true;
        }
        Ok(())
    }

    /// An event for one endpoint alone, subscribed or not ("send a test event").
    pub async fn emit_to(&mut self, id: WebhookId, event: &Event, at: DateTime<Utc>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, kind, ticket_id, payload, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, NULL, $4, $5, $5) RETURNING id",
        )
        .bind(id.0)
        .bind(event_id())
        .bind(event.kind().as_str())
        .bind(payload(event)?)
        .bind(ms(at))
        .fetch_one(self.conn())
        .await?;
        self.emitted = true;
        Columns(&row).i64("id")
    }

    pub async fn add_webhook(
        &mut self,
        w: &Webhook,
        secret_sealed: &str,
        by: Option<AgentId>,
        now: DateTime<Utc>,
    ) -> Result<WebhookId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO webhooks (url, secret_sealed, description, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&w.url)
        .bind(secret_sealed)
        .bind(&w.description)
        .bind(by.map(|a| a.0))
        .bind(ms(now))
        .fetch_one(self.conn())
        .await?;
        let id = WebhookId(Columns(&row).i64("id")?);
        self.subscribe(id, &w.events).await?;
        self.hooks_live();
        Ok(id)
    }

    /// Writes the endpoint anew (and its secret, when given); false when there is no such one.
    pub async fn change_webhook(
        &mut self,
        id: WebhookId,
        w: &Webhook,
        secret_sealed: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE webhooks SET url = $1, description = $2, secret_sealed = COALESCE($3, secret_sealed), \
             updated_at = $4 WHERE id = $5 AND removed_at IS NULL",
        )
        .bind(&w.url)
        .bind(&w.description)
        .bind(secret_sealed)
        .bind(ms(now))
        .bind(id.0)
        .execute(self.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM webhook_subscriptions WHERE webhook_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        self.subscribe(id, &w.events).await?;
        Ok(true)
    }

    async fn subscribe(&mut self, id: WebhookId, events: &BTreeSet<EventKind>) -> Result<(), StoreError> {
        for kind in events {
            sqlx::query("INSERT INTO webhook_subscriptions (webhook_id, kind) VALUES ($1, $2)")
                .bind(id.0)
                .bind(kind.as_str())
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Marks the endpoint removed; its pending deliveries are given up. False when there is none.
    pub async fn remove_webhook(&mut self, id: WebhookId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let removed = sqlx::query("UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(ms(now))
            .bind(id.0)
            .execute(self.conn())
            .await?
            .rows_affected();
        self.give_up_pending(id, "the endpoint was removed", now).await?;
        Ok(removed > 0)
    }

    /// Stops deliveries to the endpoint, if it is live; they wait (and age) until it is enabled.
    pub async fn disable_webhook(&mut self, id: WebhookId, why: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE webhooks SET disabled_at = $1, disabled_reason = $2 WHERE id = $3 AND disabled_at IS NULL \
             AND removed_at IS NULL",
        )
        .bind(ms(now))
        .bind(why)
        .bind(id.0)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Delivers to the endpoint again, from a clean slate of health.
    pub async fn enable_webhook(&mut self, id: WebhookId) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL \
             WHERE id = $1 AND disabled_at IS NOT NULL AND removed_at IS NULL",
        )
        .bind(id.0)
        .execute(self.conn())
        .await?
        .rows_affected();
        self.hooks_live();
        Ok(n > 0)
    }

    /// Gives up the endpoint's deliveries not yet made.
    pub async fn give_up_pending(&mut self, id: WebhookId, why: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE webhook_deliveries SET gave_up_at = $1, last_error = COALESCE(last_error, $2), locked_until = NULL \
             WHERE webhook_id = $3 AND delivered_at IS NULL AND gave_up_at IS NULL",
        )
        .bind(ms(now))
        .bind(why)
        .bind(id.0)
        .execute(self.conn())
        .await?
        .rows_affected())
    }
}
