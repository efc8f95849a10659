//! SQLite's single writer: one thread owns the write connection and runs whole intakes on it,
//! committing every intake that is waiting in one transaction (group commit).
//!
//! SQLite allows one writer at a time. Driven statement by statement from async tasks, that writer
//! spends its time waiting for the next statement to cross threads; here an intake crosses once,
//! and a burst of intakes shares one commit. Each intake runs in its own savepoint, so one that
//! fails leaves the others of its batch intact. Nobody hears back before the commit.
//!
//! Checkpoints (copying the WAL back into the database file, with its fsync) would otherwise run on
//! this thread at every thousandth page; a thread of their own runs them instead, so the writer
//! only ever appends to the WAL. SQLite starts the WAL over only when a write begins with every
//! frame copied back; under steady load the writer always appends more first, and the WAL grew
//! without bound (1.4 GB in 10 s of benchmark, a tenth of the writer's time spent by the kernel
//! allocating its new blocks). So each checkpoint ends with a short catch-up under the write turn.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::intake::{intake_sqlite, Decide, IntakeOutcome, IntakeRequest};
use super::StoreError;

/// How many waiting intakes one transaction takes at most.
const MAX_BATCH: usize = 128;

type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&rusqlite::Connection) -> Reply + Send>;

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Bytes of WAL file kept once it starts over.
const WAL_SIZE_LIMIT: u64 = 64 << 20;

#[derive(Debug)]
pub(super) struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
    /// Dropped with the writer: tells the checkpointer to stop.
    _checkpoints: mpsc::Sender<()>,
}

impl SqliteWriter {
    /// `turn` is shared with the store's other writes: SQLite has one writer at a time.
    pub(super) fn start(path: &Path, turn: Arc<tokio::sync::Mutex<()>>) -> Result<SqliteWriter, StoreError> {
        let conn = rusqlite::Connection::open(path)?;
        // Same settings as every sqlx connection: see `configure_sqlite`.
        conn.execute_batch(super::SQLITE_PRAGMAS)?;
        // Each intake's savepoint journals the pages it changes: in memory, not in a temporary
        // file (that was a quarter of the writer's time). A larger page cache keeps the indexes of
        // random keys (tokens, Message-IDs) from being read back from the file.
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768")?;
        conn.set_prepared_statement_cache_capacity(32);
        let checkpointer = rusqlite::Connection::open(path)?;
        checkpointer.execute_batch(super::SQLITE_PRAGMAS)?;
        // After a burst, a restarted WAL is cut back to this size rather than kept at its largest.
        conn.execute_batch(&format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"))?;
        let checkpoint_turn = Arc::clone(&turn);
        let (jobs, queue) = mpsc::channel::<Job>();
        let (alive, stopped) = mpsc::channel::<()>();
        let failed = |e: std::io::Error| StoreError::Unavailable(format!("cannot start the SQLite writer: {e}"));
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(&conn, &queue, &turn))
            .map_err(failed)?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoints(&checkpointer, &stopped, &checkpoint_turn))
            .map_err(failed)?;
        Ok(SqliteWriter {
            jobs,
            _checkpoints: alive,
        })
    }

    pub(super) async fn intake<T: Send + 'static>(
        &self,
        request: IntakeRequest,
        decide: Decide<T>,
    ) -> Result<IntakeOutcome<T>, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = in_savepoint(conn, |conn| intake_sqlite(conn, &request, decide));
            Box::new(move |committed: Result<(), String>| {
                let result = match committed {
                    Ok(()) => outcome,
                    Err(e) => Err(StoreError::Other(format!("commit failed: {e}"))),
                };
                let _ = reply.send(result);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer could not run the intake".to_owned()))?
    }
}

/// The writer loop: take what is waiting, run it in one transaction, answer after the commit.
fn run(conn: &rusqlite::Connection, queue: &mpsc::Receiver<Job>, turn: &tokio::sync::Mutex<()>) {
    while let Ok(first) = queue.recv() {
        let turn = turn.blocking_lock();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "the SQLite writer cannot begin a transaction");
            // Dropping the jobs drops their reply channels: each caller hears its intake failed.
            drop(batch);
            continue;
        }
        let replies: Vec<Reply> = batch
            .into_iter()
            .filter_map(|job| std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))).ok())
            .collect();
        let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        drop(turn);
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`] until the writer is gone.
///
/// PASSIVE never waits for, nor blocks, the writer or the readers: the first pass copies the bulk
/// while the writer goes on; the second, holding the write turn, copies only what was appended
/// meanwhile, so the WAL ends fully copied and the next write starts it over.
fn checkpoints(conn: &rusqlite::Connection, stopped: &mpsc::Receiver<()>, turn: &tokio::sync::Mutex<()>) {
    let passive = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        let done = passive().and_then(|()| {
            let _turn = turn.blocking_lock();
            passive()
        });
        if let Err(e) = done {
            tracing::warn!(error = %e, "SQLite checkpoint failed; retrying");
        }
    }
}

/// Runs `f` in a savepoint: its writes stay if it succeeds and vanish if it fails or panics.
fn in_savepoint<R>(
    conn: &rusqlite::Connection,
    f: impl FnOnce(&rusqlite::Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    // Prepared once: a savepoint per intake is the writer's most frequent statement.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut statement| statement.execute([]));
    run("SAVEPOINT intake")?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(StoreError::Other("an intake panicked".to_owned())));
    if result.is_err() {
        run("ROLLBACK TO intake")?;
    }
    run("RELEASE intake")?;
    result
}
