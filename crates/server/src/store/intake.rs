//! The one write transaction of an intake (SPEC §3.2–§3.3): join the contact's open case, or read
//! the contact's history, let the caller decide the new case, and write it with everything it
//! brings. The flow is the same on both backends; only the driver differs:
//!
//! - PostgreSQL: an sqlx transaction, serialised per contact by advisory locks;
//! - SQLite: the whole flow runs on the writer thread ([`super::sqlite_writer`]) in one hop, with
//!   many intakes committed together — the single writer is the bottleneck, so it must never wait
//!   on a round trip to the async side between statements.

use sqlx::Row;

use super::{Backend, MessageId, NewOutboxEvent, Store, StoreError, Ticket, TicketId};

/// What the caller knows before the transaction.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub email: String,
    /// None when the channel could not ask for it: then only the e-mail identifies the contact.
    pub phone: Option<String>,
    pub category: String,
    /// Open cases of this contact and category created since then absorb the request.
    pub merge_since_ms: i64,
    /// Strikes since then count against the contact.
    pub strike_since_ms: i64,
    pub now_ms: i64,
    /// The new status token, for the new case or the joined one.
    pub token_hash: String,
    /// The text added to a joined case.
    pub merge_body: String,
    pub evidence: Vec<EvidenceRow>,
    /// The raw message the request came in (e-mail), kept as a blob.
    pub raw_sha256: Option<String>,
}

impl IntakeRequest {
    /// The keys that identify the contact: its e-mail, and its phone when known.
    fn contacts(&self) -> Vec<&str> {
        std::iter::once(self.email.as_str())
            .chain(self.phone.as_deref())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct EvidenceRow {
    pub sha256: String,
    pub kind: String,
    pub width: i64,
    pub height: i64,
    pub byte_len: i64,
    pub filename: String,
    pub editor: Option<String>,
}

/// What the store read about the contact, for the caller's decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactHistory {
    pub recent_strike: bool,
    /// The contact already sent one of these attachments this many times (the most repeated one).
    pub most_repeats: i64,
}

/// The caller's decision for a new case.
pub struct CasePlan {
    pub ticket: Ticket,
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
/// The contact's newest open case of the category since the merge window opened, found by e-mail
/// and by phone (a row each, when there is one), and a row `(0, 0)` when the contact has a recent
/// strike. Plain index searches only: on SQLite, an `IN` list of more than two values or an
/// `ORDER BY` across an `OR` builds a temporary b-tree on every run — a sixth of the single
/// writer's instructions, when this was one query with both.
pub(super) const LOOKUP: &str = "\
     SELECT id, created_at FROM (SELECT id, created_at FROM tickets WHERE email = $1 AND category = $2 \
       AND created_at >= $3 AND status NOT IN ('resolved', 'closed') ORDER BY created_at DESC, id DESC LIMIT 1) AS by_email \
     UNION ALL SELECT id, created_at FROM (SELECT id, created_at FROM tickets WHERE phone = $4 AND category = $2 \
       AND created_at >= $3 AND status NOT IN ('resolved', 'closed') ORDER BY created_at DESC, id DESC LIMIT 1) AS by_phone \
     UNION ALL SELECT 0, 0 WHERE EXISTS (SELECT 1 FROM strikes WHERE contact = $1 AND created_at >= $5) \
       OR EXISTS (SELECT 1 FROM strikes WHERE contact = $4 AND created_at >= $5)";

/// Reads LOOKUP's rows `(id, created_at)`: the case to join, the newest, and whether a strike is recent.
fn looked_up(rows: impl IntoIterator<Item = (i64, i64)>) -> (Option<i64>, bool) {
    let (mut newest, mut strike) = (None, false);
    for (id, created_at) in rows {
        if id == 0 {
            strike = true;
        } else if newest.is_none_or(|(at, newest_id)| (created_at, id) > (at, newest_id)) {
            newest = Some((created_at, id));
        }
    }
    (newest.map(|(_, id)| id), strike)
}

pub(super) const TIMES_SENT: &str = "SELECT COUNT(*) AS n FROM evidence e JOIN tickets t ON t.id = e.ticket_id \
     WHERE e.sha256 = $1 AND (t.email = $2 OR t.phone = $3)";
/// The two inserts whose new id the intake needs. PostgreSQL returns it (`RETURNING id`); SQLite
/// reads its last rowid instead, as its `RETURNING` buffers the row in a temporary b-tree.
macro_rules! insert_ticket {
    () => {
        "INSERT INTO tickets (status, priority, category, subcategory, email, phone, name, country, language, \
         device, description, fields, urgent_requested, penalised, warnings, channel, created_at, updated_at, \
         first_response_due, resolution_due, related_to, raw_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20, $21)"
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
pub(super) const TOUCH_TICKET: &str = "UPDATE tickets SET updated_at = $1 WHERE id = $2";
pub(super) const INSERT_EVIDENCE: &str = "INSERT INTO evidence (ticket_id, message_id, sha256, kind, width, height, \
     byte_len, filename, editor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(super) const INSERT_STRIKE: &str = "INSERT INTO strikes (contact, ticket_id, created_at) VALUES ($1, $2, $3)";
pub(super) const ENQUEUE: &str = "INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, \
     next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)";

/// PostgreSQL: the new case's status token and its event in one round trip.
const PG_TOKEN_AND_ENQUEUE: &str = "WITH token AS (INSERT INTO status_tokens (ticket_id, token_hash, created_at) \
     VALUES ($1, $2, $3)) INSERT INTO outbox (kind, ticket_id, payload, idempotency_key, created_at, next_attempt_at) \
     VALUES ($4, $1, $5, $6, $7, $7)";

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
        match (&self.backend, &self.sqlite_writer) {
            (Backend::Sqlite, Some(writer)) => writer.intake(request, decide).await,
            _ => self.intake_postgres(request, decide).await,
        }
    }

    async fn intake_postgres<T>(&self, r: IntakeRequest, decide: Decide<T>) -> Result<IntakeOutcome<T>, StoreError> {
        // Two intakes of one contact run one after the other, the second seeing the first's case.
        // The locks are taken with BEGIN, in one round trip, in ascending order (no cycles).
        let mut tx = self.writes.begin_with(begin_locking(&r.contacts())).await?;
        let rows = sqlx::query(LOOKUP)
            .bind(&r.email)
            .bind(&r.category)
            .bind(r.merge_since_ms)
            .bind(&r.phone)
            .bind(r.strike_since_ms)
            .fetch_all(&mut *tx)
            .await?;
        let rows = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<(i64, i64)>, sqlx::Error>>()?;
        let (merge_into, recent_strike) = looked_up(rows);

        if let Some(id) = merge_into {
            let message: i64 = sqlx::query(INSERT_MESSAGE_RETURNING_ID)
                .bind(id)
                .bind("customer")
                .bind(&r.merge_body)
                .bind(1i64)
                .bind(r.now_ms)
                .bind(&r.raw_sha256)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            sqlx::query(TOUCH_TICKET)
                .bind(r.now_ms)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            self.pg_evidence(&mut tx, &r, id, Some(message)).await?;
            sqlx::query(INSERT_TOKEN)
                .bind(id)
                .bind(&r.token_hash)
                .bind(r.now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(IntakeOutcome::Merged(TicketId(id)));
        }

        let mut most_repeats = 0;
        for e in &r.evidence {
            let n: i64 = sqlx::query(TIMES_SENT)
                .bind(&e.sha256)
                .bind(&r.email)
                .bind(&r.phone)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            most_repeats = most_repeats.max(n);
        }
        let (plan, decided) = decide(ContactHistory {
            recent_strike,
            most_repeats,
        })
        .map_err(StoreError::Other)?;
        let t = &plan.ticket;
        let id: i64 = sqlx::query(INSERT_TICKET_RETURNING_ID)
            .bind(&t.status)
            .bind(&t.priority)
            .bind(&t.category)
            .bind(&t.subcategory)
            .bind(&t.email)
            .bind(t.phone.as_deref().unwrap_or(""))
            .bind(&t.name)
            .bind(&t.country)
            .bind(&t.language)
            .bind(t.device.as_deref().unwrap_or(""))
            .bind(&t.description)
            .bind(&t.fields)
            .bind(i64::from(t.urgent_requested))
            .bind(i64::from(t.penalised))
            .bind(&t.warnings)
            .bind(&t.channel)
            .bind(t.created_at)
            .bind(t.first_response_due)
            .bind(t.resolution_due)
            .bind(t.related_to.map(TicketId::get))
            .bind(&r.raw_sha256)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        self.pg_evidence(&mut tx, &r, id, None).await?;
        if plan.strike {
            for contact in r.contacts() {
                sqlx::query(INSERT_STRIKE)
                    .bind(contact)
                    .bind(id)
                    .bind(r.now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let e = (plan.outbox)(TicketId(id));
        sqlx::query(PG_TOKEN_AND_ENQUEUE)
            .bind(id)
            .bind(&r.token_hash)
            .bind(r.now_ms)
            .bind(&e.kind)
            .bind(&e.payload)
            .bind(&e.idempotency_key)
            .bind(e.created_at)
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
            sqlx::query(INSERT_EVIDENCE)
                .bind(ticket)
                .bind(message)
                .bind(&e.sha256)
                .bind(&e.kind)
                .bind(e.width)
                .bind(e.height)
                .bind(e.byte_len)
                .bind(&e.filename)
                .bind(&e.editor)
                .bind(r.now_ms)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// The same flow on a rusqlite connection, inside the writer thread's transaction.
pub(super) fn intake_sqlite<T>(
    conn: &rusqlite::Connection,
    r: &IntakeRequest,
    decide: &Decide<T>,
) -> Result<IntakeOutcome<T>, StoreError> {
    use rusqlite::params;
    let (merge_into, recent_strike) = looked_up(
        conn.prepare_cached(LOOKUP)?
            .query_map(
                params![r.email, r.category, r.merge_since_ms, r.phone, r.strike_since_ms],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .collect::<Result<Vec<(i64, i64)>, _>>()?,
    );
    if let Some(id) = merge_into {
        conn.prepare_cached(INSERT_MESSAGE)?.execute(params![
            id,
            "customer",
            r.merge_body,
            1i64,
            r.now_ms,
            r.raw_sha256
        ])?;
        let message = conn.last_insert_rowid();
        conn.prepare_cached(TOUCH_TICKET)?.execute(params![r.now_ms, id])?;
        sqlite_evidence_and_token(conn, r, id, Some(MessageId(message)))?;
        return Ok(IntakeOutcome::Merged(TicketId(id)));
    }
    let mut most_repeats = 0;
    for e in &r.evidence {
        let n: i64 = conn
            .prepare_cached(TIMES_SENT)?
            .query_row(params![e.sha256, r.email, r.phone], |row| row.get(0))?;
        most_repeats = most_repeats.max(n);
    }
    let (plan, decided) = decide(ContactHistory {
        recent_strike,
        most_repeats,
    })
    .map_err(StoreError::Other)?;
    let t = &plan.ticket;
    conn.prepare_cached(INSERT_TICKET)?.execute(params![
        t.status,
        t.priority,
        t.category,
        t.subcategory,
        t.email,
        t.phone.as_deref().unwrap_or(""),
        t.name,
        t.country,
        t.language,
        t.device.as_deref().unwrap_or(""),
        t.description,
        t.fields,
        i64::from(t.urgent_requested),
        i64::from(t.penalised),
        t.warnings,
        t.channel,
        t.created_at,
        t.first_response_due,
        t.resolution_due,
        t.related_to.map(TicketId::get),
        r.raw_sha256
    ])?;
    let id = conn.last_insert_rowid();
    sqlite_evidence_and_token(conn, r, id, None)?;
    if plan.strike {
        for contact in r.contacts() {
            conn.prepare_cached(INSERT_STRIKE)?
                .execute(params![contact, id, r.now_ms])?;
        }
    }
    let e = (plan.outbox)(TicketId(id));
    conn.prepare_cached(ENQUEUE)?.execute(params![
        e.kind,
        e.ticket_id.get(),
        e.payload,
        e.idempotency_key,
        e.created_at
    ])?;
    Ok(IntakeOutcome::Created(TicketId(id), decided))
}

fn sqlite_evidence_and_token(
    conn: &rusqlite::Connection,
    r: &IntakeRequest,
    ticket: i64,
    message: Option<MessageId>,
) -> Result<(), StoreError> {
    use rusqlite::params;
    for e in &r.evidence {
        conn.prepare_cached(INSERT_EVIDENCE)?.execute(params![
            ticket,
            message.map(|m| m.get()),
            e.sha256,
            e.kind,
            e.width,
            e.height,
            e.byte_len,
            e.filename,
            e.editor,
            r.now_ms
        ])?;
    }
    conn.prepare_cached(INSERT_TOKEN)?
        .execute(params![ticket, r.token_hash, r.now_ms])?;
    Ok(())
}
