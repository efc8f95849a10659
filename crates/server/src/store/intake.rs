//! The write transaction of one intake: merge lookup, history, the case and everything it brings.

use sqlx::{Any, Row, Transaction};

use super::{Backend, MessageId, NewEvidence, NewMessage, NewOutboxEvent, NewTicket, Store, StoreError, TicketId};

/// Dropped without [`IntakeTx::commit`], it rolls back: no half case is ever visible.
pub struct IntakeTx {
    tx: Transaction<'static, Any>,
}

impl IntakeTx {
    pub(super) async fn begin(store: &Store, contact_keys: &[&str]) -> Result<IntakeTx, StoreError> {
        let mut tx = store.writes.begin().await?;
        if store.backend == Backend::Postgres {
            let mut keys: Vec<&str> = contact_keys.to_vec();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(IntakeTx { tx })
    }

    /// The newest open case of the same category whose e-mail OR phone matches, created at or
    /// after `since_ms`.
    pub async fn find_mergeable(
        &mut self,
        email: &str,
        phone: &str,
        category: &str,
        since_ms: i64,
    ) -> Result<Option<TicketId>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM tickets WHERE (email = $1 OR phone = $2) AND category = $3 AND created_at >= $4 \
             AND status IN ('new', 'open', 'pending_customer') ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(email)
        .bind(phone)
        .bind(category)
        .bind(since_ms)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?.map(TicketId))
    }

    pub async fn has_strike_since(&mut self, email: &str, phone: &str, since_ms: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS hit FROM strikes WHERE contact IN ($1, $2) AND created_at >= $3 LIMIT 1")
            .bind(email)
            .bind(phone)
            .bind(since_ms)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }

    /// How many times this contact (by e-mail or phone) already sent these bytes, over all its cases.
    pub async fn times_sent(&mut self, email: &str, phone: &str, sha256: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM evidence e JOIN tickets t ON t.id = e.ticket_id \
             WHERE e.sha256 = $1 AND (t.email = $2 OR t.phone = $3)",
        )
        .bind(sha256)
        .bind(email)
        .bind(phone)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn insert_ticket(&mut self, t: &NewTicket) -> Result<TicketId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO tickets (status, priority, category, subcategory, email, phone, name, country, language, \
             device, description, fields, urgent_requested, penalised, warnings, channel, created_at, updated_at, \
             first_response_due, resolution_due) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19) \
             RETURNING id",
        )
        .bind(&t.status)
        .bind(&t.priority)
        .bind(&t.category)
        .bind(&t.subcategory)
        .bind(&t.email)
        .bind(&t.phone)
        .bind(&t.name)
        .bind(&t.country)
        .bind(&t.language)
        .bind(&t.device)
        .bind(&t.description)
        .bind(&t.fields)
        .bind(i64::from(t.urgent_requested))
        .bind(i64::from(t.penalised))
        .bind(&t.warnings)
        .bind(&t.channel)
        .bind(t.created_at)
        .bind(t.first_response_due)
        .bind(t.resolution_due)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(TicketId(row.try_get("id")?))
    }

    pub async fn insert_token(&mut self, id: TicketId, token_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO status_tokens (ticket_id, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(token_hash)
            .bind(now_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn insert_message(&mut self, m: &NewMessage) -> Result<MessageId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO messages (ticket_id, author, body, public, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(m.ticket_id.0)
        .bind(&m.author)
        .bind(&m.body)
        .bind(i64::from(m.public))
        .bind(m.created_at)
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(m.created_at)
            .bind(m.ticket_id.0)
            .execute(&mut *self.tx)
            .await?;
        Ok(MessageId(row.try_get("id")?))
    }

    pub async fn insert_evidence(&mut self, e: &NewEvidence) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO evidence (ticket_id, message_id, sha256, kind, width, height, byte_len, filename, editor, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.ticket_id.0)
        .bind(e.message_id.map(|m| m.0))
        .bind(&e.sha256)
        .bind(&e.kind)
        .bind(e.width)
        .bind(e.height)
        .bind(e.byte_len)
        .bind(&e.filename)
        .bind(&e.editor)
        .bind(e.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_strike(&mut self, contact: &str, id: TicketId, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO strikes (contact, ticket_id, created_at) VALUES ($1, $2, $3)")
            .bind(contact)
            .bind(id.0)
            .bind(now_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Writes an event for the delivery workers, due at once.
    pub async fn enqueue(&mut self, e: &NewOutboxEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&e.kind)
        .bind(e.ticket_id.0)
        .bind(&e.payload)
        .bind(&e.idempotency_key)
        .bind(e.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
