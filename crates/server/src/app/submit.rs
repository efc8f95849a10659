//! Submit a support request (SPEC §3): validate, triage, and store the case, its evidence and its
//! confirmation event in one transaction — or add it to the contact's open case (SPEC §3.3).

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::catalog::Catalog;
use sportello_domain::evidence::{content_hash, ContentHash};

use sportello_domain::problem::{Problem, Warning};
use sportello_domain::request::{validate_deferring, Evidence, NewRequest, ValidRequest, DEFERRABLE};
use sportello_domain::triage::{triage, History, Priority, Triage};

use super::{millis, App, StatusToken};
use crate::config::Settings;
use crate::store::{
    CasePlan, ContactHistory, Decide, EvidenceRow, IntakeOutcome, IntakeRequest, NewOutboxEvent, StoreError, Ticket,
    TicketId,
};

/// A contact who already sent the same bytes this many times gets `attachment_repeated`.
const REPEATS_BEFORE_LOW: i64 = 2;

#[derive(Debug)]
pub enum Submitted {
    Created {
        case: CaseNumber,
        token: StatusToken,
        triage: Triage,
    },
    Merged {
        case: CaseNumber,
        token: StatusToken,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the request is not valid")]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not store an attachment")]
    Blob(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

/// Where the request came from, kept on the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Api,
    Web,
    /// A mail that threads into no open case, kept whole as a blob; it may be about another case.
    Email {
        raw_sha256: String,
        related_to: Option<TicketId>,
    },
}

impl Channel {
    fn as_str(&self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Web => "web",
            Channel::Email { .. } => "email",
        }
    }

    /// The form and the API ask back before a case exists; a mail cannot, so what it lacks waits.
    fn deferrable(&self) -> &'static [&'static str] {
        match self {
            Channel::Api | Channel::Web => &[],
            Channel::Email { .. } => &DEFERRABLE,
        }
    }
}

#[tracing::instrument(skip_all, fields(category = %request.category))]
pub async fn submit(app: &App, request: NewRequest, channel: Channel) -> Result<Submitted, SubmitError> {
    let valid = validate_deferring(&app.catalog, request, channel.deferrable()).map_err(SubmitError::Invalid)?;
    let hashes = hash_all(&valid.attachments).await?;
    // Blobs first, synced: a committed row never names a missing file.
    for (evidence, hash) in valid.attachments.iter().zip(&hashes) {
        app.blobs.put(hash, evidence.bytes.clone()).await?;
    }
    // Whole seconds: what is stored (milliseconds) and what is shown agree to the digit.
    let now = Utc::now().trunc_subsecs(0);
    let policy = app.catalog.triage();
    let token = StatusToken::generate();
    let intake = IntakeRequest {
        email: valid.email.as_str().to_owned(),
        phone: valid.phone.as_ref().map(|p| p.as_str().to_owned()),
        category: valid.category.clone(),
        merge_since_ms: millis(now - policy.merge_window),
        strike_since_ms: millis(now - policy.strike_window),
        now_ms: millis(now),
        token_hash: StatusToken::hash(token.as_str()),
        merge_body: merged_body(&valid),
        evidence: evidence_rows(&valid.attachments, &hashes),
        raw_sha256: match &channel {
            Channel::Email { raw_sha256, .. } => Some(raw_sha256.clone()),
            Channel::Api | Channel::Web => None,
        },
    };
    let decide = decide_new_case(app, valid, channel, token.clone(), now);
    match app.store.intake(intake, decide).await? {
        IntakeOutcome::Created(id, triaged) => {
            app.outbox_wake.notify_one();
            let case = case_number(&app.catalog, id).map_err(SubmitError::Internal)?;
            tracing::info!(case = %case, priority = %triaged.priority, "case created");
            Ok(Submitted::Created {
                case,
                token,
                triage: triaged,
            })
        }
        IntakeOutcome::Merged(id) => {
            let case = case_number(&app.catalog, id).map_err(SubmitError::Internal)?;
            tracing::info!(case = %case, "merged into the open case");
            Ok(Submitted::Merged { case, token })
        }
    }
}

/// Triage, run inside the intake transaction once the contact's history is known.
fn decide_new_case(
    app: &App,
    valid: ValidRequest,
    channel: Channel,
    token: StatusToken,
    now: DateTime<Utc>,
) -> Decide<Triage> {
    let catalog = Arc::clone(&app.catalog);
    let settings = Arc::clone(&app.settings);
    // Shared with the confirmation it builds, which outlives one decision.
    let valid = Arc::new(valid);
    Box::new(move |history: ContactHistory| {
        let category = catalog
            .category(&valid.category)
            .ok_or_else(|| format!("validated category `{}` vanished", valid.category))?;
        let history = History {
            recent_strike: history.recent_strike,
            repeated_attachment: history.most_repeats >= REPEATS_BEFORE_LOW,
        };
        let triaged = triage(&catalog, category, &valid, history, now);
        let ticket = Ticket {
            // Waiting for what the channel could not ask for (SPEC §5: mail opens a case anyway).
            status: if valid.needs_info.is_empty() {
                "new"
            } else {
                "needs_info"
            }
            .to_owned(),
            priority: triaged.priority.as_str().to_owned(),
            category: valid.category.clone(),
            subcategory: valid.subcategory.clone(),
            email: valid.email.as_str().to_owned(),
            phone: valid.phone.as_ref().map(|p| p.as_str().to_owned()),
            name: valid.name.clone(),
            country: valid.country.clone(),
            language: valid.language.clone().unwrap_or_else(|| "en".to_owned()),
            device: valid.device.clone(),
            description: valid.description.clone(),
            fields: serde_json::to_string(&valid.fields).map_err(|e| e.to_string())?,
            urgent_requested: valid.urgent_requested,
            penalised: triaged.penalised,
            warnings: serde_json::to_string(&triaged.warnings).map_err(|e| e.to_string())?,
            channel: channel.as_str().to_owned(),
            created_at: millis(now),
            first_response_due: millis(triaged.due.first_response_due),
            resolution_due: millis(triaged.due.resolution_due),
            related_to: match channel {
                Channel::Email { related_to, .. } => related_to,
                Channel::Api | Channel::Web => None,
            },
        };
        let (catalog, settings, token, valid, confirmed) = (
            Arc::clone(&catalog),
            Arc::clone(&settings),
            token.clone(),
            Arc::clone(&valid),
            triaged.clone(),
        );
        let outbox =
            Box::new(move |id: TicketId| confirmation(&catalog, &settings, id, &token, &valid, &confirmed, now));
        Ok((
            CasePlan {
                ticket,
                strike: triaged.strike,
                outbox,
            },
            triaged,
        ))
    })
}

async fn hash_all(attachments: &[Evidence]) -> Result<Vec<ContentHash>, SubmitError> {
    if attachments.is_empty() {
        return Ok(Vec::new());
    }
    let all: Vec<_> = attachments.iter().map(|e| e.bytes.clone()).collect();
    // Megabytes of SHA-256 would stall the async workers; hash on the blocking pool.
    tokio::task::spawn_blocking(move || all.iter().map(|b| content_hash(b)).collect())
        .await
        .map_err(|e| SubmitError::Internal(e.to_string()))
}

fn evidence_rows(attachments: &[Evidence], hashes: &[ContentHash]) -> Vec<EvidenceRow> {
    attachments
        .iter()
        .zip(hashes)
        .map(|(evidence, hash)| {
            let i = &evidence.inspection;
            EvidenceRow {
                sha256: hash.to_hex(),
                kind: i.kind.as_str().to_owned(),
                width: i64::from(i.width),
                height: i64::from(i.height),
                byte_len: i64::try_from(i.byte_len).unwrap_or(i64::MAX),
                filename: evidence.filename.chars().take(200).collect(),
                editor: i.editor.clone(),
            }
        })
        .collect()
}

fn case_number(catalog: &Catalog, id: TicketId) -> Result<CaseNumber, String> {
    let sequence = u64::try_from(id.get()).map_err(|e| e.to_string())?;
    catalog.case_prefix().number(sequence).map_err(|e| e.to_string())
}

/// The text a merged submission adds to the open case: its description and any catalog fields.
fn merged_body(valid: &ValidRequest) -> String {
    let mut body = valid.description.clone();
    for (field, value) in &valid.fields {
        body.push_str(&format!("\n{field}: {value}"));
    }
    body
}

/// The confirmation mail's event (SPEC §5); its Message-ID is the idempotency key of the delivery.
fn confirmation(
    catalog: &Catalog,
    settings: &Settings,
    id: TicketId,
    token: &StatusToken,
    valid: &ValidRequest,
    triaged: &Triage,
    now: DateTime<Utc>,
) -> NewOutboxEvent {
    let domain = settings.support_address.rsplit('@').next().unwrap_or("localhost");
    let case = case_number(catalog, id).map_or_else(|_| format!("#{}", id.get()), |c| c.to_string());
    let payload = ConfirmationPayload {
        status_url: format!("{}/status/{}?t={}", settings.public_url, case, token.as_str()),
        case_number: &case,
        to: valid.email.as_str(),
        category: &valid.category,
        language: valid.language.as_deref().unwrap_or("en"),
        priority: triaged.priority,
        first_response_due: triaged.due.first_response_due,
        resolution_due: triaged.due.resolution_due,
        missing: valid.needs_info.iter().chain(&valid.missing_recommended).collect(),
        warnings: &triaged.warnings,
    };
    NewOutboxEvent {
        kind: "confirmation".to_owned(),
        ticket_id: id,
        // Plain fields: serialising them cannot fail.
        payload: serde_json::to_string(&payload).unwrap_or_default(),
        idempotency_key: format!("<{}.confirmation@{}>", case.to_ascii_lowercase(), domain),
        created_at: millis(now),
    }
}

/// The confirmation event's payload, as `mail::Composer` reads it. Built on the SQLite writer's
/// thread, so it goes straight to text, with no JSON tree in between.
#[derive(Serialize)]
struct ConfirmationPayload<'a> {
    case_number: &'a str,
    to: &'a str,
    category: &'a str,
    language: &'a str,
    priority: Priority,
    first_response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    status_url: String,
    /// What the customer is asked for: required fields first, then recommended ones.
    missing: Vec<&'a String>,
    warnings: &'a [Warning],
}
