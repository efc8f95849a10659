//! `/desk/cases/{case}`: the case page and its actions, each a form that redirects back.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::case::Status;
use sportello_domain::triage::Priority;

use super::queue::{time_left, Choice};
use super::{Checked, DeskFrame};
use crate::app::answer::{self, answer, Answer};
use crate::app::canned;
use crate::app::change;
use crate::app::credentials::Secret;
use crate::app::desk_case::{attachment, desk_case, Entry, Picture};
use crate::store::{CannedId, MessageId};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, moment, see_other, Tr};
use crate::web::WebState;

pub struct AttachmentView {
    pub href: String,
    /// The thumbnail's URL, once the job has made it.
    pub thumb: Option<String>,
    /// Why there is no thumbnail: being made, or none can be.
    pub no_thumb: &'static str,
    /// The thumbnail's size on the page (CSS pixels), so nothing moves as it loads.
    pub width: u32,
    pub height: u32,
    pub name: String,
    pub facts: String,
}

/// Thumbnails are shown at most this many CSS pixels on their longer side.
const SHOWN: u32 = 160;

pub struct EntryView {
    /// Arrived after what the writer of a held send had seen.
    pub new: bool,
    /// It came by mail: where the whole mail is, what the timeline cut included.
    pub whole: Option<String>,
    /// A held reply of the reader's: the form that undoes it, when it goes (in words, and as
    /// RFC 3339 for the script that reloads the page then).
    pub undo: Option<(String, String, String)>,
    pub kind: &'static str,
    pub who: String,
    pub at: String,
    pub at_iso: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "desk/case.html")]
struct CasePage {
    frame: DeskFrame,
    draft: String,
    /// The other agents who have the case open (SPEC §7), by name.
    viewers: String,
    /// The newest public message on the page: the reply form says it saw it.
    seen: i64,
    /// A send held because something newer arrived: its "wait for the customer", kept. The form
    /// now says it saw the newest message, so sending again sends.
    held_send: Option<(String, bool)>,
    number: String,
    category: String,
    priority: String,
    priority_code: &'static str,
    status: String,
    channel: String,
    flags: Vec<String>,
    notice: Option<String>,
    entries: Vec<EntryView>,
    action_base: String,
    form_key: String,
    first_response_state: &'static str,
    first_response_state_label: String,
    first_response_due: String,
    first_response_exact: String,
    resolution_state: &'static str,
    resolution_state_label: String,
    resolution_due: String,
    resolution_exact: String,
    assignee: String,
    team: String,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    agents: Vec<Choice>,
    teams: Vec<Choice>,
    categories: Vec<Choice>,
    links: Vec<(String, String, String)>,
    fields: Vec<(String, String)>,
    email: String,
    undeliverable: bool,
    phone: String,
    /// The contact's organisation: its name and whether it is verified now (SPEC §10).
    organisation: Option<(String, bool)>,
    over_quota: bool,
    /// The customer's answer to the resolution mail (SPEC §11), in words, and its comment.
    csat: Option<(String, Option<String>)>,
    others: Vec<(String, String, String)>,
    attachments: Vec<AttachmentView>,
    /// The canned replies offered here, and the one the reply box was filled from (its id, ""
    /// for none, and what it will also do).
    canned: Vec<Choice>,
    canned_id: String,
    canned_does: String,
    /// Files from mail: (download address, name, facts).
    files: Vec<(String, String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    /// A reply just undone: its text goes back into the reply box.
    draft: Option<i64>,
    /// A canned reply picked without the script: it fills the reply box.
    canned: Option<i64>,
}

/// An event of the timeline in words: statuses and priorities by their labels, assignments by
/// the names of the agent and team.
fn event_text(t: &Tr, e: &crate::store::AuditRecord, view: &crate::app::desk_case::DeskCase) -> String {
    use sportello_domain::audit::Action;
    let action = e.entry.action;
    let say = |value: &Option<String>| -> String {
        let value = value.clone().unwrap_or_default();
        match action {
            Action::CaseStatus => t.msg(&format!("desk-status-{value}")),
            Action::CasePriority => match value.split_once(": ") {
                Some((p, reason)) => format!("{} ({reason})", t.msg(&format!("priority-{p}"))),
                None => t.msg(&format!("priority-{value}")),
            },
            Action::CaseAssigned => {
                let (agent, team) = value.split_once('/').unwrap_or(("0", "0"));
                let name = |names: &std::collections::HashMap<i64, String>, id: &str| {
                    id.parse::<i64>().ok().and_then(|id| names.get(&id).cloned())
                };
                match (name(&view.agent_names, agent), name(&view.team_names, team)) {
                    (Some(a), Some(team)) => format!("{a} ({team})"),
                    (Some(a), None) => a,
                    (None, Some(team)) => team,
                    (None, None) => t.msg("desk-assigned-nobody"),
                }
            }
            Action::SlaBreached => t.msg(&format!("desk-{}", value.replace('_', "-"))),
            Action::CaseRated if !value.is_empty() => t.msg(&format!("desk-csat-{value}")),
            _ => value,
        }
    };
    t.args(
        &format!("event-{}", action.as_str()),
        &[("old", say(&e.entry.old_value)), ("new", say(&e.entry.new_value))],
    )
}

pub async fn show(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let view = match desk_case(&state.app, &me.principal, &case).await {
        Ok(v) => v,
        Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
    };
    let draft = match done.draft {
        Some(id) => answer::undone_draft(&state.app, &me.principal, &view.access, MessageId::from(id))
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        None => String::new(),
    };
    let notice = done.done.as_deref().map(|d| {
        me.prefs.t.msg(&format!(
            "desk-done-{}",
            d.chars().filter(char::is_ascii_lowercase).collect::<String>()
        ))
    });
    let canned = done.canned.and_then(|id| {
        let record = view.canned.iter().find(|c| c.id.0 == id)?.clone();
        canned::filled(&state.app, &me.principal, &view.access, record)
    });
    let shown = Shown {
        notice,
        draft: canned.as_ref().map_or(draft, |c| c.body.clone()),
        canned: canned.map(|c| c.id),
        ..Shown::default()
    };
    render(&state, &me, view, shown, StatusCode::OK).await
}

/// What a case page shows beyond the case: a notice, the reply box's text, and — for a send held
/// because something newer arrived — the messages the writer had not seen and the way to confirm.
#[derive(Debug, Default)]
struct Shown {
    notice: Option<String>,
    draft: String,
    /// The send held: its kind (`reply`/`note`), "wait for the customer", and the newest message
    /// the writer had seen (entries after it are marked new).
    held_send: Option<(String, bool, i64)>,
    /// The canned reply the reply box was filled from.
    canned: Option<CannedId>,
}

async fn render(
    state: &WebState,
    me: &DeskAgent,
    view: crate::app::desk_case::DeskCase,
    shown: Shown,
    status: StatusCode,
) -> Response {
    let viewers = crate::app::presence::here_on(&state.app, &me.principal, &view.access)
        .await
        .unwrap_or_default();
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let lang = me.prefs.code();
    let c = view.case();
    let number = view.access.number().to_string();
    let category = state.app.catalog.category(&c.category);
    let label = category.map_or(c.category.clone(), |cat| {
        let sub = cat
            .subcategory(&c.subcategory)
            .map_or(c.subcategory.clone(), |s| s.label.get(&lang).to_owned());
        format!("{} / {sub}", cat.label.get(&lang))
    });
    let entries = view
        .timeline
        .iter()
        .map(|e| match e {
            Entry::Request { body, at } => EntryView {
                new: false,
                whole: (c.channel == sportello_domain::case::Channel::Email)
                    .then(|| format!("/desk/cases/{number}/mail/request")),
                undo: None,
                kind: "customer",
                who: c.name.clone().unwrap_or_else(|| c.email.to_string()),
                at: moment(t, *at, now, me.prefs.tz),
                at_iso: at.to_rfc3339(),
                body: body.clone(),
            },
            Entry::Message(m) => EntryView {
                new: shown
                    .held_send
                    .as_ref()
                    .is_some_and(|(.., seen)| m.public && m.id.get() > *seen),
                whole: m.by_mail.then(|| format!("/desk/cases/{number}/mail/{}", m.id.get())),
                undo: m
                    .held_until
                    .filter(|_| m.agent.as_ref().map(|(id, _)| *id) == Some(me.agent.id))
                    .map(|until| {
                        (
                            format!("/desk/cases/{number}/replies/{}/undo", m.id.get()),
                            t.with("desk-held-until", "when", moment(t, until, now, me.prefs.tz)),
                            until.to_rfc3339(),
                        )
                    }),
                kind: match (m.author, m.public) {
                    (sportello_domain::case::Author::Customer, _) => "customer",
                    (_, true) => "reply",
                    (_, false) => "note",
                },
                who: match (&m.agent, m.author) {
                    (Some((_, name)), _) => name.clone(),
                    (None, sportello_domain::case::Author::Customer) => {
                        m.sender.clone().unwrap_or_else(|| c.email.to_string())
                    }
                    _ => t.msg("desk-system"),
                },
                at: moment(t, m.created_at, now, me.prefs.tz),
                at_iso: m.created_at.to_rfc3339(),
                body: m.body.clone(),
            },
            Entry::Event(a) => EntryView {
                new: false,
                whole: None,
                undo: None,
                kind: "event",
                who: a.actor_name.clone().unwrap_or_else(|| t.msg("desk-system")),
                at: moment(t, a.entry.at, now, me.prefs.tz),
                at_iso: a.entry.at.to_rfc3339(),
                body: event_text(t, a, &view),
            },
        })
        .collect();
    let mut fields = vec![(
        t.msg("field-device"),
        c.device.clone().unwrap_or_else(|| "—".to_owned()),
    )];
    if let Some(cat) = category {
        for (id, value) in &c.fields {
            let name = cat.field(id).map_or(id.clone(), |f| f.label.get(&lang).to_owned());
            fields.push((name, value.clone()));
        }
    }
    let statuses = Status::ALL
        .iter()
        .filter(|s| **s == c.status || (c.status.can_become(**s) && **s != Status::Merged))
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: t.msg(&format!("desk-status-{s}")),
            selected: *s == c.status,
        })
        .collect();
    let priorities = Priority::ALL
        .iter()
        .filter(|p| **p != Priority::Urgent || category.is_some_and(|cat| cat.urgent_allowed))
        .map(|p| Choice {
            value: p.as_str().to_owned(),
            label: t.msg(&format!("priority-{p}")),
            selected: *p == c.priority,
        })
        .collect();
    let state_code = |s: sportello_domain::sla::ClockState| s.as_str();
    let agents = view
        .assignable
        .iter()
        .map(|(id, name)| Choice {
            value: id.0.to_string(),
            label: name.clone(),
            selected: c.assignee == Some(*id),
        })
        .collect();
    let mut team_list: Vec<(&i64, &String)> = view.team_names.iter().collect();
    team_list.sort_by(|a, b| a.1.cmp(b.1));
    let teams = team_list
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: c.team.map(|t| t.0) == Some(*id),
        })
        .collect();
    let categories = state
        .app
        .catalog
        .categories()
        .iter()
        .flat_map(|cat| {
            let lang = lang.clone();
            cat.subcategories.iter().map(move |sub| Choice {
                value: format!("{}/{}", cat.id, sub.id),
                label: format!("{} / {}", cat.label.get(&lang), sub.label.get(&lang)),
                selected: cat.id == c.category && sub.id == c.subcategory,
            })
        })
        .collect();
    let links = view
        .links
        .iter()
        .map(|o| {
            (
                format!("/desk/cases/{}", o.number),
                o.number.to_string(),
                t.msg(&format!("desk-status-{}", o.status)),
            )
        })
        .collect();
    let chosen = shown.canned.and_then(|id| view.canned.iter().find(|c| c.id == id));
    let page = CasePage {
        frame: DeskFrame::new(&me.prefs, number.clone(), Some(&me.agent)),
        category: label,
        priority: t.msg(&format!("priority-{}", c.priority)),
        priority_code: c.priority.as_str(),
        status: t.msg(&format!("desk-status-{}", c.status)),
        channel: t.msg(&format!("channel-{}", c.channel)),
        flags: view.flags.iter().map(|f| t.msg(&format!("flag-{f}"))).collect(),
        notice: shown.notice,
        entries,
        viewers: viewers.join(", "),
        seen: view.last_public.unwrap_or(0),
        held_send: shown.held_send.as_ref().map(|(kind, wait, _)| (kind.clone(), *wait)),
        action_base: format!("/desk/cases/{number}"),
        form_key: Secret::generate().as_str().to_owned(),
        first_response_state: state_code(view.first_response),
        first_response_state_label: t.msg(&format!("clock-{}", view.first_response)),
        first_response_due: match c.first_response_at {
            Some(at) => t.with("desk-answered", "when", moment(t, at, now, me.prefs.tz)),
            None => time_left(t, c.first_response_due, now),
        },
        first_response_exact: moment(t, c.first_response_due, now, me.prefs.tz),
        resolution_state: state_code(view.resolution),
        resolution_state_label: t.msg(&format!("clock-{}", view.resolution)),
        resolution_due: time_left(t, c.resolution_due, now),
        resolution_exact: moment(t, c.resolution_due, now, me.prefs.tz),
        assignee: view.assignee_name.clone().unwrap_or_else(|| t.msg("desk-unassigned")),
        team: view
            .team
            .as_ref()
            .map_or_else(|| "—".to_owned(), |team| team.name.clone()),
        statuses,
        priorities,
        agents,
        teams,
        categories,
        links,
        fields,
        email: c.email.to_string(),
        undeliverable: view.undeliverable,
        organisation: view
            .organisation
            .as_ref()
            .map(|o| (o.organisation.name.clone(), o.organisation.verified)),
        over_quota: c.over_quota,
        csat: c.csat.as_ref().map(|a| {
            let said = t.msg(&format!("desk-csat-{}", a.rating.as_str()));
            (said, a.comment.clone())
        }),
        phone: c
            .phone
            .as_ref()
            .map_or_else(|| "—".to_owned(), |p| p.as_str().to_owned()),
        others: view
            .others
            .iter()
            .map(|o| {
                (
                    format!("/desk/cases/{}", o.number),
                    o.number.to_string(),
                    t.msg(&format!("desk-status-{}", o.status)),
                )
            })
            .collect(),
        attachments: view
            .attachments
            .iter()
            .map(|a| {
                let mut facts = vec![
                    format!("{}×{}", a.width, a.height),
                    format!("{} KiB", a.byte_len / 1024),
                ];
                if let Some(editor) = &a.editor {
                    facts.push(t.with("desk-edited-with", "editor", editor));
                }
                if a.other_cases > 0 {
                    facts.push(t.with("desk-repeated-in", "cases", a.other_cases.to_string()));
                }
                let href = format!("/desk/cases/{number}/files/{}", a.id);
                let longer = a.width.max(a.height).max(1);
                AttachmentView {
                    thumb: a.thumb_sha256.as_ref().map(|_| format!("{href}/thumb")),
                    no_thumb: if a.thumb_failed {
                        "desk-thumb-none"
                    } else {
                        "desk-thumb-pending"
                    },
                    href,
                    width: (u64::from(SHOWN) * u64::from(a.width) / u64::from(longer)).max(1) as u32,
                    height: (u64::from(SHOWN) * u64::from(a.height) / u64::from(longer)).max(1) as u32,
                    name: a.filename.clone(),
                    facts: facts.join(" · "),
                }
            })
            .collect(),
        canned: view
            .canned
            .iter()
            .map(|c| Choice {
                value: c.id.0.to_string(),
                label: c.canned.name.clone(),
                selected: Some(c.id) == shown.canned,
            })
            .collect(),
        files: view
            .files
            .iter()
            .map(|f| {
                (
                    format!("/desk/cases/{number}/mail-files/{}", f.id),
                    f.file.filename.clone(),
                    format!("{} · {} KiB", f.file.media_type, (f.file.byte_len + 1023) / 1024),
                )
            })
            .collect(),
        canned_id: chosen.map_or_else(String::new, |c| c.id.0.to_string()),
        canned_does: chosen.map_or_else(String::new, |c| does(t, c.canned.set_status, c.canned.set_priority)),
        number,
        draft: shown.draft,
    };
    html(status, &page, &me.prefs)
}

/// What a canned reply does beyond its text, in words ("" for nothing).
fn does(t: &Tr, status: Option<Status>, priority: Option<Priority>) -> String {
    let mut what = Vec::new();
    if let Some(s) = status {
        what.push(t.with("desk-canned-sets-status", "status", t.msg(&format!("desk-status-{s}"))));
    }
    if let Some(p) = priority {
        what.push(t.with("desk-canned-sets-priority", "priority", t.msg(&format!("priority-{p}"))));
    }
    if what.is_empty() {
        return String::new();
    }
    t.with("desk-canned-does", "what", what.join(" · "))
}

/// A canned reply filled in for the case, for the reply box's picker (the script's path; without
/// it, `?canned=` on the page does the same).
pub async fn canned_filled(
    State(state): State<WebState>,
    me: DeskAgent,
    Path((case, id)): Path<(String, i64)>,
) -> Response {
    match canned::fill(&state.app, &me.principal, &case, CannedId(id)).await {
        Ok(f) => axum::Json(serde_json::json!({
            "id": f.id.0,
            "name": f.name,
            "language": f.language,
            "body": f.body,
            "set_status": f.set_status,
            "set_priority": f.set_priority,
            "does": does(&me.prefs.t, f.set_status, f.set_priority),
        }))
        .into_response(),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// An attachment's original: always a download, never rendered in the desk's origin (a crafted
/// file cannot run there), and sandboxed should a browser open it anyway.
pub async fn original(State(state): State<WebState>, me: DeskAgent, Path((case, id)): Path<(String, i64)>) -> Response {
    match attachment(&state.app, &me.principal, &case, id, Picture::Original).await {
        Ok((record, bytes)) => {
            let media = record
                .kind
                .parse::<sportello_domain::evidence::ImageKind>()
                .map_or("application/octet-stream", |kind| kind.mime());
            download(&record.filename, media, bytes)
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// A file that came by mail (a PDF, a spreadsheet): a download like an attachment's original.
pub async fn file_from_mail(
    State(state): State<WebState>,
    me: DeskAgent,
    Path((case, id)): Path<(String, i64)>,
) -> Response {
    match crate::app::desk_case::mail_file(&state.app, &me.principal, &case, id).await {
        // Sent as bytes whatever the mail called them: the name tells the agent what it is.
        Ok((record, bytes)) => download(&record.file.filename, "application/octet-stream", bytes),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "desk/mail.html")]
struct MailPage {
    frame: DeskFrame,
    back: String,
    from: String,
    subject: String,
    text: String,
}

/// A mail as it came, all of its text: what the timeline cut (quoted history, a signature) is
/// here, never lost. `which` is `request` (the mail that opened the case) or a message's number.
pub async fn whole_mail(
    State(state): State<WebState>,
    me: DeskAgent,
    Path((case, which)): Path<(String, String)>,
) -> Response {
    let message = match which.as_str() {
        "request" => None,
        n => match n.parse::<i64>() {
            Ok(id) => Some(MessageId::from(id)),
            Err(_) => return AppError::NotFound.into_response(),
        },
    };
    match crate::app::desk_case::whole_mail(&state.app, &me.principal, &case, message).await {
        Ok(mail) => {
            let page = MailPage {
                frame: DeskFrame::new(&me.prefs, mail.subject.clone(), Some(&me.agent)),
                back: format!("/desk/cases/{case}"),
                from: mail.from,
                subject: mail.subject,
                text: mail.text,
            };
            html(StatusCode::OK, &page, &me.prefs)
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// Bytes as a download under a name reduced to safe characters, sandboxed and never sniffed.
fn download(filename: &str, media: &str, bytes: bytes::Bytes) -> Response {
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The thumbnail the job made (404 until it has).
pub async fn thumbnail(
    State(state): State<WebState>,
    me: DeskAgent,
    Path((case, id)): Path<(String, i64)>,
) -> Response {
    match attachment(&state.app, &me.principal, &case, id, Picture::Thumbnail).await {
        Ok((_, bytes)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                // Made once from bytes that never change: the same URL is the same picture.
                (header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

fn back(case: &str, done: &str) -> Response {
    see_other(&format!("/desk/cases/{case}?done={done}"))
}

pub async fn reply(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let public = form.text("kind") != Some("note");
    let seen = form.text("seen").and_then(|s| s.parse::<i64>().ok());
    let a = Answer {
        body: form.text("body").unwrap_or_default().to_owned(),
        public,
        wait_for_customer: public && form.text("wait").is_some(),
        idempotency_key: form.text("key").filter(|k| !k.is_empty()).map(ToOwned::to_owned),
        seen: seen.map(MessageId::from),
        confirm: form.text("confirm").is_some(),
        canned: form.text("canned").and_then(|c| c.parse().ok()).map(CannedId),
    };
    let draft = a.body.clone();
    let canned = a.canned;
    let wait = a.wait_for_customer;
    match answer(&state.app, &me.principal, &case, a).await {
        Ok(answered) if answered.held_until.is_some() => back(&case, "held"),
        Ok(_) => back(&case, if public { "reply" } else { "note" }),
        // Something arrived while they wrote: the page again, the new entries marked, their text
        // kept, and a button to send it as it is.
        Err(crate::app::Error::Conflict(why @ crate::app::conflict::Conflict::NewerEntry)) => {
            let view = match desk_case(&state.app, &me.principal, &case).await {
                Ok(v) => v,
                Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
            };
            let shown = Shown {
                notice: Some(why.message(me.prefs.t.lang())),
                draft,
                held_send: Some((
                    if public { "reply" } else { "note" }.to_owned(),
                    wait,
                    seen.unwrap_or(0),
                )),
                canned,
            };
            render(&state, &me, view, shown, StatusCode::CONFLICT).await
        }
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// The open case page's sign of life, every few seconds: records the reader as there, and names
/// the other agents who are (SPEC §7, collision).
pub async fn viewers(State(state): State<WebState>, me: DeskAgent, Path(case): Path<String>) -> Response {
    match crate::app::presence::here(&state.app, &me.principal, &case).await {
        Ok(others) => axum::Json(serde_json::json!({ "others": others })).into_response(),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// "Undo" on a held reply: nothing is sent, and its text is back in the reply box.
pub async fn undo(
    State(state): State<WebState>,
    me: DeskAgent,
    Path((case, message)): Path<(String, i64)>,
    _checked: Checked,
) -> Response {
    match answer::undo(&state.app, &me.principal, &case, MessageId::from(message)).await {
        Ok(_) => see_other(&format!("/desk/cases/{case}?done=undone&draft={message}#reply")),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn status(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let Some(to) = form.text("status").and_then(|s| s.parse::<Status>().ok()) else {
        return AppError::BadRequest("status".to_owned()).into_response();
    };
    match change::set_status(&state.app, &me.principal, &case, to).await {
        Ok(_) => back(&case, "status"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn priority(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let Some(to) = form.text("priority").and_then(|s| s.parse::<Priority>().ok()) else {
        return AppError::BadRequest("priority".to_owned()).into_response();
    };
    let reason = form.text("reason").unwrap_or_default();
    match change::set_priority(&state.app, &me.principal, &case, to, reason).await {
        Ok(_) => back(&case, "priority"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn take(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    _checked: Checked,
) -> Response {
    match change::take(&state.app, &me.principal, &case).await {
        Ok(_) => back(&case, "take"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn assign(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let id = |name: &str| form.text(name).and_then(|v| v.parse::<i64>().ok());
    let to = change::AssignTo {
        agent: id("agent").map(sportello_domain::access::AgentId),
        team: id("team").map(sportello_domain::access::TeamId),
    };
    match change::assign(&state.app, &me.principal, &case, to).await {
        Ok(_) => back(&case, "assign"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn request_info(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let key = form.text("key").filter(|k| !k.is_empty()).map(ToOwned::to_owned);
    match crate::app::answer::request_info(&state.app, &me.principal, &case, key).await {
        Ok(_) => back(&case, "info"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn category(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let (category, sub) = form
        .text("category")
        .and_then(|v| v.split_once('/'))
        .unwrap_or(("", ""));
    let reason = form.text("reason").unwrap_or_default();
    match change::set_category(&state.app, &me.principal, &case, category, sub, reason).await {
        Ok(_) => back(&case, "category"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn link(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let other = form.text("case").unwrap_or_default();
    match change::link(&state.app, &me.principal, &case, other).await {
        Ok(_) => back(&case, "link"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn merge(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(case): Path<String>,
    Checked(form): Checked,
) -> Response {
    let into = form.text("into").unwrap_or_default();
    match change::merge(&state.app, &me.principal, &case, into).await {
        // On to the case the conversation now lives in.
        Ok(_) => match state.app.catalog.case_prefix().parse(into) {
            Ok(target) => see_other(&format!("/desk/cases/{target}?done=merge")),
            Err(_) => back(&case, "merge"),
        },
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}
