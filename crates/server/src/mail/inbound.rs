//! Reading what arrives by mail (SPEC §5): is it a person writing, an automatic answer to ignore, or
//! a bounce that says an address is dead — and which case does it name? Pure over the raw bytes;
//! the use case that stores the result comes with the ingest command.

use mail_parser::{MessageParser, MimeHeaders};

/// What one inbound message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A person's message, for a case.
    Message(Received),
    /// Machine-written and not a bounce: vacation replies, read receipts, abuse reports, our own mail.
    Ignored { reason: String },
    /// Delivery failed for good to these addresses. `names` are the identifiers of ours it quotes
    /// (Message-IDs, bounce addresses), for the caller to verify: a bounce counts only when it
    /// names one of our mails (SPEC §5).
    Bounce { failed: Vec<String>, names: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    /// The sender's display name, when the mail gives one.
    pub name: Option<String>,
    /// `Content-Language`, when the mail declares it.
    pub language: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    /// In-Reply-To then References, as written (without angle brackets).
    pub references: Vec<String>,
    /// The new text: quoted history and signature cut off.
    pub body: String,
    /// All of the text, what was cut included: for the agent who needs it (SPEC §5, never lost).
    pub whole: String,
    pub attachments: Vec<Attachment>,
}

/// A file the mail carries, in the order the mail gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// As the mail names it, or made from its type (`attachment-2.pdf`) when it names none.
    pub name: String,
    /// `type/subtype`, lower-cased (`application/octet-stream` when the mail says nothing).
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a mail message")]
    NotAMessage,
    #[error("the message has no sender address")]
    NoSender,
}

/// Classifies one raw RFC 5322 message. `support_address` is ours: mail from it is a loop.
pub fn read(raw: &[u8], support_address: &str) -> Result<Inbound, Refusal> {
    // Some clients and archives put blank lines before the headers; a header block cannot start
    // with one, so they are dropped rather than taken for an empty header section.
    let start = raw.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(raw.len());
    let line_start = raw[..start].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let message = MessageParser::default()
        .parse(&raw[line_start..])
        .ok_or(Refusal::NotAMessage)?;
    if message.headers().is_empty() {
        return Err(Refusal::NotAMessage);
    }
    let root = message.parts.first().ok_or(Refusal::NotAMessage)?;
    let (ctype, subtype, report) = match root.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase(),
            ct.attribute("report-type").unwrap_or("").to_ascii_lowercase(),
        ),
        None => ("text".to_owned(), "plain".to_owned(), String::new()),
    };
    let domain = support_address.rsplit('@').next().unwrap_or("");
    if ctype == "multipart" && subtype == "report" {
        return Ok(match report.as_str() {
            "delivery-status" => match failed_recipients(&message) {
                Some(failed) => Inbound::Bounce {
                    failed,
                    names: ours_named(&message, domain),
                },
                None => ignored("a delivery delay notice"),
            },
            "disposition-notification" => ignored("a read receipt"),
            "feedback-report" => ignored("an abuse feedback report"),
            other => ignored(&format!("a {other} report")),
        });
    }
    let (from, name) = sender(&message).ok_or(Refusal::NoSender)?;
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let subject = super::text::header(&message, "Subject", message.subject().unwrap_or(""))
        .trim()
        .to_owned();
    if let Some(failed) = plain_bounce(&from, &message) {
        return Ok(Inbound::Bounce {
            failed,
            names: ours_named(&message, domain),
        });
    }
    if from.eq_ignore_ascii_case(support_address) {
        return Ok(ignored("a loop: sent by this desk"));
    }
    if header("auto-submitted").is_some_and(|v| v != "no") {
        return Ok(ignored("an automatic reply (Auto-Submitted)"));
    }
    if header("precedence").is_some_and(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str())) {
        return Ok(ignored("bulk mail (Precedence)"));
    }
    if ["x-autoreply", "x-autorespond", "x-apple-action"]
        .iter()
        .any(|h| header(h).is_some())
        || is_auto_reply_subject(&subject)
    {
        return Ok(ignored("an automatic reply"));
    }
    let mut references: Vec<String> = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        for id in value.as_text_list().unwrap_or(&[]) {
            let id = id.trim().trim_start_matches('<').trim_end_matches('>').to_owned();
            if !id.is_empty() && !references.contains(&id) {
                references.push(id);
            }
        }
    }
    let text = super::text::body(&message);
    let whole = text.trim().to_owned();
    let body = if is_forward(&subject) {
        whole.clone()
    } else {
        strip_quoted(&text)
    };
    let attachments = message
        .attachments()
        // A multipart the parser took for a file (a malformed mail's structure) carries none.
        .filter(|a| {
            !a.content_type()
                .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
        })
        .enumerate()
        .map(|(i, a)| {
            let media_type = a.content_type().map_or_else(
                || "application/octet-stream".to_owned(),
                |ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_ascii_lowercase(),
            );
            let name = a
                .attachment_name()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map_or_else(|| name_for(i, &media_type), str::to_owned);
            Attachment {
                name,
                media_type,
                bytes: a.contents().to_vec(),
            }
        })
        .collect();
    let language = message
        .header_raw("Content-Language")
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    Ok(Inbound::Message(Received {
        from,
        name,
        language,
        subject,
        message_id: message.message_id().map(str::to_owned),
        references,
        body,
        whole,
        attachments,
    }))
}

/// The sender's address (lower-cased) and display name, read as a mail client reads `From`: the
/// first entry with an address (`"…" <>` is none), or an address written without angle brackets
/// after a name (`Test test@example.com`).
fn sender(message: &mail_parser::Message<'_>) -> Option<(String, Option<String>)> {
    let entries: Vec<&mail_parser::Addr<'_>> = message.from().map(|a| a.iter().collect()).unwrap_or_default();
    let with_address = entries.iter().find(|a| a.address().is_some_and(|x| x.contains('@')));
    let written = match with_address {
        // `Test test@example.com` can come back as one "address" with the name in it.
        Some(a) if !a.address()?.trim().contains(char::is_whitespace) => {
            (a.address()?.trim().to_owned(), a.name().map(str::to_owned))
        }
        Some(a) => unbracketed(a.address()?)?,
        None => unbracketed(entries.iter().find_map(|a| a.name().filter(|n| n.contains('@')))?)?,
    };
    let (address, name) = written;
    // A name in 8-bit that declares no charset (`From: Niccol\xf2 <…>`): decoded as the body is.
    let name = name.map(|n| {
        if n.contains('\u{FFFD}') {
            let from = super::text::header(message, "From", &n);
            from.split('<').next().unwrap_or("").trim().trim_matches('"').to_owned()
        } else {
            n
        }
    });
    let name = name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && !n.contains('@'));
    Some((address.to_lowercase(), name))
}

/// A name for a file the mail names none for, from its type: `attachment-2.pdf`.
fn name_for(index: usize, media_type: &str) -> String {
    let extension = match media_type {
        "application/pdf" => "pdf",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "image/jpeg" => "jpg",
        "text/plain" => "txt",
        "message/rfc822" => "eml",
        other => match other.split_once('/').map(|(_, sub)| sub) {
            Some(sub) if (1..=5).contains(&sub.len()) && sub.bytes().all(|b| b.is_ascii_alphanumeric()) => sub,
            _ => "bin",
        },
    };
    format!("attachment-{}.{extension}", index + 1)
}

/// `Name name@example.com`: the word with `@` is the address, the rest the name.
fn unbracketed(written: &str) -> Option<(String, Option<String>)> {
    let address = written
        .split_whitespace()
        .find(|w| w.contains('@'))?
        .trim_matches(|c| "<>\"'(),;".contains(c))
        .to_owned();
    let name = written
        .replace(&address, "")
        .trim()
        .trim_matches(['<', '>'])
        .trim()
        .to_owned();
    Some((address, Some(name)))
}

fn ignored(reason: &str) -> Inbound {
    Inbound::Ignored {
        reason: reason.to_owned(),
    }
}

/// Subjects that vacation responders put in front (en, it, de, fr, es).
fn is_auto_reply_subject(subject: &str) -> bool {
    let s = subject.to_lowercase();
    [
        "auto reply",
        "auto-reply",
        "autoreply",
        "automatic reply",
        "autorespons",
        "out of office",
        "out of the office",
        "away until",
        "risposta automatica",
        "fuori sede",
        "fuori ufficio",
        "abwesenheitsnotiz",
        "réponse automatique",
        "respuesta automática",
    ]
    .iter()
    .any(|p| s.starts_with(p) || s.starts_with(&format!("re: {p}")))
}

/// RFC 3464: the recipients whose `Action` is `failed` in the message/delivery-status part; None
/// when every action is `delayed` (a warning, not a failure). A report without a readable status
/// part (some servers send only prose) names the recipients of the message it returns.
fn failed_recipients(message: &mail_parser::Message<'_>) -> Option<Vec<String>> {
    let mut failed = Vec::new();
    let mut delayed = false;
    for part in &message.parts {
        let is_status = part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
        });
        if !is_status {
            continue;
        }
        let text = String::from_utf8_lossy(part.contents());
        for block in text.replace("\r\n", "\n").split("\n\n") {
            let field = |name: &str| {
                block.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                })
            };
            let action = field("action").unwrap_or_default().to_ascii_lowercase();
            delayed |= action.starts_with("delayed");
            let recipient = field("final-recipient").or_else(|| field("original-recipient"));
            if let (true, Some(recipient)) = (action.starts_with("failed"), recipient) {
                let address = recipient
                    .rsplit(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_lowercase();
                if address.contains('@') && !failed.contains(&address) {
                    failed.push(address);
                }
            }
        }
    }
    if failed.is_empty() && delayed {
        return None;
    }
    if failed.is_empty() {
        failed = returned_recipients(message);
    }
    Some(failed)
}

/// The `To` addresses of the message a report returns (message/rfc822 or text/rfc822-headers).
fn returned_recipients(message: &mail_parser::Message<'_>) -> Vec<String> {
    message
        .parts
        .iter()
        .filter_map(|part| {
            let ct = part.content_type()?;
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            (sub == "rfc822" || sub == "rfc822-headers")
                .then(|| MessageParser::default().parse_headers(part.contents()))?
        })
        .filter_map(|returned| {
            returned
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .map(str::to_lowercase)
        })
        .collect()
}

/// Bounces that are not RFC 3464 reports: naming the failed addresses in `X-Failed-Recipients`,
/// or from a mailer daemon — or from a postmaster when the subject says delivery failed (a
/// postmaster is also a person who writes ordinary mail). The failed addresses, when it is one.
fn plain_bounce(from: &str, message: &mail_parser::Message<'_>) -> Option<Vec<String>> {
    let local = from.split('@').next().unwrap_or("");
    let subject = message.subject().unwrap_or("").to_lowercase();
    let says_failed = [
        "undeliver",
        "delivery",
        "failure",
        "failed",
        "returned",
        "non recapitabile",
        "unzustellbar",
        "non remis",
    ]
    .iter()
    .any(|w| subject.contains(w));
    let daemon = ["mailer-daemon", "mail-daemon"].contains(&local) || (local == "postmaster" && says_failed);
    let failed: Vec<String> = message
        .header_raw("X-Failed-Recipients")
        .map(|v| {
            v.split(',')
                .map(|a| a.trim().to_lowercase())
                .filter(|a| a.contains('@'))
                .collect()
        })
        .unwrap_or_default();
    (daemon || !failed.is_empty()).then_some(failed)
}

/// At most this many identifiers are taken from one bounce: enough for any real one.
const MAX_NAMED: usize = 32;

/// Every `local@domain` under our domain that a bounce carries, where bounces carry what they
/// return: its own In-Reply-To, References and recipient headers (our bounce address, when the
/// sending server kept our envelope sender), its text, and the message or headers it returns.
fn ours_named(message: &mail_parser::Message<'_>, domain: &str) -> Vec<String> {
    let mut texts: Vec<String> = [
        "In-Reply-To",
        "References",
        "To",
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
    ]
    .iter()
    .filter_map(|h| message.header_raw(*h).map(str::to_owned))
    .collect();
    texts.extend((0..message.text_body_count()).filter_map(|i| message.body_text(i).map(|t| t.into_owned())));
    for part in &message.parts {
        let returned = part.content_type().is_some_and(|ct| {
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            sub == "rfc822" || sub == "rfc822-headers" || sub == "delivery-status"
        });
        if returned {
            texts.push(String::from_utf8_lossy(part.contents()).into_owned());
        }
    }
    let mut names = Vec::new();
    for text in &texts {
        for name in addresses_at(text, domain) {
            if names.len() == MAX_NAMED {
                return names;
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The `local@domain` strings in `text` for one domain, the local part read back from the `@`.
fn addresses_at(text: &str, domain: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("@{}", domain.to_ascii_lowercase());
    let local_char = |b: u8| b.is_ascii_alphanumeric() || b"._+-".contains(&b);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle).map(|i| from + i) {
        let end = at + needle.len();
        from = end;
        // The domain must end there (not `@domain.example.evil`; a full stop after it may end a
        // sentence).
        let next = |i: usize| lower.as_bytes().get(i).copied();
        let continues = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-');
        if continues(next(end)) || (next(end) == Some(b'.') && continues(next(end + 1))) {
            continue;
        }
        let start = lower[..at].bytes().rposition(|b| !local_char(b)).map_or(0, |i| i + 1);
        if start < at {
            found.push(lower[start..end].to_owned());
        }
    }
    found
}

/// The new text of a reply: the history below a separator or a signature is cut, quoted lines and
/// the "On … wrote:" line that introduces them are dropped (whether the reply is above or below).
pub fn strip_quoted(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let cut = lines.iter().enumerate().find_map(|(i, line)| {
        let l = line.trim();
        let lower = l.to_lowercase();
        // A rule of underscores is Outlook's separator only when the quoted headers follow it;
        // inside the text it is the writer's own (a table, a form's lines).
        let next_is_header = lines
            .iter()
            .skip(i + 1)
            .find(|n| !n.trim().is_empty())
            .is_some_and(|n| HEADER_STARTS.iter().any(|h| n.trim().to_lowercase().starts_with(h)));
        let separator = (l.starts_with('-') && lower.contains("original message"))
            || line.trim_end() == "--"
            || (l.starts_with("________") && l.chars().all(|c| c == '_') && next_is_header);
        // "From: … / Sent: … / To: … / Subject: …" (Outlook, Yahoo, in several languages).
        let header_block = HEADER_STARTS.iter().any(|h| lower.starts_with(h))
            && lines
                .iter()
                .skip(i + 1)
                .take(4)
                .filter(|n| {
                    let n = n.trim().to_lowercase();
                    [
                        "sent:",
                        "date:",
                        "to:",
                        "subject:",
                        "cc:",
                        "inviato:",
                        "data:",
                        "a:",
                        "oggetto:",
                        "gesendet:",
                        "an:",
                        "betreff:",
                        "envoyé:",
                        "à:",
                        "objet:",
                    ]
                    .iter()
                    .any(|h| n.starts_with(h))
                })
                .count()
                >= 2;
        (separator || header_block).then_some(i)
    });
    let kept: Vec<&str> = lines[..cut.unwrap_or(lines.len())]
        .iter()
        .filter(|line| {
            let l = line.trim().to_lowercase();
            let attribution = [
                "wrote:",
                "ha scritto:",
                "a écrit :",
                "a écrit:",
                "schrieb:",
                "escribió:",
            ]
            .iter()
            .any(|end| l.ends_with(end));
            !(l.starts_with('>') || attribution)
        })
        .copied()
        .collect();
    let kept = kept.join("\n").trim().to_owned();
    // Nothing of the writer's own would be left (a mail that begins with `-- ` or with a quote
    // marker): when in doubt, the text stays.
    if kept.is_empty() {
        return body.trim().to_owned();
    }
    kept
}

/// How a quoted header block begins (Outlook, Yahoo, in several languages).
const HEADER_STARTS: [&str; 4] = ["from:", "da:", "von:", "de:"];

/// A forward (`Fwd:`, `WG:`, `I:`, `RV:`…): what it quotes is what the writer meant to send.
fn is_forward(subject: &str) -> bool {
    let lower = subject.trim_start().to_lowercase();
    ["fwd:", "fw:", "wg:", "tr:", "i:", "rv:", "enc:"]
        .iter()
        .any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden files: every message of the shared corpus and of our own (`tests/mail`) beside what
    /// we read from it (`tests/golden/mail/NAME.txt`). On a difference the test writes
    /// `NAME.txt.actual` and fails; `UPDATE_GOLDEN=1` rewrites the expectations.
    #[test]
    fn every_corpus_message_is_read_or_refused_with_a_reason() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/email");
        let own = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail");
        let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/mail");
        std::fs::create_dir_all(golden).unwrap();
        let mut names: Vec<_> = [shared, own]
            .iter()
            .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        assert!(names.len() >= 68 + 17);
        let mut different = Vec::new();
        for path in names {
            let raw = std::fs::read(&path).unwrap();
            let got = summary(read(&raw, "support@sportello.test"));
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let expected_path = format!("{golden}/{name}.txt");
            if std::env::var("UPDATE_GOLDEN").is_ok() {
                std::fs::write(&expected_path, &got).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if expected != got {
                std::fs::write(format!("{expected_path}.actual"), &got).unwrap();
                different.push(name);
            }
        }
        assert!(different.is_empty(), "differs from its golden file: {different:?}");
    }

    /// Our own corpus of hard cases (`tests/mail`, README there): each mail's subject, and the
    /// first sentence an agent must read (and a later line that must not be cut), as
    /// `EXPECTED.tsv` says. Prints the share that survive, then requires all of them.
    #[test]
    fn hard_mail_keeps_its_subject_and_first_sentence() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail");
        let expected = std::fs::read_to_string(format!("{dir}/EXPECTED.tsv")).unwrap();
        let mut lost = Vec::new();
        let mut total = 0;
        for line in expected.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (file, subject, first) = (cols[0], cols[1], cols[2]);
            let also = cols.get(3).copied().unwrap_or("");
            total += 1;
            let raw = std::fs::read(format!("{dir}/{file}")).unwrap();
            let kept = match read(&raw, "support@sportello.test") {
                Ok(Inbound::Message(m)) => m.subject == subject && m.body.contains(first) && m.body.contains(also),
                _ => false,
            };
            if !kept {
                lost.push(format!("{file}: {}", summary(read(&raw, "support@sportello.test"))));
            }
        }
        println!(
            "subject and first sentence survive in {} of {total}",
            total - lost.len()
        );
        assert!(total >= 17 && lost.is_empty(), "lost:\n{}", lost.join("\n"));
    }

    fn summary(outcome: Result<Inbound, Refusal>) -> String {
        match outcome {
            Err(e) => format!("refused: {e}\n"),
            Ok(Inbound::Ignored { reason }) => format!("ignored: {reason}\n"),
            Ok(Inbound::Bounce { failed, names }) if names.is_empty() => format!("bounce: {}\n", failed.join(", ")),
            Ok(Inbound::Bounce { failed, names }) => {
                format!("bounce: {}\nnamed: {}\n", failed.join(", "), names.join(" "))
            }
            Ok(Inbound::Message(m)) => format!(
                "message from {}\nsubject: {}\nmessage-id: {}\nreferences: {}\nattachments: {}\n--- body ---\n{}\n",
                m.from,
                m.subject,
                m.message_id.unwrap_or_default(),
                m.references.join(" "),
                m.attachments
                    .iter()
                    .map(|a| format!("{} {} ({} bytes)", a.name, a.media_type, a.bytes.len()))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.body
            ),
        }
    }

    fn eml(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../../shared/testdata/email/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn automatic_answers_are_ignored() {
        for name in [
            "autoreply-apple-vacation.eml",
            "autoreply-exchange-automatic-reply.eml",
            "autoreply-exchange-cp1252-qp.eml",
            "autoreply-mimecast-precedence-bulk.eml",
            "autoreply-rfc3834-exim.eml",
            "mdn-read-receipt.eml",
            "arf-abuse-feedback-report.eml",
        ] {
            assert!(
                matches!(read(&eml(name), "support@x.test"), Ok(Inbound::Ignored { .. })),
                "{name}"
            );
        }
    }

    #[test]
    fn bounces_name_the_dead_address() {
        // dsn-delayed.eml was delayed for five days and then failed: its Action is `failed`.
        for name in [
            "dsn-postfix.eml",
            "dsn-sendmail.eml",
            "dsn-aol-mailbox-full.eml",
            "dsn-amazonses.eml",
            "dsn-delayed.eml",
            "dsn-rfc822-headers-only.eml",
        ] {
            let Ok(Inbound::Bounce { failed, .. }) = read(&eml(name), "support@x.test") else {
                panic!("{name}")
            };
            assert!(
                !failed.is_empty() && failed.iter().all(|a| a.contains('@')),
                "{name}: {failed:?}"
            );
        }
        // Prose only (Office 365 sends no status part and no copy of the message): a bounce whose
        // address is unknown, for an agent to read.
        for name in [
            "bounce-exim-plain.eml",
            "bounce-gmail-plain.eml",
            "bounce-qmail-iso2022jp.eml",
            "dsn-office365.eml",
        ] {
            assert!(
                matches!(read(&eml(name), "support@x.test"), Ok(Inbound::Bounce { .. })),
                "{name}"
            );
        }
    }

    #[test]
    fn replies_keep_their_references_and_lose_their_quotes() {
        let Ok(Inbound::Message(m)) = read(&eml("thread-b-reply.eml"), "support@x.test") else {
            panic!()
        };
        assert_eq!(m.references, ["123@example.com"]);
        for name in [
            "reply-gmail-alt.eml",
            "reply-thunderbird-flowed.eml",
            "reply-yahoo-original-message.eml",
            "reply-outlook-original-header-block.eml",
        ] {
            let Ok(Inbound::Message(m)) = read(&eml(name), "support@x.test") else {
                panic!("{name}")
            };
            assert!(!m.body.is_empty(), "{name}");
            assert!(
                !m.body.lines().any(|l| l.trim_start().starts_with('>')),
                "{name}: {}",
                m.body
            );
        }
    }

    /// A bounce names our mail where bounces carry it: the returned message's headers, its own
    /// references, its recipient (our bounce address), or the text of a prose-only report.
    #[test]
    fn a_bounce_names_the_mails_of_ours_it_returns() {
        let id = "<wa0000000013.confirmation.0123456789abcdef01234567@sportello.test>";
        let report = format!(
            "From: MAILER-DAEMON@mx.example\r\nTo: bounce+wa0000000013.confirmation.0123456789abcdef01234567@sportello.test\r\n\
             Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n\
             --B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
             --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
             Final-Recipient: rfc822; mario@gmail.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
             --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {id}\r\nTo: mario@gmail.com\r\n\r\n--B--\r\n"
        );
        let Ok(Inbound::Bounce { failed, names }) = read(report.as_bytes(), "support@sportello.test") else {
            panic!("a bounce")
        };
        assert_eq!(failed, ["mario@gmail.com"]);
        assert!(names.contains(&id.trim_matches(['<', '>']).to_owned()), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("bounce+")), "{names:?}");
        // Another domain's identifiers, and our domain inside a longer one, are not ours.
        assert_eq!(
            addresses_at("a@sportello.test.evil.example <b@x.sportello.test>", "sportello.test"),
            Vec::<String>::new()
        );
        assert_eq!(
            addresses_at("see a.b+c@Sportello.Test.", "sportello.test"),
            ["a.b+c@sportello.test"]
        );
    }

    #[test]
    fn our_own_mail_coming_back_is_a_loop() {
        let raw =
            b"From: Support <support@sportello.test>\r\nTo: a@b.test\r\nSubject: [WA0000000013] x\r\n\r\nhello\r\n";
        assert!(matches!(
            read(raw, "support@sportello.test"),
            Ok(Inbound::Ignored { .. })
        ));
    }

    #[test]
    fn a_postmaster_writing_an_ordinary_mail_is_a_person() {
        let Ok(Inbound::Message(m)) = read(&eml("html-only-latin1.eml"), "support@x.test") else {
            panic!("a message")
        };
        assert!(m.body.contains("THis is very long url"), "{}", m.body);
        assert!(!m.body.contains("<a"), "HTML turned to text: {}", m.body);
    }

    #[test]
    fn senders_are_read_as_a_mail_client_reads_them() {
        let from = |raw: &[u8]| match read(raw, "support@sportello.test") {
            Ok(Inbound::Message(m)) => (m.from, m.name),
            other => panic!("{other:?}"),
        };
        let own = |name: &str| std::fs::read(format!("{}/tests/mail/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(
            from(&own("sender-without-brackets.eml")),
            ("test@example.com".to_owned(), Some("Test".to_owned()))
        );
        assert_eq!(
            from(&own("sender-empty-first-entry.eml")),
            ("anna.rossi@example.it".to_owned(), Some("Anna Rossi".to_owned()))
        );
        assert_eq!(
            from(&own("charset-8bit-undeclared-latin1.eml")).1.as_deref(),
            Some("Niccolò")
        );
        assert_eq!(
            from(&own("charset-big5-attachment-name.eml")).1.as_deref(),
            Some("陳小明")
        );
    }

    #[test]
    fn quotes_and_signatures_are_cut() {
        let body = "Ecco lo screenshot.\n\n-- \nMario\n";
        assert_eq!(strip_quoted(body), "Ecco lo screenshot.");
        let body = "Yes, still broken.\n\nOn Mon, 30 Nov 2026 at 20:00, Support <s@x> wrote:\n> Hello\n";
        assert_eq!(strip_quoted(body), "Yes, still broken.");
        let body = "Sì.\n\nIl giorno lun 30 nov 2026 alle 20:00 Support <s@x> ha scritto:\n> Ciao\n";
        assert_eq!(strip_quoted(body), "Sì.");
        // Only a quote: nothing of the writer's own to keep apart from it, so it stays.
        assert_eq!(strip_quoted("> only a quote\n"), "> only a quote");
        assert_eq!(
            strip_quoted("-- \nJag kan inte logga in."),
            "-- \nJag kan inte logga in."
        );
        let table = "My order:\n____\nItem: Widget\n____\nThanks";
        assert_eq!(strip_quoted(table), table, "a rule inside the text is the text");
        let body = "Va bene.\n\nDa: Supporto <s@x>\nInviato: lunedì 30 novembre 2026 20:00\nA: mario@x\nOggetto: [WA0000000013]\n\nCiao";
        assert_eq!(strip_quoted(body), "Va bene.");
        let body = "Great.\n\nFrom: a@x <a@x>\nSubject: booking\nTo: b@y\nDate: Wednesday\n\nNew";
        assert_eq!(strip_quoted(body), "Great.");
        // A sentence that starts with "From:" is not a quoted header.
        assert_eq!(
            strip_quoted("From: now on I use the web app.\nThanks"),
            "From: now on I use the web app.\nThanks"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_it_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = read(&bytes, "s@x.test");
        }

        #[test]
        fn cut_or_damaged_real_mail_never_makes_it_panic(
            which in 0usize..4,
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 0..8),
        ) {
            let name = ["dsn-postfix.eml", "reply-gmail-alt.eml", "image-attachment-png-alt-base64.eml", "nested-multipart-rfc2046.eml"][which];
            let mut raw = eml(name);
            for (at, byte) in flips {
                let i = at.index(raw.len());
                raw[i] = byte;
            }
            raw.truncate(cut.index(raw.len() + 1));
            let _ = read(&raw, "s@x.test");
        }
    }

    #[test]
    fn blank_lines_before_the_headers_are_tolerated() {
        for name in ["iphone-jpeg-attachment.eml", "fwd-enclosed-message.eml"] {
            assert!(
                matches!(read(&eml(name), "support@x.test"), Ok(Inbound::Message(_))),
                "{name}"
            );
        }
        let Ok(Inbound::Message(m)) = read(&eml("iphone-jpeg-attachment.eml"), "support@x.test") else {
            panic!()
        };
        assert_eq!(m.attachments.len(), 1);
        assert!(
            m.attachments[0].bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            "the JPEG, decoded"
        );
        assert_eq!(m.attachments[0].media_type, "image/jpeg");
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        assert!(read(b"", "s@x.test").is_err());
        assert!(read(b"\r\n\r\n", "s@x.test").is_err());
        assert_eq!(read(b"Subject: hi\r\n\r\nbody", "s@x.test"), Err(Refusal::NoSender));
    }
}
