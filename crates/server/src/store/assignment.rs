//! What assignment reads and writes (SPEC §8): the teams that hand cases out, a team's agents
//! with their load, its unassigned open cases in queue order, and the one guarded write.

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::assignment::{Candidate, Mode, Needs};
use sportello_domain::sla::QueueKey;

use super::columns::{ms, Columns};
use super::{Store, StoreError, TicketId, WriteTx};

/// A team that hands its cases out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssigningTeam {
    pub id: TeamId,
    pub mode: Mode,
    pub capacity: u32,
    pub last_assigned: Option<AgentId>,
}

/// SPEC §8 leaves it to the admin; a team that never said holds 10 open cases an agent.
pub const DEFAULT_CAPACITY: u32 = 10;

pub(super) fn capacity_of(stored: Option<i64>) -> u32 {
    stored.map_or(DEFAULT_CAPACITY, |n| u32::try_from(n.max(0)).unwrap_or(u32::MAX))
}

pub(super) fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

impl Store {
    pub async fn assigning_teams(&self) -> Result<Vec<AssigningTeam>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, assign_mode, capacity, last_assigned FROM teams WHERE assign_mode <> $1 ORDER BY id",
        )
        .bind(Mode::Manual.as_str())
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(AssigningTeam {
                    id: TeamId(c.i64("id")?),
                    mode: c.parsed("assign_mode")?,
                    capacity: capacity_of(c.opt_i64("capacity")?),
                    last_assigned: c.opt_i64("last_assigned")?.map(AgentId),
                })
            })
            .collect()
    }

    /// The team's enabled agents with their open cases (in any team) and what availability is
    /// judged from.
    pub async fn candidates(&self, team: &AssigningTeam) -> Result<Vec<Candidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.last_seen_at, a.paused, a.out_of_office, a.languages, a.subcategories, \
             (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = a.id AND t.queue_position < $2) AS open \
             FROM team_members m JOIN agents a ON a.id = m.agent_id \
             WHERE m.team_id = $1 AND a.disabled_at IS NULL ORDER BY a.id",
        )
        .bind(team.id.0)
        .bind(QueueKey::open_below())
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(Candidate {
                    agent: AgentId(c.i64("id")?),
                    open: u32::try_from(c.i64("open")?).unwrap_or(u32::MAX),
                    capacity: team.capacity,
                    last_active: c.opt_time("last_seen_at")?,
                    paused: c.flag("paused")?,
                    out_of_office: c.flag("out_of_office")?,
                    languages: list(&c.text("languages")?),
                    subcategories: list(&c.text("subcategories")?),
                })
            })
            .collect()
    }

    /// The team's open cases nobody has, soonest due first.
    pub async fn waiting(&self, team: TeamId, limit: i64) -> Result<Vec<(TicketId, Needs)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, language, category, subcategory FROM tickets \
             WHERE team_id = $1 AND queue_position < $2 AND assignee_id IS NULL ORDER BY queue_position, id LIMIT $3",
        )
        .bind(team.0)
        .bind(QueueKey::open_below())
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok((
                    TicketId(c.i64("id")?),
                    Needs {
                        language: c.text("language")?,
                        category: c.text("category")?,
                        subcategory: c.text("subcategory")?,
                    },
                ))
            })
            .collect()
    }
}

impl WriteTx {
    /// Gives the open, unassigned case to `agent` only while they hold fewer than `capacity` open
    /// cases. The agent's row is locked first, so two instances assigning at once count each
    /// other's cases (PostgreSQL; SQLite has one writer): nobody is pushed past capacity.
    pub async fn assign_within(
        &mut self,
        ticket: TicketId,
        team: TeamId,
        agent: AgentId,
        capacity: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query("UPDATE agents SET paused = paused WHERE id = $1")
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        let done = sqlx::query(
            "UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND assignee_id IS NULL \
             AND queue_position < $4 \
             AND (SELECT COUNT(*) FROM tickets o WHERE o.assignee_id = $1 AND o.queue_position < $4) < $5",
        )
        .bind(agent.0)
        .bind(ms(at))
        .bind(ticket.get())
        .bind(QueueKey::open_below())
        .bind(i64::from(capacity))
        .execute(self.conn())
        .await?
        .rows_affected()
            == 1;
        if done {
            sqlx::query("UPDATE teams SET last_assigned = $1 WHERE id = $2")
                .bind(agent.0)
                .bind(team.0)
                .execute(self.conn())
                .await?;
        }
        Ok(done)
    }
}
