//! What reports read (SPEC §11): the store's copy of the cases ([`report_cases`]), brought up to
//! date before each report from what changed since the last, and handed to the domain's
//! arithmetic (`sportello_domain::report`) as one [`Fact`] per case on a blocking thread. What the
//! audit log knows of a case (reopened, asked for information) is read with it.
//!
//! [`report_cases`]: super::report_cases

use std::num::NonZeroI64;
use std::sync::{PoisonError, RwLock};

use futures_util::TryStreamExt;
use sportello_domain::audit::Action;
use sportello_domain::case::Status;
use sportello_domain::problem::WarningCode;
use sportello_domain::report::{Dimension, Fact};

use super::columns::{Columns, NamedRow, Values};
use super::queue::{id_list, timers_of};
use super::report_cases::{Batch, CaseRow, Cases, FactQuery, Histories, KeyNames, Mark, Names};
use super::{Store, StoreError};

/// The copy, and the turn of whoever brings it up to date: one read at a time, so a slower read
/// never overwrites a newer one's cases.
#[derive(Debug, Default)]
pub(super) struct ReportCases {
    turn: tokio::sync::Mutex<()>,
    cases: RwLock<Cases>,
}

/// What a report reads of every case: the columns of [`CaseRow`], names as text.
fn case_columns() -> String {
    // The patterns are the domain's own codes (no input reaches this text).
    let has = |code: WarningCode| {
        format!(
            "CAST(CASE WHEN t.warnings LIKE '%\"{}\"%' THEN 1 ELSE 0 END AS BIGINT)",
            code.as_str()
        )
    };
    format!(
        "SELECT t.id, t.created_at, t.status, t.category, t.category || ' / ' || t.subcategory AS subcategory, \
         t.channel, t.priority, t.team_id, t.assignee_id, t.organisation_id, t.first_response_due, \
         t.resolution_due, t.first_response_at, t.resolved_at, t.paused_since, t.urgent_requested, \
         t.penalised, {} AS masked, {} AS scam, t.csat_rating, t.expected_first_response FROM tickets t",
        has(WarningCode::SensitiveDataMasked),
        has(WarningCode::PossibleScamReport),
    )
}

fn case_row<R: Values>(c: &Columns<'_, R>, names: &mut Names) -> Result<CaseRow, StoreError> {
    let id_of = |column: &str| c.opt_i64(column).map(|v| v.and_then(NonZeroI64::new));
    Ok(CaseRow {
        id: c.i64("id")?,
        created_at: c.time("created_at")?,
        timers: timers_of(c)?,
        category: names.number(&c.text("category")?),
        subcategory: names.number(&c.text("subcategory")?),
        channel: c.parsed("channel")?,
        priority: c.parsed("priority")?,
        team: id_of("team_id")?,
        agent: id_of("assignee_id")?,
        organisation: id_of("organisation_id")?,
        urgent_requested: c.flag("urgent_requested")?,
        penalised: c.flag("penalised")?,
        masked: c.flag("masked")?,
        scam_report: c.flag("scam")?,
        reopened: false,
        needed_info: false,
        csat: c.opt_parsed("csat_rating")?,
        expected_first_response: c.opt_time("expected_first_response")?,
    })
}

/// The audit rows that make a case reopened (it left resolved or closed for an open status) or
/// one that needed information (the desk asked, or it left `needs_info`); of every case, or of
/// those listed.
fn histories_statement(ids: Option<&[i64]>) -> String {
    let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let quoted = |values: &[&str]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    let ended = quoted(&[Status::Resolved.as_str(), Status::Closed.as_str()]);
    // The values are the domain's own names (no input reaches this text).
    format!(
        "SELECT DISTINCT a.ticket_id, CAST(CASE WHEN a.old_value IN ({ended}) AND a.new_value IN ({open}) \
         THEN 1 ELSE 0 END AS BIGINT) AS reopened FROM audit a WHERE {which} AND \
         ((a.action = '{status}' AND (a.old_value = '{needs_info}' OR (a.old_value IN ({ended}) AND \
         a.new_value IN ({open})))) OR a.action = '{asked}')",
        open = quoted(&open),
        which = ids.map_or_else(
            || "a.ticket_id IS NOT NULL".to_owned(),
            |ids| format!("a.ticket_id IN ({})", id_list(ids.iter().copied()))
        ),
        status = Action::CaseStatus.as_str(),
        needs_info = Status::NeedsInfo.as_str(),
        asked = Action::CaseRequestInfo.as_str(),
    )
}

fn history_row<R: Values>(c: &Columns<'_, R>, into: &mut Histories) -> Result<(), StoreError> {
    let id = c.i64("ticket_id")?;
    if c.flag("reopened")? {
        into.reopened.insert(id);
    } else {
        into.needed_info.insert(id);
    }
    Ok(())
}

/// Changed cases are few; their histories are asked for this many at a time.
const HISTORY_CHUNK: usize = 500;

/// The statements that read a batch's histories: of every case for a first load, else of its
/// cases a chunk at a time.
fn history_statements(batch: &Batch) -> Vec<String> {
    if batch.everything {
        return vec![histories_statement(None)];
    }
    let ids: Vec<i64> = batch.rows.iter().map(|r| r.id).collect();
    ids.chunks(HISTORY_CHUNK)
        .map(|ids| histories_statement(Some(ids)))
        .collect()
}

/// Runs `sql` in `tx` and hands each row to `each`, its columns by name.
fn each_sqlite_row(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    mut each: impl FnMut(&Columns<'_, NamedRow<'_>>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut statement = tx.prepare(sql)?;
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = statement.query(params)?;
    while let Some(row) = rows.next()? {
        each(&Columns(&NamedRow { row, names: &names }))?;
    }
    Ok(())
}

/// SQLite's read, with rusqlite on a connection of its own in one read transaction: sqlx copies
/// every value of every row through a channel (ten times slower for a first load of a million
/// cases). A first load reads the table in its own order.
fn sqlite_batch(file: &std::path::Path, mark: Option<Mark>) -> Result<Batch, StoreError> {
    let mut conn = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
    let tx = conn.transaction()?;
    let (id, revision): (i64, i64) = tx.query_row(
        "SELECT coalesce((SELECT max(id) FROM tickets), 0), coalesce((SELECT revision FROM tickets \
         WHERE revision IS NOT NULL ORDER BY revision DESC LIMIT 1), 0)",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut batch = Batch {
        everything: mark.is_none(),
        mark: Some(Mark::Sqlite { id, revision }),
        ..Batch::default()
    };
    let mut sql = case_columns();
    let since = match mark {
        Some(Mark::Sqlite { id, revision }) => {
            sql += " WHERE t.id > ?1 OR t.revision > ?2";
            vec![id, revision]
        }
        _ => Vec::new(),
    };
    let (rows, names) = (&mut batch.rows, &mut batch.names);
    each_sqlite_row(&tx, &sql, rusqlite::params_from_iter(since), |c| {
        rows.push(case_row(c, names)?);
        Ok(())
    })?;
    let mut histories = Histories::default();
    for sql in history_statements(&batch) {
        each_sqlite_row(&tx, &sql, (), |c| history_row(c, &mut histories))?;
    }
    batch.rows.iter_mut().for_each(|r| histories.mark(r));
    Ok(batch)
}

/// PostgreSQL sends a million rows in a few seconds from one backend: a first load reads this
/// many slices of the ids side by side, each by a backend of its own.
const PG_SLICES: i64 = 4;

/// One part of PostgreSQL's read, decoded on whichever worker thread takes the task.
async fn pg_rows(pool: sqlx::AnyPool, sql: String, binds: Vec<i64>) -> Result<(Names, Vec<CaseRow>), StoreError> {
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = query.bind(b);
    }
    let (mut names, mut rows) = (Names::default(), Vec::new());
    let mut stream = query.fetch(&pool);
    while let Some(row) = stream.try_next().await? {
        rows.push(case_row(&Columns(&row), &mut names)?);
    }
    Ok((names, rows))
}

impl Store {
    /// Computes `report` from the facts of the cases `q` counts, on a blocking thread, after
    /// bringing the copy of the cases up to date.
    pub async fn report<T, F>(&self, q: FactQuery, report: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&[Fact<'_>]) -> T + Send + 'static,
    {
        self.refresh_report_cases().await?;
        let names = self.key_names(q.dimension).await?;
        let copy = self.report_cases.clone();
        tokio::task::spawn_blocking(move || {
            let cases = copy.cases.read().unwrap_or_else(PoisonError::into_inner);
            report(&cases.facts(&q, &names))
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))
    }

    /// How many cases the copy holds (after bringing it up to date).
    pub async fn report_cases_held(&self) -> Result<usize, StoreError> {
        self.refresh_report_cases().await?;
        Ok(self
            .report_cases
            .cases
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len())
    }

    /// The names a dimension groups by, when they are not the case's own texts.
    async fn key_names(&self, dimension: Dimension) -> Result<KeyNames, StoreError> {
        let table = match dimension {
            Dimension::Team => "teams",
            Dimension::Agent => "agents",
            Dimension::Organisation => "organisations",
            _ => return Ok(KeyNames::new()),
        };
        let rows = sqlx::query(&format!("SELECT id, name FROM {table}"))
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Columns(row);
                Ok((c.i64("id")?, c.text("name")?))
            })
            .collect()
    }

    async fn refresh_report_cases(&self) -> Result<(), StoreError> {
        let _turn = self.report_cases.turn.lock().await;
        let mark = self
            .report_cases
            .cases
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .mark();
        let batch = match &self.sqlite_file {
            Some(file) => {
                let file = file.clone();
                tokio::task::spawn_blocking(move || sqlite_batch(&file, mark))
                    .await
                    .map_err(|e| StoreError::Other(e.to_string()))??
            }
            None => self.pg_batch(mark).await?,
        };
        let copy = self.report_cases.clone();
        // A first load renumbers a million cases: not on the runtime's threads.
        tokio::task::spawn_blocking(move || copy.cases.write().unwrap_or_else(PoisonError::into_inner).absorb(batch))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))
    }

    /// PostgreSQL's read: the snapshot's xmin first, then every case whose revision is at least
    /// the previous read's (see migration 0019), or every case for a first load.
    async fn pg_batch(&self, mark: Option<Mark>) -> Result<Batch, StoreError> {
        let xmin: i64 =
            sqlx::query_scalar("SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)")
                .fetch_one(&self.reads)
                .await?;
        let columns = case_columns();
        let parts: Vec<(String, Vec<i64>)> = match mark {
            Some(Mark::Postgres { xmin }) => vec![(format!("{columns} WHERE t.revision >= $1"), vec![xmin])],
            _ => {
                let (low, high): (i64, i64) =
                    sqlx::query_as("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM tickets")
                        .fetch_one(&self.reads)
                        .await?;
                let span = (high - low) / PG_SLICES + 1;
                (0..PG_SLICES)
                    .map(|i| {
                        let from = low + span * i;
                        (
                            format!("{columns} WHERE t.id >= $1 AND t.id < $2"),
                            vec![from, from + span],
                        )
                    })
                    .collect()
            }
        };
        let parts = parts
            .into_iter()
            .map(|(sql, binds)| tokio::spawn(pg_rows(self.reads.clone(), sql, binds)));
        let mut batch = Batch {
            everything: mark.is_none(),
            mark: Some(Mark::Postgres { xmin }),
            ..Batch::default()
        };
        for part in futures_util::future::try_join_all(parts)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
        {
            let (names, rows) = part?;
            batch.extend(&names, rows);
        }
        let mut histories = Histories::default();
        for sql in history_statements(&batch) {
            let mut rows = sqlx::query(&sql).fetch(&self.reads);
            while let Some(row) = rows.try_next().await? {
                history_row(&Columns(&row), &mut histories)?;
            }
        }
        batch.rows.iter_mut().for_each(|r| histories.mark(r));
        Ok(batch)
    }
}
