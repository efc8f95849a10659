//! Ingest one inbound e-mail (SPEC §5). A reply joins its case — found by one of our Message-IDs
//! in its references whose MAC verifies (whoever sends it: a colleague in Cc answers too), or by a
//! valid case number in the subject when the sender is the case's contact — and may raise its
//! priority (SPEC §4). Any other mail from a person opens a case in the `mail_category`, waiting
//! for what a mail cannot give (`needs_info`), linked to the case it quotes or answers when there
//! is one: a stranger never joins someone else's case, and a closed case is not reopened by mail.
//! A bounce that names one of our mails marks that case's address undeliverable; automatic mail is
//! ignored; what cannot be read is kept aside with its reason. The raw message is kept as a blob
//! (that of a mail nothing names, an ignored one, goes with the blob sweeper's grace period).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sportello_domain::case_number::{CaseNumber, CasePrefix};
use sportello_domain::catalog::Catalog;
use sportello_domain::contact::email::Email;
use sportello_domain::evidence::content_hash;
use sportello_domain::request::{admit_attachments, Evidence, NewRequest, Upload};
use sportello_domain::text::{DESCRIPTION_MAX_CHARS, FIELD_MAX_CHARS};
use sportello_domain::triage::Priority;

use super::reply::{follow_up, FollowUp};
use super::submit::{number, submit, Submitted, Via};
use super::{App, Error};
use crate::i18n::Lang;
use crate::mail::inbound::{self, Attachment, Inbound, Received};
use crate::store::{Case, MailFile, StoreError, TicketId};

/// Larger messages are kept aside unread.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// A follow-up on an open case.
    Joined {
        case: CaseNumber,
        raised_to: Option<Priority>,
    },
    /// A new case; `about` is the case it quotes or answers, when there is one.
    Opened {
        case: CaseNumber,
        about: Option<CaseNumber>,
    },
    /// Added to the sender's own open case of the mail category from the last 24 hours (SPEC §3.3).
    Merged(CaseNumber),
    /// The same raw message was filed before (fetched twice, or a retried pipe): nothing changes.
    Duplicate,
    Ignored(String),
    /// A bounce of our mail to this case: its address is marked undeliverable.
    Bounce {
        case: CaseNumber,
        address: Email,
    },
    KeptAside(String),
}

/// Where a mail belongs.
enum Thread {
    /// It answers this case, or names it and comes from its contact.
    Case(Box<Case>),
    /// It names this case but is not the contact's: a new case, linked to it.
    About(TicketId),
    Nowhere,
}

#[tracing::instrument(skip_all, fields(bytes = raw.len()))]
pub async fn ingest(app: &App, raw: Bytes) -> Result<Ingested, Error> {
    let now = app.clock.now();
    let hash = content_hash(&raw);
    app.blobs.put(&hash, raw.clone()).await?;
    let raw_sha256 = hash.to_hex();
    if app.store.mail_filed(&raw_sha256).await? {
        return Ok(Ingested::Duplicate);
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return aside(app, "larger than 25 MiB", &raw_sha256, None, None, now).await;
    }
    let message = match inbound::read(&raw, &app.settings.support_address) {
        Err(refusal) => return aside(app, &refusal.to_string(), &raw_sha256, None, None, now).await,
        Ok(Inbound::Ignored { reason }) => return Ok(Ingested::Ignored(reason)),
        Ok(Inbound::Bounce { failed, names }) => return bounce(app, &failed, &names, &raw_sha256, now).await,
        Ok(Inbound::Message(message)) => message,
    };
    let filed = match find_thread(app, &message).await? {
        Thread::Case(case) if case.status.accepts_follow_up(case.resolved_at, now) => {
            join(app, *case, message, &raw_sha256).await
        }
        Thread::Case(closed) => open(app, message, Some(closed.id), &raw_sha256, now).await,
        Thread::About(id) => open(app, message, Some(id), &raw_sha256, now).await,
        Thread::Nowhere => open(app, message, None, &raw_sha256, now).await,
    };
    match filed {
        // Another process filed the same message meanwhile: the unique raw hash refused ours.
        Err(Error::Store(StoreError::Conflict(_))) if app.store.mail_filed(&raw_sha256).await? => {
            Ok(Ingested::Duplicate)
        }
        other => other,
    }
}

/// A bounce counts only when it names one of our mails (a verified Message-ID or bounce
/// address), and only for that mail's recipient: anyone can write `X-Failed-Recipients`.
async fn bounce(
    app: &App,
    failed: &[String],
    names: &[String],
    raw_sha256: &str,
    now: DateTime<Utc>,
) -> Result<Ingested, Error> {
    let prefix = app.catalog.case_prefix();
    let named = names.iter().find_map(|name| app.mail_ids.named(name, prefix));
    let Some(named) = named else {
        return aside(
            app,
            "a bounce that names none of our mails",
            raw_sha256,
            None,
            None,
            now,
        )
        .await;
    };
    let Some(case) = app
        .store
        .case(TicketId::of(&named.case).ok_or(Error::NotFound)?)
        .await?
    else {
        return aside(
            app,
            "a bounce of a mail to a case that is gone",
            raw_sha256,
            None,
            None,
            now,
        )
        .await;
    };
    // A report that names no address (prose only) is about the mail it returns all the same.
    let ours = failed.is_empty() || failed.iter().any(|a| a.eq_ignore_ascii_case(case.email.as_str()));
    if !ours {
        let reason = "a bounce of our mail that names another address";
        return aside(app, reason, raw_sha256, None, None, now).await;
    }
    app.store.mark_undeliverable(&case.email, "bounced", now).await?;
    Ok(Ingested::Bounce {
        case: named.case,
        address: case.email,
    })
}

/// A message too large to fetch whole: its header is kept aside (as the blob), for an agent.
pub async fn keep_oversized(app: &App, header: Bytes, size: u64) -> Result<Ingested, Error> {
    let now = app.clock.now();
    let hash = content_hash(&header);
    app.blobs.put(&hash, header.clone()).await?;
    let raw_sha256 = hash.to_hex();
    if app.store.mail_filed(&raw_sha256).await? {
        return Ok(Ingested::Duplicate);
    }
    let parsed = mail_parser::MessageParser::default().parse_headers(&header);
    let from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_lowercase);
    let subject = parsed.as_ref().and_then(|m| m.subject()).map(str::to_owned);
    let reason = format!("larger than 25 MiB ({size} bytes): only its header was fetched");
    aside(app, &reason, &raw_sha256, from.as_deref(), subject.as_deref(), now).await
}

/// The category and sub-category of cases opened by mail: `CATEGORY/SUBCATEGORY` from the
/// settings, else the catalog's first. Checked at start-up, so a typo stops the server there.
pub fn mail_category(catalog: &Catalog, setting: Option<&str>) -> Result<(String, String), String> {
    let Some(setting) = setting else {
        let first = catalog.categories().first().ok_or("the catalog has no category")?;
        let sub = first
            .subcategories
            .first()
            .ok_or("the catalog's first category has no sub-category")?;
        return Ok((first.id.clone(), sub.id.clone()));
    };
    let (category, sub) = setting
        .split_once('/')
        .ok_or_else(|| format!("`{setting}` is not CATEGORY/SUBCATEGORY"))?;
    let known = catalog.category(category).is_some_and(|c| c.subcategory(sub).is_some());
    if known {
        Ok((category.to_owned(), sub.to_owned()))
    } else {
        Err(format!("`{setting}` is not a category and sub-category of the catalog"))
    }
}

/// Our verified Message-IDs in the references first (any sender), then a case number in the
/// subject from the case's own contact.
async fn find_thread(app: &App, message: &Received) -> Result<Thread, StoreError> {
    let prefix = app.catalog.case_prefix();
    for reference in &message.references {
        if let Some(named) = app.mail_ids.named(reference, prefix) {
            if let Some(case) = case_of(app, &named.case).await? {
                return Ok(Thread::Case(Box::new(case)));
            }
        }
    }
    let mut quoted = None;
    for candidate in case_numbers_in(&message.subject, prefix) {
        if let Some(case) = case_of(app, &candidate).await? {
            if case.email.as_str().eq_ignore_ascii_case(&message.from) {
                return Ok(Thread::Case(Box::new(case)));
            }
            quoted.get_or_insert(case.id);
        }
    }
    Ok(quoted.map_or(Thread::Nowhere, Thread::About))
}

/// Every "prefix + 10 digits" in a text with a valid check digit, spaces and dashes between the
/// digits allowed (as people type them).
fn case_numbers_in(text: &str, prefix: &CasePrefix) -> Vec<CaseNumber> {
    let upper = text.to_ascii_uppercase();
    let mut found = Vec::new();
    for (at, _) in upper.match_indices(prefix.as_str()) {
        let mut digits = String::new();
        for c in upper[at + prefix.as_str().len()..].chars() {
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
            found.extend(prefix.parse(&format!("{}{digits}", prefix.as_str())).ok());
        }
    }
    found
}

/// The case a number names, or the one it was merged into: a reply on a merged case's thread
/// joins the target (SPEC §7).
async fn case_of(app: &App, number: &CaseNumber) -> Result<Option<Case>, StoreError> {
    match TicketId::of(number) {
        Some(id) => app.store.case_followed(id).await,
        None => Ok(None),
    }
}

async fn join(app: &App, case: Case, message: Received, raw_sha256: &str) -> Result<Ingested, Error> {
    let (evidence, files) = sorted(message.attachments, raw_sha256);
    let sender = (!case.email.as_str().eq_ignore_ascii_case(&message.from)).then_some(message.from);
    let followed = follow_up(
        app,
        &case,
        FollowUp {
            text: message.body,
            evidence,
            files,
            sender,
            raw_sha256: Some(raw_sha256.to_owned()),
            ..FollowUp::default()
        },
    )
    .await?;
    Ok(Ingested::Joined {
        case: number(app.catalog.case_prefix(), case.id)?,
        raised_to: followed.raised_to,
    })
}

/// A new case from a mail: what it says, in the mail category, waiting for what it could not say.
async fn open(
    app: &App,
    message: Received,
    related_to: Option<TicketId>,
    raw_sha256: &str,
    now: DateTime<Utc>,
) -> Result<Ingested, Error> {
    let (category, subcategory) = app.settings.mail_category.clone();
    let (evidence, files) = sorted(message.attachments, raw_sha256);
    let text = match (message.subject.trim(), message.body.trim()) {
        (subject, "") => subject.to_owned(),
        ("", body) => body.to_owned(),
        (subject, body) => format!("{subject}\n\n{body}"),
    };
    let request = NewRequest {
        category,
        subcategory,
        email: message.from.clone(),
        // The raw message keeps everything; the case keeps what fits.
        description: truncated(&text, DESCRIPTION_MAX_CHARS),
        name: message.name.map(|n| truncated(&n, FIELD_MAX_CHARS)),
        // Only a language we answer in: anything else would refuse the mail.
        language: message.language.map(|l| Lang::negotiate([l.as_str()]).code()),
        // The address demonstrably sends mail: a look-alike domain is not a typo here.
        email_confirmed: true,
        attachments: evidence
            .into_iter()
            .map(|e| Upload {
                filename: e.filename,
                bytes: e.bytes,
            })
            .collect(),
        ..NewRequest::default()
    };
    let via = Via::Email {
        raw_sha256: raw_sha256.to_owned(),
        related_to,
    };
    match submit(app, request, via).await {
        Ok(Submitted::Created { case, .. }) => {
            list_files(app, &case, &files, now).await?;
            Ok(Ingested::Opened {
                case,
                about: related_to.map(|id| number(app.catalog.case_prefix(), id)).transpose()?,
            })
        }
        Ok(Submitted::Merged { case }) => {
            list_files(app, &case, &files, now).await?;
            Ok(Ingested::Merged(case))
        }
        Err(Error::Invalid(problems)) => {
            let codes: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.code.as_str()))
                .collect();
            let reason = format!("cannot open a case: {}", codes.join(", "));
            aside(
                app,
                &reason,
                raw_sha256,
                Some(&message.from),
                Some(&message.subject),
                now,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The mail's files: those that pass SPEC §3.1's evidence rules are screenshots; the others (a
/// PDF, a spreadsheet, a small logo, a fourth picture) are listed as files from mail, their bytes
/// left in the raw message at their place among its attachments.
fn sorted(attachments: Vec<Attachment>, raw_sha256: &str) -> (Vec<Evidence>, Vec<MailFile>) {
    let uploads = attachments
        .iter()
        .map(|a| Upload {
            filename: a.name.clone(),
            bytes: Bytes::from(a.bytes.clone()),
        })
        .collect();
    let (evidence, _, refused) = admit_attachments(uploads);
    let mut listed = vec![false; attachments.len()];
    let mut files = Vec::new();
    for (upload, _) in &refused {
        let found = attachments
            .iter()
            .enumerate()
            .position(|(i, a)| !listed[i] && a.name == upload.filename && a.bytes[..] == upload.bytes[..]);
        if let Some(i) = found {
            listed[i] = true;
            let a = &attachments[i];
            files.push(MailFile {
                raw_sha256: raw_sha256.to_owned(),
                part: i as i64,
                filename: a.name.chars().take(200).collect(),
                media_type: a.media_type.chars().take(100).collect(),
                byte_len: a.bytes.len() as i64,
            });
        }
    }
    (evidence, files)
}

/// Lists a new (or joined) case's files from the mail that opened it. After the case's own
/// commit: should this one fail, the raw message still holds every file.
async fn list_files(app: &App, case: &CaseNumber, files: &[MailFile], now: DateTime<Utc>) -> Result<(), Error> {
    let Some(id) = TicketId::of(case).filter(|_| !files.is_empty()) else {
        return Ok(());
    };
    let mut tx = app.store.begin_write().await?;
    tx.add_mail_files(id, None, files, now).await?;
    tx.commit().await?;
    Ok(())
}

fn truncated(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max_chars => format!("{}…", &text[..at]),
        _ => text.to_owned(),
    }
}

async fn aside(
    app: &App,
    reason: &str,
    raw_sha256: &str,
    sender: Option<&str>,
    subject: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ingested, Error> {
    app.store.keep_aside(reason, raw_sha256, sender, subject, now).await?;
    Ok(Ingested::KeptAside(reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::case_numbers_in;
    use sportello_domain::case_number::CasePrefix;

    #[test]
    fn case_numbers_are_found_however_they_are_typed() {
        let prefix = CasePrefix::default();
        let text = |found: Vec<sportello_domain::case_number::CaseNumber>| {
            found.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        assert_eq!(text(case_numbers_in("Re: [WA0000000013] x", &prefix)), ["WA0000000013"]);
        assert_eq!(
            text(case_numbers_in("caso wa 0000-000 013, e WA0000000021", &prefix)),
            ["WA0000000013", "WA0000000021"]
        );
        assert!(case_numbers_in("WA12345 and WATER", &prefix).is_empty());
        assert!(case_numbers_in("WA0000000012: a wrong check digit", &prefix).is_empty());
    }
}
