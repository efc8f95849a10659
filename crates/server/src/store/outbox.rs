//! The transactional outbox (DESIGN "Transactional outbox", STYLE rule 11): events written with the
//! change that causes them, claimed by delivery workers under a lease, delivered at least once.

use sqlx::Row;

use super::{Backend, Store, StoreError, TicketId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(i64);

impl From<i64> for OutboxId {
    fn from(id: i64) -> OutboxId {
        OutboxId(id)
    }
}

#[derive(Debug, Clone)]
pub struct NewOutboxEvent {
    pub kind: String,
    pub ticket_id: TicketId,
    /// JSON: what the worker needs to render and send the message.
    pub payload: String,
    /// The message's Message-ID: a re-sent mail is recognisable as the same mail.
    pub idempotency_key: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub id: OutboxId,
    pub kind: String,
    pub ticket_id: TicketId,
    pub payload: String,
    pub idempotency_key: String,
    pub attempts: i64,
    pub created_at: i64,
}

impl Store {
    /// Claims up to `n` due, unsent events for `lease_ms`: no other worker gets them until the lease
    /// expires (a worker that dies releases its events that way). PostgreSQL skips rows another
    /// worker is claiming right now; SQLite's single writer claims one worker at a time.
    pub async fn claim_outbox(&self, now_ms: i64, lease_ms: i64, n: i64) -> Result<Vec<OutboxRecord>, StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1 WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
             AND gave_up_at IS NULL AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
             ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
             RETURNING id, kind, ticket_id, payload, idempotency_key, attempts, created_at"
        );
        let rows = sqlx::query(&sql)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(n)
            .fetch_all(&self.writes)
            .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(OutboxRecord {
                    id: OutboxId(r.try_get("id")?),
                    kind: r.try_get("kind")?,
                    ticket_id: TicketId(r.try_get("ticket_id")?),
                    payload: r.try_get("payload")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        claimed.sort_by_key(|r| r.id.0);
        Ok(claimed)
    }

    /// Records the delivery and replaces the payload with `kept`: what was sent, minus its secrets.
    pub async fn mark_sent(&self, id: OutboxId, now_ms: i64, kept: &str) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, payload = $2, locked_until = NULL, last_error = NULL WHERE id = $3",
        )
        .bind(now_ms)
        .bind(kept)
        .bind(id.0)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub async fn mark_failed(&self, id: OutboxId, error: &str, next_attempt_ms: i64) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, locked_until = NULL \
             WHERE id = $3",
        )
        .bind(error)
        .bind(next_attempt_ms)
        .bind(id.0)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Stops trying: the event stays, with its last error, for agents to see.
    pub async fn give_up(&self, id: OutboxId, error: &str, now_ms: i64) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, gave_up_at = $2, locked_until = NULL \
             WHERE id = $3",
        )
        .bind(error)
        .bind(now_ms)
        .bind(id.0)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Events given up on, newest first: what agents must look at.
    pub async fn undelivered(&self, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT idempotency_key, last_error FROM outbox WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, id DESC \
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("idempotency_key")?,
                    r.try_get::<Option<String>, _>("last_error")?.unwrap_or_default(),
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Every payload in the outbox, for checks that no secret outlives its delivery.
    pub async fn outbox_payloads(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT payload FROM outbox ORDER BY id")
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|r| r.try_get("payload"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
