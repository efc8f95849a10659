//! A customer's follow-up on their own case, by mail or through the status link (SPEC §3.5, §4):
//! it joins the case with its files, raises the priority one step — at most once in 24 hours, while
//! no agent has answered — and takes a case waiting on the customer, or resolved, back to `open`.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sportello_domain::evidence::content_hash;
use sportello_domain::request::Evidence;
use sportello_domain::text;
use sportello_domain::triage::{due, reply_bump, Priority};

use super::{from_millis, millis, App};
use crate::store::{CaseState, CustomerReply, EvidenceRow, FieldsUpdate, PriorityChange, StoreError};

/// SPEC §4: a customer reply within this long after resolution reopens the case.
const REOPEN_WINDOW_MS: i64 = 7 * 86_400_000;

/// What the customer added.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub text: String,
    /// Files that already passed the channel's evidence rules.
    pub evidence: Vec<Evidence>,
    /// Who wrote it, when that is not simply the case's contact (a colleague in Cc).
    pub sender: Option<String>,
    /// The raw message it came in, kept as a blob.
    pub raw_sha256: Option<String>,
    /// Catalog fields it supplies (the status page's form), with the priority they restore.
    pub fields: Option<FieldsUpdate>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not store an attachment: {0}")]
    Blob(#[from] std::io::Error),
}

/// Whether the case still takes follow-ups: not closed, and resolved (if at all) within 7 days.
pub fn accepts_follow_up(case: &CaseState, now: DateTime<Utc>) -> bool {
    case.status != "closed" && case.resolved_at.is_none_or(|at| millis(now) - at <= REOPEN_WINDOW_MS)
}

/// Adds the follow-up; returns the priority it raised the case to (a reply bump, or back to
/// `normal` once nothing recommended is missing), if it did.
#[tracing::instrument(skip_all, fields(case = case.id.get()))]
pub async fn follow_up(
    app: &App,
    case: &CaseState,
    follow_up: FollowUp,
    now: DateTime<Utc>,
) -> Result<Option<Priority>, ReplyError> {
    let mut evidence = Vec::with_capacity(follow_up.evidence.len());
    // Blobs first: a committed row never names a missing file.
    for e in &follow_up.evidence {
        let hash = content_hash(&e.bytes);
        app.blobs.put(&hash, Bytes::clone(&e.bytes)).await?;
        let i = &e.inspection;
        evidence.push(EvidenceRow {
            sha256: hash.to_hex(),
            kind: i.kind.as_str().to_owned(),
            width: i64::from(i.width),
            height: i64::from(i.height),
            byte_len: i64::try_from(i.byte_len).unwrap_or(i64::MAX),
            filename: e.filename.chars().take(200).collect(),
            editor: i.editor.clone(),
        });
    }
    // One step per reply: bringing the case back to `normal` (SPEC §3.2) is this reply's step.
    let restore = follow_up.fields.as_ref().and_then(|f| f.restore.as_ref());
    let bump = if restore.is_some() { None } else { bump(app, case, now) };
    let raised_to = match restore {
        Some(restore) => restore.priority.parse().ok(),
        None => bump.as_ref().map(|(p, _)| *p),
    };
    let reply = CustomerReply {
        ticket: case.id,
        body: text::redact(&follow_up.text).text,
        sender: follow_up.sender,
        raw_sha256: follow_up.raw_sha256,
        evidence,
        now_ms: millis(now),
        bump: bump.map(|(_, b)| b),
        reopen: matches!(case.status.as_str(), "pending_customer" | "resolved"),
    };
    let raised = match &follow_up.fields {
        None => app.store.add_customer_reply(&reply).await?.1,
        Some(fields) => {
            let (_, bumped, restored) = app.store.add_customer_info(&reply, fields).await?;
            bumped || restored
        }
    };
    Ok(raised_to.filter(|_| raised))
}

/// SPEC §4's reply bump for this case now, with the due times that follow from it.
fn bump(app: &App, case: &CaseState, now: DateTime<Utc>) -> Option<(Priority, PriorityChange)> {
    let category = app.catalog.category(&case.category)?;
    let current: Priority = case.priority.parse().ok()?;
    let raised = reply_bump(
        current,
        category.urgent_allowed,
        case.first_response_at.is_some(),
        case.last_bump_at.map(from_millis),
        now,
    )?;
    let d = due(
        &app.catalog,
        category,
        &case.subcategory,
        raised,
        case.penalised,
        from_millis(case.created_at),
    );
    Some((
        raised,
        PriorityChange {
            from: current.as_str().to_owned(),
            priority: raised.as_str().to_owned(),
            first_response_due: millis(d.first_response_due),
            resolution_due: millis(d.resolution_due),
        },
    ))
}
