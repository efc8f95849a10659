//! The people who answer (SPEC §6): agents and their teams, what the teams own, sessions, API
//! tokens, set-password links and failed sign-ins. Secrets handed out are kept as hashes only.

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, Role, Scope, TeamId, TeamRef};
use sportello_domain::contact::email::Email;

use super::assignment::capacity_of;
use super::columns::{ms, Columns};
use super::{Store, StoreError, TicketId, WriteTx};

/// An agent's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// Argon2id in PHC form; None until the agent sets a password.
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    /// A secret being set up, until its first code confirms it.
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    pub language: String,
    pub time_zone: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub teams: Vec<TeamId>,
    /// They paused their own intake; they are out of office (SPEC §8).
    pub paused: bool,
    pub out_of_office: bool,
    /// Skills (SPEC §8): languages and `category/subcategory`; empty: any.
    pub languages: Vec<String>,
    pub subcategories: Vec<String>,
}

/// A team and what it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub id: TeamId,
    pub name: String,
    pub restricted: bool,
    /// (category, sub-category) pairs; '' for the whole category.
    pub owns: Vec<(String, String)>,
    /// How it hands out its cases, and the most open cases one of its agents holds (SPEC §8).
    pub assignment: sportello_domain::assignment::Mode,
    pub capacity: u32,
}

impl TeamRecord {
    pub fn as_ref(&self) -> TeamRef {
        TeamRef {
            id: self.id,
            restricted: self.restricted,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub language: String,
    pub time_zone: String,
    pub at: DateTime<Utc>,
}

/// An API token as its owner sees it listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A live session as its owner sees it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
}

/// An agent's columns, then each team they are in: an agent joined to `team_members m` comes as one
/// row per membership (one with a NULL team when in none), so an agent and their teams are one
/// query. A macro, so the statements below are literals.
macro_rules! agent_with_teams {
    () => {
        "a.id, a.email, a.name, a.role, a.password_hash, a.totp_secret, a.totp_pending, a.totp_last_step, \
         a.language, a.time_zone, a.disabled_at, a.last_seen_at, a.created_at, a.paused, a.out_of_office, \
         a.languages, a.subcategories, m.team_id AS member_of"
    };
}

const AGENT_BY_EMAIL: &str = concat!(
    "SELECT ",
    agent_with_teams!(),
    " FROM agents a LEFT JOIN team_members m ON m.agent_id = a.id WHERE a.email = $1 ORDER BY m.team_id"
);
const AGENT_BY_ID: &str = concat!(
    "SELECT ",
    agent_with_teams!(),
    " FROM agents a LEFT JOIN team_members m ON m.agent_id = a.id WHERE a.id = $1 ORDER BY m.team_id"
);
const AGENTS: &str = concat!(
    "SELECT ",
    agent_with_teams!(),
    " FROM agents a LEFT JOIN team_members m ON m.agent_id = a.id ORDER BY a.name, a.id, m.team_id"
);
/// A live session's agent (not disabled) with the session's last use: what every desk request
/// reads first, in one round trip.
const SESSION_AGENT: &str = concat!(
    "SELECT s.last_seen_at AS session_seen, ",
    agent_with_teams!(),
    " FROM agent_sessions s JOIN agents a ON a.id = s.agent_id LEFT JOIN team_members m ON m.agent_id = a.id \
     WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.last_seen_at >= $2 AND s.created_at >= $3 \
     AND a.disabled_at IS NULL ORDER BY m.team_id"
);
/// A live API token's agent (not disabled) with the token: what every API request reads first.
const TOKEN_AGENT: &str = concat!(
    "SELECT t.id AS token_id, t.name AS token_name, t.scope, t.created_at AS token_created_at, t.last_used_at, ",
    agent_with_teams!(),
    " FROM api_tokens t JOIN agents a ON a.id = t.agent_id LEFT JOIN team_members m ON m.agent_id = a.id \
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL ORDER BY m.team_id"
);

/// The agents in `rows` (as [`agent_with_teams`] reads them, each agent's rows together), with
/// the first row of each for the caller's own columns.
fn agents_of(rows: &[sqlx::any::AnyRow]) -> Result<Vec<(AgentRecord, &sqlx::any::AnyRow)>, StoreError> {
    let mut agents: Vec<(AgentRecord, &sqlx::any::AnyRow)> = Vec::new();
    for row in rows {
        let c = Columns(row);
        let id = AgentId(c.i64("id")?);
        let team = c.opt_i64("member_of")?.map(TeamId);
        match agents.last_mut() {
            Some((agent, _)) if agent.id == id => agent.teams.extend(team),
            _ => agents.push((agent_of(row, team.into_iter().collect())?, row)),
        }
    }
    Ok(agents)
}

fn agent_of(row: &sqlx::any::AnyRow, teams: Vec<TeamId>) -> Result<AgentRecord, StoreError> {
    let c = Columns(row);
    Ok(AgentRecord {
        id: AgentId(c.i64("id")?),
        email: c.parsed("email")?,
        name: c.text("name")?,
        role: c.parsed("role")?,
        password_hash: c.opt_text("password_hash")?,
        totp_secret: c.opt_text("totp_secret")?,
        totp_pending: c.opt_text("totp_pending")?,
        totp_last_step: c.opt_i64("totp_last_step")?,
        language: c.text("language")?,
        time_zone: c.text("time_zone")?,
        disabled_at: c.opt_time("disabled_at")?,
        last_seen_at: c.opt_time("last_seen_at")?,
        created_at: c.time("created_at")?,
        teams,
        paused: c.flag("paused")?,
        out_of_office: c.flag("out_of_office")?,
        languages: super::assignment::list(&c.text("languages")?),
        subcategories: super::assignment::list(&c.text("subcategories")?),
    })
}

fn token_of(c: &Columns<'_>) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: c.i64("id")?,
        name: c.text("name")?,
        scope: c.parsed("scope")?,
        created_at: c.time("created_at")?,
        last_used_at: c.opt_time("last_used_at")?,
    })
}

impl Store {
    /// The one agent `query` reads (as [`agent_with_teams`] does), if any.
    async fn agent_one<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<Option<AgentRecord>, StoreError> {
        let rows = query.fetch_all(&self.reads).await?;
        Ok(agents_of(&rows)?.into_iter().next().map(|(agent, _)| agent))
    }

    pub async fn agent_by_email(&self, email: &Email) -> Result<Option<AgentRecord>, StoreError> {
        self.agent_one(sqlx::query(AGENT_BY_EMAIL).bind(email.as_str())).await
    }

    pub async fn agent(&self, id: AgentId) -> Result<Option<AgentRecord>, StoreError> {
        self.agent_one(sqlx::query(AGENT_BY_ID).bind(id.0)).await
    }

    /// Every agent, by name.
    pub async fn agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        let rows = sqlx::query(AGENTS).fetch_all(&self.reads).await?;
        Ok(agents_of(&rows)?.into_iter().map(|(agent, _)| agent).collect())
    }

    /// Every team with what it owns, by name.
    pub async fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, name, restricted, assign_mode, capacity FROM teams ORDER BY name")
            .fetch_all(&self.reads)
            .await?;
        let owns = sqlx::query("SELECT team_id, category, subcategory FROM team_owns ORDER BY category, subcategory")
            .fetch_all(&self.reads)
            .await?;
        let mut owned: std::collections::HashMap<i64, Vec<(String, String)>> = std::collections::HashMap::new();
        for o in &owns {
            let c = Columns(o);
            owned
                .entry(c.i64("team_id")?)
                .or_default()
                .push((c.text("category")?, c.text("subcategory")?));
        }
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                let id = c.i64("id")?;
                Ok(TeamRecord {
                    id: TeamId(id),
                    name: c.text("name")?,
                    restricted: c.flag("restricted")?,
                    owns: owned.remove(&id).unwrap_or_default(),
                    assignment: c.parsed("assign_mode")?,
                    capacity: capacity_of(c.opt_i64("capacity")?),
                })
            })
            .collect()
    }

    /// The restricted teams: what lists must leave out for those outside them (SPEC §6).
    pub async fn restricted_teams(&self) -> Result<Vec<TeamId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM teams WHERE restricted = 1 ORDER BY id")
            .fetch_all(&self.reads)
            .await?;
        rows.iter().map(|r| Ok(TeamId(Columns(r).i64("id")?))).collect()
    }

    /// The agent a live session belongs to, with the session's last use: not ended, used within
    /// `idle`, begun within `absolute`, its agent not disabled.
    pub async fn session_agent(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> Result<Option<(AgentRecord, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query(SESSION_AGENT)
            .bind(token_hash)
            .bind(ms(now - idle))
            .bind(ms(now - absolute))
            .fetch_all(&self.reads)
            .await?;
        let Some((agent, row)) = agents_of(&rows)?.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some((agent, Columns(row).time("session_seen")?)))
    }

    /// The agent and scope of an API token that is not revoked, its agent not disabled.
    pub async fn token_agent(&self, token_hash: &str) -> Result<Option<(AgentRecord, TokenRecord)>, StoreError> {
        let rows = sqlx::query(TOKEN_AGENT).bind(token_hash).fetch_all(&self.reads).await?;
        let Some((agent, row)) = agents_of(&rows)?.into_iter().next() else {
            return Ok(None);
        };
        let c = Columns(row);
        let token = TokenRecord {
            id: c.i64("token_id")?,
            name: c.text("token_name")?,
            scope: c.parsed("scope")?,
            created_at: c.time("token_created_at")?,
            last_used_at: c.opt_time("last_used_at")?,
        };
        Ok(Some((agent, token)))
    }

    /// The agent's live API tokens.
    pub async fn tokens_of(&self, agent: AgentId) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, scope, created_at, last_used_at FROM api_tokens WHERE agent_id = $1 \
             AND revoked_at IS NULL ORDER BY id",
        )
        .bind(agent.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(|r| token_of(&Columns(r))).collect()
    }

    /// The agent's sessions that have not ended, newest first.
    pub async fn sessions_of(&self, agent: AgentId) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at, last_seen_at, ip FROM agent_sessions WHERE agent_id = $1 AND ended_at IS NULL \
             ORDER BY last_seen_at DESC",
        )
        .bind(agent.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(SessionRecord {
                    created_at: c.time("created_at")?,
                    last_seen_at: c.time("last_seen_at")?,
                    ip: c.opt_text("ip")?,
                })
            })
            .collect()
    }

    /// Failed sign-ins under `key` since `since`, and the oldest of them.
    pub async fn failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM sign_in_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(ms(since))
                .fetch_one(&self.reads)
                .await?;
        let c = Columns(&row);
        Ok((c.i64("n")?, c.opt_time("oldest")?))
    }

    /// The agent a set-password link is for, if it is unused and not expired.
    pub async fn password_link(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<AgentId>, StoreError> {
        let row = sqlx::query(
            "SELECT agent_id FROM password_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.reads)
        .await?;
        row.map(|r| Ok(AgentId(Columns(&r).i64("agent_id")?))).transpose()
    }
}

impl WriteTx {
    pub async fn add_agent(&mut self, a: &NewAgent) -> Result<AgentId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO agents (email, name, role, password_hash, language, time_zone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(a.email.as_str())
        .bind(&a.name)
        .bind(a.role.as_str())
        .bind(&a.password_hash)
        .bind(&a.language)
        .bind(&a.time_zone)
        .bind(ms(a.at))
        .fetch_one(self.conn())
        .await?;
        Ok(AgentId(Columns(&row).i64("id")?))
    }

    pub async fn add_member(&mut self, team: TeamId, agent: AgentId) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(team.0)
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_role(&mut self, agent: AgentId, role: Role) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The agent's teams become exactly `teams`.
    pub async fn set_teams(&mut self, agent: AgentId, teams: &[TeamId]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM team_members WHERE agent_id = $1")
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        for team in teams {
            self.add_member(*team, agent).await?;
        }
        Ok(())
    }

    pub async fn set_profile(
        &mut self,
        agent: AgentId,
        name: &str,
        language: &str,
        time_zone: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET name = $1, language = $2, time_zone = $3 WHERE id = $4")
            .bind(name)
            .bind(language)
            .bind(time_zone)
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A secret to confirm (Some), or none pending (None).
    pub async fn set_totp_pending(&mut self, agent: AgentId, secret: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET totp_pending = $1 WHERE id = $2")
            .bind(secret)
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The agent's authenticator: `secret` (confirmed by a code of time step `step`), or none.
    pub async fn set_totp(
        &mut self,
        agent: AgentId,
        secret: Option<&str>,
        step: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2 WHERE id = $3")
            .bind(secret)
            .bind(step)
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Uses the code of time step `step`: only if no code of this step or a later one was used
    /// (RFC 6238 §5.2: a code is good once). Returns whether it was the first use.
    pub async fn use_totp_step(&mut self, agent: AgentId, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE agents SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(agent.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_password(&mut self, agent: AgentId, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Disables the agent and ends every session and token at once (SPEC §6). Returns whether the
    /// agent was enabled.
    pub async fn disable_agent(&mut self, agent: AgentId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE agents SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(ms(at))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        self.end_sessions(agent, at).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_team(&mut self, name: &str, restricted: bool, at: DateTime<Utc>) -> Result<TeamId, StoreError> {
        let row = sqlx::query("INSERT INTO teams (name, restricted, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(name)
            .bind(i64::from(restricted))
            .bind(ms(at))
            .fetch_one(self.conn())
            .await?;
        Ok(TeamId(Columns(&row).i64("id")?))
    }

    pub async fn set_assignment(
        &mut self,
        team: TeamId,
        mode: sportello_domain::assignment::Mode,
        capacity: u32,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE teams SET assign_mode = $1, capacity = $2 WHERE id = $3")
            .bind(mode.as_str())
            .bind(i64::from(capacity))
            .bind(team.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_skills(
        &mut self,
        agent: AgentId,
        languages: &[String],
        subcategories: &[String],
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET languages = $1, subcategories = $2 WHERE id = $3")
            .bind(languages.join(","))
            .bind(subcategories.join(","))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The agent pauses their own intake (or takes it up again), or says they are out of office.
    pub async fn set_away(&mut self, agent: AgentId, paused: bool, out_of_office: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET paused = $1, out_of_office = $2 WHERE id = $3")
            .bind(i64::from(paused))
            .bind(i64::from(out_of_office))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Lets go of the agent's open cases (out of office: they go back to be assigned); which.
    pub async fn hand_back(&mut self, agent: AgentId, open_below: i64) -> Result<Vec<TicketId>, StoreError> {
        let rows = sqlx::query(
            "UPDATE tickets SET assignee_id = NULL WHERE assignee_id = $1 AND queue_position < $2 RETURNING id",
        )
        .bind(agent.0)
        .bind(open_below)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok(TicketId::from(Columns(r).i64("id")?))).collect()
    }

    pub async fn set_restricted(&mut self, team: TeamId, restricted: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE teams SET restricted = $1 WHERE id = $2")
            .bind(i64::from(restricted))
            .bind(team.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// `team` owns the category (subcategory '') or sub-category from now on, and its cases move to
    /// it, closed ones too: who may see a case follows its owner (a part a restricted team takes
    /// over is hidden, history and all).
    pub async fn own(&mut self, team: TeamId, category: &str, subcategory: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO team_owns (category, subcategory, team_id) VALUES ($1, $2, $3) \
             ON CONFLICT (category, subcategory) DO UPDATE SET team_id = excluded.team_id",
        )
        .bind(category)
        .bind(subcategory)
        .bind(team.0)
        .execute(self.conn())
        .await?;
        let scope = if subcategory.is_empty() {
            "category = $2 AND NOT EXISTS (SELECT 1 FROM team_owns o WHERE o.category = tickets.category \
             AND o.subcategory = tickets.subcategory AND o.subcategory <> '')"
        } else {
            "category = $2 AND subcategory = $3"
        };
        let sql = format!("UPDATE tickets SET team_id = $1 WHERE {scope}");
        let mut q = sqlx::query(&sql).bind(team.0).bind(category);
        if !subcategory.is_empty() {
            q = q.bind(subcategory);
        }
        q.execute(self.conn()).await?;
        Ok(())
    }

    pub async fn add_session(
        &mut self,
        agent: AgentId,
        token_hash: &str,
        at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_sessions (token_hash, agent_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(agent.0)
        .bind(ms(at))
        .bind(ip)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn end_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE agent_sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
            .bind(ms(at))
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn end_sessions(&mut self, agent: AgentId, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE agent_sessions SET ended_at = $1 WHERE agent_id = $2 AND ended_at IS NULL")
            .bind(ms(at))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A session was used: it stays alive for another idle period, and so does its agent.
    pub async fn session_seen(
        &mut self,
        token_hash: &str,
        agent: AgentId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE agent_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(ms(at))
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        self.agent_seen(agent, at).await
    }

    pub async fn agent_seen(&mut self, agent: AgentId, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE agents SET last_seen_at = $1 WHERE id = $2")
            .bind(ms(at))
            .bind(agent.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn token_used(&mut self, token: i64, agent: AgentId, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ms(at))
            .bind(token)
            .execute(self.conn())
            .await?;
        self.agent_seen(agent, at).await
    }

    pub async fn add_token(
        &mut self,
        agent: AgentId,
        name: &str,
        scope: Scope,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (agent_id, name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(agent.0)
        .bind(name)
        .bind(scope.as_str())
        .bind(token_hash)
        .bind(ms(at))
        .fetch_one(self.conn())
        .await?;
        Columns(&row).i64("id")
    }

    /// Revokes one of the agent's tokens; returns whether it was live.
    pub async fn revoke_token(&mut self, agent: AgentId, token: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND agent_id = $3 AND revoked_at IS NULL")
                .bind(ms(at))
                .bind(token)
                .bind(agent.0)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_password_link(
        &mut self,
        agent: AgentId,
        token_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO password_links (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(agent.0)
        .bind(ms(at))
        .bind(ms(expires_at))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Uses a set-password link once; returns whether it was still usable.
    pub async fn use_password_link(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE password_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(ms(at))
        .bind(token_hash)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_failure(&mut self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(ms(at))
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
