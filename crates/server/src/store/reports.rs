//! What reports read (SPEC §11): one [`Fact`] per case, the few columns a report needs, streamed
//! from the range of `tickets_created`; what the audit log knows of the same cases (reopened,
//! asked for information) comes from `audit_action_at` in one more statement. The numbers
//! themselves are the domain's (`sportello_domain::report`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sportello_domain::audit::Action;
use sportello_domain::case::Status;
use sportello_domain::problem::WarningCode;
use sportello_domain::report::{Dimension, Fact, Needs};
use sportello_domain::sla::Timers;
use sportello_domain::triage::Priority;

use super::columns::{ms, Columns, NamedRow, Values};
use super::queue::{Bind, Binds};
use super::{QueueQuery, Store, StoreError};

/// Which cases a report reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactQuery {
    /// The queue's filters and the reader's hidden teams; `statuses` and `overdue_at` unused.
    pub filter: QueueQuery,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every case open at some point of the range, whenever it was created (the backlog), rather
    /// than the cases created in it.
    pub open_during: bool,
    pub dimension: Dimension,
    /// What the measure reads of each case: nothing else is read.
    pub needs: Needs,
}

/// The column a dimension groups by, and the join it needs.
fn key_column(dimension: Dimension) -> (&'static str, &'static str) {
    match dimension {
        Dimension::All | Dimension::Period => ("NULL", ""),
        Dimension::Category => ("t.category", ""),
        Dimension::Subcategory => ("t.category || ' / ' || t.subcategory", ""),
        Dimension::Channel => ("t.channel", ""),
        Dimension::Priority => ("t.priority", ""),
        Dimension::Team => ("m.name", " LEFT JOIN teams m ON m.id = t.team_id"),
        Dimension::Agent => ("g.name", " LEFT JOIN agents g ON g.id = t.assignee_id"),
        Dimension::Organisation => ("o.name", " LEFT JOIN organisations o ON o.id = t.organisation_id"),
    }
}

/// A warning's code as it appears in the stored JSON list, for `LIKE`.
fn warning_pattern(code: WarningCode) -> String {
    format!("%\"{}\"%", code.as_str())
}

/// The columns a report reads, for what it needs (key, creation and status always).
fn columns(needs: Needs, key: &str) -> String {
    let mut columns = vec!["t.id", "t.created_at", "t.status"];
    let mut add = |wanted: bool, these: &[&'static str]| {
        if wanted {
            columns.extend_from_slice(these);
        }
    };
    add(needs.calendar, &["t.category", "t.priority"]);
    add(needs.urgency && !needs.calendar, &["t.priority"]);
    add(
        needs.targets,
        &["t.first_response_due", "t.resolution_due", "t.paused_since"],
    );
    add(needs.first_response_at, &["t.first_response_at"]);
    add(needs.resolved_at, &["t.resolved_at"]);
    add(needs.urgency, &["t.urgent_requested", "t.penalised"]);
    add(needs.csat, &["t.csat_rating"]);
    add(needs.estimate, &["t.expected_first_response"]);
    let mut text = columns.join(", ");
    if key != "NULL" {
        text += &format!(", {key} AS report_key");
    }
    text
}

/// The statement that reads a report's facts created in `[from, to)` (or, for the backlog, open
/// at some point of it), and its parameters. `scan` reads the whole table rather than the range
/// of `tickets_created` (SQLite only; see [`sqlite_facts`]).
fn facts_statement(q: &FactQuery, from: DateTime<Utc>, to: DateTime<Utc>, scan: bool) -> (String, Binds) {
    let (key, join) = key_column(q.dimension);
    let mut binds = Binds::default();
    let mut sql = format!("SELECT {}", columns(q.needs, key));
    if q.needs.warnings {
        sql += ", CAST(CASE WHEN t.warnings LIKE ";
        binds.push(&mut sql, Bind::Text(warning_pattern(WarningCode::SensitiveDataMasked)));
        sql += " THEN 1 ELSE 0 END AS BIGINT) AS masked, CAST(CASE WHEN t.warnings LIKE ";
        binds.push(&mut sql, Bind::Text(warning_pattern(WarningCode::PossibleScamReport)));
        sql += " THEN 1 ELSE 0 END AS BIGINT) AS scam";
    }
    let hint = if scan { " NOT INDEXED" } else { "" };
    sql += &format!(" FROM tickets t{hint}{join} WHERE t.created_at < ");
    binds.push(&mut sql, Bind::Int(ms(to)));
    if q.open_during {
        sql += " AND (t.resolved_at IS NULL OR t.resolved_at >= ";
        binds.push(&mut sql, Bind::Int(ms(from)));
        sql += ") AND t.status <> ";
        binds.push(&mut sql, Bind::Text(Status::Merged.as_str().to_owned()));
    } else {
        sql += " AND t.created_at >= ";
        binds.push(&mut sql, Bind::Int(ms(from)));
    }
    let mut filter = q.filter.clone();
    filter.ended_too = true;
    filter.statuses.clear();
    filter.overdue_at = None;
    binds.conditions(&mut sql, &filter);
    (sql, binds)
}

/// A case's id and what a report needs of it, but for its history (see
/// [`Store::case_histories`]); what it does not need stays at [`Fact::keeping`]'s defaults.
fn fact_of<R: Values>(c: &Columns<'_, R>, needs: Needs, key: bool) -> Result<(i64, Fact), StoreError> {
    let created_at = c.time("created_at")?;
    let status = c.parsed("status")?;
    let time_if = |wanted: bool, column: &str| if wanted { c.opt_time(column) } else { Ok(None) };
    let timers = Timers {
        status,
        first_response_due: if needs.targets {
            c.time("first_response_due")?
        } else {
            created_at
        },
        resolution_due: if needs.targets {
            c.time("resolution_due")?
        } else {
            created_at
        },
        first_response_at: time_if(needs.first_response_at, "first_response_at")?,
        resolved_at: time_if(needs.resolved_at, "resolved_at")?,
        paused_since: time_if(needs.targets, "paused_since")?,
    };
    let flag_if = |wanted: bool, column: &str| if wanted { c.flag(column) } else { Ok(false) };
    Ok((
        c.i64("id")?,
        Fact {
            key: if key { c.opt_text("report_key")? } else { None },
            created_at,
            category: if needs.calendar {
                c.text("category")?
            } else {
                String::new()
            },
            priority: if needs.calendar || needs.urgency {
                c.parsed("priority")?
            } else {
                Priority::Normal
            },
            timers,
            urgent_requested: flag_if(needs.urgency, "urgent_requested")?,
            penalised: flag_if(needs.urgency, "penalised")?,
            reopened: false,
            needed_info: status == Status::NeedsInfo,
            masked: flag_if(needs.warnings, "masked")?,
            scam_report: flag_if(needs.warnings, "scam")?,
            csat: if needs.csat { c.opt_parsed("csat_rating")? } else { None },
            expected_first_response: time_if(needs.estimate, "expected_first_response")?,
        },
    ))
}

/// SQLite's facts, read with rusqlite on a connection of their own: sqlx copies every value of
/// every row through a channel (6.5 s for a year of a million cases on this machine, against
/// 0.6 s here). A range holding more than a tenth of the table is read by scanning the table in
/// its own order: following `tickets_created` reads the same rows in random order of the file,
/// eight times slower per row (2.3 s against 0.3 s for every row).
fn sqlite_facts(file: &std::path::Path, q: &FactQuery) -> Result<Vec<(i64, Fact)>, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
    let from = if q.open_during { i64::MIN } else { ms(q.from) };
    let in_range: i64 = conn.query_row(
        "SELECT count(*) FROM tickets WHERE created_at >= ?1 AND created_at < ?2",
        (from, ms(q.to)),
        |r| r.get(0),
    )?;
    let all: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM tickets", (), |r| r.get(0))?;
    let (sql, binds) = facts_statement(q, q.from, q.to, in_range * 10 > all);
    let key = key_column(q.dimension).0 != "NULL";
    let mut statement = conn.prepare(&sql)?;
    let values = binds.into_values();
    let params = rusqlite::params_from_iter(values.iter().map(|b| match b {
        Bind::Int(v) => rusqlite::types::Value::Integer(*v),
        Bind::Text(v) => rusqlite::types::Value::Text(v.clone()),
    }));
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = statement.query(params)?;
    let mut facts = Vec::with_capacity(usize::try_from(in_range).unwrap_or(0));
    while let Some(row) = rows.next()? {
        facts.push(fact_of(&Columns(&NamedRow { row, names: &names }), q.needs, key)?);
    }
    Ok(facts)
}

/// One slice of PostgreSQL's facts, on one connection of the pool.
async fn pg_facts(
    pool: sqlx::AnyPool,
    q: FactQuery,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, Fact)>, StoreError> {
    let (sql, binds) = facts_statement(&q, from, to, false);
    let key = key_column(q.dimension).0 != "NULL";
    let mut facts = Vec::new();
    let mut rows = binds.apply(sqlx::query(&sql)).fetch(&pool);
    while let Some(row) = rows.try_next().await? {
        facts.push(fact_of(&Columns(&row), q.needs, key)?);
    }
    Ok(facts)
}

/// PostgreSQL sends a million rows in about a second from one backend: the range is read as
/// this many slices side by side, each by a backend of its own.
const PG_SLICES: i32 = 4;

impl Store {
    pub async fn report_facts(&self, q: &FactQuery) -> Result<Vec<Fact>, StoreError> {
        let histories = async {
            if q.open_during || !q.needs.history {
                Ok((HashSet::new(), HashSet::new()))
            } else {
                self.case_histories(q.from).await
            }
        };
        let facts = async {
            match &self.sqlite_file {
                Some(file) => {
                    let (file, q) = (file.clone(), q.clone());
                    tokio::task::spawn_blocking(move || sqlite_facts(&file, &q))
                        .await
                        .map_err(|e| StoreError::Other(e.to_string()))?
                }
                None if q.open_during => pg_facts(self.reads.clone(), q.clone(), q.from, q.to).await,
                None => {
                    // Each slice a task of its own, so its rows are decoded on any worker thread.
                    let span = (q.to - q.from) / PG_SLICES;
                    let slices = (0..PG_SLICES).map(|i| {
                        let from = q.from + span * i;
                        let to = if i == PG_SLICES - 1 { q.to } else { from + span };
                        tokio::spawn(pg_facts(self.reads.clone(), q.clone(), from, to))
                    });
                    let mut facts = Vec::new();
                    for slice in futures_util::future::try_join_all(slices)
                        .await
                        .map_err(|e| StoreError::Other(e.to_string()))?
                    {
                        facts.extend(slice?);
                    }
                    Ok(facts)
                }
            }
        };
        let ((reopened, needed_info), facts) = futures_util::try_join!(histories, facts)?;
        Ok(facts
            .into_iter()
            .map(|(id, mut fact)| {
                fact.reopened = reopened.contains(&id);
                fact.needed_info |= needed_info.contains(&id);
                fact
            })
            .collect())
    }

    /// The cases the audit log, since `from`, shows reopened after a resolution, and those that
    /// waited for information (the desk asked, or they left `needs_info`).
    async fn case_histories(&self, from: DateTime<Utc>) -> Result<(HashSet<i64>, HashSet<i64>), StoreError> {
        let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        let quoted = |values: &[&str]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        // The values are the domain's own names (no input reaches this text).
        let sql = format!(
            "SELECT DISTINCT a.ticket_id, CAST(CASE WHEN a.old_value IN ({ended}) AND a.new_value IN ({open}) \
             THEN 1 ELSE 0 END AS BIGINT) AS reopened FROM audit a \
             WHERE a.ticket_id IS NOT NULL AND ((a.action = $1 AND a.at >= $2 AND (a.old_value = $3 OR \
             (a.old_value IN ({ended}) AND a.new_value IN ({open})))) OR (a.action = $4 AND a.at >= $2))",
            ended = quoted(&[Status::Resolved.as_str(), Status::Closed.as_str()]),
            open = quoted(&open),
        );
        let rows = sqlx::query(&sql)
            .bind(Action::CaseStatus.as_str())
            .bind(ms(from))
            .bind(Status::NeedsInfo.as_str())
            .bind(Action::CaseRequestInfo.as_str())
            .fetch_all(&self.reads)
            .await?;
        let (mut reopened, mut needed) = (HashSet::new(), HashSet::new());
        for row in &rows {
            let c = Columns(row);
            let id = c.i64("ticket_id")?;
            if c.flag("reopened")? {
                reopened.insert(id);
            } else {
                needed.insert(id);
            }
        }
        Ok((reopened, needed))
    }
}
