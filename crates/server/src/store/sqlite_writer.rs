//! SQLite's single writer: one thread owns the write connection and runs whole intakes on it,
//! committing every intake that is waiting in one transaction (group commit).
//!
//! SQLite allows one writer at a time. Driven statement by statement from async tasks, that writer
//! spends its time waiting for the next statement to cross threads; here an intake crosses once,
//! and a burst of intakes shares one commit. One intake that fails must leave the others of its
//! batch intact; a savepoint around each would do it, at a twentieth of every intake's cost, for a
//! failure that is rare. So a batch first runs without them, and only when one of its intakes
//! fails does it start over with each in its own savepoint. Nobody hears back before the commit.
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

/// An intake waiting for the writer: it may run twice (see the module's notes), then is answered.
trait Job: Send {
    /// Runs the intake's statements in the open transaction; false when it failed.
    fn attempt(&mut self, conn: &rusqlite::Connection) -> bool;
    /// Tells the caller its outcome, once the batch's commit is known.
    fn answer(self: Box<Self>, committed: Result<(), String>);
}

struct Intake<T> {
    request: IntakeRequest,
    decide: Decide<T>,
    outcome: Option<Result<IntakeOutcome<T>, StoreError>>,
    reply: tokio::sync::oneshot::Sender<Result<IntakeOutcome<T>, StoreError>>,
}

impl<T: Send> Job for Intake<T> {
    fn attempt(&mut self, conn: &rusqlite::Connection) -> bool {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| intake_sqlite(conn, &self.request, &self.decide)))
            .unwrap_or_else(|_| Err(StoreError::Other("an intake panicked".to_owned())));
        let ran = outcome.is_ok();
        self.outcome = Some(outcome);
        ran
    }

    fn answer(self: Box<Self>, committed: Result<(), String>) {
        let result = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StoreError::Other("the intake did not run".to_owned())),
            (Err(e), _) => Err(StoreError::Other(format!("commit failed: {e}"))),
        };
        let _ = self.reply.send(result);
    }
}

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Checkpoint passes that run beside the writer before the one that holds it back.
const PASSES_BEFORE_THE_TURN: usize = 3;

/// Bytes of WAL file kept once it starts over.
const WAL_SIZE_LIMIT: u64 = 64 << 20;

#[derive(Debug)]
pub(super) struct SqliteWriter {
    jobs: mpsc::Sender<Box<dyn Job>>,
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
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
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
        let job = Intake {
            request,
            decide,
            outcome: None,
            reply,
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer could not run the intake".to_owned()))?
    }
}

/// The writer loop: take what is waiting, run it in one transaction, answer after the commit.
fn run(conn: &rusqlite::Connection, queue: &mpsc::Receiver<Box<dyn Job>>, turn: &tokio::sync::Mutex<()>) {
    while let Ok(first) = queue.recv() {
        let turn = turn.blocking_lock();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = commit_batch(conn, &mut batch);
        drop(turn);
        if let Err(e) = &committed {
            tracing::error!(error = %e, intakes = batch.len(), "the SQLite writer could not commit a batch");
        }
        for job in batch {
            job.answer(committed.clone());
        }
    }
}

/// Runs every intake of the batch and commits them together. When one fails, its statements may
/// be half done: the batch starts over, each intake in a savepoint, and the failure stays its own.
fn commit_batch(conn: &rusqlite::Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    let execute = |sql: &str| conn.execute_batch(sql).map_err(|e| e.to_string());
    execute("BEGIN IMMEDIATE")?;
    if !batch.iter_mut().all(|job| job.attempt(conn)) {
        // The failure may have ended the transaction already (a full disk): nothing to undo then.
        let _ = execute("ROLLBACK");
        execute("BEGIN IMMEDIATE")?;
        for job in batch.iter_mut() {
            in_savepoint(conn, |conn| job.attempt(conn)).map_err(|e| e.to_string())?;
        }
    }
    execute("COMMIT").inspect_err(|_| {
        let _ = execute("ROLLBACK");
    })
}

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`] until the writer is gone.
///
/// PASSIVE never waits for, nor blocks, the writer or the readers. The passes without the turn
/// each copy what was appended during the one before, a shrinking amount (about 50, 10, then
/// 3 ms of work under benchmark load); the last, holding the write turn, copies the little left,
/// so the WAL ends fully copied and the next write starts it over. One pass under the turn after
/// one without stalled every write for about 10 ms, five times a second.
fn checkpoints(conn: &rusqlite::Connection, stopped: &mpsc::Receiver<()>, turn: &tokio::sync::Mutex<()>) {
    let passive = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        let done = (0..PASSES_BEFORE_THE_TURN).try_for_each(|_| passive()).and_then(|()| {
            let _turn = turn.blocking_lock();
            passive()
        });
        if let Err(e) = done {
            tracing::warn!(error = %e, "SQLite checkpoint failed; retrying");
        }
    }
}

/// Runs `attempt` in a savepoint: its writes stay if it succeeds and vanish if it fails.
fn in_savepoint(
    conn: &rusqlite::Connection,
    attempt: impl FnOnce(&rusqlite::Connection) -> bool,
) -> Result<(), rusqlite::Error> {
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut statement| statement.execute([]));
    run("SAVEPOINT intake")?;
    if !attempt(conn) {
        run("ROLLBACK TO intake")?;
    }
    run("RELEASE intake")?;
    Ok(())
}
