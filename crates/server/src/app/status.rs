//! What a customer may see of their case through the status link (SPEC §3.5).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sportello_domain::case_number::CaseNumber;

use super::{from_millis, App, StatusToken};
use crate::store::{StoreError, StoredTicket, TicketId};

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
    pub messages: Vec<StatusMessage>,
}

#[derive(Debug, Serialize)]
pub struct StatusMessage {
    pub author: String,
    /// Who wrote a follow-up by mail, when it was not the case's contact.
    pub sender: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The case, if `case` names one and `token` is one of its status tokens; None otherwise, without
/// saying which of the two was wrong.
#[tracing::instrument(skip_all)]
pub async fn case_status(app: &App, case: &str, token: &str) -> Result<Option<CaseStatus>, StoreError> {
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
    let Some(StoredTicket { ticket, .. }) = app.store.ticket(id).await? else {
        return Ok(None);
    };
    let messages = app
        .store
        .messages(id)
        .await?
        .into_iter()
        .filter(|m| m.public)
        .map(|m| StatusMessage {
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
        messages,
    }))
}
