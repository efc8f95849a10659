//! The one write transaction of an intake (SPEC §3.2–§3.3): join the contact's open case, or read
//! the contact's history, let the caller decide the new case, and write it with everything it
//! brings. The flow is the same on both backends; only the driver differs:
//!
//! - PostgreSQL: an sqlx transaction, serialised per contact by advisory locks;
//! - SQLite: the whole flow runs on the writer thread ([`super::sqlite_writer`]) in one hop, with
//!   many intakes committed together — the single writer is the bottleneck, so it must never wait
//!   on a round trip to the async side between statements.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sportello_domain::case::{Author, Channel, Status};
use sportello_domain::contact::email::Email;
use sportello_domain::contact::phone::Phone;
use sportello_domain::evidence::{ContentHash, ImageKind};
use sportello_domain::problem::Warning;
use sportello_domain::request::Evidence;
use sportello_domain::sla::Timers;
use sportello_domain::triage::{Due, Priority};
use sqlx::Row;

use super::columns::{ms, Columns};
use super::organisations::{zone, BusinessCase, OrganisationId};
use super::outbox::NewOutboxEvent;
use super::{Backend, Store, StoreError, TicketId};
use crate::webhooks::{CaseCreated, Event, MessageCreated};
use sportello_domain::organisation::{month_of, over_quota, Business};

/// What the caller knows before the transaction.
pub struct IntakeRequest {
    pub email: Email,
    /// None when the channel could not ask for it: then only the e-mail identifies the contact.
    pub phone: Option<Phone>,
    /// The device, when the request gives it (a case opened by mail may be waiting for it).
    pub device: Option<String>,
    pub category: String,
    /// Open cases of this contact and category created since then absorb the request.
    pub merge_since: DateTime<Utc>,
    /// Strikes since then count against the contact.
    pub strike_since: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// The new status token, for the new case or the joined one.
    pub token_hash: String,
    /// The text added to a joined case.
    pub merge_body: String,
    /// The request's search words ([`sportello_domain::search::request_words`]), made before the
    /// transaction: the new case's document, or what the joined case's gains.
    pub words: String,
    pub evidence: Vec<EvidenceRow>,
    /// The raw message the request came in (e-mail), kept as a blob.
    pub raw_sha256: Option<String>,
    /// The mail that tells the contact their request joined this case (SPEC §3.3). It may be
    /// asked twice, when the intake's batch starts over (SQLite).
    pub merged: Box<dyn Fn(TicketId) -> NewOutboxEvent + Send + Sync>,
}

impl IntakeRequest {
    /// What endpoints hear of a request that joined a case: the customer wrote to it.
    fn merged_event(&self) -> Event {
        Event::MessageCreated(MessageCreated::customer(&self.merge_body))
    }

    /// The keys that identify the contact: its e-mail, and its phone when known.
    fn contacts(&self) -> Vec<&str> {
        std::iter::once(self.email.as_str())
            .chain(self.phone.as_ref().map(Phone::as_str))
            .collect()
    }
}

/// An accepted attachment as the store keeps it: its facts, and its bytes' address in the blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    pub sha256: ContentHash,
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    pub byte_len: i64,
    pub filename: String,
    pub editor: Option<String>,
}

impl EvidenceRow {
    /// The facts of an accepted file whose bytes are stored under `sha256`.
    pub fn of(evidence: &Evidence, sha256: ContentHash) -> EvidenceRow {
        let i = &evidence.inspection;
        EvidenceRow {
            sha256,
            kind: i.kind,
            width: i.width,
            height: i.height,
            byte_len: i64::try_from(i.byte_len).unwrap_or(i64::MAX),
            filename: evidence.filename.chars().take(200).collect(),
            editor: i.editor.clone(),
        }
    }
}

/// A new case as triage decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub status: Status,
    pub priority: Priority,
    pub category: String,
    pub subcategory: String,
    pub email: Email,
    /// None while the case waits for it (`needs_info`); stored as ''.
    pub phone: Option<Phone>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub language: String,
    /// None while the case waits for it (`needs_info`); stored as ''.
    pub device: Option<String>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    pub urgent_requested: bool,
    pub penalised: bool,
    pub warnings: Vec<Warning>,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
    pub due: Due,
    pub related_to: Option<TicketId>,
    pub business: Option<BusinessCase>,
    /// The first answer the customer is told to expect (SPEC §11), kept to compare with what
    /// happens.
    pub expected_first_response: Option<DateTime<Utc>>,
}

impl NewCase {
    /// Its place in the queue (SPEC §7), as the domain orders cases.
    pub(super) fn queue_position(&self) -> i64 {
        Timers {
            status: self.status,
            first_response_due: self.due.first_response_due,
            resolution_due: self.due.resolution_due,
            first_response_at: None,
            resolved_at: None,
            paused_since: None,
        }
        .queue_key(self.priority, 0)
        .position()
    }

    /// What endpoints hear of the new case.
    pub(super) fn created_event(&self) -> Event {
        Event::CaseCreated(CaseCreated {
            status: self.status,
            priority: self.priority,
            category: self.category.clone(),
            subcategory: self.subcategory.clone(),
            channel: self.channel,
            language: self.language.clone(),
            name: self.name.clone(),
            email: self.email.as_str().to_owned(),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
            first_response_due: self.due.first_response_due,
            resolution_due: self.due.resolution_due,
            urgent_requested: self.urgent_requested,
        })
    }

    /// The JSON columns, written once per intake.
    pub(super) fn json(&self) -> Result<(String, String), StoreError> {
        let text = |e: serde_json::Error| StoreError::Other(e.to_string());
        Ok((
            serde_json::to_string(&self.fields).map_err(text)?,
            serde_json::to_string(&self.warnings).map_err(text)?,
        ))
    }
}

/// What the store read about the contact, for the caller's decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactHistory {
    pub recent_strike: bool,
    /// The contact already sent one of these attachments this many times (the most repeated one).
    pub most_repeats: i64,
    /// An open case of the category from the merge window with the same phone under another
    /// address: the new case is linked to it as a possible duplicate, for an agent to merge.
    pub same_phone: Option<TicketId>,
    /// The contact's organisation, how it stands, and whether this case is beyond its quota.
    pub business: Option<BusinessCase>,
}

/// The caller's decision for a new case.
pub struct CasePlan {
    pub case: NewCase,
    /// Strike the contact's e-mail and phone (urgency asked where it is not allowed).
    pub strike: bool,
    /// The event to deliver, once the case has its number.
    pub outbox: Box<dyn FnOnce(TicketId) -> NewOutboxEvent + Send>,
}

/// Decides a new case from the contact's history; an error rolls the intake back. It may be asked
/// twice, with the same history, when the intake's batch starts over (SQLite).
pub type Decide<T> = Box<dyn Fn(ContactHistory) -> Result<(CasePlan, T), String> + Send>;

#[derive(Debug, PartialEq, Eq)]
pub enum IntakeOutcome<T> {
    Created(TicketId, T),
    Merged(TicketId),
}

// The SQL, shared by both drivers. Parameters appear in ascending order of first use, as SQLite
// numbers `$N` parameters by first appearance.
/// Rows `(what, id)`: 4 and 5 — the organisation the contact's e-mail domain (or a parent
/// domain, `$9…$12`) or phone belongs to (SPEC §10). 1 — the contact's newest open case of the category since the merge window
/// opened, by e-mail (SPEC §3.3: only the same address joins a case); 2 — the newest such case with
/// the same phone under another address; 3 — the contact has a recent strike. Plain index
/// searches only: on SQLite, an `IN` list over the contact's keys or an `ORDER BY` across an `OR`
/// builds a temporary b-tree on every run — a sixth of the single writer's instructions, when this
/// was one query with both. `$4…$6` are the statuses that are not open ([`Status::ENDED`]).
const LOOKUP: &str = "\
     SELECT CAST(1 AS BIGINT) AS what, id FROM (SELECT id FROM tickets WHERE email = $1 AND category = $2 \
       AND created_at >= $3 AND status NOT IN ($4, $5, $6) ORDER BY created_at DESC, id DESC LIMIT 1) AS by_email \
     UNION ALL SELECT CAST(2 AS BIGINT), id FROM (SELECT id FROM tickets WHERE phone = $7 AND email <> $1 \
       AND category = $2 AND created_at >= $3 AND status NOT IN ($4, $5, $6) \
       ORDER BY created_at DESC, id DESC LIMIT 1) AS by_phone \
     UNION ALL SELECT CAST(3 AS BIGINT), CAST(0 AS BIGINT) WHERE EXISTS (SELECT 1 FROM strikes WHERE contact = $1 \
       AND created_at >= $8) OR EXISTS (SELECT 1 FROM strikes WHERE contact = $7 AND created_at >= $8) \
     UNION ALL SELECT CAST(4 AS BIGINT), organisation_id FROM organisation_domains WHERE domain IN ($9, $10, $11, $12) \
     UNION ALL SELECT CAST(5 AS BIGINT), organisation_id FROM organisation_phones WHERE phone = $7";

/// What LOOKUP found: the case to join, the possible duplicate, and whether a strike is recent.
#[derive(Debug, Default)]
struct Found {
    join: Option<TicketId>,
    same_phone: Option<TicketId>,
    recent_strike: bool,
    by_domain: Option<OrganisationId>,
    by_phone: Option<OrganisationId>,
}

impl Found {
    /// The contact's organisation: the one of its address's domain before the one of its phone.
    fn organisation(&self) -> Option<OrganisationId> {
        self.by_domain.or(self.by_phone)
    }

    fn of(rows: impl IntoIterator<Item = (i64, i64)>) -> Found {
        let mut found = Found::default();
        for (what, id) in rows {
            match what {
                1 => found.join = Some(TicketId(id)),
                2 => found.same_phone = Some(TicketId(id)),
                3 => found.recent_strike = true,
                // Each domain and phone belongs to one organisation; of several domains, the lowest id.
                4 => {
                    found.by_domain = Some(
                        found
                            .by_domain
                            .map_or(OrganisationId(id), |o| o.min(OrganisationId(id))),
                    )
                }
                _ => found.by_phone = Some(OrganisationId(id)),
            }
        }
        found
    }
}

const TIMES_SENT: &str = "SELECT COUNT(*) AS n FROM evidence e JOIN tickets t ON t.id = e.ticket_id \
     WHERE e.sha256 = $1 AND (t.email = $2 OR t.phone = $3)";
/// The two inserts whose new id the intake needs. PostgreSQL returns it (`RETURNING id`); SQLite
/// reads its last rowid instead, as its `RETURNING` buffers the row in a temporary b-tree.
macro_rules! insert_ticket {
    () => {
        "INSERT INTO tickets (status, priority, category, subcategory, email, phone, name, country, language, \
         device, description, fields, urgent_requested, penalised, warnings, channel, created_at, updated_at, \
         first_response_due, resolution_due, related_to, raw_sha256, queue_position, team_id, organisation_id, \
         business, over_quota, expected_first_response) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20, $21, \
         $22, (SELECT team_id FROM team_owns WHERE category = $3 AND subcategory IN ($4, '') \
         ORDER BY subcategory DESC LIMIT 1), $23, $24, $25, $26)"
    };
}
macro_rules! insert_message {
    () => {
        "INSERT INTO messages (ticket_id, author, body, public, created_at, raw_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    };
}
const INSERT_TICKET: &str = insert_ticket!();
const INSERT_TICKET_RETURNING_ID: &str = concat!(insert_ticket!(), " RETURNING id");
pub(super) const INSERT_TOKEN: &str =
    "INSERT INTO status_tokens (ticket_id, token_hash, created_at) VALUES ($1, $2, $3)";
const INSERT_MESSAGE: &str = insert_message!();
const INSERT_MESSAGE_RETURNING_ID: &str = concat!(insert_message!(), " RETURNING id");
const TOUCH_TICKET: &str = "UPDATE tickets SET updated_at = $1 WHERE id = $2";
const INSERT_EVIDENCE: &str = "INSERT INTO evidence (ticket_id, message_id, sha256, kind, width, height, \
     byte_len, filename, editor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_STRIKE: &str = "INSERT INTO strikes (contact, ticket_id, created_at) VALUES ($1, $2, $3)";
/// A joined case waiting for the phone and device (opened by mail): what it lacks.
const JOINED: &str = "SELECT status, phone, device FROM tickets WHERE id = $1";
const FILL_CONTACT: &str = "UPDATE tickets SET phone = $1, device = $2, status = $3 WHERE id = $4";

/// The organisation a contact was found to belong to, if it is still there.
const ORGANISATION: &str =
    "SELECT verified, monthly_quota, time_zone FROM organisations WHERE id = $1 AND removed_at IS NULL";
/// The organisation's cases in a month, before this one.
const MONTH_USED: &str =
    "SELECT COUNT(*) AS n FROM tickets WHERE organisation_id = $1 AND created_at >= $2 AND created_at < $3";

/// The address's domain and its parents down to two labels, at most four, padded with '' (no
/// organisation's domain): `a.b.acme.it` → `a.b.acme.it`, `b.acme.it`, `acme.it`, ''.
fn domain_suffixes(domain: &str) -> [String; 4] {
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let mut out: [String; 4] = Default::default();
    for (slot, start) in out.iter_mut().zip(0..labels.len().saturating_sub(1)) {
        *slot = labels[start..].join(".");
    }
    out
}

/// The advisory lock that serialises the month's count of one organisation on PostgreSQL (apart
/// from the contacts' locks: those hash the contact's text).
fn organisation_lock(org: OrganisationId) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("organisation:{}", org.0).as_bytes());
    i64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ])
}

fn organisation_of(row: &sqlx::any::AnyRow) -> Result<(bool, i64, chrono_tz::Tz), StoreError> {
    let c = Columns(row);
    Ok((
        c.flag("verified")?,
        c.i64("monthly_quota")?,
        zone(&c.text("time_zone")?)?,
    ))
}

fn business_case(org: OrganisationId, verified: bool, quota: i64, used: i64) -> BusinessCase {
    BusinessCase {
        organisation: org,
        standing: Business::of(verified),
        over_quota: over_quota(used, quota),
    }
}

/// PostgreSQL: the new case's status token, its search words, its mail and its webhook deliveries
/// (the fan-out of `store::webhooks::EMIT`) in one round trip.
const PG_TOKEN_AND_ENQUEUE: &str = "WITH token AS (INSERT INTO status_tokens (ticket_id, token_hash, created_at) \
     VALUES ($1, $2, $3)), words AS (INSERT INTO case_search (ticket_id, words) VALUES ($1, $11)), \
     hooks AS (INSERT INTO webhook_deliveries (webhook_id, event_id, kind, ticket_id, payload, \
     created_at, next_attempt_at) SELECT w.id, $8, $9, $1, $10, $3, $3 FROM webhooks w \
     JOIN webhook_subscriptions s ON s.webhook_id = w.id AND s.kind = $9 \
     WHERE w.disabled_at IS NULL AND w.removed_at IS NULL) \
     INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, next_attempt_at) \
     VALUES ($4, $1, $5, $6, $7, $7)";

/// What a joined case needs of the request: its phone and device, if it waits for them, and the
/// status that leaves it in. None when nothing changes.
fn joined_contact(
    r: &IntakeRequest,
    (status, phone, device): (String, String, String),
) -> Result<Option<(String, String, Status)>, StoreError> {
    let status: Status = super::columns::parsed("status", &status)?;
    if status != Status::NeedsInfo {
        return Ok(None);
    }
    let phone = if phone.is_empty() {
        r.phone.as_ref().map_or(String::new(), |p| p.as_str().to_owned())
    } else {
        phone
    };
    let device = if device.is_empty() {
        r.device.clone().unwrap_or_default()
    } else {
        device
    };
    let next = status.once_contact_known(!phone.is_empty(), !device.is_empty());
    Ok(Some((phone, device, next)))
}

/// `BEGIN` and a transaction-scoped advisory lock per contact key. The lock ids are the first 8
/// bytes of the key's SHA-256: stable across processes and versions, so every instance agrees;
/// they are numbers, so writing them into the statement is safe.
fn begin_locking(keys: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut ids: Vec<i64> = keys
        .iter()
        .map(|k| {
            let digest = Sha256::digest(k.as_bytes());
            i64::from_be_bytes([
                digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
            ])
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let locks: String = ids
        .iter()
        .map(|id| format!("; SELECT pg_advisory_xact_lock({id})"))
        .collect();
    format!("BEGIN{locks}")
}

impl Store {
    /// Runs one intake as one transaction; nothing of it is visible unless all of it is.
    pub async fn intake<T: Send + 'static>(
        &self,
        request: IntakeRequest,
        decide: Decide<T>,
    ) -> Result<IntakeOutcome<T>, StoreError> {
        let outcome = match (&self.backend, &self.sqlite_writer) {
            (Backend::Sqlite, Some(writer)) => writer.intake(request, decide).await,
            _ => self.intake_postgres(request, decide).await,
        };
        if outcome.is_ok() {
            self.intake_written();
        }
        outcome
    }

    async fn intake_postgres<T>(&self, r: IntakeRequest, decide: Decide<T>) -> Result<IntakeOutcome<T>, StoreError> {
        // Two intakes of one contact run one after the other, the second seeing the first's case.
        // The locks are taken with BEGIN, in one round trip, in ascending order (no cycles).
        let mut tx = self.writes.begin_with(begin_locking(&r.contacts())).await?;
        let phone = r.phone.as_ref().map(Phone::as_str);
        let suffixes = domain_suffixes(r.email.domain());
        let [ended_a, ended_b, ended_c] = Status::ENDED.map(Status::as_str);
        let rows = sqlx::query(LOOKUP)
            .bind(r.email.as_str())
            .bind(&r.category)
            .bind(ms(r.merge_since))
            .bind(ended_a)
            .bind(ended_b)
            .bind(ended_c)
            .bind(phone)
            .bind(ms(r.strike_since))
            .bind(&suffixes[0])
            .bind(&suffixes[1])
            .bind(&suffixes[2])
            .bind(&suffixes[3])
            .fetch_all(&mut *tx)
            .await?;
        let rows = rows
            .iter()
            .map(|row| Ok((Columns(row).i64("what")?, Columns(row).i64("id")?)))
            .collect::<Result<Vec<(i64, i64)>, StoreError>>()?;
        let found = Found::of(rows);

        if let Some(id) = found.join {
            let row = sqlx::query(INSERT_MESSAGE_RETURNING_ID)
                .bind(id.0)
                .bind(Author::Customer.as_str())
                .bind(&r.merge_body)
                .bind(1i64)
                .bind(ms(r.now))
                .bind(&r.raw_sha256)
                .fetch_one(&mut *tx)
                .await?;
            let message: i64 = Columns(&row).i64("id")?;
            sqlx::query(TOUCH_TICKET)
                .bind(ms(r.now))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            self.pg_evidence(&mut tx, &r, id.0, Some(message)).await?;
            sqlx::query(INSERT_TOKEN)
                .bind(id.0)
                .bind(&r.token_hash)
                .bind(ms(r.now))
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(JOINED).bind(id.0).fetch_one(&mut *tx).await?;
            let c = Columns(&row);
            if let Some((phone, device, status)) =
                joined_contact(&r, (c.text("status")?, c.text("phone")?, c.text("device")?))?
            {
                sqlx::query(FILL_CONTACT)
                    .bind(phone)
                    .bind(device)
                    .bind(status.as_str())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(super::search::APPEND)
                .bind(id.0)
                .bind(&r.words)
                .execute(&mut *tx)
                .await?;
            super::outbox::enqueue(&mut tx, &(r.merged)(id)).await?;
            super::webhooks::emit(&mut tx, Some(id), &r.merged_event(), r.now).await?;
            tx.commit().await?;
            return Ok(IntakeOutcome::Merged(id));
        }

        let mut most_repeats = 0;
        for e in &r.evidence {
            let row = sqlx::query(TIMES_SENT)
                .bind(e.sha256.to_hex())
                .bind(r.email.as_str())
                .bind(phone)
                .fetch_one(&mut *tx)
                .await?;
            most_repeats = most_repeats.max(Columns(&row).i64("n")?);
        }
        let business = match found.organisation() {
            Some(org) => {
                // Two intakes of one organisation count its month one after the other.
                sqlx::query(&format!("SELECT pg_advisory_xact_lock({})", organisation_lock(org)))
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query(ORGANISATION).bind(org.0).fetch_optional(&mut *tx).await?;
                match row {
                    Some(row) => {
                        let (verified, quota, tz) = organisation_of(&row)?;
                        let (from, to) = month_of(r.now, tz);
                        let used = sqlx::query(MONTH_USED)
                            .bind(org.0)
                            .bind(ms(from))
                            .bind(ms(to))
                            .fetch_one(&mut *tx)
                            .await?;
                        Some(business_case(org, verified, quota, Columns(&used).i64("n")?))
                    }
                    None => None,
                }
            }
            None => None,
        };
        let (plan, decided) = decide(ContactHistory {
            recent_strike: found.recent_strike,
            most_repeats,
            same_phone: found.same_phone,
            business,
        })
        .map_err(StoreError::Other)?;
        let t = &plan.case;
        let (fields, warnings) = t.json()?;
        let id: i64 = sqlx::query(INSERT_TICKET_RETURNING_ID)
            .bind(t.status.as_str())
            .bind(t.priority.as_str())
            .bind(&t.category)
            .bind(&t.subcategory)
            .bind(t.email.as_str())
            .bind(t.phone.as_ref().map_or("", Phone::as_str))
            .bind(&t.name)
            .bind(&t.country)
            .bind(&t.language)
            .bind(t.device.as_deref().unwrap_or(""))
            .bind(&t.description)
            .bind(fields)
            .bind(i64::from(t.urgent_requested))
            .bind(i64::from(t.penalised))
            .bind(warnings)
            .bind(t.channel.as_str())
            .bind(ms(t.created_at))
            .bind(ms(t.due.first_response_due))
            .bind(ms(t.due.resolution_due))
            .bind(t.related_to.map(TicketId::get))
            .bind(&r.raw_sha256)
            .bind(t.queue_position())
            .bind(t.business.map(|b| b.organisation.0))
            .bind(t.business.map(|b| b.standing.as_str()))
            .bind(i64::from(t.business.is_some_and(|b| b.over_quota)))
            .bind(t.expected_first_response.map(ms))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        self.pg_evidence(&mut tx, &r, id, None).await?;
        if plan.strike {
            for contact in r.contacts() {
                sqlx::query(INSERT_STRIKE)
                    .bind(contact)
                    .bind(id)
                    .bind(ms(r.now))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let e = (plan.outbox)(TicketId(id));
        let created = t.created_event();
        sqlx::query(PG_TOKEN_AND_ENQUEUE)
            .bind(id)
            .bind(&r.token_hash)
            .bind(ms(r.now))
            .bind(e.event.kind())
            .bind(e.payload()?)
            .bind(&e.idempotency_key)
            .bind(ms(e.created_at))
            .bind(super::webhooks::event_id())
            .bind(created.kind().as_str())
            .bind(super::webhooks::payload(&created)?)
            .bind(&r.words)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(IntakeOutcome::Created(TicketId(id), decided))
    }

    async fn pg_evidence(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        r: &IntakeRequest,
        ticket: i64,
        message: Option<i64>,
    ) -> Result<(), StoreError> {
        for e in &r.evidence {
            insert_evidence(tx, ticket, message, e, r.now).await?;
        }
        Ok(())
    }
}

/// One attachment's row, in the caller's transaction (the SQLite writer binds the same SQL).
pub(super) async fn insert_evidence(
    conn: &mut sqlx::AnyConnection,
    ticket: i64,
    message: Option<i64>,
    e: &EvidenceRow,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(INSERT_EVIDENCE)
        .bind(ticket)
        .bind(message)
        .bind(e.sha256.to_hex())
        .bind(e.kind.as_str())
        .bind(i64::from(e.width))
        .bind(i64::from(e.height))
        .bind(e.byte_len)
        .bind(&e.filename)
        .bind(&e.editor)
        .bind(ms(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// The same flow on a rusqlite connection, inside the writer thread's transaction.
pub(super) fn intake_sqlite<T>(
    conn: &rusqlite::Connection,
    r: &IntakeRequest,
    decide: &Decide<T>,
) -> Result<IntakeOutcome<T>, StoreError> {
    use rusqlite::params;
    let phone = r.phone.as_ref().map(Phone::as_str);
    let suffixes = domain_suffixes(r.email.domain());
    let now = ms(r.now);
    let [ended_a, ended_b, ended_c] = Status::ENDED.map(Status::as_str);
    let found = Found::of(
        conn.prepare_cached(LOOKUP)?
            .query_map(
                params![
                    r.email.as_str(),
                    r.category,
                    ms(r.merge_since),
                    ended_a,
                    ended_b,
                    ended_c,
                    phone,
                    ms(r.strike_since),
                    suffixes[0],
                    suffixes[1],
                    suffixes[2],
                    suffixes[3]
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .collect::<Result<Vec<(i64, i64)>, _>>()?,
    );
    if let Some(id) = found.join {
        conn.prepare_cached(INSERT_MESSAGE)?.execute(params![
            id.0,
            Author::Customer.as_str(),
            r.merge_body,
            1i64,
            now,
            r.raw_sha256
        ])?;
        let message = conn.last_insert_rowid();
        conn.prepare_cached(TOUCH_TICKET)?.execute(params![now, id.0])?;
        sqlite_evidence_and_token(conn, r, id.0, Some(message))?;
        let joined = conn
            .prepare_cached(JOINED)?
            .query_row(params![id.0], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        if let Some((phone, device, status)) = joined_contact(r, joined)? {
            conn.prepare_cached(FILL_CONTACT)?
                .execute(params![phone, device, status.as_str(), id.0])?;
        }
        conn.prepare_cached(super::search::APPEND)?
            .execute(params![id.0, r.words])?;
        sqlite_enqueue(conn, &(r.merged)(id))?;
        super::webhooks::emit_sqlite(conn, id, &r.merged_event(), r.now)?;
        return Ok(IntakeOutcome::Merged(id));
    }
    let mut most_repeats = 0;
    for e in &r.evidence {
        let n: i64 = conn
            .prepare_cached(TIMES_SENT)?
            .query_row(params![e.sha256.to_hex(), r.email.as_str(), phone], |row| row.get(0))?;
        most_repeats = most_repeats.max(n);
    }
    // The single writer counts one intake at a time: no lock needed for the month's count.
    let business = match found.organisation() {
        Some(org) => {
            use rusqlite::OptionalExtension as _;
            let row = conn
                .prepare_cached(ORGANISATION)?
                .query_row(params![org.0], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?))
                })
                .optional()?;
            match row {
                Some((verified, quota, tz)) => {
                    let tz = zone(&tz)?;
                    let (from, to) = month_of(r.now, tz);
                    let used: i64 = conn
                        .prepare_cached(MONTH_USED)?
                        .query_row(params![org.0, ms(from), ms(to)], |row| row.get(0))?;
                    Some(business_case(org, verified != 0, quota, used))
                }
                None => None,
            }
        }
        None => None,
    };
    let (plan, decided) = decide(ContactHistory {
        recent_strike: found.recent_strike,
        most_repeats,
        same_phone: found.same_phone,
        business,
    })
    .map_err(StoreError::Other)?;
    let t = &plan.case;
    let (fields, warnings) = t.json()?;
    conn.prepare_cached(INSERT_TICKET)?.execute(params![
        t.status.as_str(),
        t.priority.as_str(),
        t.category,
        t.subcategory,
        t.email.as_str(),
        t.phone.as_ref().map_or("", Phone::as_str),
        t.name,
        t.country,
        t.language,
        t.device.as_deref().unwrap_or(""),
        t.description,
        fields,
        i64::from(t.urgent_requested),
        i64::from(t.penalised),
        warnings,
        t.channel.as_str(),
        ms(t.created_at),
        ms(t.due.first_response_due),
        ms(t.due.resolution_due),
        t.related_to.map(TicketId::get),
        r.raw_sha256,
        t.queue_position(),
        t.business.map(|b| b.organisation.0),
        t.business.map(|b| b.standing.as_str()),
        i64::from(t.business.is_some_and(|b| b.over_quota)),
        t.expected_first_response.map(ms)
    ])?;
    let id = conn.last_insert_rowid();
    sqlite_evidence_and_token(conn, r, id, None)?;
    conn.prepare_cached(super::search::APPEND)?
        .execute(params![id, r.words])?;
    if plan.strike {
        for contact in r.contacts() {
            conn.prepare_cached(INSERT_STRIKE)?.execute(params![contact, id, now])?;
        }
    }
    sqlite_enqueue(conn, &(plan.outbox)(TicketId(id)))?;
    super::webhooks::emit_sqlite(conn, TicketId(id), &t.created_event(), r.now)?;
    Ok(IntakeOutcome::Created(TicketId(id), decided))
}

fn sqlite_enqueue(conn: &rusqlite::Connection, e: &NewOutboxEvent) -> Result<(), StoreError> {
    conn.prepare_cached(super::outbox::ENQUEUE)?.execute(rusqlite::params![
        e.event.kind(),
        e.ticket_id.get(),
        e.payload()?,
        e.idempotency_key,
        ms(e.created_at)
    ])?;
    Ok(())
}

fn sqlite_evidence_and_token(
    conn: &rusqlite::Connection,
    r: &IntakeRequest,
    ticket: i64,
    message: Option<i64>,
) -> Result<(), StoreError> {
    use rusqlite::params;
    let now = ms(r.now);
    for e in &r.evidence {
        conn.prepare_cached(INSERT_EVIDENCE)?.execute(params![
            ticket,
            message,
            e.sha256.to_hex(),
            e.kind.as_str(),
            i64::from(e.width),
            i64::from(e.height),
            e.byte_len,
            e.filename,
            e.editor,
            now
        ])?;
    }
    conn.prepare_cached(INSERT_TOKEN)?
        .execute(params![ticket, r.token_hash, now])?;
    Ok(())
}
