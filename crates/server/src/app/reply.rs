//! A customer's follow-up on their own case, by mail or through the status link (SPEC §3.5, §4):
//! it joins the case with its files, raises the priority one step — at most once in 24 hours, while
//! no agent has answered — or brings it back to `normal` when it completes what was missing, and
//! takes a case waiting on the customer, or resolved, back to `open`. Callers have checked that the
//! follow-up may join this case (a status token, a verified mail thread).

use std::collections::BTreeMap;

use bytes::Bytes;
use sportello_domain::audit::Action;
use sportello_domain::catalog::{Catalog, Category};
use sportello_domain::contact::phone::Phone;
use sportello_domain::evidence::content_hash;
use sportello_domain::request::Evidence;
use sportello_domain::text;
use sportello_domain::triage::{self, due, reply_bump, restored, Priority, BUMP_WINDOW};

use super::{App, Error};
use crate::store::{Assignment, AuditEntry, Case, CustomerMessage, EvidenceRow, PriorityChange};

/// What the customer added.
#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    pub text: String,
    /// Files that already passed the channel's evidence rules.
    pub evidence: Vec<Evidence>,
    /// Who wrote it, when that is not simply the case's contact (a colleague in Cc).
    pub sender: Option<String>,
    /// The raw message it came in, kept as a blob.
    pub raw_sha256: Option<String>,
    /// Catalog fields it supplies (the status page's form), normalised by their formats.
    pub fields: BTreeMap<String, String>,
    /// The phone and device a case opened by mail waits for.
    pub phone: Option<Phone>,
    pub device: Option<String>,
    /// Files from mail that are not evidence, listed with the message.
    pub files: Vec<crate::store::MailFile>,
}

/// What the follow-up changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Followed {
    /// The priority it raised the case to (a reply bump, or back to `normal`), if it did.
    pub raised_to: Option<Priority>,
    /// Back to `normal`: every recommended field is now there.
    pub restored: bool,
}

/// Adds the follow-up to `case` (as read before) in one transaction with what it changes.
#[tracing::instrument(skip_all, fields(case = case.id.get()))]
pub(super) async fn follow_up(app: &App, case: &Case, follow_up: FollowUp) -> Result<Followed, Error> {
    let now = app.clock.now();
    let mut evidence = Vec::with_capacity(follow_up.evidence.len());
    // Blobs first: a committed row never names a missing file.
    for e in &follow_up.evidence {
        let hash = content_hash(&e.bytes);
        app.blobs.put(&hash, Bytes::clone(&e.bytes)).await?;
        evidence.push(EvidenceRow::of(e, hash));
    }
    let category = app.catalog.category(&case.category);
    let fields = (!follow_up.fields.is_empty()).then(|| {
        let mut after = case.fields.clone();
        after.extend(follow_up.fields.clone());
        after
    });
    // One step per reply: bringing the case back to `normal` (SPEC §3.2) is this reply's step.
    let restore = fields
        .as_ref()
        .zip(category)
        .and_then(|(after, category)| restoring(&app.catalog, category, case, after));
    let bump = match (restore, category) {
        (None, Some(category)) => bumping(&app.catalog, category, case, now),
        _ => None,
    };

    // SPEC §8: the customer is back and their agent is away: the case goes back to be assigned.
    let away = match case.assignee {
        Some(agent) => app
            .store
            .agent(agent)
            .await?
            .filter(|a| {
                a.disabled_at.is_some()
                    || sportello_domain::assignment::away(a.last_seen_at, a.paused, a.out_of_office, now)
            })
            .map(|a| a.id),
        None => None,
    };

    let mut tx = app.store.begin_write().await?;
    if let Some(agent) = away {
        let from = Assignment {
            agent: Some(agent),
            team: case.team,
        };
        let to = Assignment { agent: None, ..from };
        if tx.assign(case.id, from, to).await? {
            let mut entry = AuditEntry::case(now, None, Action::CaseAssigned, case.id);
            entry.old_value = Some(format!("agent {} team {}", agent.0, case.team.map_or(0, |t| t.0)));
            entry.new_value = Some(format!("agent 0 team {}", case.team.map_or(0, |t| t.0)));
            entry.team = case.team;
            tx.audit(&entry).await?;
        }
    }
    let message = tx
        .add_customer_message(&CustomerMessage {
            ticket: case.id,
            body: text::redact(&follow_up.text).text,
            sender: follow_up.sender,
            raw_sha256: follow_up.raw_sha256,
            evidence,
            at: now,
        })
        .await?;
    tx.add_mail_files(case.id, Some(message), &follow_up.files, now).await?;
    let mut followed = Followed::default();
    if let Some(after) = &fields {
        let changed = tx.set_fields(case.id, &case.fields, after).await?;
        if let Some(change) = restore.filter(|_| changed) {
            if tx.change_priority(case.id, &change).await? {
                followed = Followed {
                    raised_to: Some(change.to),
                    restored: true,
                };
            }
        }
    }
    if let Some(change) = bump {
        if tx.bump_priority(case.id, &change, now, now - BUMP_WINDOW).await? {
            followed.raised_to = Some(change.to);
        }
    }
    tx.fill_contact(case.id, follow_up.phone.as_ref(), follow_up.device.as_deref())
        .await?;
    let next = case.status.after_customer_message().once_contact_known(
        case.phone.is_some() || follow_up.phone.is_some(),
        case.device.is_some() || follow_up.device.is_some(),
    );
    if next != case.status {
        let calendar = category.map_or(&app.catalog.triage().urgent_calendar, |c| {
            triage::calendar(&app.catalog, c, case.priority)
        });
        tx.move_status(case.id, case.status, &case.timers().moved(next, now, calendar), now)
            .await?;
    }
    tx.commit().await?;
    Ok(followed)
}

/// SPEC §3.2: back to `normal` when the case is `low` only for what `after` now gives.
fn restoring(
    catalog: &Catalog,
    category: &Category,
    case: &Case,
    after: &BTreeMap<String, String>,
) -> Option<PriorityChange> {
    let still_missing = !category.missing_recommended(after).is_empty();
    let to = restored(case.priority, still_missing, &case.warnings)?;
    Some(change(catalog, category, case, to))
}

/// SPEC §4's reply bump for this case now, with the due times that follow from it.
fn bumping(
    catalog: &Catalog,
    category: &Category,
    case: &Case,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<PriorityChange> {
    let raised = reply_bump(
        case.priority,
        category.urgent_allowed,
        case.first_response_at.is_some(),
        case.last_bump_at,
        now,
    )?;
    Some(change(catalog, category, case, raised))
}

/// A new priority with its due times, counted from the case's creation.
fn change(catalog: &Catalog, category: &Category, case: &Case, to: Priority) -> PriorityChange {
    PriorityChange {
        from: case.priority,
        to,
        due: due(
            catalog,
            category,
            &case.subcategory,
            to,
            case.standing(),
            case.created_at,
        ),
    }
}
