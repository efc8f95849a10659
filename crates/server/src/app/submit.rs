//! Submit a support request (SPEC §3): validate, triage, and store the case, its evidence and its
//! confirmation event in one transaction — or add it to the contact's open case (SPEC §3.3): the
//! same address only, and the link to that case goes to that address, never into the answer.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sportello_domain::case::{Channel, Status};
use sportello_domain::case_number::{CaseNumber, CasePrefix};
use sportello_domain::catalog::Catalog;
use sportello_domain::evidence::{content_hash, ContentHash};
use sportello_domain::request::{validate_deferring, Evidence, NewRequest, ValidRequest, DEFERRABLE};
use sportello_domain::triage::{triage, History, Triage};

use super::estimate::Forecast;
use super::{App, AppSettings, Error, StatusToken};
use crate::events::{Confirmation, MergedNotice, OutboxEvent};
use crate::mail::ids::MailIds;
use crate::store::{
    CasePlan, ContactHistory, Decide, EvidenceRow, IntakeOutcome, IntakeRequest, NewCase, NewOutboxEvent, TicketId,
};

/// A contact who already sent the same bytes this many times gets `attachment_repeated`.
const REPEATS_BEFORE_LOW: i64 = 2;

#[derive(Debug)]
pub enum Submitted {
    Created {
        case: CaseNumber,
        token: StatusToken,
        triage: Triage,
        /// When the first answer can be expected (SPEC §11's live estimate).
        expected_first_response: DateTime<Utc>,
    },
    /// Added to the contact's open case; its link went to the case's address by mail.
    Merged { case: CaseNumber },
}

/// How a request arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Api,
    Web,
    /// A mail that threads into no open case, kept whole as a blob; it may be about another case.
    Email {
        raw_sha256: String,
        related_to: Option<TicketId>,
    },
}

impl Via {
    fn channel(&self) -> Channel {
        match self {
            Via::Api => Channel::Api,
            Via::Web => Channel::Web,
            Via::Email { .. } => Channel::Email,
        }
    }

    /// What a channel that cannot ask back may leave for later (SPEC §5).
    fn deferrable(&self) -> &'static [&'static str] {
        if self.channel().can_ask_back() {
            &[]
        } else {
            &DEFERRABLE
        }
    }
}

#[tracing::instrument(skip_all, fields(category = %request.category))]
pub async fn submit(app: &App, request: NewRequest, via: Via) -> Result<Submitted, Error> {
    let valid = validate_deferring(&app.catalog, request, via.deferrable()).map_err(Error::Invalid)?;
    let hashes = hash_all(&valid.attachments).await?;
    // Blobs first, synced: a committed row never names a missing file.
    for (evidence, hash) in valid.attachments.iter().zip(&hashes) {
        app.blobs.put(hash, evidence.bytes.clone()).await?;
    }
    let now = app.clock.now();
    let policy = app.catalog.triage();
    let token = StatusToken::generate();
    let language = valid.language.clone().unwrap_or_else(|| "en".to_owned());
    let intake = IntakeRequest {
        email: valid.email.clone(),
        phone: valid.phone.clone(),
        device: valid.device.clone(),
        category: valid.category.clone(),
        merge_since: now - policy.merge_window,
        strike_since: now - policy.strike_window,
        now,
        token_hash: StatusToken::hash(token.as_str()),
        merge_body: merged_body(&valid),
        words: sportello_domain::search::request_words(&valid),
        evidence: valid
            .attachments
            .iter()
            .zip(&hashes)
            .map(|(e, hash)| EvidenceRow::of(e, *hash))
            .collect(),
        raw_sha256: match &via {
            Via::Email { raw_sha256, .. } => Some(raw_sha256.clone()),
            Via::Api | Via::Web => None,
        },
        merged: merged_notice(app, &valid, &token, language.clone(), now),
    };
    // Without a picture of the queues (the database is slow to answer it), the estimate is the
    // target: the request itself must not fail for it.
    let forecast = match app.forecaster.current(app).await {
        Ok(forecast) => Some(forecast),
        Err(e) => {
            tracing::warn!(error = %e, "no live estimate: the queues could not be read");
            None
        }
    };
    let decide = decide_new_case(app, valid, via, token.clone(), language, forecast, now);
    match app.store.intake(intake, decide).await? {
        IntakeOutcome::Created(id, (triaged, expected_first_response)) => {
            app.outbox_wake.notify_one();
            let case = number(app.catalog.case_prefix(), id)?;
            tracing::info!(case = %case, priority = %triaged.priority, "case created");
            Ok(Submitted::Created {
                case,
                token,
                triage: triaged,
                expected_first_response,
            })
        }
        IntakeOutcome::Merged(id) => {
            app.outbox_wake.notify_one();
            let case = number(app.catalog.case_prefix(), id)?;
            tracing::info!(case = %case, "merged into the open case");
            Ok(Submitted::Merged { case })
        }
    }
}

/// Triage, run inside the intake transaction once the contact's history is known.
fn decide_new_case(
    app: &App,
    valid: ValidRequest,
    via: Via,
    token: StatusToken,
    language: String,
    forecast: Option<Arc<Forecast>>,
    now: DateTime<Utc>,
) -> Decide<(Triage, DateTime<Utc>)> {
    let catalog = Arc::clone(&app.catalog);
    let settings = Arc::clone(&app.settings);
    let ids = app.mail_ids.clone();
    // Shared with the confirmation it builds, which outlives one decision.
    let valid = Arc::new(valid);
    Box::new(move |history: ContactHistory| {
        let category = catalog
            .category(&valid.category)
            .ok_or_else(|| format!("validated category `{}` vanished", valid.category))?;
        let triaged = triage(
            &catalog,
            category,
            &valid,
            History {
                recent_strike: history.recent_strike,
                repeated_attachment: history.most_repeats >= REPEATS_BEFORE_LOW,
                business: history.business.map(|b| b.standing),
            },
            now,
        );
        let (channel, related_to) = match &via {
            Via::Email { related_to, .. } => (Channel::Email, *related_to),
            other => (other.channel(), None),
        };
        let expected = forecast.as_ref().map_or(triaged.due.first_response_due, |f| {
            f.expected(
                &catalog,
                category,
                &valid.subcategory,
                triaged.priority,
                &triaged.due,
                now,
            )
        });
        let case = NewCase {
            // Waiting for what the channel could not ask for (SPEC §5: mail opens a case anyway).
            status: if valid.needs_info.is_empty() {
                Status::New
            } else {
                Status::NeedsInfo
            },
            priority: triaged.priority,
            category: valid.category.clone(),
            subcategory: valid.subcategory.clone(),
            email: valid.email.clone(),
            phone: valid.phone.clone(),
            name: valid.name.clone(),
            country: valid.country.clone(),
            language: language.clone(),
            device: valid.device.clone(),
            description: valid.description.clone(),
            fields: valid.fields.clone(),
            urgent_requested: valid.urgent_requested,
            penalised: triaged.penalised,
            warnings: triaged.warnings.clone(),
            channel,
            created_at: now,
            due: triaged.due,
            // A mail about another case, or the same phone under another address (SPEC §3.3).
            related_to: related_to.or(history.same_phone),
            business: history.business,
            expected_first_response: Some(expected),
        };
        let (catalog, settings, ids, token, valid, confirmed, language) = (
            Arc::clone(&catalog),
            Arc::clone(&settings),
            ids.clone(),
            token.clone(),
            Arc::clone(&valid),
            triaged.clone(),
            language.clone(),
        );
        let outbox = Box::new(move |id: TicketId| {
            confirmation(
                &catalog, &settings, &ids, id, &token, &valid, &confirmed, expected, language, now,
            )
        });
        Ok((
            CasePlan {
                case,
                strike: triaged.strike,
                outbox,
            },
            (triaged, expected),
        ))
    })
}

/// The mail that tells the address's owner their request joined their open case, with its link.
fn merged_notice(
    app: &App,
    valid: &ValidRequest,
    token: &StatusToken,
    language: String,
    now: DateTime<Utc>,
) -> Box<dyn Fn(TicketId) -> NewOutboxEvent + Send + Sync> {
    let (catalog, settings, ids, token, to) = (
        Arc::clone(&app.catalog),
        Arc::clone(&app.settings),
        app.mail_ids.clone(),
        token.clone(),
        valid.email.clone(),
    );
    Box::new(move |id: TicketId| {
        // Each merge is its own mail: the nonce keeps their Message-IDs apart. Made here, not
        // for every intake: most never merge.
        let event = format!("merged-{:016x}", rand::random::<u64>());
        let case = display_number(catalog.case_prefix(), id);
        NewOutboxEvent {
            ticket_id: id,
            idempotency_key: message_id(&ids, catalog.case_prefix(), id, &event),
            event: OutboxEvent::Merged(MergedNotice {
                status_url: Some(status_url(&settings, &case, &token)),
                case_number: case,
                to: to.clone(),
                language: language.clone(),
            }),
            created_at: now,
        }
    })
}

async fn hash_all(attachments: &[Evidence]) -> Result<Vec<ContentHash>, Error> {
    if attachments.is_empty() {
        return Ok(Vec::new());
    }
    let all: Vec<_> = attachments.iter().map(|e| e.bytes.clone()).collect();
    // Megabytes of SHA-256 would stall the async workers; hash on the blocking pool.
    tokio::task::spawn_blocking(move || all.iter().map(|b| content_hash(b)).collect())
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

pub(super) fn number(prefix: &CasePrefix, id: TicketId) -> Result<CaseNumber, Error> {
    id.number(prefix).map_err(|e| Error::Internal(e.to_string()))
}

/// The case number as mail shows it; a sequence past the last number (never reached in practice)
/// still names its case.
fn display_number(prefix: &CasePrefix, id: TicketId) -> String {
    id.number(prefix)
        .map_or_else(|_| format!("#{}", id.get()), |c| c.to_string())
}

fn message_id(ids: &MailIds, prefix: &CasePrefix, id: TicketId, event: &str) -> String {
    match id.number(prefix) {
        Ok(case) => ids.message_id(&case, event),
        // Unreachable in practice (see `display_number`); still one unique, unverifiable id.
        Err(_) => format!("<case-{}.{event}@invalid>", id.get()),
    }
}

fn status_url(settings: &AppSettings, case: &str, token: &StatusToken) -> String {
    format!("{}/status/{}?t={}", settings.public_url, case, token.as_str())
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
#[allow(clippy::too_many_arguments)]
fn confirmation(
    catalog: &Catalog,
    settings: &AppSettings,
    ids: &MailIds,
    id: TicketId,
    token: &StatusToken,
    valid: &ValidRequest,
    triaged: &Triage,
    expected_first_response: DateTime<Utc>,
    language: String,
    now: DateTime<Utc>,
) -> NewOutboxEvent {
    let case = display_number(catalog.case_prefix(), id);
    NewOutboxEvent {
        ticket_id: id,
        idempotency_key: message_id(ids, catalog.case_prefix(), id, "confirmation"),
        event: OutboxEvent::Confirmation(Confirmation {
            status_url: Some(status_url(settings, &case, token)),
            case_number: case,
            to: valid.email.clone(),
            category: valid.category.clone(),
            language,
            priority: triaged.priority,
            first_response_due: triaged.due.first_response_due,
            resolution_due: triaged.due.resolution_due,
            expected_first_response: Some(expected_first_response),
            missing: valid
                .needs_info
                .iter()
                .chain(&valid.missing_recommended)
                .cloned()
                .collect(),
            warnings: triaged.warnings.clone(),
        }),
        created_at: now,
    }
}
