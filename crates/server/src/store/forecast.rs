//! What the live estimate (SPEC §11) reads, a few times a minute rather than at each intake: who
//! owns which category, the unanswered open cases of each team by priority, and each team's first
//! answers of the last week.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sportello_domain::access::TeamId;
use sportello_domain::sla::QueueKey;
use sportello_domain::triage::Priority;

use super::columns::{ms, Columns};
use super::{Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForecastInputs {
    /// (category, sub-category or '' for the whole category) → its team.
    pub owners: HashMap<(String, String), TeamId>,
    /// Unanswered open cases by team (None: no team) and priority.
    pub waiting: HashMap<(Option<TeamId>, Priority), u64>,
    /// First answers given since `since`, by the case's team.
    pub answered: HashMap<Option<TeamId>, u64>,
}

/// Cases answered in the last week were created in the month before it, or after: the bound
/// lets `tickets_created` find them without reading every case.
const ANSWERED_CREATED_WITHIN: Duration = Duration::days(30);

impl Store {
    pub async fn forecast_inputs(&self, since: DateTime<Utc>) -> Result<ForecastInputs, StoreError> {
        let mut inputs = ForecastInputs::default();
        for row in sqlx::query("SELECT category, subcategory, team_id FROM team_owns")
            .fetch_all(&self.reads)
            .await?
        {
            let c = Columns(&row);
            inputs
                .owners
                .insert((c.text("category")?, c.text("subcategory")?), TeamId(c.i64("team_id")?));
        }
        for row in sqlx::query(
            "SELECT team_id, priority, CAST(count(*) AS BIGINT) AS n FROM tickets \
             WHERE queue_position < $1 AND first_response_at IS NULL GROUP BY team_id, priority",
        )
        .bind(QueueKey::open_below())
        .fetch_all(&self.reads)
        .await?
        {
            let c = Columns(&row);
            let key = (c.opt_i64("team_id")?.map(TeamId), c.parsed("priority")?);
            inputs.waiting.insert(key, u64::try_from(c.i64("n")?).unwrap_or(0));
        }
        for row in sqlx::query(
            "SELECT team_id, CAST(count(*) AS BIGINT) AS n FROM tickets \
             WHERE created_at >= $1 AND first_response_at >= $2 GROUP BY team_id",
        )
        .bind(ms(since - ANSWERED_CREATED_WITHIN))
        .bind(ms(since))
        .fetch_all(&self.reads)
        .await?
        {
            let c = Columns(&row);
            inputs.answered.insert(
                c.opt_i64("team_id")?.map(TeamId),
                u64::try_from(c.i64("n")?).unwrap_or(0),
            );
        }
        Ok(inputs)
    }
}
