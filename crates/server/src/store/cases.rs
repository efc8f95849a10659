//! Reading cases: the case with its clock, its timeline's messages, its attachments, and whether a
//! status token is one of its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::case::{Author, Channel, Status};
use sportello_domain::contact::email::Email;
use sportello_domain::contact::phone::Phone;
use sportello_domain::csat::Rating;
use sportello_domain::organisation::Business;
use sportello_domain::problem::Warning;
use sportello_domain::sla::Timers;
use sportello_domain::triage::{Priority, Standing};

use super::columns::{corrupt, Columns};
use super::{MessageId, Store, StoreError, TicketId};

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: TicketId,
    pub status: Status,
    pub priority: Priority,
    pub category: String,
    pub subcategory: String,
    pub email: Email,
    /// None while a case opened by mail waits for it (`needs_info`).
    pub phone: Option<Phone>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub language: String,
    /// None while a case opened by mail waits for it.
    pub device: Option<String>,
    pub description: String,
    /// Catalog field → value, as the catalog's formats normalised them.
    pub fields: BTreeMap<String, String>,
    pub urgent_requested: bool,
    pub penalised: bool,
    pub warnings: Vec<Warning>,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub last_bump_at: Option<DateTime<Utc>>,
    /// Since when its resolution clock stands still (waiting on the customer).
    pub paused_since: Option<DateTime<Utc>>,
    /// The case this one was opened about (a stranger quoting its number, a reply to a closed
    /// case, the same phone under another address).
    pub related_to: Option<TicketId>,
    pub assignee: Option<AgentId>,
    /// The case it was merged into (status `merged`).
    pub merged_into: Option<TicketId>,
    /// The team that owns it (SPEC §6); a restricted team's case is hidden from non-members.
    pub team: Option<TeamId>,
    /// The organisation its contact belongs to (SPEC §10), how it stood when the case came, and
    /// whether the case was beyond the month's free quota.
    pub organisation: Option<super::OrganisationId>,
    pub business: Option<Business>,
    pub over_quota: bool,
    /// The customer's answer to the resolution mail (SPEC §11), the latest.
    pub csat: Option<Csat>,
    /// The first answer the customer was told to expect (SPEC §11); None before estimates.
    pub expected_first_response: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csat {
    pub rating: Rating,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

impl Case {
    /// What changes its targets besides category and priority: a strike, an organisation.
    pub fn standing(&self) -> Standing {
        Standing {
            penalised: self.penalised,
            business: self.business,
        }
    }

    /// What the service-level clock needs (SPEC §4).
    pub fn timers(&self) -> Timers {
        Timers {
            status: self.status,
            first_response_due: self.first_response_due,
            resolution_due: self.resolution_due,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            paused_since: self.paused_since,
        }
    }
}

/// One entry of a case's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub author: Author,
    /// The address a mailed follow-up came from, when it is not the case's contact.
    pub sender: Option<String>,
    pub body: String,
    pub public: bool,
    pub created_at: DateTime<Utc>,
    /// The agent who wrote a reply or note, with their name.
    pub agent: Option<(AgentId, String)>,
    /// A reply still held, to be undone, until then (SPEC §7): not sent, not shown to the customer.
    pub held_until: Option<DateTime<Utc>>,
    /// It came by mail: the raw message is kept, whole.
    pub by_mail: bool,
}

/// An attachment as the customer sees it listed on the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub id: i64,
    /// The message it came with; None for the request's own.
    pub message: Option<MessageId>,
    pub filename: String,
    pub width: u32,
    pub height: u32,
    pub byte_len: i64,
    /// The editing program its metadata names, if any.
    pub editor: Option<String>,
    pub sha256: String,
    pub kind: String,
    /// The thumbnail's blob, once the job has made it.
    pub thumb_sha256: Option<String>,
    /// The job could not make one (the reason is in the log and the row).
    pub thumb_failed: bool,
    /// How many other cases came with the same bytes.
    pub other_cases: i64,
}

/// An attachment's columns; `elsewhere` is supplied by the query (how many other cases the reader
/// may see came with the same bytes: a repeated screenshot).
const ATTACHMENT_COLUMNS: &str = "e.id, e.message_id, e.filename, e.width, e.height, e.byte_len, e.editor, \
     e.sha256, e.kind, e.thumb_sha256, e.thumb_error";

/// Ids are numbers: safe to write into the statement.
fn outside(hidden: &[TeamId], team: &str) -> String {
    if hidden.is_empty() {
        return String::new();
    }
    let ids: Vec<String> = hidden.iter().map(|t| t.0.to_string()).collect();
    format!(" AND ({team} IS NULL OR {team} NOT IN ({}))", ids.join(", "))
}

fn attachment_of(row: &sqlx::any::AnyRow) -> Result<AttachmentRecord, StoreError> {
    let c = Columns(row);
    let side = |column: &str| {
        let n = c.i64(column)?;
        u32::try_from(n).map_err(|_| corrupt(column, format!("{n} pixels")))
    };
    Ok(AttachmentRecord {
        id: c.i64("id")?,
        message: c.opt_i64("message_id")?.map(MessageId),
        filename: c.text("filename")?,
        width: side("width")?,
        height: side("height")?,
        byte_len: c.i64("byte_len")?,
        editor: c.opt_text("editor")?,
        sha256: c.text("sha256")?,
        kind: c.text("kind")?,
        thumb_sha256: c.opt_text("thumb_sha256")?,
        thumb_failed: c.opt_text("thumb_error")?.is_some(),
        other_cases: c.i64("elsewhere")?,
    })
}

const CASE_COLUMNS: &str = "id, status, priority, category, subcategory, email, phone, name, country, language, \
     device, description, fields, urgent_requested, penalised, warnings, channel, created_at, first_response_due, \
     resolution_due, first_response_at, resolved_at, last_bump_at, paused_since, related_to, assignee_id, team_id, merged_into, \
     organisation_id, business, over_quota, csat_rating, csat_comment, csat_at, expected_first_response";

/// '' is how the NOT NULL columns `phone` and `device` say "not known yet".
fn known(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn case_of(row: &sqlx::any::AnyRow) -> Result<Case, StoreError> {
    let c = Columns(row);
    let phone = known(c.text("phone")?)
        .map(|p| Phone::from_e164(&p).map_err(|e| corrupt("phone", format!("`{p}`: {e}"))))
        .transpose()?;
    Ok(Case {
        id: TicketId(c.i64("id")?),
        status: c.parsed("status")?,
        priority: c.parsed("priority")?,
        category: c.text("category")?,
        subcategory: c.text("subcategory")?,
        email: c.parsed("email")?,
        phone,
        name: c.opt_text("name")?,
        country: c.opt_text("country")?,
        language: c.text("language")?,
        device: known(c.text("device")?),
        description: c.text("description")?,
        fields: c.json("fields")?,
        urgent_requested: c.flag("urgent_requested")?,
        penalised: c.flag("penalised")?,
        warnings: c.json("warnings")?,
        channel: c.parsed("channel")?,
        created_at: c.time("created_at")?,
        first_response_due: c.time("first_response_due")?,
        resolution_due: c.time("resolution_due")?,
        first_response_at: c.opt_time("first_response_at")?,
        resolved_at: c.opt_time("resolved_at")?,
        last_bump_at: c.opt_time("last_bump_at")?,
        paused_since: c.opt_time("paused_since")?,
        related_to: c.opt_i64("related_to")?.map(TicketId),
        assignee: c.opt_i64("assignee_id")?.map(AgentId),
        merged_into: c.opt_i64("merged_into")?.map(TicketId),
        team: c.opt_i64("team_id")?.map(TeamId),
        organisation: c.opt_i64("organisation_id")?.map(super::OrganisationId),
        business: c.opt_parsed("business")?,
        over_quota: c.flag("over_quota")?,
        csat: match (c.opt_parsed("csat_rating")?, c.opt_time("csat_at")?) {
            (Some(rating), Some(at)) => Some(Csat {
                rating,
                comment: c.opt_text("csat_comment")?,
                at,
            }),
            _ => None,
        },
        expected_first_response: c.opt_time("expected_first_response")?,
    })
}

/// How many merges a status link or a mail thread follows (a merged case's target may itself
/// have been merged since).
const MERGE_HOPS: usize = 8;

impl Store {
    /// The case, or the one it was merged into (and so on): where its customer's link and mail
    /// lead.
    pub async fn case_followed(&self, id: TicketId) -> Result<Option<Case>, StoreError> {
        let mut case = self.case(id).await?;
        for _ in 0..MERGE_HOPS {
            match case.as_ref().and_then(|c| c.merged_into) {
                Some(target) => case = self.case(target).await?,
                None => break,
            }
        }
        Ok(case)
    }

    pub async fn case(&self, id: TicketId) -> Result<Option<Case>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM tickets WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.reads)
            .await?;
        row.as_ref().map(case_of).transpose()
    }

    /// Whether `token_hash` is one of the case's status tokens. Looked up by case (the link names
    /// it), so the random hashes need no index of their own: 128 random bits do not collide.
    pub async fn token_matches(&self, id: TicketId, token_hash: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM status_tokens WHERE ticket_id = $1 AND token_hash = $2")
            .bind(id.0)
            .bind(token_hash)
            .fetch_one(&self.reads)
            .await?;
        Ok(Columns(&row).i64("n")? > 0)
    }

    pub async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.author, m.sender, m.body, m.public, m.created_at, m.agent_id, m.held_until, \
             CASE WHEN m.raw_sha256 IS NULL THEN 0 ELSE 1 END AS by_mail, g.name AS agent_name FROM messages m LEFT JOIN agents g ON g.id = m.agent_id \
             WHERE m.ticket_id = $1 AND m.withdrawn_at IS NULL ORDER BY m.id",
        )
        .bind(id.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(MessageRecord {
                    id: MessageId(c.i64("id")?),
                    author: c.parsed("author")?,
                    sender: c.opt_text("sender")?,
                    body: c.text("body")?,
                    public: c.flag("public")?,
                    created_at: c.time("created_at")?,
                    agent: match (c.opt_i64("agent_id")?, c.opt_text("agent_name")?) {
                        (Some(id), Some(name)) => Some((AgentId(id), name)),
                        _ => None,
                    },
                    held_until: c.opt_time("held_until")?,
                    by_mail: c.flag("by_mail")?,
                })
            })
            .collect()
    }

    /// The raw mail a case was opened by (`message` None) or one of its messages came in.
    pub async fn raw_mail(&self, id: TicketId, message: Option<MessageId>) -> Result<Option<String>, StoreError> {
        let row = match message {
            None => sqlx::query("SELECT raw_sha256 FROM tickets WHERE id = $1").bind(id.0),
            Some(m) => sqlx::query("SELECT raw_sha256 FROM messages WHERE id = $1 AND ticket_id = $2")
                .bind(m.0)
                .bind(id.0),
        }
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(|r| Columns(&r).opt_text("raw_sha256")).transpose()?.flatten())
    }

    /// The case's attachments, oldest first, each with how many other cases (outside `hidden`
    /// teams) came with the same bytes.
    pub async fn attachments(&self, id: TicketId, hidden: &[TeamId]) -> Result<Vec<AttachmentRecord>, StoreError> {
        let hide = outside(hidden, "t.team_id");
        let rows = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLUMNS}, (SELECT COUNT(DISTINCT o.ticket_id) FROM evidence o \
             JOIN tickets t ON t.id = o.ticket_id WHERE o.sha256 = e.sha256 AND o.ticket_id <> e.ticket_id{hide}) \
             AS elsewhere FROM evidence e WHERE e.ticket_id = $1 ORDER BY e.id"
        ))
        .bind(id.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(attachment_of).collect()
    }

    /// One attachment of the case `id` (None if it is another case's, or none at all); its
    /// `other_cases` is not counted.
    pub async fn attachment(&self, id: TicketId, attachment: i64) -> Result<Option<AttachmentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLUMNS}, 0 AS elsewhere FROM evidence e WHERE e.id = $1 AND e.ticket_id = $2"
        ))
        .bind(attachment)
        .bind(id.0)
        .fetch_optional(&self.reads)
        .await?;
        row.as_ref().map(attachment_of).transpose()
    }

    /// The text of a reply `agent` undid on `ticket`: the draft it goes back to.
    pub async fn undone_reply(
        &self,
        ticket: TicketId,
        message: MessageId,
        agent: AgentId,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT body FROM messages WHERE id = $1 AND ticket_id = $2 AND agent_id = $3 AND withdrawn_at IS NOT NULL",
        )
        .bind(message.get())
        .bind(ticket.get())
        .bind(agent.0)
        .fetch_optional(&self.reads)
        .await?;
        row.map(|r| Columns(&r).text("body")).transpose()
    }

    /// The agents who had the case open since `since`: who, their name, when last.
    pub async fn viewers(
        &self,
        ticket: TicketId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(AgentId, String, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.agent_id, g.name, v.seen_at FROM case_viewers v JOIN agents g ON g.id = v.agent_id \
             WHERE v.ticket_id = $1 AND v.seen_at >= $2 ORDER BY g.name",
        )
        .bind(ticket.get())
        .bind(super::columns::ms(since))
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok((AgentId(c.i64("agent_id")?), c.text("name")?, c.time("seen_at")?))
            })
            .collect()
    }

    /// The newest message of the case the customer sees or wrote (a collision check compares it
    /// with what a writer had seen).
    pub async fn newest_public(&self, ticket: TicketId) -> Result<Option<MessageId>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(id) AS id FROM messages WHERE ticket_id = $1 AND public = 1 AND withdrawn_at IS NULL",
        )
        .bind(ticket.get())
        .fetch_one(&self.reads)
        .await?;
        Ok(Columns(&row).opt_i64("id")?.map(MessageId))
    }

    /// Held replies whose time has come (at `now`), oldest first.
    pub async fn held_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(MessageId, TicketId, AgentId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, ticket_id, agent_id FROM messages WHERE held_until IS NOT NULL AND held_until <= $1 AND withdrawn_at IS NULL \
             ORDER BY held_until, id LIMIT $2",
        )
        .bind(super::columns::ms(now))
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok((
                    MessageId(c.i64("id")?),
                    TicketId(c.i64("ticket_id")?),
                    AgentId(c.i64("agent_id")?),
                ))
            })
            .collect()
    }

    /// Images still without a thumbnail (or a reason there is none), oldest first, one per blob.
    pub async fn unthumbed(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT sha256, MIN(id) AS first FROM evidence WHERE thumb_sha256 IS NULL AND thumb_error IS NULL \
             GROUP BY sha256 ORDER BY first LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(|r| Columns(r).text("sha256")).collect()
    }

    /// The contact's other cases (same e-mail), newest first, without those of `hidden` teams.
    pub async fn cases_of_contact(
        &self,
        email: &Email,
        except: TicketId,
        hidden: &[TeamId],
        limit: i64,
    ) -> Result<Vec<(TicketId, Status, String, DateTime<Utc>)>, StoreError> {
        let hide = outside(hidden, "team_id");
        let rows = sqlx::query(&format!(
            "SELECT id, status, category, created_at FROM tickets WHERE email = $1 AND id <> $2{hide} \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(email.as_str())
        .bind(except.0)
        .bind(limit)
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok((
                    TicketId(c.i64("id")?),
                    c.parsed("status")?,
                    c.text("category")?,
                    c.time("created_at")?,
                ))
            })
            .collect()
    }

    /// The cases linked to this one (SPEC §7), and the one it was opened about.
    pub async fn links(&self, id: TicketId) -> Result<Vec<TicketId>, StoreError> {
        let rows = sqlx::query(
            "SELECT b AS other FROM case_links WHERE a = $1 UNION SELECT a FROM case_links WHERE b = $1 \
             UNION SELECT related_to FROM tickets WHERE id = $1 AND related_to IS NOT NULL \
             UNION SELECT id FROM tickets WHERE related_to = $1 ORDER BY 1",
        )
        .bind(id.0)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(|r| Ok(TicketId(Columns(r).i64("other")?))).collect()
    }

    pub async fn count_tickets(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM tickets")
            .fetch_one(&self.reads)
            .await?;
        Columns(&row).i64("n")
    }
}
