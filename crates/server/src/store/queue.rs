//! The desk's queue (SPEC §7): cases in [`QueueKey::position`] order, then by id, read by keyset
//! (a page starts after the last row of the one before), so the thousandth page costs what the
//! first does. Every view is one index range: the position alone, or after the team, the
//! assignee or the status.

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::case::{Channel, Status};
use sportello_domain::problem::Warning;
use sportello_domain::sla::{QueueKey, Timers};
use sportello_domain::triage::Priority;

use super::columns::{ms, Columns, Values};
use super::{Store, StoreError, TicketId, WriteTx};

/// Who a view wants the cases of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    To(AgentId),
    Nobody,
}

/// A page of the queue, its filters already resolved to ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    /// Only these statuses; empty: every open one (or every one at all, with `ended_too`).
    pub statuses: Vec<Status>,
    /// With no statuses named, the cases that are over too (search looks through all of them).
    pub ended_too: bool,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    pub assigned: Option<Assigned>,
    /// Only cases of these teams.
    pub teams: Option<Vec<TeamId>>,
    /// Only cases overdue at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Restricted teams the reader may not see (SPEC §6): their cases are not there at all.
    pub hidden_teams: Vec<TeamId>,
    /// The last row of the previous page: (position, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: TicketId,
    pub status: Status,
    pub priority: Priority,
    pub category: String,
    pub subcategory: String,
    pub channel: Channel,
    pub assignee: Option<(AgentId, String)>,
    pub team: Option<(TeamId, String)>,
    pub timers: Timers,
    /// The start of the description (its first line is the row's summary).
    pub summary: String,
    pub penalised: bool,
    pub over_quota: bool,
    pub warnings: Vec<Warning>,
    pub undeliverable: bool,
    /// The keyset cursor's first half.
    pub position: i64,
}

const ROW_COLUMNS: &str = "t.id, t.status, t.priority, t.category, t.subcategory, t.channel, t.assignee_id, \
     g.name AS assignee_name, t.team_id, m.name AS team_name, t.first_response_due, t.resolution_due, \
     t.first_response_at, t.resolved_at, t.paused_since, substr(t.description, 1, 160) AS summary, t.penalised, t.over_quota, \
     t.warnings, t.queue_position, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM undeliverable u WHERE u.address = t.email) THEN 1 ELSE 0 END AS BIGINT) \
     AS undeliverable";

fn row_of(row: &sqlx::any::AnyRow) -> Result<QueueRow, StoreError> {
    let c = Columns(row);
    let assignee = match (c.opt_i64("assignee_id")?, c.opt_text("assignee_name")?) {
        (Some(id), Some(name)) => Some((AgentId(id), name)),
        _ => None,
    };
    let team = match (c.opt_i64("team_id")?, c.opt_text("team_name")?) {
        (Some(id), Some(name)) => Some((TeamId(id), name)),
        _ => None,
    };
    let status = c.parsed("status")?;
    Ok(QueueRow {
        id: TicketId(c.i64("id")?),
        status,
        priority: c.parsed("priority")?,
        category: c.text("category")?,
        subcategory: c.text("subcategory")?,
        channel: c.parsed("channel")?,
        assignee,
        team,
        timers: Timers {
            status,
            first_response_due: c.time("first_response_due")?,
            resolution_due: c.time("resolution_due")?,
            first_response_at: c.opt_time("first_response_at")?,
            resolved_at: c.opt_time("resolved_at")?,
            paused_since: c.opt_time("paused_since")?,
        },
        summary: c.text("summary")?,
        penalised: c.flag("penalised")?,
        over_quota: c.flag("over_quota")?,
        warnings: c.json("warnings")?,
        undeliverable: c.flag("undeliverable")?,
        position: c.i64("queue_position")?,
    })
}

/// Ids written into a statement: numbers, so safe to write; a list of binds would change the
/// statement's shape with every reader's teams anyway.
pub(super) fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
}

impl Store {
    pub async fn queue(&self, q: &QueueQuery) -> Result<Vec<QueueRow>, StoreError> {
        let mut sql = format!(
            "SELECT {ROW_COLUMNS} FROM tickets t LEFT JOIN agents g ON g.id = t.assignee_id \
             LEFT JOIN teams m ON m.id = t.team_id WHERE 1 = 1"
        );
        let mut binds = Binds::default();
        binds.conditions(&mut sql, q);
        if let Some((position, id)) = q.after {
            sql += " AND (t.queue_position, t.id) > (";
            binds.push(&mut sql, Bind::Int(position));
            sql += ", ";
            binds.push(&mut sql, Bind::Int(id));
            sql += ")";
        }
        sql += " ORDER BY t.queue_position, t.id LIMIT ";
        binds.push(&mut sql, Bind::Int(q.limit));
        let rows = binds.apply(sqlx::query(&sql)).fetch_all(&self.reads).await?;
        rows.iter().map(row_of).collect()
    }

    /// The queue's rows of these cases (for search's results), in no order.
    pub async fn queue_rows(&self, ids: &[TicketId]) -> Result<Vec<QueueRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM tickets t LEFT JOIN agents g ON g.id = t.assignee_id \
             LEFT JOIN teams m ON m.id = t.team_id WHERE t.id IN ({})",
            id_list(ids.iter().map(|id| id.get()))
        );
        let rows = sqlx::query(&sql).fetch_all(&self.reads).await?;
        rows.iter().map(row_of).collect()
    }

    /// Resolved cases whose reopen window ended before `before`: for closing (SPEC §4).
    pub async fn resolved_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(TicketId, Timers)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, status, first_response_due, resolution_due, first_response_at, resolved_at, paused_since \
             FROM tickets WHERE status = $1 AND resolved_at < $2 ORDER BY resolved_at LIMIT $3",
        )
        .bind(Status::Resolved.as_str())
        .bind(ms(before))
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(id_and_timers).collect()
    }

    /// Cases without a queue position (written before the desk existed), a batch at a time.
    pub async fn fill_queue_positions(&self) -> Result<u64, StoreError> {
        let mut filled = 0;
        loop {
            let rows = sqlx::query("SELECT id FROM tickets WHERE queue_position IS NULL ORDER BY id LIMIT 500")
                .fetch_all(&self.reads)
                .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            let mut tx = self.begin_write().await?;
            for r in &rows {
                tx.requeue(TicketId(Columns(r).i64("id")?)).await?;
                filled += 1;
            }
            tx.commit().await?;
        }
    }

    /// The open cases whose current target is overdue at `now` and whose breach of it is not
    /// marked yet (for the SLA watcher), most overdue first.
    pub async fn overdue_unmarked(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(TicketId, Timers)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, status, first_response_due, resolution_due, first_response_at, resolved_at, paused_since \
             FROM tickets t WHERE queue_position < $1 AND NOT EXISTS (SELECT 1 FROM audit a \
             WHERE a.ticket_id = t.id AND a.action = $2 \
             AND a.new_value = CASE WHEN t.first_response_at IS NULL THEN $3 ELSE $4 END) \
             ORDER BY queue_position, id LIMIT $5",
        )
        .bind(QueueKey::overdue_below(now))
        .bind(sportello_domain::audit::Action::SlaBreached.as_str())
        .bind(sportello_domain::sla::Target::FirstResponse.as_str())
        .bind(sportello_domain::sla::Target::Resolution.as_str())
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(id_and_timers).collect()
    }
}

fn id_and_timers(row: &sqlx::any::AnyRow) -> Result<(TicketId, Timers), StoreError> {
    let c = Columns(row);
    Ok((TicketId(c.i64("id")?), timers_of(&c)?))
}

/// A case's clocks, from the columns of their names.
pub(super) fn timers_of<R: Values>(c: &Columns<'_, R>) -> Result<Timers, StoreError> {
    Ok(Timers {
        status: c.parsed("status")?,
        first_response_due: c.time("first_response_due")?,
        resolution_due: c.time("resolution_due")?,
        first_response_at: c.opt_time("first_response_at")?,
        resolved_at: c.opt_time("resolved_at")?,
        paused_since: c.opt_time("paused_since")?,
    })
}

pub(super) enum Bind {
    Int(i64),
    Text(String),
}

/// A statement's parameters, numbered `$1…` as they are written into it.
#[derive(Default)]
pub(super) struct Binds(Vec<Bind>);

impl Binds {
    pub(super) fn push(&mut self, sql: &mut String, value: Bind) {
        self.0.push(value);
        sql.push_str(&format!("${}", self.0.len()));
    }

    pub(super) fn apply<'q>(
        self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in self.0 {
            query = match b {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        query
    }

    /// The query's filters as ` AND …` conditions on `t` (the tickets). Every condition is
    /// chosen so that the planner reads one index in the queue's order and stops at the page's
    /// end: the open cases are a range of the position itself; one status, one assignee or one
    /// team lead an index whose next column is the position. (An `IN` list over an index's first
    /// column would read every match and sort them: 90 ms at a million cases, against a few for
    /// the range.)
    pub(super) fn conditions(&mut self, sql: &mut String, q: &QueueQuery) {
        match q.statuses.as_slice() {
            [] if q.ended_too => {}
            [] => {
                *sql += " AND t.queue_position < ";
                self.push(sql, Bind::Int(QueueKey::open_below()));
            }
            [one] => {
                *sql += " AND t.status = ";
                self.push(sql, Bind::Text(one.as_str().to_owned()));
            }
            several => {
                *sql += " AND t.status IN (";
                for (i, s) in several.iter().enumerate() {
                    if i > 0 {
                        *sql += ", ";
                    }
                    self.push(sql, Bind::Text(s.as_str().to_owned()));
                }
                *sql += ")";
            }
        }
        if let Some(category) = &q.category {
            *sql += " AND t.category = ";
            self.push(sql, Bind::Text(category.clone()));
        }
        if let Some(priority) = q.priority {
            *sql += " AND t.priority = ";
            self.push(sql, Bind::Text(priority.as_str().to_owned()));
        }
        if let Some(channel) = q.channel {
            *sql += " AND t.channel = ";
            self.push(sql, Bind::Text(channel.as_str().to_owned()));
        }
        match q.assigned {
            Some(Assigned::To(agent)) => {
                *sql += " AND t.assignee_id = ";
                self.push(sql, Bind::Int(agent.0));
            }
            Some(Assigned::Nobody) => *sql += " AND t.assignee_id IS NULL",
            None => {}
        }
        match q.teams.as_deref() {
            None => {}
            Some([]) => *sql += " AND 1 = 0",
            Some([one]) => *sql += &format!(" AND t.team_id = {}", one.0),
            // The unary `+` keeps the planner off the team index (whose matches it would have to
            // sort): it reads the queue's index in order and skips the other teams' cases.
            Some(several) => *sql += &format!(" AND +t.team_id IN ({})", id_list(several.iter().map(|t| t.0))),
        }
        if !q.hidden_teams.is_empty() {
            *sql += &format!(
                " AND (t.team_id IS NULL OR t.team_id NOT IN ({}))",
                id_list(q.hidden_teams.iter().map(|t| t.0))
            );
        }
        if let Some(now) = q.overdue_at {
            *sql += " AND t.queue_position < ";
            self.push(sql, Bind::Int(QueueKey::overdue_below(now)));
        }
    }
}

impl WriteTx {
    /// Puts the case where the domain orders it now: after every change to its status, priority,
    /// due times or first response (the writes below call it; nothing else writes the position).
    pub async fn requeue(&mut self, id: TicketId) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT status, priority, first_response_due, resolution_due, first_response_at, resolved_at, \
             paused_since FROM tickets WHERE id = $1",
        )
        .bind(id.get())
        .fetch_one(self.conn())
        .await?;
        let c = Columns(&row);
        let priority: Priority = c.parsed("priority")?;
        let position = timers_of(&c)?.queue_key(priority, 0).position();
        sqlx::query("UPDATE tickets SET queue_position = $1 WHERE id = $2")
            .bind(position)
            .bind(id.get())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The first public agent reply (SPEC §4): recorded once.
    pub async fn first_response(&mut self, id: TicketId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE tickets SET first_response_at = $1 WHERE id = $2 AND first_response_at IS NULL")
            .bind(ms(at))
            .bind(id.get())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 1 {
            self.requeue(id).await?;
        }
        Ok(done.rows_affected() == 1)
    }
}
