//! The store: every SQL statement of the server, for SQLite and PostgreSQL behind one API
//! (DESIGN "Storage", STYLE rules 3–5, 9, 13, 23).
//!
//! Both backends go through sqlx's `Any` driver with portable column types (BIGINT, TEXT; times as
//! UTC milliseconds, booleans as 0/1), so one SQL text serves both wherever the dialects agree;
//! the few statements that differ (locking, claiming) are chosen by [`Backend`].

mod follow_up;
mod inbound;
mod intake;
mod outbox;
mod sqlite_writer;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

pub use follow_up::{AttachmentRecord, FieldsUpdate};
pub use inbound::{CaseState, CustomerReply, PriorityChange};
pub use intake::{CasePlan, ContactHistory, Decide, EvidenceRow, IntakeOutcome, IntakeRequest};
pub use outbox::{NewOutboxEvent, OutboxId, OutboxRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(e.to_string()),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Other(format!("migration: {e}"))
    }
}

/// A case's sequence number: the store's id and the 9 digits of its case number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(i64);

impl TicketId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for TicketId {
    fn from(id: i64) -> TicketId {
        TicketId(id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageId(i64);

impl MessageId {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A case's own fields: written as triage decided them, read back as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub status: String,
    pub priority: String,
    pub category: String,
    pub subcategory: String,
    pub email: String,
    /// None while the case waits for it (`needs_info`); stored as ''.
    pub phone: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub language: String,
    /// None while the case waits for it (`needs_info`); stored as ''.
    pub device: Option<String>,
    pub description: String,
    /// JSON object of catalog field → value.
    pub fields: String,
    pub urgent_requested: bool,
    pub penalised: bool,
    /// JSON array of warnings.
    pub warnings: String,
    pub channel: String,
    pub created_at: i64,
    pub first_response_due: i64,
    pub resolution_due: i64,
    /// The case this one was opened about (a stranger quoting its number, a reply to a closed case).
    pub related_to: Option<TicketId>,
}

/// A case as stored, with its sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    pub id: TicketId,
    pub ticket: Ticket,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub author: String,
    /// The address a mailed follow-up came from, when it is not the case's contact.
    pub sender: Option<String>,
    pub body: String,
    pub public: bool,
    pub created_at: i64,
}

/// Cheap to clone: pools and a handle.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// SQLite: one connection, for the few writes outside intake (outbox bookkeeping).
    /// PostgreSQL: the same pool as `reads`.
    writes: AnyPool,
    reads: AnyPool,
    /// SQLite: the thread that runs intakes (see [`sqlite_writer`]).
    sqlite_writer: Option<std::sync::Arc<sqlite_writer::SqliteWriter>>,
    /// SQLite: whose turn it is to write — the writer thread's or a write through `writes`. Taking
    /// turns here, a waiting write starts the moment the other ends; left to SQLite's busy
    /// handler, it would sleep in steps of up to 100 ms.
    write_turn: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// A write transaction, holding the write turn until it ends.
pub(crate) struct WriteTx {
    pub(crate) tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Opens `sqlite://FILE` (created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
            }
            let options: AnyConnectOptions = format!("sqlite://{path}?mode=rwc").parse()?;
            let pool = |n: u32| {
                AnyPoolOptions::new()
                    .max_connections(n)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| Box::pin(async move { configure_sqlite(conn).await }))
                    .connect_with(options.clone())
            };
            let writes = pool(1).await?;
            let reads = pool(4).await?;
            let turn = std::sync::Arc::new(tokio::sync::Mutex::new(()));
            let writer = sqlite_writer::SqliteWriter::start(std::path::Path::new(path), std::sync::Arc::clone(&turn))?;
            Ok(Store {
                backend: Backend::Sqlite,
                writes,
                reads,
                sqlite_writer: Some(std::sync::Arc::new(writer)),
                write_turn: Some(turn),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Ok(Store {
                backend: Backend::Postgres,
                writes: pool.clone(),
                reads: pool,
                sqlite_writer: None,
                write_turn: None,
            })
        } else {
            Err(StoreError::Other(
                "database_url must start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// SQLite: waits for the turn to write (held until the guard drops); PostgreSQL: no wait.
    pub(crate) async fn turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(turn) => Some(std::sync::Arc::clone(turn).lock_owned().await),
            None => None,
        }
    }

    /// A write transaction. SQLite: the write lock is taken at BEGIN, so it never has to upgrade.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let turn = self.turn().await;
        Ok(WriteTx {
            tx: self.writes.begin_with(begin).await?,
            _turn: turn,
        })
    }

    /// Embedded, forward-only migrations, one folder per backend (STYLE rule 18).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let _turn = self.turn().await;
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.writes).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.writes).await?,
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    pub async fn ticket(&self, id: TicketId) -> Result<Option<StoredTicket>, StoreError> {
        let row = sqlx::query(
            "SELECT id, status, priority, category, subcategory, email, phone, name, country, language, device, \
             description, fields, urgent_requested, penalised, warnings, channel, created_at, first_response_due, \
             resolution_due, related_to FROM tickets WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.reads)
        .await?;
        row.map(|r| {
            let ticket = Ticket {
                status: r.try_get("status")?,
                priority: r.try_get("priority")?,
                category: r.try_get("category")?,
                subcategory: r.try_get("subcategory")?,
                email: r.try_get("email")?,
                phone: known(r.try_get("phone")?),
                name: r.try_get("name")?,
                country: r.try_get("country")?,
                language: r.try_get("language")?,
                device: known(r.try_get("device")?),
                description: r.try_get("description")?,
                fields: r.try_get("fields")?,
                urgent_requested: r.try_get::<i64, _>("urgent_requested")? != 0,
                penalised: r.try_get::<i64, _>("penalised")? != 0,
                warnings: r.try_get("warnings")?,
                channel: r.try_get("channel")?,
                created_at: r.try_get("created_at")?,
                first_response_due: r.try_get("first_response_due")?,
                resolution_due: r.try_get("resolution_due")?,
                related_to: r.try_get::<Option<i64>, _>("related_to")?.map(TicketId),
            };
            Ok(StoredTicket {
                id: TicketId(r.try_get("id")?),
                ticket,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
    }

    /// Whether `token_hash` is one of the case's status tokens. Looked up by case (the link names
    /// it), so the random hashes need no index of their own: 128 random bits do not collide.
    pub async fn token_matches(&self, id: TicketId, token_hash: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM status_tokens WHERE ticket_id = $1 AND token_hash = $2")
            .bind(id.0)
            .bind(token_hash)
            .fetch_one(&self.reads)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    pub async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, author, sender, body, public, created_at FROM messages WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MessageRecord {
                    id: MessageId(r.try_get("id")?),
                    author: r.try_get("author")?,
                    sender: r.try_get("sender")?,
                    body: r.try_get("body")?,
                    public: r.try_get::<i64, _>("public")? != 0,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    pub async fn count_tickets(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM tickets")
            .fetch_one(&self.reads)
            .await?
            .try_get("n")?)
    }
}

/// '' is how the NOT NULL columns `phone` and `device` say "not known yet".
fn known(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Applied to every SQLite connection (STYLE rule 13). `synchronous = NORMAL` in WAL mode syncs at
/// checkpoints, not at every commit: after a power cut the database is intact but the last
/// transactions before the cut may be gone, including ones already acknowledged with HTTP 201.
/// A process crash loses nothing. Operators who need every acknowledged case to survive a power
/// cut run PostgreSQL (or set FULL and accept fewer writes per second).
async fn configure_sqlite(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute(SQLITE_PRAGMAS).await?;
    Ok(())
}

const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";

#[cfg(test)]
pub(crate) mod tests;
