//! Submit a support request (SPEC §3): validate, triage, and store the case, its evidence and its
//! confirmation event in one transaction — or add it to the contact's open case (SPEC §3.3).

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::json;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::evidence::{content_hash, ContentHash};
use sportello_domain::problem::Problem;
use sportello_domain::request::{validate, Evidence, NewRequest, ValidRequest};
use sportello_domain::triage::{triage, History, Triage};

use super::{millis, App, StatusToken};
use crate::store::{IntakeTx, NewEvidence, NewMessage, NewOutboxEvent, NewTicket, StoreError, TicketId};

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
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    Api,
    Web,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Web => "web",
        }
    }
}

#[tracing::instrument(skip_all, fields(category = %request.category))]
pub async fn submit(app: &App, request: NewRequest, channel: Channel) -> Result<Submitted, SubmitError> {
    let valid = validate(&app.catalog, request).map_err(SubmitError::Invalid)?;
    let hashes = hash_all(&valid.attachments).await?;
    // Blobs first, synced: a committed row never names a missing file.
    for (evidence, hash) in valid.attachments.iter().zip(&hashes) {
        app.blobs.put(hash, evidence.bytes.clone()).await?;
    }
    // Whole seconds: what is stored (milliseconds) and what is shown agree to the digit.
    let now = Utc::now().trunc_subsecs(0);
    let policy = app.catalog.triage();
    let (email, phone) = (valid.email.as_str(), valid.phone.as_str());
    let mut tx = app.store.begin_intake(&[email, phone]).await?;

    let since = millis(now - policy.merge_window);
    if let Some(id) = tx.find_mergeable(email, phone, &valid.category, since).await? {
        let token = StatusToken::generate();
        let message = tx
            .insert_message(&NewMessage {
                ticket_id: id,
                author: "customer".to_owned(),
                body: merged_body(&valid),
                public: true,
                created_at: millis(now),
            })
            .await?;
        insert_evidence(&mut tx, id, Some(message), &valid.attachments, &hashes, now).await?;
        tx.insert_token(id, &StatusToken::hash(token.as_str()), millis(now))
            .await?;
        tx.commit().await?;
        let case = case_number(app, id)?;
        tracing::info!(case = %case, "merged into the open case");
        return Ok(Submitted::Merged { case, token });
    }

    let mut history = History {
        recent_strike: tx
            .has_strike_since(email, phone, millis(now - policy.strike_window))
            .await?,
        ..History::default()
    };
    for hash in &hashes {
        if tx.times_sent(email, phone, &hash.to_hex()).await? >= REPEATS_BEFORE_LOW {
            history.repeated_attachment = true;
        }
    }
    let category = app
        .catalog
        .category(&valid.category)
        .ok_or_else(|| SubmitError::Internal(format!("validated category `{}` vanished", valid.category)))?;
    let triaged = triage(&app.catalog, category, &valid, history, now);
    let warnings = serde_json::to_string(&triaged.warnings).map_err(|e| SubmitError::Internal(e.to_string()))?;
    let fields = serde_json::to_string(&valid.fields).map_err(|e| SubmitError::Internal(e.to_string()))?;
    let id = tx
        .insert_ticket(&NewTicket {
            status: "new".to_owned(),
            priority: triaged.priority.as_str().to_owned(),
            category: valid.category.clone(),
            subcategory: valid.subcategory.clone(),
            email: email.to_owned(),
            phone: phone.to_owned(),
            name: valid.name.clone(),
            country: valid.country.clone(),
            language: valid.language.clone().unwrap_or_else(|| "en".to_owned()),
            device: valid.device.clone(),
            description: valid.description.clone(),
            fields,
            urgent_requested: valid.urgent_requested,
            penalised: triaged.penalised,
            warnings,
            channel: channel.as_str().to_owned(),
            created_at: millis(now),
            first_response_due: millis(triaged.due.first_response_due),
            resolution_due: millis(triaged.due.resolution_due),
        })
        .await?;
    let case = case_number(app, id)?;
    let token = StatusToken::generate();
    tx.insert_token(id, &StatusToken::hash(token.as_str()), millis(now))
        .await?;
    insert_evidence(&mut tx, id, None, &valid.attachments, &hashes, now).await?;
    if triaged.strike {
        for contact in [email, phone] {
            tx.insert_strike(contact, id, millis(now)).await?;
        }
    }
    tx.enqueue(&confirmation(app, &case, &token, &valid, &triaged, id, now))
        .await?;
    tx.commit().await?;
    tracing::info!(case = %case, priority = %triaged.priority, "case created");
    Ok(Submitted::Created {
        case,
        token,
        triage: triaged,
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

async fn insert_evidence(
    tx: &mut IntakeTx,
    ticket: TicketId,
    message: Option<crate::store::MessageId>,
    attachments: &[Evidence],
    hashes: &[ContentHash],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (evidence, hash) in attachments.iter().zip(hashes) {
        let i = &evidence.inspection;
        tx.insert_evidence(&NewEvidence {
            ticket_id: ticket,
            message_id: message,
            sha256: hash.to_hex(),
            kind: i.kind.as_str().to_owned(),
            width: i64::from(i.width),
            height: i64::from(i.height),
            byte_len: i.byte_len as i64,
            filename: evidence.filename.chars().take(200).collect(),
            editor: i.editor.clone(),
            created_at: millis(now),
        })
        .await?;
    }
    Ok(())
}

fn case_number(app: &App, id: TicketId) -> Result<CaseNumber, SubmitError> {
    let sequence = u64::try_from(id.get()).map_err(|e| SubmitError::Internal(e.to_string()))?;
    app.catalog
        .case_prefix()
        .number(sequence)
        .map_err(|e| SubmitError::Internal(e.to_string()))
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
    app: &App,
    case: &CaseNumber,
    token: &StatusToken,
    valid: &ValidRequest,
    triaged: &Triage,
    id: TicketId,
    now: DateTime<Utc>,
) -> NewOutboxEvent {
    let settings = &app.settings;
    let domain = settings.support_address.rsplit('@').next().unwrap_or("localhost");
    let missing: BTreeMap<&str, bool> = valid.missing_recommended.iter().map(|f| (f.as_str(), true)).collect();
    NewOutboxEvent {
        kind: "confirmation".to_owned(),
        ticket_id: id,
        payload: json!({
            "case_number": case,
            "to": valid.email.as_str(),
            "language": valid.language.clone().unwrap_or_else(|| "en".to_owned()),
            "priority": triaged.priority,
            "first_response_due": triaged.due.first_response_due,
            "resolution_due": triaged.due.resolution_due,
            "status_url": format!("{}/status/{}?t={}", settings.public_url, case, token.as_str()),
            "missing": missing.keys().collect::<Vec<_>>(),
            "warnings": triaged.warnings,
        })
        .to_string(),
        idempotency_key: format!("<{}.confirmation@{}>", case.as_str().to_ascii_lowercase(), domain),
        created_at: millis(now),
    }
}
