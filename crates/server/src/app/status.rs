//! What a customer may see of their case through the status link (SPEC §3.5).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sportello_domain::case::{Author, Status};
use sportello_domain::case_number::CaseNumber;
use sportello_domain::problem::WarningCode;
use sportello_domain::triage::Priority;

use super::access::{self, CustomerAccess};
use super::{App, Error};
use crate::store::MessageId;

#[derive(Debug, Serialize)]
pub struct CaseStatus {
    pub case_number: CaseNumber,
    pub status: Status,
    pub priority: Priority,
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
    /// The live estimate it was given (SPEC §11).
    pub expected_first_response: Option<DateTime<Utc>>,
    /// The catalog fields given so far.
    pub fields: BTreeMap<String, String>,
    /// Recommended fields still missing (SPEC §3.2): the status page asks for them.
    pub missing: Vec<String>,
    /// What a case opened by mail still waits for (`phone`, `device`), while it is `needs_info`.
    pub needs: Vec<&'static str>,
    /// Still open to follow-ups: the customer may add information and files.
    pub accepts_information: bool,
    /// The codes of the warnings the case was accepted with (SPEC §3.2), each once.
    pub warnings: Vec<WarningCode>,
    /// The files sent with the request itself (those of later messages are on the messages).
    pub attachments: Vec<StatusAttachment>,
    pub messages: Vec<StatusMessage>,
}

#[derive(Debug, Serialize)]
pub struct StatusMessage {
    pub author: Author,
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
    pub width: u32,
    pub height: u32,
}

/// The status behind a status link (its case number and token, checked as [`access::customer`]
/// checks them).
pub async fn by_link(app: &App, case: &str, token: &str) -> Result<CaseStatus, Error> {
    let access = access::customer(app, case, token).await?;
    case_status(app, &access).await
}

#[tracing::instrument(skip_all, fields(case = %access.case()))]
pub async fn case_status(app: &App, access: &CustomerAccess) -> Result<CaseStatus, Error> {
    let case = app.store.case(access.id()).await?.ok_or(Error::NotFound)?;
    let missing = app
        .catalog
        .category(&case.category)
        .map(|c| c.missing_recommended(&case.fields))
        .unwrap_or_default();
    let needs = match case.status {
        Status::NeedsInfo => [("phone", case.phone.is_none()), ("device", case.device.is_none())]
            .into_iter()
            .filter(|(_, missing)| *missing)
            .map(|(field, _)| field)
            .collect(),
        _ => Vec::new(),
    };
    let mut warnings: Vec<WarningCode> = case.warnings.iter().map(|w| w.code).collect();
    warnings.dedup();
    // The customer is shown none of the counts of other cases.
    let files = app.store.attachments(access.id(), &[]).await?;
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
    // A canned reply's `{status_url}` is this very page (the mail carried it with a token).
    let here = format!("{}/status/{}", app.settings.public_url, access.case());
    let messages = app
        .store
        .messages(access.id())
        .await?
        .into_iter()
        // A reply still held may yet be undone: the customer sees it once it has gone.
        .filter(|m| m.public && m.held_until.is_none())
        .map(|m| StatusMessage {
            attachments: files_of(Some(m.id)),
            author: m.author,
            sender: m.sender,
            body: match m.author {
                Author::Customer => m.body,
                _ => super::answer::with_status_url(&m.body, &here),
            },
            created_at: m.created_at,
        })
        .collect();
    Ok(CaseStatus {
        case_number: access.case().clone(),
        accepts_information: case.status.accepts_follow_up(case.resolved_at, app.clock.now()),
        status: case.status,
        priority: case.priority,
        category: case.category,
        subcategory: case.subcategory,
        description: case.description,
        device: case.device,
        created_at: case.created_at,
        first_response_due: case.first_response_due,
        resolution_due: case.resolution_due,
        first_response_at: case.first_response_at,
        expected_first_response: case.expected_first_response,
        fields: case.fields,
        missing,
        needs,
        warnings,
        attachments: files_of(None),
        messages,
    })
}
