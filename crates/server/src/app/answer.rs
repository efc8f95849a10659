//! An agent writes on a case (SPEC §7): a public reply — mailed on the customer's thread, the
//! first one recorded as the first response, optionally leaving the case waiting on the customer —
//! or an internal note. One transaction: the message, its audit row, the status it moves the case
//! to, and the mail. The same idempotency key twice writes and sends once.
//!
//! A reply is held for `reply_undo_delay` first (SPEC §7): written, seen by its agent with an
//! "undo", and sent by [`send_held`] once the time has come — unless [`undo`] took it back.

use chrono::{DateTime, Utc};
use sportello_domain::access::Principal;
use sportello_domain::audit::Action;
use sportello_domain::canned::Placeholder;
use sportello_domain::case::{Status, MAX_TEXT_CHARS};
use sportello_domain::problem::{Problem, ProblemCode};

use super::access::{staff, Intent, StaffAccess};
use super::conflict::Conflict;
use super::transitions::move_to;
use super::{App, Error};
use crate::events::{AgentReply, OutboxEvent};
use crate::store::{AfterReply, AgentMessage, AuditEntry, CannedId, MessageId, NewOutboxEvent, WriteTx};

/// What the agent wrote.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub body: String,
    /// A reply to the customer; false for an internal note.
    pub public: bool,
    /// "Reply and wait": the case waits on the customer (`pending_customer`).
    pub wait_for_customer: bool,
    /// A form's token or an `Idempotency-Key`: the same key twice is one message.
    pub idempotency_key: Option<String>,
    /// The newest public message the writer had seen (`MessageId` 0: none). If a newer one has
    /// arrived, nothing is written: [`Conflict::NewerEntry`] (SPEC §7, collision).
    pub seen: Option<MessageId>,
    /// Written knowing of the newer message: no collision check.
    pub confirm: bool,
    /// The canned reply it began from: its status and priority go with the reply (an explicit
    /// "reply and wait" wins over its status).
    pub canned: Option<CannedId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub message: Option<MessageId>,
    /// The key was used before: nothing new was written or sent.
    pub repeated: bool,
    /// A reply waits until then, to be undone; `None`: it went at once (or is a note).
    pub held_until: Option<DateTime<Utc>>,
}

pub async fn answer(app: &App, who: &Principal, case: &str, a: Answer) -> Result<Answered, Error> {
    let access = staff(app, who, case, Intent::Work).await?;
    let action = if a.public { Action::CaseReply } else { Action::CaseNote };
    write(app, who, &access, a, action).await
}

/// SPEC §7's "request information": a reply in the customer's language listing what the case
/// still lacks (its recommended fields, and the phone and device a case opened by mail waits
/// for); the case then waits on the customer, its resolution clock paused.
pub async fn request_info(app: &App, who: &Principal, case: &str, key: Option<String>) -> Result<Answered, Error> {
    let access = staff(app, who, case, Intent::Work).await?;
    let c = access.case();
    let lang = crate::i18n::Lang::negotiate([c.language.as_str()]);
    let missing = super::missing::missing_fields(app, c);
    if missing.is_empty() {
        return Err(Error::Conflict(Conflict::NothingMissing));
    }
    let list: String = missing.iter().map(|m| format!("- {m}\n")).collect();
    let body = format!("{}\n\n{list}", lang.message("mail-request-info", &[]));
    let a = Answer {
        body,
        public: true,
        wait_for_customer: true,
        idempotency_key: key,
        ..Answer::default()
    };
    write(app, who, &access, a, Action::CaseRequestInfo).await
}

async fn write(app: &App, who: &Principal, access: &StaffAccess, a: Answer, action: Action) -> Result<Answered, Error> {
    let agent = who.agent().ok_or(Error::Forbidden)?;
    let body = a.body.trim();
    if body.is_empty() {
        return Err(Error::Invalid(vec![Problem::new("body", ProblemCode::Required)]));
    }
    if body.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::Invalid(vec![Problem::new("body", ProblemCode::TooLong)]));
    }
    let c = access.case();
    if matches!(c.status, Status::Closed | Status::Merged) {
        return Err(Error::Conflict(Conflict::CaseIs(c.status)));
    }
    if let (Some(seen), false) = (a.seen, a.confirm) {
        if app.store.newest_public(c.id).await?.is_some_and(|newest| newest > seen) {
            return Err(Error::Conflict(Conflict::NewerEntry));
        }
    }
    let then = after_reply(app, access, &a).await?;
    let now = app.clock.now();
    let delay = app.settings.reply_undo_delay;
    let held = (action == Action::CaseReply && delay > chrono::Duration::zero()).then(|| now + delay);
    let mut tx = app.store.begin_write().await?;
    // Keys are the agent's own: another agent's key never collides with theirs.
    let key = a.idempotency_key.as_ref().map(|k| format!("agent-{}:{k}", agent.0));
    let Some(message) = tx
        .add_agent_message(&AgentMessage {
            ticket: c.id,
            agent,
            body: body.to_owned(),
            public: a.public,
            idempotency_key: key,
            at: now,
            held,
            then,
        })
        .await?
    else {
        return Ok(Answered {
            message: None,
            repeated: true,
            held_until: None,
        });
    };
    tx.audit(&AuditEntry::case(now, Some(agent), action, c.id).change(None::<&str>, Some(message.get())))
        .await?;
    if !a.public {
        mail_mentions(app, &mut tx, access, who, body, message, now).await?;
    } else if held.is_none() {
        let reply = Outgoing { body, message, then };
        send(app, &mut tx, access, who, reply, now).await?;
    }
    tx.commit().await?;
    app.outbox_wake.notify_one();
    Ok(Answered {
        message: Some(message),
        repeated: false,
        held_until: held,
    })
}

/// What the reply will do to its case as it goes: "reply and wait", else the canned reply's
/// status; the canned reply's priority, checked against the category now so the agent hears of
/// it before anything is written.
async fn after_reply(app: &App, access: &StaffAccess, a: &Answer) -> Result<AfterReply, Error> {
    let canned = match a.canned {
        Some(id) if a.public => Some(
            super::canned::offered_one(app, access, id)
                .await?
                .ok_or(Error::Conflict(Conflict::CannedNotHere))?,
        ),
        _ => None,
    };
    let set = canned.as_ref().map(|c| &c.canned);
    let priority = set.and_then(|c| c.set_priority);
    if let Some(to) = priority {
        super::transitions::priority_allowed(app, access.case(), to)?;
    }
    Ok(AfterReply {
        status: if a.wait_for_customer {
            Some(Status::PendingCustomer)
        } else {
            set.and_then(|c| c.set_status)
        },
        priority,
        canned: canned.map(|c| c.id),
    })
}

/// A public reply as it goes.
struct Outgoing<'a> {
    body: &'a str,
    message: MessageId,
    then: AfterReply,
}

/// What a public reply does as it goes: the mail, the first response, the status it leaves the
/// case in (waiting on the customer, or open). A case that ended meanwhile keeps its status.
async fn send(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    reply: Outgoing<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let Outgoing { body, message, then } = reply;
    let c = access.case();
    tx.first_response(c.id, now).await?;
    mail_reply(app, tx, access, who, body, message, now).await?;
    let to = then.status.unwrap_or(match c.status {
        Status::New | Status::NeedsInfo => Status::Open,
        other => other,
    });
    if c.status.can_become(to) {
        move_to(app, tx, access, who, to, now).await?;
    }
    if let (Some(to), Some(id)) = (then.priority, then.canned) {
        // A category changed meanwhile to one that is never urgent keeps the case's priority.
        if super::transitions::priority_allowed(app, c, to).is_ok() {
            let name = app.store.canned_name(id).await?.unwrap_or_default();
            let reason = format!("canned reply: {name}");
            super::transitions::reprioritise(app, tx, access, who, to, &reason, now).await?;
        }
    }
    Ok(())
}

/// Sends the held replies whose time has come, each once however many instances run (the
/// release is the claim); how many went.
pub async fn send_held(app: &App) -> Result<usize, Error> {
    let now = app.clock.now();
    let prefix = app.catalog.case_prefix();
    let mut sent = 0;
    for (message, ticket, agent) in app.store.held_due(now, 50).await? {
        let Ok(number) = ticket.number(prefix) else { continue };
        // The case as it is now, read as the system (its agent may have lost access since: the
        // reply was theirs to write when they wrote it).
        let access = staff(app, &Principal::System, &number.to_string(), Intent::Read).await?;
        let who = match app.store.agent(agent).await? {
            Some(record) => super::access::as_agent(&record, sportello_domain::access::Scope::Write),
            None => Principal::System,
        };
        let mut tx = app.store.begin_write().await?;
        let Some(held) = tx.release(message, now).await? else {
            continue;
        };
        let reply = Outgoing {
            body: &held.body,
            message,
            then: held.then,
        };
        send(app, &mut tx, &access, &who, reply, now).await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        app.outbox_wake.notify_one();
    }
    Ok(sent)
}

/// The draft a reply undone by `who` on the case they read (`access`) left behind.
pub async fn undone_draft(
    app: &App,
    who: &Principal,
    access: &StaffAccess,
    message: MessageId,
) -> Result<Option<String>, Error> {
    let Some(agent) = who.agent() else { return Ok(None) };
    Ok(app.store.undone_reply(access.case().id, message, agent).await?)
}

/// Takes back the agent's own reply while it is held: nothing is sent, the text comes back as a
/// draft; [`Conflict::NotHeld`] once it has gone.
pub async fn undo(app: &App, who: &Principal, case: &str, message: MessageId) -> Result<String, Error> {
    let access = staff(app, who, case, Intent::Work).await?;
    let agent = who.agent().ok_or(Error::Forbidden)?;
    let c = access.case();
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let body = tx
        .withdraw(c.id, message, agent, now)
        .await?
        .ok_or(Error::Conflict(Conflict::NotHeld))?;
    tx.audit(
        &AuditEntry::case(now, Some(agent), Action::CaseReplyUndone, c.id).change(Some(message.get()), None::<&str>),
    )
    .await?;
    tx.commit().await?;
    Ok(body)
}

/// The names a note mentions: every `@word` (letters, digits, `.`, `_`, `-`), lower-cased.
pub fn mentioned(body: &str) -> Vec<String> {
    let mut names: Vec<String> = body
        .split('@')
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            let name = name.trim_end_matches(['.', '-', '_']).to_lowercase();
            (!name.is_empty()).then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// SPEC §7: `@name` in an internal note mails the agents it names — by the part of their address
/// before `@`, or their first name — who may see the case (a restricted case tells no outsider
/// it exists), never the writer.
async fn mail_mentions(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    body: &str,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let names = mentioned(body);
    if names.is_empty() {
        return Ok(());
    }
    let team = access.owner();
    let author = who.name().to_owned();
    for agent in app.store.agents().await? {
        let local = agent.email.as_str().split('@').next().unwrap_or("").to_lowercase();
        let first = agent.name.split_whitespace().next().unwrap_or("").to_lowercase();
        let named = names.iter().any(|n| *n == local || *n == first);
        if !named || agent.disabled_at.is_some() || who.agent() == Some(agent.id) {
            continue;
        }
        if !super::access::as_agent(&agent, sportello_domain::access::Scope::Read).may_see(team) {
            continue;
        }
        let number = access.number();
        let event = OutboxEvent::Mention(crate::events::Mention {
            to: agent.email.clone(),
            language: agent.language.clone(),
            author: author.clone(),
            case_number: number.to_string(),
            note: body.chars().take(2_000).collect(),
            link: format!("{}/desk/cases/{number}", app.settings.public_url),
        });
        let domain = app.settings.support_address.rsplit('@').next().unwrap_or("localhost");
        let key = format!(
            "<mention.{}.{}.{}@{domain}>",
            number.to_string().to_lowercase(),
            message.get(),
            agent.id.0
        );
        tx.enqueue_unbound(&event, &key, now).await?;
    }
    Ok(())
}

/// The reply's mail, on the thread our confirmation began, with a fresh status link.
async fn mail_reply(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    body: &str,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let c = access.case();
    let number = access.number();
    let (_, status_url) = super::access::new_status_link(app, tx, access, now).await?;
    let agent_name = who.name().to_owned();
    let event = OutboxEvent::Reply(AgentReply {
        case_number: number.to_string(),
        to: c.email.clone(),
        language: c.language.clone(),
        agent_name,
        body: with_status_url(body, &status_url),
        references: vec![app.mail_ids.message_id(number, "confirmation")],
        status_url: Some(status_url),
    });
    tx.enqueue(&NewOutboxEvent {
        ticket_id: c.id,
        event,
        idempotency_key: app.mail_ids.message_id(number, &format!("reply-{}", message.get())),
        created_at: now,
    })
    .await?;
    Ok(())
}

/// A reply's text with its `{status_url}` placeholders (a canned reply's) filled: the message
/// keeps the placeholder, the mail and the customer's page carry the link.
pub fn with_status_url(body: &str, url: &str) -> String {
    sportello_domain::canned::fill(body, |p| (p == Placeholder::StatusUrl).then(|| url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::mentioned;

    #[test]
    fn mentions_are_the_words_after_an_at_sign() {
        assert_eq!(
            mentioned("@Sam, @rita.b and @sam: see x@y.z."),
            ["rita.b", "sam", "y.z"]
        );
        assert!(mentioned("no one here @ all").is_empty());
        assert_eq!(mentioned("@Élodie!"), ["élodie"]);
    }
}
