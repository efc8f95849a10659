//! Ingest one inbound e-mail (SPEC §5): a reply joins its case — found by our Message-ID in its
//! references, or by a valid case number in the subject when the sender is the case's contact — and
//! may raise the case's priority (SPEC §4); bounces mark the address undeliverable; automatic mail
//! is ignored; anything else is kept aside with its reason. The raw message is always kept as a blob.

use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use sportello_domain::case_number::{CaseNumber, CasePrefix};
use sportello_domain::evidence::{content_hash, inspect};
use sportello_domain::triage::Priority;

use super::{millis, App};
use crate::mail::inbound::{self, Inbound, Received};
use crate::store::{CaseState, CustomerReply, EvidenceRow, StoreError, TicketId};

/// Larger messages are kept aside unread.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// SPEC §4: a customer reply within this long after resolution reopens the case.
pub(crate) const REOPEN_WINDOW_MS: i64 = 7 * 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Joined {
        case: CaseNumber,
        raised_to: Option<Priority>,
    },
    Ignored(String),
    Bounce(Vec<String>),
    KeptAside(String),
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not keep the raw message: {0}")]
    Blob(#[from] std::io::Error),
}

#[tracing::instrument(skip_all, fields(bytes = raw.len()))]
pub async fn ingest(app: &App, raw: Bytes) -> Result<Ingested, IngestError> {
    let now = Utc::now().trunc_subsecs(0);
    let hash = content_hash(&raw);
    app.blobs.put(&hash, raw.clone()).await?;
    let raw_sha256 = hash.to_hex();
    if raw.len() > MAX_MESSAGE_BYTES {
        return aside(app, "larger than 25 MiB", &raw_sha256, None, None, now).await;
    }
    let read = inbound::read(&raw, &app.settings.support_address);
    let message = match read {
        Err(refusal) => return aside(app, &refusal.to_string(), &raw_sha256, None, None, now).await,
        Ok(Inbound::Ignored { reason }) => return Ok(Ingested::Ignored(reason)),
        Ok(Inbound::Bounce { failed }) => {
            for address in &failed {
                app.store.mark_undeliverable(address, "bounced", millis(now)).await?;
            }
            if failed.is_empty() {
                return aside(app, "a bounce that names no address", &raw_sha256, None, None, now).await;
            }
            return Ok(Ingested::Bounce(failed));
        }
        Ok(Inbound::Message(message)) => message,
    };
    let Some(case) = find_case(app, &message).await? else {
        let reason = "no case: not a reply to our mail, and no case number of the sender's own";
        return aside(
            app,
            reason,
            &raw_sha256,
            Some(&message.from),
            Some(&message.subject),
            now,
        )
        .await;
    };
    if case.status == "closed" || case.resolved_at.is_some_and(|at| millis(now) - at > REOPEN_WINDOW_MS) {
        let reason = "the case is closed";
        return aside(
            app,
            reason,
            &raw_sha256,
            Some(&message.from),
            Some(&message.subject),
            now,
        )
        .await;
    }
    join(app, case, message, raw_sha256, now).await
}

/// Our Message-IDs in the references first (any sender: a colleague in Cc replies too), then a
/// case number in the subject, only from the case's own contact.
async fn find_case(app: &App, message: &Received) -> Result<Option<CaseState>, StoreError> {
    let prefix = app.catalog.case_prefix();
    let domain = app
        .settings
        .support_address
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    for reference in &message.references {
        let Some((local, host)) = reference
            .to_ascii_lowercase()
            .rsplit_once('@')
            .map(|(l, h)| (l.to_owned(), h.to_owned()))
        else {
            continue;
        };
        let number = local.split('.').next().unwrap_or("");
        if host == domain {
            if let Some(case) = case_of(app, prefix, number).await? {
                return Ok(Some(case));
            }
        }
    }
    for candidate in case_numbers_in(&message.subject, prefix.as_str()) {
        if let Some(case) = case_of(app, prefix, &candidate).await? {
            if case.email.eq_ignore_ascii_case(&message.from) {
                return Ok(Some(case));
            }
        }
    }
    Ok(None)
}

/// Every "prefix + 10 digits" in a text, spaces and dashes between them allowed (as people type them).
fn case_numbers_in(text: &str, prefix: &str) -> Vec<String> {
    let upper = text.to_ascii_uppercase();
    let mut found = Vec::new();
    for (at, _) in upper.match_indices(prefix) {
        let mut digits = String::new();
        for c in upper[at + prefix.len()..].chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => break,
            }
            if digits.len() == 10 {
                break;
            }
        }
        if digits.len() == 10 {
            found.push(format!("{prefix}{digits}"));
        }
    }
    found
}

async fn case_of(app: &App, prefix: &CasePrefix, text: &str) -> Result<Option<CaseState>, StoreError> {
    let Ok(number) = prefix.parse(text) else {
        return Ok(None);
    };
    let Ok(id) = i64::try_from(number.sequence()) else {
        return Ok(None);
    };
    app.store.case_state(TicketId::from(id)).await
}

async fn join(
    app: &App,
    case: CaseState,
    message: Received,
    raw_sha256: String,
    now: DateTime<Utc>,
) -> Result<Ingested, IngestError> {
    let mut body = message.body.clone();
    let mut evidence = Vec::new();
    for (name, bytes) in message
        .attachments
        .iter()
        .take(sportello_domain::request::MAX_ATTACHMENTS)
    {
        match inspect(bytes) {
            Ok(i) => {
                let hash = content_hash(bytes);
                app.blobs.put(&hash, Bytes::from(bytes.clone())).await?;
                evidence.push(EvidenceRow {
                    sha256: hash.to_hex(),
                    kind: i.kind.as_str().to_owned(),
                    width: i64::from(i.width),
                    height: i64::from(i.height),
                    byte_len: i64::try_from(i.byte_len).unwrap_or(i64::MAX),
                    filename: name.chars().take(200).collect(),
                    editor: i.editor,
                })
            }
            // Kept in the raw message; the agent sees why it is not evidence.
            Err(e) => body.push_str(&format!("\n[attachment {name}: {}]", e.code().as_str())),
        }
    }
    let raised = super::bump::bump_for_reply(app, &case, now);
    let reopen = case.status == "pending_customer" || case.status == "resolved";
    let number = app
        .catalog
        .case_prefix()
        .number(u64::try_from(case.id.get()).unwrap_or_default());
    let (_, bumped) = app
        .store
        .add_customer_reply(&CustomerReply {
            ticket: case.id,
            body,
            raw_sha256,
            evidence,
            now_ms: millis(now),
            bump: raised.as_ref().map(|(_, bump)| bump.clone()),
            reopen,
        })
        .await?;
    match number {
        Ok(case) => Ok(Ingested::Joined {
            case,
            raised_to: raised.filter(|_| bumped).map(|(p, _)| p),
        }),
        Err(e) => Err(IngestError::Store(StoreError::Other(e.to_string()))),
    }
}

async fn aside(
    app: &App,
    reason: &str,
    raw_sha256: &str,
    sender: Option<&str>,
    subject: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ingested, IngestError> {
    app.store
        .keep_aside(reason, raw_sha256, sender, subject, millis(now))
        .await?;
    Ok(Ingested::KeptAside(reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::case_numbers_in;

    #[test]
    fn case_numbers_are_found_however_they_are_typed() {
        assert_eq!(case_numbers_in("Re: [WA0000000013] x", "WA"), ["WA0000000013"]);
        assert_eq!(
            case_numbers_in("caso wa 0000-000 013, e WA1234567890", "WA"),
            ["WA0000000013", "WA1234567890"]
        );
        assert!(case_numbers_in("WA12345 and WATER", "WA").is_empty());
    }
}
