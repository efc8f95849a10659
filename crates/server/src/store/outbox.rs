//! The transactional outbox (DESIGN "Transactional outbox", STYLE rule 11): events written with the
//! change that causes them, claimed by delivery workers under a lease, delivered at least once.

use chrono::{DateTime, Utc};

use super::columns::{json, ms, Columns};
use super::{Backend, Store, StoreError, TicketId, WriteTx};
use crate::events::OutboxEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(i64);

impl From<i64> for OutboxId {
    fn from(id: i64) -> OutboxId {
        OutboxId(id)
    }
}

#[derive(Debug, Clone)]
pub struct NewOutboxEvent {
    pub ticket_id: TicketId,
    pub event: OutboxEvent,
    /// The message's Message-ID: a re-sent mail is recognisable as the same mail.
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

impl NewOutboxEvent {
    pub(super) fn payload(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.event).map_err(|e| StoreError::Other(format!("outbox payload: {e}")))
    }
}

#[derive(Debug, Clone)]
pub struct OutboxRecord {
    pub id: OutboxId,
    /// None for mail about no case (an agent's invitation).
    pub ticket_id: Option<TicketId>,
    /// The event, or why its stored payload does not read back (the worker gives it up, visibly).
    pub event: Result<OutboxEvent, String>,
    pub idempotency_key: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

pub(super) const ENQUEUE: &str = "INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, \
     next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)";

/// Writes `e` in the caller's transaction.
pub(super) async fn enqueue(conn: &mut sqlx::AnyConnection, e: &NewOutboxEvent) -> Result<(), StoreError> {
    sqlx::query(ENQUEUE)
        .bind(e.event.kind())
        .bind(e.ticket_id.get())
        .bind(e.payload()?)
        .bind(&e.idempotency_key)
        .bind(ms(e.created_at))
        .execute(conn)
        .await?;
    Ok(())
}

impl WriteTx {
    /// The event, delivered once the transaction commits.
    pub async fn enqueue(&mut self, e: &NewOutboxEvent) -> Result<(), StoreError> {
        enqueue(self.conn(), e).await
    }

    /// An event about no case (an agent's invitation), delivered once the transaction commits.
    pub async fn enqueue_unbound(
        &mut self,
        event: &OutboxEvent,
        idempotency_key: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let payload = serde_json::to_string(event).map_err(|e| StoreError::Other(format!("outbox payload: {e}")))?;
        sqlx::query(
            "INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, next_attempt_at) \
             VALUES ($1, NULL, $2, $3, $4, $4)",
        )
        .bind(event.kind())
        .bind(payload)
        .bind(idempotency_key)
        .bind(ms(at))
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Claims up to `n` due, unsent events for `lease`: no other worker gets them until the lease
    /// expires (a worker that dies releases its events that way). PostgreSQL skips rows another
    /// worker is claiming right now; SQLite's single writer claims one worker at a time.
    pub async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        n: i64,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1 WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
             AND gave_up_at IS NULL AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
             ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
             RETURNING id, ticket_id, payload, idempotency_key, attempts, created_at"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&sql)
            .bind(ms(now + lease))
            .bind(ms(now))
            .bind(n)
            .fetch_all(tx.conn())
            .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                let c = Columns(r);
                Ok(OutboxRecord {
                    id: OutboxId(c.i64("id")?),
                    ticket_id: c.opt_i64("ticket_id")?.map(TicketId),
                    event: json("payload", &c.text("payload")?).map_err(|e: StoreError| e.to_string()),
                    idempotency_key: c.text("idempotency_key")?,
                    attempts: c.i64("attempts")?,
                    created_at: c.time("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|r| r.id.0);
        Ok(claimed)
    }

    /// Records the delivery and keeps `kept`: what was sent, minus its secrets.
    pub async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>, kept: &OutboxEvent) -> Result<(), StoreError> {
        let kept = serde_json::to_string(kept).map_err(|e| StoreError::Other(e.to_string()))?;
        self.update_outbox(
            "UPDATE outbox SET sent_at = $1, payload = $2, locked_until = NULL, last_error = NULL WHERE id = $3",
            (ms(now), kept),
            id,
        )
        .await
    }

    /// Records a failed attempt and when to try again.
    pub async fn mark_failed(&self, id: OutboxId, error: &str, next_attempt: DateTime<Utc>) -> Result<(), StoreError> {
        self.update_outbox(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, locked_until = NULL \
             WHERE id = $3",
            (ms(next_attempt), error.to_owned()),
            id,
        )
        .await
    }

    /// Stops trying: the event stays, with its last error, for agents to see.
    pub async fn give_up(&self, id: OutboxId, error: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.update_outbox(
            "UPDATE outbox SET attempts = attempts + 1, gave_up_at = $1, last_error = $2, locked_until = NULL \
             WHERE id = $3",
            (ms(now), error.to_owned()),
            id,
        )
        .await
    }

    /// One outbox row's bookkeeping: `(time, text)` bound as `$1, $2`, the row as `$3`.
    async fn update_outbox(&self, sql: &str, (at, text): (i64, String), id: OutboxId) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sql)
            .bind(at)
            .bind(text)
            .bind(id.0)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Events given up on, newest first: what agents must look at.
    pub async fn undelivered(&self, limit: i64) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT idempotency_key, last_error FROM outbox WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, id DESC \
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok((c.text("idempotency_key")?, c.opt_text("last_error")?))
            })
            .collect()
    }

    /// Every payload in the outbox, for checks that no secret outlives its delivery.
    pub async fn outbox_payloads(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT payload FROM outbox ORDER BY id")
            .fetch_all(&self.reads)
            .await?;
        rows.iter().map(|r| Columns(r).text("payload")).collect()
    }
}
