//! Add information to a case from its status page (SPEC §3.5): text, the catalog fields it lacked,
//! screenshots — under the intake's rules — as a customer follow-up (`reply::follow_up`, the path
//! mail replies take too: it raises the case as SPEC §4 says), and back to `normal` once nothing
//! recommended is missing (SPEC §3.2). A case opened by mail gets the phone and device it waits for.

use std::collections::BTreeMap;

use chrono::{SubsecRound, Utc};
use sportello_domain::case_number::CaseNumber;
use sportello_domain::problem::{Problem, Warning, WarningCode};
use sportello_domain::request::{validate_follow_up, Upload};
use sportello_domain::triage::{due, Priority};

use super::reply::{accepts_follow_up, follow_up, FollowUp, ReplyError};
use super::status::authorise;
use super::{from_millis, millis, App};
use crate::store::{FieldsUpdate, PriorityChange, StoreError, StoredTicket};

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
    /// The priority the case was raised to: the reply bump of SPEC §4, or back to `normal`.
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

impl From<ReplyError> for AddInfoError {
    fn from(e: ReplyError) -> AddInfoError {
        match e {
            ReplyError::Store(e) => AddInfoError::Store(e),
            ReplyError::Blob(e) => AddInfoError::Blob(e),
        }
    }
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
    if !accepts_follow_up(&state, now) {
        return Err(AddInfoError::Closed);
    }
    let category = app.catalog.category(&state.category);
    let given =
        validate_follow_up(category, &info.message, &info.fields, info.attachments).map_err(AddInfoError::Invalid)?;

    let fields = if given.fields.is_empty() && given.phone.is_none() && given.device.is_none() {
        None
    } else {
        let before = fields_of(&stored);
        let mut after = before.clone();
        after.extend(given.fields.clone());
        let completes = category
            .is_some_and(|c| !c.missing_recommended(&before).is_empty() && c.missing_recommended(&after).is_empty());
        // `low` for what was missing only (not for repeated screenshots): complete, it is `normal`.
        let repeated = stored
            .ticket
            .warnings
            .contains(WarningCode::AttachmentRepeated.as_str());
        let restore = match category {
            Some(c) if completes && state.priority == Priority::Low.as_str() && !repeated => {
                let moved = due(
                    &app.catalog,
                    c,
                    &state.subcategory,
                    Priority::Normal,
                    state.penalised,
                    from_millis(state.created_at),
                );
                Some(PriorityChange {
                    from: state.priority.clone(),
                    priority: Priority::Normal.as_str().to_owned(),
                    first_response_due: millis(moved.first_response_due),
                    resolution_due: millis(moved.resolution_due),
                })
            }
            _ => None,
        };
        Some(FieldsUpdate {
            before: stored.ticket.fields.clone(),
            after: serde_json::to_string(&after).map_err(|e| AddInfoError::Internal(e.to_string()))?,
            restore,
            phone: given.phone.as_ref().map(|p| p.as_str().to_owned()),
            device: given.device.clone(),
        })
    };
    let restoring = fields.as_ref().is_some_and(|f| f.restore.is_some());
    // The agent reads the fields in the message too, as a merged request shows them.
    let mut text = given.text.clone();
    let contact = [
        ("phone", given.phone.as_ref().map(|p| p.as_str().to_owned())),
        ("device", given.device.clone()),
    ];
    let contact = contact.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.as_str())));
    for (field, value) in given
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(contact)
    {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("{field}: {value}"));
    }
    let raised_to = follow_up(
        app,
        &state,
        FollowUp {
            text,
            evidence: given.attachments,
            sender: None,
            raw_sha256: None,
            fields,
        },
        now,
    )
    .await?;
    tracing::info!(raised_to = ?raised_to, "information added");
    Ok(Added {
        case: number,
        restored: restoring && raised_to.is_some(),
        raised_to,
        warnings: given.warnings,
    })
}
