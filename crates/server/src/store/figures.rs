//! What `/metrics` reads of the database at each scrape: the figures every instance shares.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sportello_domain::audit::Action;
use sportello_domain::sla::QueueKey;
use sportello_domain::triage::Priority;

use super::columns::Columns;
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct OperationalFigures {
    /// Mails not yet sent and not given up on.
    pub outbox_pending: i64,
    /// How long the oldest of them has waited (zero when none waits).
    pub outbox_lag: Duration,
    /// Of those, the ones that failed at least once.
    pub outbox_retrying: i64,
    pub outbox_given_up: i64,
    /// Open cases by priority, every priority named (zero included).
    pub open_by_priority: Vec<(Priority, i64)>,
    /// Breaches marked, by target (`first_response`, `resolution`).
    pub breaches: Vec<(String, i64)>,
}

impl Store {
    pub async fn operational_figures(&self, now: DateTime<Utc>) -> Result<OperationalFigures, StoreError> {
        let outbox = sqlx::query(
            "SELECT CAST(count(*) AS BIGINT) AS pending, min(created_at) AS oldest, \
             CAST(coalesce(sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS retrying \
             FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL",
        )
        .fetch_one(&self.reads)
        .await?;
        let c = Columns(&outbox);
        let lag = c
            .opt_time("oldest")?
            .map_or(Duration::ZERO, |oldest| (now - oldest).to_std().unwrap_or_default());
        let given_up = sqlx::query(
            "SELECT CAST(count(*) AS BIGINT) AS n FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NOT NULL",
        )
        .fetch_one(&self.reads)
        .await?;
        let mut open_by_priority: Vec<(Priority, i64)> = Priority::ALL.iter().map(|p| (*p, 0)).collect();
        let rows = sqlx::query(
            "SELECT priority, CAST(count(*) AS BIGINT) AS n FROM tickets WHERE queue_position < $1 GROUP BY priority",
        )
        .bind(QueueKey::open_below())
        .fetch_all(&self.reads)
        .await?;
        for row in &rows {
            let c = Columns(row);
            let priority: Priority = c.parsed("priority")?;
            if let Some(slot) = open_by_priority.iter_mut().find(|(p, _)| *p == priority) {
                slot.1 = c.i64("n")?;
            }
        }
        let rows = sqlx::query(
            "SELECT new_value AS target, CAST(count(*) AS BIGINT) AS n FROM audit WHERE action = $1 GROUP BY new_value",
        )
        .bind(Action::SlaBreached.as_str())
        .fetch_all(&self.reads)
        .await?;
        let breaches = rows
            .iter()
            .map(|row| {
                let c = Columns(row);
                Ok((c.opt_text("target")?.unwrap_or_default(), c.i64("n")?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(OperationalFigures {
            outbox_pending: c.i64("pending")?,
            outbox_lag: lag,
            outbox_retrying: c.i64("retrying")?,
            outbox_given_up: Columns(&given_up).i64("n")?,
            open_by_priority,
            breaches,
        })
    }
}
