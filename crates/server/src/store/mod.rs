//! The store: every SQL statement of the server, for SQLite and PostgreSQL behind one API
//! (DESIGN "Storage", STYLE rules 3–5, 9, 13, 23).
//!
//! Both backends go through sqlx's `Any` driver with portable column types (BIGINT, TEXT; times as
//! UTC milliseconds, booleans as 0/1), so one SQL text serves both wherever the dialects agree;
//! the few statements that differ (locking, claiming) are chosen by [`Backend`]. Rows come back as
//! domain types, and a value that does not read back by its type's rule is [`StoreError::Corrupt`],
//! never a default. Every write runs in a [`WriteTx`] (on SQLite, in the one writer's turn) except
//! intake, which SQLite runs on its own writer thread ([`sqlite_writer`]).

mod agents;
mod alerts;
mod assignment;
mod audit;
mod canned;
mod cases;
mod columns;
mod figures;
mod forecast;
mod inbound;
mod intake;
mod mail_files;
mod organisations;
mod outbox;
mod queue;
mod report_cases;
mod reports;
mod search;
mod secrets;
mod sqlite_writer;
mod webhooks;
mod write;

use std::time::Duration;

use sportello_domain::case_number::{CaseNumber, CaseNumberError, CasePrefix};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use agents::{AgentRecord, NewAgent, SessionRecord, TeamRecord, TokenRecord};
pub use alerts::AlertRecord;
pub use assignment::AssigningTeam;
pub use audit::{AuditEntry, AuditQuery, AuditRecord};
pub use canned::{Canned, CannedId, CannedRecord};
pub use cases::{AttachmentRecord, Case, Csat, MessageRecord};
pub use forecast::ForecastInputs;
pub use intake::{CasePlan, ContactHistory, Decide, EvidenceRow, IntakeOutcome, IntakeRequest, NewCase};
pub use mail_files::{MailFile, MailFileRecord};
pub use organisations::{BusinessCase, Organisation, OrganisationId, OrganisationRecord, OverQuotaRow};
pub use outbox::{NewOutboxEvent, OutboxId, OutboxRecord};
pub use queue::{Assigned, QueueQuery, QueueRow};
pub use report_cases::{FactQuery, ReportFilter};
pub use search::{CaseText, SearchFrom, SearchHit, SearchQuery, TextSource, WINDOW as SEARCH_WINDOW};
pub use webhooks::{Answer, DeliveryRecord, DueDelivery, Next, Webhook, WebhookId, WebhookRecord, Written};
pub use write::{AfterReply, AgentMessage, Assignment, CustomerMessage, PriorityChange, WriteTx};

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
    /// A stored value that does not read back as its type: a damaged or foreign row.
    #[error("corrupt row: {0}")]
    Corrupt(String),
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
            sqlx::Error::ColumnDecode { index, source } => StoreError::Corrupt(format!("{index}: {source}")),
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

    /// The case a case number names (whether it exists is the store's to say).
    pub fn of(case: &CaseNumber) -> Option<TicketId> {
        i64::try_from(case.sequence()).ok().map(TicketId)
    }

    /// The case number customers and agents see.
    pub fn number(self, prefix: &CasePrefix) -> Result<CaseNumber, CaseNumberError> {
        // Ids start at 1; a negative one is no case's (and no number).
        let sequence = u64::try_from(self.0).map_err(|_| CaseNumberError::SequenceOverflow(0))?;
        prefix.number(sequence)
    }
}

impl From<i64> for TicketId {
    fn from(id: i64) -> TicketId {
        TicketId(id)
    }
}

/// Ordered as written: a larger id is a later message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(i64);

/// A message's id as a URL names it; whether there is such a message is for the store to say.
impl From<i64> for MessageId {
    fn from(id: i64) -> MessageId {
        MessageId(id)
    }
}

impl MessageId {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// Cheap to clone: pools and a handle.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// SQLite: one connection, for the writes outside intake. PostgreSQL: the same pool as `reads`.
    writes: AnyPool,
    reads: AnyPool,
    /// SQLite: the thread that runs intakes (see [`sqlite_writer`]).
    sqlite_writer: Option<std::sync::Arc<sqlite_writer::SqliteWriter>>,
    /// SQLite: the database file, opened by rusqlite where a read is a bulk one (reports).
    sqlite_file: Option<std::path::PathBuf>,
    /// SQLite: whose turn it is to write — the writer thread's or a [`WriteTx`]'s. Taking turns
    /// here, a waiting write starts the moment the other ends; left to SQLite's busy handler, it
    /// would sleep in steps of up to 100 ms.
    write_turn: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// Wakes the webhook worker when this process wrote deliveries (others' are found by polling).
    deliveries: std::sync::Arc<webhooks::Written>,
    /// Reports' copy of the cases, shared by every clone of the store.
    report_cases: std::sync::Arc<reports::ReportCases>,
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
                sqlite_file: Some(path.into()),
                write_turn: Some(turn),
                deliveries: Default::default(),
                report_cases: Default::default(),
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
                sqlite_file: None,
                write_turn: None,
                deliveries: Default::default(),
                report_cases: Default::default(),
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
    async fn turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(turn) => Some(std::sync::Arc::clone(turn).lock_owned().await),
            None => None,
        }
    }

    /// The one way to write (intake aside): a transaction holding the write turn until it ends.
    /// SQLite takes its write lock at BEGIN, so a transaction never has to upgrade.
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let turn = self.turn().await;
        Ok(WriteTx::new(
            self.writes.begin_with(begin).await?,
            turn,
            std::sync::Arc::clone(&self.deliveries),
        ))
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
