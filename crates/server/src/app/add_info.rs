//! Add information to a case from its status page (SPEC §3.5): text, the catalog fields it lacked,
//! screenshots — under the intake's rules — stored as a customer reply, which raises the case like
//! a mail reply does (SPEC §4), or brings it back to `normal` once nothing recommended is missing
//! (SPEC §3.2).

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use sportello_domain::case_number::CaseNumber;
use sportello_domain::catalog::{Category, Requirement};
use sportello_domain::problem::{Problem, Warning, WarningCode};
use sportello_domain::request::{validate_follow_up, Upload};
use sportello_domain::triage::{due, Priority};

use super::status::authorise;
use super::submit::{evidence_rows, hash_all, SubmitError};
use super::{from_millis, millis, App};
use crate::store::{CaseState, CustomerReply, FieldsUpdate, Restore, StoreError, StoredTicket};

/// What the status page's form sends.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub attachments: Vec<Upload>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub case: CaseNumber,
    /// The reply bump of SPEC §4, when it applied.
    pub raised_to: Option<Priority>,
    /// Back to `normal`: every recommended field is now there.
    pub restored: bool,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddInfoError {
    /// No such case, or not its token: the caller must not say which.
    #[error("no such case")]
    NotFound,
    #[error("the case is closed")]
    Closed,
    #[error("the information is not valid")]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not store an attachment")]
    Blob(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<SubmitError> for AddInfoError {
    fn from(e: SubmitError) -> AddInfoError {
        match e {
            SubmitError::Store(e) => AddInfoError::Store(e),
            SubmitError::Blob(e) => AddInfoError::Blob(e),
            other => AddInfoError::Internal(other.to_string()),
        }
    }
}

/// Whether a customer may still add to the case: not closed, and resolved less than the reopening
/// window ago (the same rule as a mail reply's).
pub fn accepts_information(case: &CaseState, now: DateTime<Utc>) -> bool {
    case.status != "closed"
        && case
            .resolved_at
            .is_none_or(|at| millis(now) - at <= super::ingest::REOPEN_WINDOW_MS)
}

/// The recommended fields of `category` that `fields` (the case's JSON object) lacks, in catalog order.
pub fn missing_recommended(category: Option<&Category>, fields: &BTreeMap<String, String>) -> Vec<String> {
    category.map_or_else(Vec::new, |c| {
        c.fields
            .iter()
            .filter(|f| f.requirement == Requirement::Recommended && !fields.contains_key(&f.id))
            .map(|f| f.id.clone())
            .collect()
    })
}

pub fn fields_of(stored: &StoredTicket) -> BTreeMap<String, String> {
    serde_json::from_str(&stored.ticket.fields).unwrap_or_default()
}

#[tracing::instrument(skip_all, fields(case = %case))]
pub async fn add_info(app: &App, case: &str, token: &str, info: Info) -> Result<Added, AddInfoError> {
    let Some((number, id)) = authorise(app, case, token).await? else {
        return Err(AddInfoError::NotFound);
    };
    let (Some(state), Some(stored)) = (app.store.case_state(id).await?, app.store.ticket(id).await?) else {
        return Err(AddInfoError::NotFound);
    };
    let now = Utc::now().trunc_subsecs(0);
    if !accepts_information(&state, now) {
        return Err(AddInfoError::Closed);
    }
    let category = app.catalog.category(&state.category);
    let follow_up =
        validate_follow_up(category, &info.message, &info.fields, info.attachments).map_err(AddInfoError::Invalid)?;
    let hashes = hash_all(&follow_up.attachments).await?;
    // Blobs first, synced: a committed row never names a missing file.
    for (evidence, hash) in follow_up.attachments.iter().zip(&hashes) {
        app.blobs.put(hash, evidence.bytes.clone()).await?;
    }

    let before = fields_of(&stored);
    let mut after = before.clone();
    after.extend(follow_up.fields.clone());
    let missing_before = missing_recommended(category, &before);
    let completes = !missing_before.is_empty() && missing_recommended(category, &after).is_empty();
    let warned = |code: WarningCode| stored.ticket.warnings.contains(code.as_str());
    // Low only for what was missing (not for repeated screenshots): complete, it goes back to normal.
    let restore = match category {
        Some(c) if completes && state.priority == "low" && !warned(WarningCode::AttachmentRepeated) => {
            let moved = due(
                &app.catalog,
                c,
                &state.subcategory,
                Priority::Normal,
                state.penalised,
                from_millis(state.created_at),
            );
            Some(Restore {
                from: state.priority.clone(),
                priority: Priority::Normal.as_str().to_owned(),
                first_response_due: millis(moved.first_response_due),
                resolution_due: millis(moved.resolution_due),
            })
        }
        _ => None,
    };
    // One step per reply: the restoration is this reply's step.
    let raised = if restore.is_some() {
        None
    } else {
        super::bump::bump_for_reply(app, &state, now)
    };
    let mut body = follow_up.text.clone();
    for (field, value) in &follow_up.fields {
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(&format!("{field}: {value}"));
    }
    let fields_update = (!follow_up.fields.is_empty())
        .then(|| -> Result<FieldsUpdate, AddInfoError> {
            Ok(FieldsUpdate {
                before: stored.ticket.fields.clone(),
                after: serde_json::to_string(&after).map_err(|e| AddInfoError::Internal(e.to_string()))?,
                restore,
            })
        })
        .transpose()?;
    let reply = CustomerReply {
        ticket: id,
        body,
        // Nothing raw to keep: the form's values are the message.
        raw_sha256: String::new(),
        evidence: evidence_rows(&follow_up.attachments, &hashes),
        now_ms: millis(now),
        bump: raised.as_ref().map(|(_, bump)| bump.clone()),
        reopen: state.status == "pending_customer" || state.status == "resolved",
    };
    let (_, bumped, restored) = app.store.add_customer_info(&reply, fields_update.as_ref()).await?;
    tracing::info!(bumped, restored, "information added");
    Ok(Added {
        case: number,
        raised_to: raised.filter(|_| bumped).map(|(p, _)| p),
        restored,
        warnings: follow_up.warnings,
    })
}
