//! What inbound mail leaves besides cases and messages: addresses that bounce, mail that could not
//! be filed (kept with its reason), how far each mailbox has been read, and which blobs rows name.

use chrono::{DateTime, Utc};
use sportello_domain::contact::email::Email;
use sportello_domain::evidence::ContentHash;

use super::columns::{ms, Columns};
use super::{Store, StoreError};

impl Store {
    /// An address that bounced for good: agents see it on its cases (SPEC §5).
    pub async fn mark_undeliverable(
        &self,
        address: &Email,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO undeliverable (address, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at",
        )
        .bind(address.as_str())
        .bind(reason)
        .bind(ms(now))
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    pub async fn is_undeliverable(&self, address: &Email) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS hit FROM undeliverable WHERE address = $1")
            .bind(address.as_str())
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
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO mail_aside (reason, raw_sha256, sender, subject, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(reason)
        .bind(raw_sha256)
        .bind(sender)
        .bind(subject)
        .bind(ms(now))
        .execute(tx.conn())
        .await?;
        tx.commit().await
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
        Ok(Columns(&row).i64("n")? > 0)
    }

    /// Whether any row names this blob: an attachment, a message's or case's raw mail, or mail
    /// kept aside. A blob nobody names is a left-over (a refused form's kept file, an upload whose
    /// intake failed) that the blob sweeper may remove.
    pub async fn blob_named(&self, hash: &ContentHash) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS hit FROM evidence WHERE sha256 = $1 \
             UNION ALL SELECT 1 FROM evidence WHERE thumb_sha256 = $1 \
             UNION ALL SELECT 1 FROM tickets WHERE raw_sha256 = $1 \
             UNION ALL SELECT 1 FROM messages WHERE raw_sha256 = $1 \
             UNION ALL SELECT 1 FROM mail_aside WHERE raw_sha256 = $1) AS named",
        )
        .bind(hash.to_hex())
        .fetch_one(&self.reads)
        .await?;
        Ok(Columns(&row).i64("n")? > 0)
    }

    /// How far a mailbox has been read: its UIDVALIDITY and the last UID filed under it.
    pub async fn mailbox_progress(&self, mailbox: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let row = sqlx::query("SELECT uid_validity, last_uid FROM mailbox_progress WHERE mailbox = $1")
            .bind(mailbox)
            .fetch_optional(&self.reads)
            .await?;
        row.map(|r| Ok((Columns(&r).i64("uid_validity")?, Columns(&r).i64("last_uid")?)))
            .transpose()
    }

    pub async fn save_mailbox_progress(
        &self,
        mailbox: &str,
        uid_validity: i64,
        last_uid: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO mailbox_progress (mailbox, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, \
             updated_at = excluded.updated_at",
        )
        .bind(mailbox)
        .bind(uid_validity)
        .bind(last_uid)
        .bind(ms(now))
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    /// The reasons of mail kept aside, newest first.
    pub async fn mail_aside(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT reason FROM mail_aside ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        rows.iter().map(|r| Columns(r).text("reason")).collect()
    }
}
