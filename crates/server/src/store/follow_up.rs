//! What a customer adds on the status page: a reply (as mail replies are stored) plus the catalog
//! fields it supplies, and the way back from `low` once nothing recommended is missing (SPEC §3.2);
//! for a case opened by mail, the phone and device it waits for.

use sqlx::Row;

use super::{CustomerReply, MessageId, PriorityChange, Store, StoreError, TicketId};

/// The case's catalog fields after the follow-up, and the priority change they bring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsUpdate {
    /// The JSON object read before the follow-up: if another write changed it meanwhile, the
    /// fields are left as that write made them (the values are in the message all the same).
    pub before: String,
    pub after: String,
    pub restore: Option<PriorityChange>,
    /// The phone (E.164) and device a case opened by mail waits for (stored as '' meanwhile); with
    /// both there, the case leaves `needs_info` for `new`.
    pub phone: Option<String>,
    pub device: Option<String>,
}

impl Store {
    /// The reply (as [`Store::add_customer_reply`] writes it) and the fields it supplies, in one
    /// transaction. Returns the message, whether the reply bump was applied and whether the
    /// priority was restored.
    pub async fn add_customer_info(
        &self,
        reply: &CustomerReply,
        update: &FieldsUpdate,
    ) -> Result<(MessageId, bool, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        let (message, bumped) = Store::write_customer_reply(&mut tx.tx, reply).await?;
        let changed = sqlx::query("UPDATE tickets SET fields = $1 WHERE id = $2 AND fields = $3")
            .bind(&update.after)
            .bind(reply.ticket.get())
            .bind(&update.before)
            .execute(&mut *tx.tx)
            .await?;
        if let Some(phone) = &update.phone {
            sqlx::query("UPDATE tickets SET phone = $1 WHERE id = $2 AND phone = ''")
                .bind(phone)
                .bind(reply.ticket.get())
                .execute(&mut *tx.tx)
                .await?;
        }
        if let Some(device) = &update.device {
            sqlx::query("UPDATE tickets SET device = $1 WHERE id = $2 AND device = ''")
                .bind(device)
                .bind(reply.ticket.get())
                .execute(&mut *tx.tx)
                .await?;
        }
        sqlx::query("UPDATE tickets SET status = 'new' WHERE id = $1 AND status = 'needs_info' AND phone <> '' AND device <> ''")
            .bind(reply.ticket.get())
            .execute(&mut *tx.tx)
            .await?;
        let mut restored = false;
        if let (Some(restore), 1) = (&update.restore, changed.rows_affected()) {
            let done = sqlx::query(
                "UPDATE tickets SET priority = $1, first_response_due = $2, resolution_due = $3 \
                 WHERE id = $4 AND priority = $5",
            )
            .bind(&restore.priority)
            .bind(restore.first_response_due)
            .bind(restore.resolution_due)
            .bind(reply.ticket.get())
            .bind(&restore.from)
            .execute(&mut *tx.tx)
            .await?;
            restored = done.rows_affected() == 1;
        }
        tx.commit().await?;
        Ok((message, bumped, restored))
    }
}

/// An attachment as the customer sees it listed on the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// The message it came with; None for the request's own.
    pub message: Option<MessageId>,
    pub filename: String,
    pub width: i64,
    pub height: i64,
}

impl Store {
    /// The case's attachments, oldest first.
    pub async fn attachments(&self, id: TicketId) -> Result<Vec<AttachmentRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT message_id, filename, width, height FROM evidence WHERE ticket_id = $1 ORDER BY id")
                .bind(id.get())
                .fetch_all(&self.reads)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(AttachmentRecord {
                    message: r.try_get::<Option<i64>, _>("message_id")?.map(MessageId),
                    filename: r.try_get("filename")?,
                    width: r.try_get("width")?,
                    height: r.try_get("height")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
