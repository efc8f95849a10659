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
use sportello_domain::report::{Dimension, Fact};

use super::columns::{ms, Columns};
use super::queue::{timers_of, Bind, Binds};
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

impl Store {
    pub async fn report_facts(&self, q: &FactQuery) -> Result<Vec<Fact>, StoreError> {
        let (key, join) = key_column(q.dimension);
        let mut binds = Binds::default();
        let mut sql = format!(
            "SELECT t.id, t.created_at, t.category, t.priority, t.status, t.first_response_due, t.resolution_due, \
             t.first_response_at, t.resolved_at, t.paused_since, t.urgent_requested, t.penalised, \
             {key} AS report_key, CAST(CASE WHEN t.warnings LIKE "
        );
        binds.push(&mut sql, Bind::Text(warning_pattern(WarningCode::SensitiveDataMasked)));
        sql += " THEN 1 ELSE 0 END AS BIGINT) AS masked, CAST(CASE WHEN t.warnings LIKE ";
        binds.push(&mut sql, Bind::Text(warning_pattern(WarningCode::PossibleScamReport)));
        sql += &format!(" THEN 1 ELSE 0 END AS BIGINT) AS scam FROM tickets t{join} WHERE t.created_at < ");
        binds.push(&mut sql, Bind::Int(ms(q.to)));
        if q.open_during {
            sql += " AND (t.resolved_at IS NULL OR t.resolved_at >= ";
            binds.push(&mut sql, Bind::Int(ms(q.from)));
            sql += ") AND t.status <> ";
            binds.push(&mut sql, Bind::Text(Status::Merged.as_str().to_owned()));
        } else {
            sql += " AND t.created_at >= ";
            binds.push(&mut sql, Bind::Int(ms(q.from)));
        }
        let mut filter = q.filter.clone();
        filter.ended_too = true;
        filter.statuses.clear();
        filter.overdue_at = None;
        binds.conditions(&mut sql, &filter);
        let (reopened, needed_info) = if q.open_during {
            (HashSet::new(), HashSet::new())
        } else {
            self.case_histories(q.from).await?
        };
        let mut facts = Vec::new();
        let mut rows = binds.apply(sqlx::query(&sql)).fetch(&self.reads);
        while let Some(row) = rows.try_next().await? {
            let c = Columns(&row);
            let id = c.i64("id")?;
            let timers = timers_of(&c)?;
            facts.push(Fact {
                key: c.opt_text("report_key")?,
                created_at: c.time("created_at")?,
                category: c.text("category")?,
                priority: c.parsed("priority")?,
                timers,
                urgent_requested: c.flag("urgent_requested")?,
                penalised: c.flag("penalised")?,
                reopened: reopened.contains(&id),
                needed_info: needed_info.contains(&id) || timers.status == Status::NeedsInfo,
                masked: c.flag("masked")?,
                scam_report: c.flag("scam")?,
            });
        }
        Ok(facts)
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
