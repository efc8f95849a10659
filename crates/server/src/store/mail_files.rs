//! Files that came by mail and are not evidence (a PDF, a spreadsheet, a logo): listed for the
//! agent, their bytes read back from the raw message they came in.

use chrono::{DateTime, Utc};

use super::columns::{ms, Columns};
use super::{MessageId, Store, StoreError, TicketId, WriteTx};

/// Where a file is, and what the agent sees listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFile {
    /// The raw message it is in, and its place among that message's attachments.
    pub raw_sha256: String,
    pub part: i64,
    pub filename: String,
    pub media_type: String,
    pub byte_len: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFileRecord {
    pub id: i64,
    /// None: the mail that opened the case.
    pub message: Option<MessageId>,
    pub file: MailFile,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, message_id, raw_sha256, part, filename, media_type, byte_len, created_at";

fn record_of(row: &sqlx::any::AnyRow) -> Result<MailFileRecord, StoreError> {
    let c = Columns(row);
    Ok(MailFileRecord {
        id: c.i64("id")?,
        message: c.opt_i64("message_id")?.map(MessageId::from),
        file: MailFile {
            raw_sha256: c.text("raw_sha256")?,
            part: c.i64("part")?,
            filename: c.text("filename")?,
            media_type: c.text("media_type")?,
            byte_len: c.i64("byte_len")?,
        },
        created_at: c.time("created_at")?,
    })
}

impl Store {
    /// A case's files from mail, as they came.
    pub async fn mail_files(&self, ticket: TicketId) -> Result<Vec<MailFileRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM mail_files WHERE ticket_id = $1 ORDER BY id"
        ))
        .bind(ticket.get())
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(record_of).collect()
    }

    /// One of the case's files (None for another case's: an id names nothing outside its case).
    pub async fn mail_file(&self, ticket: TicketId, id: i64) -> Result<Option<MailFileRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM mail_files WHERE id = $1 AND ticket_id = $2"
        ))
        .bind(id)
        .bind(ticket.get())
        .fetch_optional(&self.reads)
        .await?;
        row.as_ref().map(record_of).transpose()
    }
}

impl WriteTx {
    /// Lists the files; one already listed (the same message filed twice) is left as it is.
    pub async fn add_mail_files(
        &mut self,
        ticket: TicketId,
        message: Option<MessageId>,
        files: &[MailFile],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for f in files {
            sqlx::query(
                "INSERT INTO mail_files (ticket_id, message_id, raw_sha256, part, filename, media_type, byte_len, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (raw_sha256, part) DO NOTHING",
            )
            .bind(ticket.get())
            .bind(message.map(MessageId::get))
            .bind(&f.raw_sha256)
            .bind(f.part)
            .bind(&f.filename)
            .bind(&f.media_type)
            .bind(f.byte_len)
            .bind(ms(at))
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }
}
