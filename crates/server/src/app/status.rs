//! What a customer may see of their case through the status link (SPEC §3.5).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sportello_domain::case_number::CaseNumber;

use super::add_info::fields_of;
use super::reply::accepts_follow_up;
use super::{from_millis, App, StatusToken};
use crate::store::{MessageId, StoreError, StoredTicket, TicketId};

#[derive(Debug, Serialize)]
pub struct CaseStatus {
    pub case_number: CaseNumber,
    pub status: String,
    pub priority: String,
    pub category: String,
    pub subcategory: String,
    /// The customer's own words and device, as stored (redacted).
    pub description: String,
    /// None while the case waits for it (`needs_info`).
    pub device: Option<String>,
    pub created_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// The catalog fields given so far.
    pub fields: BTreeMap<String, String>,
    /// Recommended fields still missing (SPEC §3.2): the status page asks for them.
    pub missing: Vec<String>,
    /// What a case opened by mail still waits for (`phone`, `device`), while it is `needs_info`.
    pub needs: Vec<String>,
    /// Not closed: the customer may add information and files.
    pub accepts_information: bool,
    /// The codes of the warnings the case was accepted with (SPEC §3.2).
    pub warnings: Vec<String>,
    /// The files sent with the request itself (those of later messages are on the messages).
    pub attachments: Vec<StatusAttachment>,
    pub messages: Vec<StatusMessage>,
}

#[derive(Debug, Serialize)]
pub struct StatusMessage {
    pub author: String,
    /// Who wrote a follow-up by mail, when it was not the case's contact.
    pub sender: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<StatusAttachment>,
}

/// A file the customer sent, as listed back to them.
#[derive(Debug, Clone, Serialize)]
pub struct StatusAttachment {
    pub filename: String,
    pub width: i64,
    pub height: i64,
}

/// The case's number and id, if `case` names one and `token` is one of its status tokens; None
/// otherwise, without saying which of the two was wrong.
pub async fn authorise(app: &App, case: &str, token: &str) -> Result<Option<(CaseNumber, TicketId)>, StoreError> {
    let Ok(case_number) = app.catalog.case_prefix().parse(case) else {
        return Ok(None);
    };
    let Ok(sequence) = i64::try_from(case_number.sequence()) else {
        return Ok(None);
    };
    let id = TicketId::from(sequence);
    if token.is_empty() || !app.store.token_matches(id, &StatusToken::hash(token)).await? {
        return Ok(None);
    }
    Ok(Some((case_number, id)))
}

/// The case, if `case` names one and `token` is one of its status tokens; None otherwise, without
/// saying which of the two was wrong.
#[tracing::instrument(skip_all)]
pub async fn case_status(app: &App, case: &str, token: &str) -> Result<Option<CaseStatus>, StoreError> {
    let Some((case_number, id)) = authorise(app, case, token).await? else {
        return Ok(None);
    };
    let (Some(stored), Some(state)) = (app.store.ticket(id).await?, app.store.case_state(id).await?) else {
        return Ok(None);
    };
    let fields = fields_of(&stored);
    let missing = app
        .catalog
        .category(&stored.ticket.category)
        .map(|c| c.missing_recommended(&fields))
        .unwrap_or_default();
    let StoredTicket { ticket, .. } = stored;
    let needs = if ticket.status == "needs_info" {
        [("phone", ticket.phone.is_none()), ("device", ticket.device.is_none())]
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(field, _)| (*field).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let mut warnings: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&ticket.warnings)
        .unwrap_or_default()
        .iter()
        .filter_map(|w| w["code"].as_str().map(ToOwned::to_owned))
        .collect();
    warnings.dedup();
    let files = app.store.attachments(id).await?;
    let files_of = |message: Option<MessageId>| -> Vec<StatusAttachment> {
        files
            .iter()
            .filter(|a| a.message == message)
            .map(|a| StatusAttachment {
                filename: a.filename.clone(),
                width: a.width,
                height: a.height,
            })
            .collect()
    };
    let messages = app
        .store
        .messages(id)
        .await?
        .into_iter()
        .filter(|m| m.public)
        .map(|m| StatusMessage {
            attachments: files_of(Some(m.id)),
            author: m.author,
            sender: m.sender,
            body: m.body,
            created_at: from_millis(m.created_at),
        })
        .collect();
    Ok(Some(CaseStatus {
        case_number,
        status: ticket.status,
        priority: ticket.priority,
        category: ticket.category,
        subcategory: ticket.subcategory,
        description: ticket.description,
        device: ticket.device,
        created_at: from_millis(ticket.created_at),
        first_response_due: from_millis(ticket.first_response_due),
        resolution_due: from_millis(ticket.resolution_due),
        first_response_at: state.first_response_at.map(from_millis),
        fields,
        missing,
        needs,
        accepts_information: accepts_follow_up(&state, Utc::now()),
        warnings,
        attachments: files_of(None),
        messages,
    }))
}
