//! [`WriteTx`]: the one way to change the database outside intake. A use case opens one, makes its
//! change and the rows it causes (messages, events), and commits them together; on SQLite it holds
//! the writer's turn from BEGIN to the end. Every update that depends on what the use case read
//! re-checks it in its `WHERE`, so two writers racing change a case once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::case::{Author, Status};
use sportello_domain::contact::phone::Phone;
use sportello_domain::csat::Rating;
use sportello_domain::sla::Timers;
use sportello_domain::triage::{Due, Priority};

use super::columns::{ms, Columns};
use super::intake::{insert_evidence, EvidenceRow, INSERT_TOKEN};
use super::{MessageId, StoreError, TicketId};
use crate::webhooks::{Event, MessageCreated};

/// A write transaction, holding the write turn until it ends.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    deliveries: std::sync::Arc<super::Written>,
    /// Webhook deliveries were written: the worker is woken once they are committed.
    pub(super) emitted: bool,
}

/// What a customer adds to their case (a mail reply, the status page, a merged request).
#[derive(Debug, Clone)]
pub struct CustomerMessage {
    pub ticket: TicketId,
    pub body: String,
    /// The address it came from, when it is not the case's contact's.
    pub sender: Option<String>,
    /// The raw message, for a follow-up by mail.
    pub raw_sha256: Option<String>,
    pub evidence: Vec<EvidenceRow>,
    pub at: DateTime<Utc>,
}

/// A reply or an internal note (SPEC §7).
#[derive(Debug, Clone)]
pub struct AgentMessage {
    pub ticket: TicketId,
    pub agent: AgentId,
    pub body: String,
    /// A public reply (mailed to the customer) rather than an internal note.
    pub public: bool,
    /// The same key twice writes one message.
    pub idempotency_key: Option<String>,
    pub at: DateTime<Utc>,
    /// A reply held until then, to be undone (SPEC §7).
    pub held: Option<DateTime<Utc>>,
    pub then: AfterReply,
}

/// What a public reply does to its case as it goes: "reply and wait", or a canned reply's status
/// and priority (SPEC §7). Kept with the message while it is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AfterReply {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub canned: Option<super::CannedId>,
}

/// A held reply whose time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldReply {
    pub message: MessageId,
    pub ticket: TicketId,
    pub agent: AgentId,
    pub body: String,
    pub then: AfterReply,
}

/// Who works a case: an agent, a team, both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Assignment {
    pub agent: Option<AgentId>,
    pub team: Option<TeamId>,
}

/// A new priority and the due times that follow from it: a reply's bump (SPEC §4), or the way
/// back to `normal` once nothing recommended is missing (SPEC §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityChange {
    /// The priority it was decided from: if another write changed it meanwhile, nothing moves.
    pub from: Priority,
    pub to: Priority,
    pub due: Due,
}

impl WriteTx {
    pub(super) fn new(
        tx: sqlx::Transaction<'static, sqlx::Any>,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
        deliveries: std::sync::Arc<super::Written>,
    ) -> WriteTx {
        WriteTx {
            tx,
            _turn: turn,
            deliveries,
            emitted: false,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if self.emitted {
            self.deliveries.wake.notify_one();
        }
        Ok(())
    }

    /// An endpoint became live in this process: intakes wake the webhook worker from now on,
    /// not from its next pass (which reads the same from the database).
    pub(super) fn hooks_live(&self) {
        self.deliveries.live.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub(super) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// The message and its attachments; the case is touched.
    pub async fn add_customer_message(&mut self, m: &CustomerMessage) -> Result<MessageId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO messages (ticket_id, author, body, public, created_at, raw_sha256, sender) \
             VALUES ($1, $2, $3, 1, $4, $5, $6) RETURNING id",
        )
        .bind(m.ticket.get())
        .bind(Author::Customer.as_str())
        .bind(&m.body)
        .bind(ms(m.at))
        .bind(&m.raw_sha256)
        .bind(&m.sender)
        .fetch_one(self.conn())
        .await?;
        let message = MessageId(Columns(&row).i64("id")?);
        for e in &m.evidence {
            insert_evidence(self.conn(), m.ticket.get(), Some(message.get()), e, m.at).await?;
        }
        self.touch(m.ticket, m.at).await?;
        self.index(m.ticket, &m.body).await?;
        self.emit(
            Some(m.ticket),
            &Event::MessageCreated(MessageCreated::customer(&m.body)),
            m.at,
        )
        .await?;
        Ok(message)
    }

    /// Every image with these bytes gets the thumbnail (`Ok`, its blob) or the reason there is none.
    pub async fn set_thumbnail(&mut self, sha256: &str, made: Result<&str, &str>) -> Result<(), StoreError> {
        let (thumb, error) = match made {
            Ok(thumb) => (Some(thumb), None),
            Err(why) => (None, Some(why)),
        };
        sqlx::query(
            "UPDATE evidence SET thumb_sha256 = $1, thumb_error = $2 \
             WHERE sha256 = $3 AND thumb_sha256 IS NULL AND thumb_error IS NULL",
        )
        .bind(thumb)
        .bind(error)
        .bind(sha256)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn touch(&mut self, id: TicketId, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(ms(at))
            .bind(id.get())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// SPEC §4's reply bump. Re-checked here, so two replies arriving together raise the case once:
    /// the priority is still `from`, no agent has answered, and no bump happened after
    /// `window_start`. Returns whether it was applied.
    pub async fn bump_priority(
        &mut self,
        id: TicketId,
        change: &PriorityChange,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET priority = $1, first_response_due = $2, resolution_due = $3, last_bump_at = $4 \
             WHERE id = $5 AND priority = $6 AND first_response_at IS NULL \
             AND (last_bump_at IS NULL OR last_bump_at <= $7)",
        )
        .bind(change.to.as_str())
        .bind(ms(change.due.first_response_due))
        .bind(ms(change.due.resolution_due))
        .bind(ms(at))
        .bind(id.get())
        .bind(change.from.as_str())
        .bind(ms(window_start))
        .execute(self.conn())
        .await?;
        self.requeued(id, done.rows_affected() == 1).await
    }

    /// A priority change that holds only if the priority is still `from`.
    pub async fn change_priority(&mut self, id: TicketId, change: &PriorityChange) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET priority = $1, first_response_due = $2, resolution_due = $3 \
             WHERE id = $4 AND priority = $5",
        )
        .bind(change.to.as_str())
        .bind(ms(change.due.first_response_due))
        .bind(ms(change.due.resolution_due))
        .bind(id.get())
        .bind(change.from.as_str())
        .execute(self.conn())
        .await?;
        self.requeued(id, done.rows_affected() == 1).await
    }

    /// The case's catalog fields become `after`, if they are still `before`: if another write
    /// changed them meanwhile, they stay as that write made them (the values are in the message
    /// all the same). Returns whether they changed.
    pub async fn set_fields(
        &mut self,
        id: TicketId,
        before: &BTreeMap<String, String>,
        after: &BTreeMap<String, String>,
    ) -> Result<bool, StoreError> {
        let text = |fields| serde_json::to_string(fields).map_err(|e| StoreError::Other(e.to_string()));
        let done = sqlx::query("UPDATE tickets SET fields = $1 WHERE id = $2 AND fields = $3")
            .bind(text(after)?)
            .bind(id.get())
            .bind(text(before)?)
            .execute(self.conn())
            .await?;
        let added: Vec<&str> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(_, v)| v.as_str())
            .collect();
        self.index(id, &added.join("\n")).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The phone and device a case opened by mail waits for; a value already known stays.
    pub async fn fill_contact(
        &mut self,
        id: TicketId,
        phone: Option<&Phone>,
        device: Option<&str>,
    ) -> Result<(), StoreError> {
        if let Some(phone) = phone {
            let done = sqlx::query("UPDATE tickets SET phone = $1 WHERE id = $2 AND phone = ''")
                .bind(phone.as_str())
                .bind(id.get())
                .execute(self.conn())
                .await?;
            if done.rows_affected() == 1 {
                self.index_words(id, &sportello_domain::search::phone_words(phone))
                    .await?;
            }
        }
        if let Some(device) = device {
            let done = sqlx::query("UPDATE tickets SET device = $1 WHERE id = $2 AND device = ''")
                .bind(device)
                .bind(id.get())
                .execute(self.conn())
                .await?;
            if done.rows_affected() == 1 {
                self.index(id, device).await?;
            }
        }
        Ok(())
    }

    /// Moves the case from `from` to `timers.status` with the clock the move leaves it
    /// ([`Timers::moved`]); nothing happens if its status is no longer `from`. Returns whether it moved.
    pub async fn move_status(
        &mut self,
        id: TicketId,
        from: Status,
        timers: &Timers,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET status = $1, updated_at = $2, resolution_due = $3, resolved_at = $4, paused_since = $5 \
             WHERE id = $6 AND status = $7",
        )
        .bind(timers.status.as_str())
        .bind(ms(at))
        .bind(ms(timers.resolution_due))
        .bind(timers.resolved_at.map(ms))
        .bind(timers.paused_since.map(ms))
        .bind(id.get())
        .bind(from.as_str())
        .execute(self.conn())
        .await?;
        self.requeued(id, done.rows_affected() == 1).await
    }

    /// The customer's answer to the resolution mail, while the case is still resolved as it was
    /// read at `resolved_at` (false: it changed meanwhile).
    pub async fn rate(
        &mut self,
        id: TicketId,
        resolved_at: DateTime<Utc>,
        rating: Rating,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET csat_rating = $1, csat_comment = $2, csat_at = $3 \
             WHERE id = $4 AND resolved_at = $5 AND status IN ($6, $7)",
        )
        .bind(rating.as_str())
        .bind(comment)
        .bind(ms(at))
        .bind(id.get())
        .bind(ms(resolved_at))
        .bind(Status::Resolved.as_str())
        .bind(Status::Closed.as_str())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// After an update that may have moved the case's clock: its queue position follows.
    async fn requeued(&mut self, id: TicketId, changed: bool) -> Result<bool, StoreError> {
        if changed {
            self.requeue(id).await?;
        }
        Ok(changed)
    }

    /// A reply or note by `agent`; None when a message with the same idempotency key exists (a
    /// double submit: the first one stands).
    pub async fn add_agent_message(&mut self, m: &AgentMessage) -> Result<Option<MessageId>, StoreError> {
        let row = sqlx::query(
            "INSERT INTO messages (ticket_id, author, body, public, created_at, agent_id, idempotency_key, \
             held_until, then_status, then_priority, canned_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id",
        )
        .bind(m.ticket.get())
        .bind(Author::Agent.as_str())
        .bind(&m.body)
        .bind(i64::from(m.public))
        .bind(ms(m.at))
        .bind(m.agent.0)
        .bind(&m.idempotency_key)
        .bind(m.held.map(ms))
        .bind(m.then.status.map(Status::as_str))
        .bind(m.then.priority.map(Priority::as_str))
        .bind(m.then.canned.map(|c| c.0))
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id = MessageId(Columns(&row).i64("id")?);
        self.touch(m.ticket, m.at).await?;
        // A held reply is told of, and found, when it goes ([`WriteTx::release`]); an undone one never.
        if m.held.is_none() {
            self.index(m.ticket, &m.body).await?;
            self.emit(
                Some(m.ticket),
                &Event::MessageCreated(MessageCreated::agent(m.agent, m.public, &m.body)),
                m.at,
            )
            .await?;
        }
        Ok(Some(id))
    }

    /// `agent` has the case open now.
    pub async fn saw_case(&mut self, ticket: TicketId, agent: AgentId, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO case_viewers (ticket_id, agent_id, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (ticket_id, agent_id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(ticket.get())
        .bind(agent.0)
        .bind(ms(at))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Takes a held reply whose time has come to send it: `None` if it was undone or another
    /// instance took it first (the update is the claim).
    pub async fn release(&mut self, message: MessageId, now: DateTime<Utc>) -> Result<Option<HeldReply>, StoreError> {
        let row = sqlx::query(
            "UPDATE messages SET held_until = NULL WHERE id = $1 AND held_until IS NOT NULL AND held_until <= $2 \
             AND withdrawn_at IS NULL RETURNING ticket_id, agent_id, body, then_status, then_priority, canned_id",
        )
        .bind(message.get())
        .bind(ms(now))
        .fetch_optional(self.conn())
        .await?;
        let held = row
            .map(|r| {
                let c = Columns(&r);
                Ok::<_, StoreError>(HeldReply {
                    message,
                    ticket: TicketId(c.i64("ticket_id")?),
                    agent: AgentId(c.i64("agent_id")?),
                    body: c.text("body")?,
                    then: AfterReply {
                        status: c.opt_parsed("then_status")?,
                        priority: c.opt_parsed("then_priority")?,
                        canned: c.opt_i64("canned_id")?.map(super::CannedId),
                    },
                })
            })
            .transpose()?;
        if let Some(h) = &held {
            self.index(h.ticket, &h.body).await?;
            self.emit(
                Some(h.ticket),
                &Event::MessageCreated(MessageCreated::agent(h.agent, true, &h.body)),
                now,
            )
            .await?;
        }
        Ok(held)
    }

    /// Undoes `agent`'s reply on `ticket` while it is still held: its text, or `None` if it has
    /// gone (or was never theirs, or was undone already).
    pub async fn withdraw(
        &mut self,
        ticket: TicketId,
        message: MessageId,
        agent: AgentId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "UPDATE messages SET withdrawn_at = $1 WHERE id = $2 AND ticket_id = $3 AND agent_id = $4 \
             AND held_until IS NOT NULL AND held_until > $1 AND withdrawn_at IS NULL RETURNING body",
        )
        .bind(ms(now))
        .bind(message.get())
        .bind(ticket.get())
        .bind(agent.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| Columns(&r).text("body")).transpose()
    }

    /// Another category and sub-category, with the due times they give (counted from the
    /// creation) and the team that owns them; only if the case is still in `from`.
    pub async fn set_category(
        &mut self,
        id: TicketId,
        from: (&str, &str),
        to: (&str, &str),
        due: &Due,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET category = $1, subcategory = $2, first_response_due = $3, resolution_due = $4, \
             team_id = COALESCE((SELECT team_id FROM team_owns WHERE category = $1 AND subcategory IN ($2, '') \
             ORDER BY subcategory DESC LIMIT 1), team_id) WHERE id = $5 AND category = $6 AND subcategory = $7",
        )
        .bind(to.0)
        .bind(to.1)
        .bind(ms(due.first_response_due))
        .bind(ms(due.resolution_due))
        .bind(id.get())
        .bind(from.0)
        .bind(from.1)
        .execute(self.conn())
        .await?;
        self.requeued(id, done.rows_affected() == 1).await
    }

    /// Moves what `source` holds into `target` (SPEC §7's merge): its messages and evidence, a
    /// copy of its status tokens (its customer's link opens the target), and a pointer. The caller
    /// moves its status to `merged` in the same transaction.
    pub async fn merge(&mut self, source: TicketId, target: TicketId, at: DateTime<Utc>) -> Result<(), StoreError> {
        for sql in [
            "UPDATE messages SET ticket_id = $1 WHERE ticket_id = $2",
            "UPDATE evidence SET ticket_id = $1 WHERE ticket_id = $2",
            "INSERT INTO status_tokens (ticket_id, token_hash, created_at) \
             SELECT $1, token_hash, created_at FROM status_tokens WHERE ticket_id = $2",
            "UPDATE tickets SET merged_into = $1 WHERE id = $2",
        ] {
            sqlx::query(sql)
                .bind(target.get())
                .bind(source.get())
                .execute(self.conn())
                .await?;
        }
        self.index_merged(source, target).await?;
        self.touch(target, at).await
    }

    /// Links two cases as related (SPEC §7); returns whether they were not linked yet.
    pub async fn link(&mut self, a: TicketId, b: TicketId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let (low, high) = if a.get() < b.get() { (a, b) } else { (b, a) };
        let done = sqlx::query("INSERT INTO case_links (a, b, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(low.get())
            .bind(high.get())
            .bind(ms(at))
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The case's assignee and team become `to`, if they are still `from`. Returns whether they did.
    pub async fn assign(&mut self, id: TicketId, from: Assignment, to: Assignment) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tickets SET assignee_id = $1, team_id = $2 WHERE id = $3 \
             AND COALESCE(assignee_id, 0) = $4 AND COALESCE(team_id, 0) = $5",
        )
        .bind(to.agent.map(|a| a.0))
        .bind(to.team.map(|t| t.0))
        .bind(id.get())
        .bind(from.agent.map_or(0, |a| a.0))
        .bind(from.team.map_or(0, |t| t.0))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Another status link for the case (the hash of its token, SPEC §3.5).
    pub async fn add_status_token(
        &mut self,
        id: TicketId,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(INSERT_TOKEN)
            .bind(id.get())
            .bind(token_hash)
            .bind(ms(at))
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
