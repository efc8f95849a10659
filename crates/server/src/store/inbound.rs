//! What inbound mail changes: a customer's reply joins its case, bounced addresses are remembered,
//! and mail that cannot be filed is kept aside with its reason.

use sqlx::Row;

use super::{EvidenceRow, MessageId, Store, StoreError, TicketId};

/// What a reply needs to know about its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    pub id: TicketId,
    pub status: String,
    pub priority: String,
    pub category: String,
    pub subcategory: String,
    pub email: String,
    pub penalised: bool,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub last_bump_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

/// A new priority and the due times that follow from it: a reply's bump (SPEC §4), or the way
/// back to `normal` once nothing recommended is missing (SPEC §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityChange {
    /// The priority it was decided from: if another write changed it meanwhile, nothing moves.
    pub from: String,
    pub priority: String,
    pub first_response_due: i64,
    pub resolution_due: i64,
}

#[derive(Debug, Clone)]
pub struct CustomerReply {
    pub ticket: TicketId,
    pub body: String,
    /// The address it came from, when it is not the case's contact's.
    pub sender: Option<String>,
    /// The raw message, for a reply by mail.
    pub raw_sha256: Option<String>,
    pub evidence: Vec<EvidenceRow>,
    pub now_ms: i64,
    pub bump: Option<PriorityChange>,
    /// Back to `open` (from `pending_customer` or `resolved`).
    pub reopen: bool,
}

impl Store {
    pub async fn case_state(&self, id: TicketId) -> Result<Option<CaseState>, StoreError> {
        let row = sqlx::query(
            "SELECT id, status, priority, category, subcategory, email, penalised, created_at, first_response_at, \
             last_bump_at, resolved_at FROM tickets WHERE id = $1",
        )
        .bind(id.get())
        .fetch_optional(&self.reads)
        .await?;
        row.map(|r| {
            Ok(CaseState {
                id: TicketId::from(r.try_get::<i64, _>("id")?),
                status: r.try_get("status")?,
                priority: r.try_get("priority")?,
                category: r.try_get("category")?,
                subcategory: r.try_get("subcategory")?,
                email: r.try_get("email")?,
                penalised: r.try_get::<i64, _>("penalised")? != 0,
                created_at: r.try_get("created_at")?,
                first_response_at: r.try_get("first_response_at")?,
                last_bump_at: r.try_get("last_bump_at")?,
                resolved_at: r.try_get("resolved_at")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
    }

    /// The reply, its attachments and what it changes on the case, in one transaction. Returns
    /// whether the bump was applied: the update re-checks the SPEC §4 conditions, so two replies
    /// arriving together raise the priority once.
    pub async fn add_customer_reply(&self, reply: &CustomerReply) -> Result<(MessageId, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        let written = Store::write_customer_reply(&mut tx.tx, reply).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// [`Store::add_customer_reply`] inside the caller's transaction.
    pub(super) async fn write_customer_reply(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        reply: &CustomerReply,
    ) -> Result<(MessageId, bool), StoreError> {
        let message: i64 = sqlx::query(
            "INSERT INTO messages (ticket_id, author, body, public, created_at, raw_sha256, sender) \
             VALUES ($1, 'customer', $2, 1, $3, $4, $5) RETURNING id",
        )
        .bind(reply.ticket.get())
        .bind(&reply.body)
        .bind(reply.now_ms)
        .bind(&reply.raw_sha256)
        .bind(&reply.sender)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        for e in &reply.evidence {
            sqlx::query(super::intake::INSERT_EVIDENCE)
                .bind(reply.ticket.get())
                .bind(message)
                .bind(&e.sha256)
                .bind(&e.kind)
                .bind(e.width)
                .bind(e.height)
                .bind(e.byte_len)
                .bind(&e.filename)
                .bind(&e.editor)
                .bind(reply.now_ms)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(super::intake::TOUCH_TICKET)
            .bind(reply.now_ms)
            .bind(reply.ticket.get())
            .execute(&mut **tx)
            .await?;
        let mut bumped = false;
        if let Some(bump) = &reply.bump {
            let done = sqlx::query(
                "UPDATE tickets SET priority = $1, first_response_due = $2, resolution_due = $3, last_bump_at = $4 \
                 WHERE id = $5 AND priority = $6 AND first_response_at IS NULL \
                 AND (last_bump_at IS NULL OR last_bump_at <= $7)",
            )
            .bind(&bump.priority)
            .bind(bump.first_response_due)
            .bind(bump.resolution_due)
            .bind(reply.now_ms)
            .bind(reply.ticket.get())
            .bind(&bump.from)
            .bind(reply.now_ms - 86_400_000)
            .execute(&mut **tx)
            .await?;
            bumped = done.rows_affected() == 1;
        }
        if reply.reopen {
            sqlx::query("UPDATE tickets SET status = 'open', resolved_at = NULL WHERE id = $1")
                .bind(reply.ticket.get())
                .execute(&mut **tx)
                .await?;
        }
        Ok((MessageId(message), bumped))
    }

    /// Moves a case to `status` (SPEC §4's life cycle); `resolved` records when.
    pub async fn set_status(&self, id: TicketId, status: &str, now_ms: i64) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "UPDATE tickets SET status = $1, updated_at = $2, \
             resolved_at = CASE WHEN $1 = 'resolved' THEN $2 ELSE resolved_at END WHERE id = $3",
        )
        .bind(status)
        .bind(now_ms)
        .bind(id.get())
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// An address that bounced for good: agents see it on its cases (SPEC §5).
    pub async fn mark_undeliverable(&self, address: &str, reason: &str, now_ms: i64) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "INSERT INTO undeliverable (address, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at",
        )
        .bind(address)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    pub async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS hit FROM undeliverable WHERE address = $1")
            .bind(address)
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.is_some())
    }

    /// Mail that reached no case, kept (its raw bytes are a blob) with the reason.
    pub async fn keep_aside(
        &self,
        reason: &str,
        raw_sha256: &str,
        sender: Option<&str>,
        subject: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "INSERT INTO mail_aside (reason, raw_sha256, sender, subject, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(reason)
        .bind(raw_sha256)
        .bind(sender)
        .bind(subject)
        .bind(now_ms)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Whether this raw message was already filed: as a case, a follow-up, or kept aside.
    pub async fn mail_filed(&self, raw_sha256: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS hit FROM tickets WHERE raw_sha256 = $1 \
             UNION ALL SELECT 1 FROM messages WHERE raw_sha256 = $1 \
             UNION ALL SELECT 1 FROM mail_aside WHERE raw_sha256 = $1) AS filed",
        )
        .bind(raw_sha256)
        .fetch_one(&self.reads)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// How far a mailbox has been read: its UIDVALIDITY and the last UID filed under it.
    pub async fn mailbox_progress(&self, mailbox: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let row = sqlx::query("SELECT uid_validity, last_uid FROM mailbox_progress WHERE mailbox = $1")
            .bind(mailbox)
            .fetch_optional(&self.reads)
            .await?;
        row.map(|r| Ok((r.try_get("uid_validity")?, r.try_get("last_uid")?)))
            .transpose()
            .map_err(|e: sqlx::Error| e.into())
    }

    pub async fn save_mailbox_progress(
        &self,
        mailbox: &str,
        uid_validity: i64,
        last_uid: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        // SQLite: one writer at a time (see `write_turn`).
        let _turn = self.turn().await;
        sqlx::query(
            "INSERT INTO mailbox_progress (mailbox, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, \
             updated_at = excluded.updated_at",
        )
        .bind(mailbox)
        .bind(uid_validity)
        .bind(last_uid)
        .bind(now_ms)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// The reasons of mail kept aside, newest first.
    pub async fn mail_aside(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT reason FROM mail_aside ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|r| r.try_get("reason"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
