//! A case as the desk shows it (SPEC §7): its timeline (messages, replies, notes and the system's
//! events, in order), fields, evidence facts, the contact and their other cases, the clock.

use chrono::{DateTime, Utc};
use sportello_domain::access::Principal;
use sportello_domain::case::Flag;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::sla::ClockState;

use super::access::{staff, Intent, StaffAccess};
use super::{App, Error};
use crate::store::{AttachmentRecord, AuditQuery, AuditRecord, Case, MessageRecord, TeamRecord};

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The request the case was opened with (its description).
    Request { body: String, at: DateTime<Utc> },
    /// A customer's message, an agent's reply or note.
    Message(MessageRecord),
    /// A change recorded in the audit log (status, priority, assignment, a breach…).
    Event(AuditRecord),
}

impl Entry {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Entry::Request { at, .. } => *at,
            Entry::Message(m) => m.created_at,
            Entry::Event(e) => e.entry.at,
        }
    }
}

/// Another case of the same contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCase {
    pub number: CaseNumber,
    pub status: sportello_domain::case::Status,
    pub category: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct DeskCase {
    pub access: StaffAccess,
    pub team: Option<TeamRecord>,
    pub assignee_name: Option<String>,
    pub timeline: Vec<Entry>,
    pub attachments: Vec<AttachmentRecord>,
    pub others: Vec<OtherCase>,
    pub undeliverable: bool,
    pub flags: Vec<Flag>,
    pub first_response: ClockState,
    pub resolution: ClockState,
    /// The id of the newest public entry (a collision check compares it on send).
    pub last_public: Option<i64>,
    /// Agents' and teams' names by id, for the events that name them.
    pub agent_names: std::collections::HashMap<i64, String>,
    pub team_names: std::collections::HashMap<i64, String>,
    /// Enabled agents, by name: whom the case may be assigned to.
    pub assignable: Vec<(sportello_domain::access::AgentId, String)>,
    /// Related cases the reader may see (linked, or opened about one another).
    pub links: Vec<OtherCase>,
    /// The canned replies offered on the case (SPEC §7), by name.
    pub canned: Vec<crate::store::CannedRecord>,
    /// Files that came by mail and are not screenshots (a PDF, a spreadsheet).
    pub files: Vec<crate::store::MailFileRecord>,
    /// The contact's organisation (SPEC §10), as it is now; the case keeps how it stood.
    pub organisation: Option<crate::store::OrganisationRecord>,
}

impl DeskCase {
    pub fn case(&self) -> &Case {
        self.access.case()
    }
}

/// How many of the contact's other cases the page lists.
const OTHER_CASES: i64 = 20;
/// How many events of the audit log a timeline shows.
const EVENTS: i64 = 500;

pub async fn desk_case(app: &App, who: &Principal, case: &str) -> Result<DeskCase, Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    let c = access.case();
    let now = app.clock.now();
    let teams = access.teams();
    let team = c.team.and_then(|id| access.team(id)).cloned();
    let restricted: Vec<_> = teams.iter().filter(|t| t.restricted).map(|t| t.id).collect();
    let agents = app.store.agents().await?;
    let assignable = agents
        .iter()
        .filter(|a| a.disabled_at.is_none())
        .map(|a| (a.id, a.name.clone()))
        .collect();
    let agent_names: std::collections::HashMap<i64, String> = agents.into_iter().map(|a| (a.id.0, a.name)).collect();
    let team_names = teams.iter().map(|t| (t.id.0, t.name.clone())).collect();
    let assignee_name = c.assignee.and_then(|a| agent_names.get(&a.0).cloned());
    let messages = app.store.messages(c.id).await?;
    let last_public = messages.iter().filter(|m| m.public).map(|m| m.id.get()).max();
    let events = app
        .store
        .audit_log(AuditQuery {
            ticket: Some(c.id),
            limit: EVENTS,
            ..AuditQuery::default()
        })
        .await?;
    let mut timeline = vec![Entry::Request {
        body: c.description.clone(),
        at: c.created_at,
    }];
    timeline.extend(messages.into_iter().map(Entry::Message));
    timeline.extend(
        events
            .into_iter()
            .filter(|e| e.entry.action.is_case_event())
            .map(Entry::Event),
    );
    // Stable: at the same second, a message comes before the events it caused.
    timeline.sort_by_key(Entry::at);
    let prefix = app.catalog.case_prefix();
    let others = app
        .store
        .cases_of_contact(&c.email, c.id, &who.hidden_teams(&restricted), OTHER_CASES)
        .await?
        .into_iter()
        .filter_map(|(id, status, category, created_at)| {
            Some(OtherCase {
                number: id.number(prefix).ok()?,
                status,
                category,
                created_at,
            })
        })
        .collect();
    let mut links = Vec::new();
    for id in app.store.links(c.id).await? {
        let Some(other) = app.store.case(id).await? else {
            continue;
        };
        let team = other
            .team
            .and_then(|t| teams.iter().find(|x| x.id == t))
            .map(|t| t.as_ref());
        if let (true, Ok(number)) = (who.may_see(team), id.number(prefix)) {
            links.push(OtherCase {
                number,
                status: other.status,
                category: other.category,
                created_at: other.created_at,
            });
        }
    }
    let undeliverable = app.store.is_undeliverable(&c.email).await?;
    let canned = super::canned::for_case(app.store.canned_replies().await?, &access);
    // Only mail brings files: a case with none by mail costs no query for them.
    let by_mail = c.channel == sportello_domain::case::Channel::Email || timeline_by_mail(&timeline);
    let files = if by_mail {
        app.store.mail_files(c.id).await?
    } else {
        Vec::new()
    };
    let organisation = match c.organisation {
        Some(id) => app.store.organisation(id).await?,
        None => None,
    };
    let timers = c.timers();
    Ok(DeskCase {
        organisation,
        team,
        assignee_name,
        attachments: app.store.attachments(c.id, &who.hidden_teams(&restricted)).await?,
        others,
        undeliverable,
        flags: Flag::of(c.status, c.penalised, &c.warnings, undeliverable, c.over_quota),
        first_response: timers.first_response(now),
        resolution: timers.resolution(now),
        last_public,
        agent_names,
        team_names,
        assignable,
        links,
        canned,
        files,
        timeline,
        access,
    })
}

fn timeline_by_mail(timeline: &[Entry]) -> bool {
    timeline.iter().any(|e| matches!(e, Entry::Message(m) if m.by_mail))
}

/// Which bytes of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Original,
    Thumbnail,
}

/// An attachment of `case` with its bytes, for someone who may read the case: [`Error::NotFound`]
/// for one of another case, as for a case they may not see; a thumbnail not made yet is not found.
pub async fn attachment(
    app: &App,
    who: &Principal,
    case: &str,
    attachment: i64,
    which: Picture,
) -> Result<(AttachmentRecord, bytes::Bytes), Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    let record = app
        .store
        .attachment(access.case().id, attachment)
        .await?
        .ok_or(Error::NotFound)?;
    let hex = match which {
        Picture::Original => Some(record.sha256.as_str()),
        Picture::Thumbnail => record.thumb_sha256.as_deref(),
    };
    let hash = hex
        .and_then(sportello_domain::evidence::ContentHash::from_hex)
        .ok_or(Error::NotFound)?;
    let bytes = app.blobs.get(&hash).await?.ok_or(Error::NotFound)?;
    Ok((record, bytes))
}

/// A file from mail of `case` with its bytes, read back from the raw message it came in, for
/// someone who may read the case ([`Error::NotFound`] otherwise, and for another case's file).
pub async fn mail_file(
    app: &App,
    who: &Principal,
    case: &str,
    file: i64,
) -> Result<(crate::store::MailFileRecord, bytes::Bytes), Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    let record = app
        .store
        .mail_file(access.case().id, file)
        .await?
        .ok_or(Error::NotFound)?;
    let message = raw_mail(app, Some(record.file.raw_sha256.clone())).await?;
    let part = usize::try_from(record.file.part).map_err(|_| Error::NotFound)?;
    let attachment = message.attachments.into_iter().nth(part).ok_or(Error::NotFound)?;
    Ok((record, bytes::Bytes::from(attachment.bytes)))
}

/// A mail as it came, all of its text (quoted history and signature included), for the agent
/// who needs what the timeline cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeMail {
    pub from: String,
    pub subject: String,
    pub text: String,
}

/// The mail `case` was opened by (`message` None) or one of its messages came in, for someone
/// who may read the case; [`Error::NotFound`] for anything else.
pub async fn whole_mail(
    app: &App,
    who: &Principal,
    case: &str,
    message: Option<crate::store::MessageId>,
) -> Result<WholeMail, Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    let m = raw_mail(app, app.store.raw_mail(access.case().id, message).await?).await?;
    Ok(WholeMail {
        from: m.from,
        subject: m.subject,
        text: m.whole,
    })
}

/// The kept raw mail `sha256` names, read again as when it came.
async fn raw_mail(app: &App, sha256: Option<String>) -> Result<crate::mail::inbound::Received, Error> {
    let hash = sha256
        .and_then(|hex| sportello_domain::evidence::ContentHash::from_hex(&hex))
        .ok_or(Error::NotFound)?;
    let bytes = app.blobs.get(&hash).await?.ok_or(Error::NotFound)?;
    match crate::mail::inbound::read(&bytes, &app.settings.support_address) {
        Ok(crate::mail::inbound::Inbound::Message(m)) => Ok(m),
        _ => Err(Error::NotFound),
    }
}
