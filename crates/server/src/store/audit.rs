//! The audit log (SPEC §6): written only through [`WriteTx::audit`], in the transaction of the
//! change it records; never updated or deleted (the database's triggers refuse both).

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::audit::Action;

use super::columns::{ms, Columns};
use super::{Store, StoreError, TicketId, WriteTx};
use crate::webhooks::{CaseUpdated, Event, SlaBreached};

/// One row: who, when, what, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// None: the system.
    pub actor: Option<AgentId>,
    pub action: Action,
    pub ticket: Option<TicketId>,
    /// The agent the change is about (a new account, a sign-in).
    pub agent: Option<AgentId>,
    pub team: Option<TeamId>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub ip: Option<String>,
}

impl AuditEntry {
    pub fn new(at: DateTime<Utc>, actor: Option<AgentId>, action: Action) -> AuditEntry {
        AuditEntry {
            at,
            actor,
            action,
            ticket: None,
            agent: None,
            team: None,
            old_value: None,
            new_value: None,
            ip: None,
        }
    }

    /// A row about `ticket`, by `actor`.
    pub fn case(at: DateTime<Utc>, actor: Option<AgentId>, action: Action, ticket: TicketId) -> AuditEntry {
        AuditEntry {
            ticket: Some(ticket),
            ..AuditEntry::new(at, actor, action)
        }
    }

    /// A row about the agent `agent`, by `actor`.
    pub fn agent(at: DateTime<Utc>, actor: Option<AgentId>, action: Action, agent: AgentId) -> AuditEntry {
        AuditEntry {
            agent: Some(agent),
            ..AuditEntry::new(at, actor, action)
        }
    }

    pub fn change(mut self, old: Option<impl ToString>, new: Option<impl ToString>) -> AuditEntry {
        self.old_value = old.map(|v| v.to_string());
        self.new_value = new.map(|v| v.to_string());
        self
    }
}

/// An entry read back, with its id (the keyset cursor) and the actor's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
    pub actor_name: Option<String>,
}

/// Which rows to read, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub ticket: Option<TicketId>,
    /// Rows by this agent or about them.
    pub agent: Option<AgentId>,
    /// Only rows older than this id.
    pub before: Option<i64>,
    pub limit: i64,
}

const INSERT: &str =
    "INSERT INTO audit (at, actor_id, action, ticket_id, agent_id, team_id, old_value, new_value, ip) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

fn record_of(row: &sqlx::any::AnyRow) -> Result<AuditRecord, StoreError> {
    let c = Columns(row);
    Ok(AuditRecord {
        id: c.i64("id")?,
        actor_name: c.opt_text("actor_name")?,
        entry: AuditEntry {
            at: c.time("at")?,
            actor: c.opt_i64("actor_id")?.map(AgentId),
            action: c.parsed("action")?,
            ticket: c.opt_i64("ticket_id")?.map(TicketId),
            agent: c.opt_i64("agent_id")?.map(AgentId),
            team: c.opt_i64("team_id")?.map(TeamId),
            old_value: c.opt_text("old_value")?,
            new_value: c.opt_text("new_value")?,
            ip: c.opt_text("ip")?,
        },
    })
}

impl WriteTx {
    pub async fn audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(INSERT)
            .bind(ms(e.at))
            .bind(e.actor.map(|a| a.0))
            .bind(e.action.as_str())
            .bind(e.ticket.map(TicketId::get))
            .bind(e.agent.map(|a| a.0))
            .bind(e.team.map(|t| t.0))
            .bind(&e.old_value)
            .bind(&e.new_value)
            .bind(&e.ip)
            .execute(self.conn())
            .await?;
        // Every change to a case is audited, so every change to a case is told here, once.
        if let (Some(ticket), Some(change)) = (e.ticket, crate::webhooks::case_change(e.action)) {
            let event = Event::CaseUpdated(CaseUpdated {
                change: change.to_owned(),
                from: e.old_value.clone(),
                to: e.new_value.clone(),
                by_agent: e.actor.map(|a| a.0),
            });
            self.emit(Some(ticket), &event, e.at).await?;
        }
        Ok(())
    }

    /// A breach of `target` on the case, once: returns false when another watcher (or an earlier
    /// pass) marked it already (the partial unique index `audit_breach_once`).
    pub async fn audit_breach(
        &mut self,
        ticket: TicketId,
        target: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO audit (at, action, ticket_id, new_value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (ticket_id, new_value) WHERE action = 'sla_breached' DO NOTHING",
        )
        .bind(ms(at))
        .bind(Action::SlaBreached.as_str())
        .bind(ticket.get())
        .bind(target)
        .execute(self.conn())
        .await?;
        let marked = done.rows_affected() == 1;
        if marked {
            let event = Event::SlaBreached(SlaBreached {
                target: target.to_owned(),
            });
            self.emit(Some(ticket), &event, at).await?;
        }
        Ok(marked)
    }
}

impl Store {
    /// Audit rows, newest first.
    pub async fn audit_log(&self, q: AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT a.id, a.at, a.actor_id, a.action, a.ticket_id, a.agent_id, a.team_id, a.old_value, a.new_value, \
             a.ip, g.name AS actor_name FROM audit a LEFT JOIN agents g ON g.id = a.actor_id WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.ticket.is_some() {
            sql += &format!(" AND a.ticket_id = {}", next());
        }
        if q.agent.is_some() {
            let p = next();
            sql += &format!(" AND (a.actor_id = {p} OR a.agent_id = {p})");
        }
        if q.before.is_some() {
            sql += &format!(" AND a.id < {}", next());
        }
        sql += &format!(" ORDER BY a.id DESC LIMIT {}", next());
        let mut query = sqlx::query(&sql);
        if let Some(t) = q.ticket {
            query = query.bind(t.get());
        }
        if let Some(a) = q.agent {
            query = query.bind(a.0);
        }
        if let Some(b) = q.before {
            query = query.bind(b);
        }
        let rows = query.bind(q.limit).fetch_all(&self.reads).await?;
        rows.iter().map(record_of).collect()
    }
}
