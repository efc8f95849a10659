//! Outgoing mail: what an outbox event says, as a multipart/alternative message (text + HTML) in
//! the case's language, from compiled, auto-escaping templates (STYLE rule 16). Incoming mail is
//! read in [`inbound`].

pub mod imap;
pub mod inbound;

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use serde::Deserialize;
use sportello_domain::catalog::Catalog;

use crate::i18n::Lang;
use crate::store::OutboxRecord;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("unknown event kind `{0}`")]
    UnknownKind(String),
    #[error("the event's payload cannot be read: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("the recipient `{0}` is not an address")]
    Recipient(String),
    #[error("the message cannot be built: {0}")]
    Build(String),
}

/// What `app::submit` writes for a confirmation.
#[derive(Debug, Deserialize)]
struct Confirmation {
    case_number: String,
    to: String,
    language: String,
    category: String,
    first_response_due: DateTime<Utc>,
    status_url: String,
    missing: Vec<String>,
}

/// The sentences of a confirmation, already in the customer's language.
struct Texts {
    greeting: String,
    received: String,
    first_response: String,
    missing_intro: String,
    status_intro: String,
    reply_hint: String,
    warning: String,
}

#[derive(Template)]
#[template(path = "mail/confirmation.txt")]
struct ConfirmationText<'a> {
    t: &'a Texts,
    missing: &'a [String],
    status_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/confirmation.html")]
struct ConfirmationHtml<'a> {
    t: &'a Texts,
    lang: &'a str,
    subject: &'a str,
    missing: &'a [String],
    status_url: &'a str,
}

/// RFC 3834: our mail is machine-written, so vacation responders must not answer it (no loops).
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Turns outbox events into messages from the desk's address.
#[derive(Debug, Clone)]
pub struct Composer {
    from: Mailbox,
}

impl Composer {
    pub fn new(support_address: &str) -> Result<Composer, ComposeError> {
        let from = support_address
            .parse()
            .map_err(|_| ComposeError::Recipient(support_address.to_owned()))?;
        Ok(Composer { from })
    }

    pub fn compose(&self, catalog: &Catalog, event: &OutboxRecord) -> Result<Message, ComposeError> {
        match event.kind.as_str() {
            "confirmation" => self.confirmation(catalog, event),
            other => Err(ComposeError::UnknownKind(other.to_owned())),
        }
    }

    fn confirmation(&self, catalog: &Catalog, event: &OutboxRecord) -> Result<Message, ComposeError> {
        let c: Confirmation = serde_json::from_str(&event.payload)?;
        let lang = Lang::negotiate([c.language.as_str()]);
        let code = lang.code();
        let case = ("case", c.case_number.clone());
        let due = ("due", c.first_response_due.format("%Y-%m-%d %H:%M UTC").to_string());
        let t = Texts {
            greeting: lang.message("mail-greeting", &[]),
            received: lang.message("mail-received", std::slice::from_ref(&case)),
            first_response: lang.message("mail-first-response", &[due]),
            missing_intro: lang.message("mail-missing-intro", &[]),
            status_intro: lang.message("mail-status-intro", &[]),
            reply_hint: lang.message("mail-reply-hint", &[]),
            warning: lang.message("mail-warning", &[]),
        };
        // What is missing, as the catalog (or, for the standard fields, the locale) calls it.
        let missing: Vec<String> = c
            .missing
            .iter()
            .map(|id| {
                catalog.category(&c.category).and_then(|cat| cat.field(id)).map_or_else(
                    || lang.message(&format!("mail-missing-{id}"), &[]),
                    |f| f.label.get(&code).to_owned(),
                )
            })
            .collect();
        let subject = lang.message("mail-confirmation-subject", &[case]);
        let text = ConfirmationText {
            t: &t,
            missing: &missing,
            status_url: &c.status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        let html = ConfirmationHtml {
            t: &t,
            lang: &code,
            subject: &subject,
            missing: &missing,
            status_url: &c.status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        let to: Mailbox = c.to.parse().map_err(|_| ComposeError::Recipient(c.to.clone()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(event.idempotency_key.clone()))
            .header(AutoSubmitted)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| ComposeError::Build(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{OutboxRecord, TicketId};

    fn event(kind: &str, payload: serde_json::Value) -> OutboxRecord {
        OutboxRecord {
            id: crate::store::OutboxId::from(1),
            kind: kind.to_owned(),
            ticket_id: TicketId::from(1),
            payload: payload.to_string(),
            idempotency_key: "<wa0000000013.confirmation@sportello.test>".to_owned(),
            attempts: 0,
            created_at: 0,
        }
    }

    fn payload(status_url: &str, language: &str) -> serde_json::Value {
        serde_json::json!({
            "case_number": "WA0000000013", "to": "mario@gmail.com", "language": language,
            "category": "payments", "first_response_due": "2026-11-30T20:00:00Z",
            "status_url": status_url, "missing": ["transaction_id"],
        })
    }

    fn parts(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn the_html_part_escapes_what_it_shows() {
        let composer = Composer::new("support@sportello.test").unwrap();
        let m = composer
            .compose(
                &Catalog::builtin(),
                &event("confirmation", payload("https://x.test/s?a=1&b=<script>", "en")),
            )
            .unwrap();
        let raw = parts(&m);
        let html = raw.split("Content-Type: text/html").nth(1).unwrap();
        assert!(
            html.contains("&#60;script&#62;") && !html.contains("<script>"),
            "{html}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(
            raw.contains("Message-ID: <wa0000000013.confirmation@sportello.test>"),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: [WA0000000013] We have received your request"),
            "{raw}"
        );
        assert!(
            raw.contains("Transaction ID"),
            "the missing field by its English label: {raw}"
        );
    }

    #[test]
    fn a_case_opened_by_mail_is_told_what_it_still_needs() {
        let composer = Composer::new("support@sportello.test").unwrap();
        let mut p = payload("https://x.test/s", "it");
        p["category"] = serde_json::json!("technical");
        p["missing"] = serde_json::json!(["phone", "device", "os_version"]);
        let m = composer
            .compose(&Catalog::builtin(), &event("confirmation", p))
            .unwrap();
        let raw = m.formatted();
        let text = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let text = text.body_text(0).unwrap();
        assert!(
            text.contains("- il tuo numero di telefono con il prefisso internazionale"),
            "{text}"
        );
        assert!(text.contains("- modello e sistema del telefono"), "{text}");
        assert!(text.contains("- Versione del sistema operativo"), "{text}");
        assert!(!text.contains("mail-missing"), "{text}");
    }

    #[test]
    fn unreadable_events_are_errors_not_panics() {
        let composer = Composer::new("support@sportello.test").unwrap();
        let catalog = Catalog::builtin();
        assert!(matches!(
            composer.compose(&catalog, &event("fax", payload("u", "en"))),
            Err(ComposeError::UnknownKind(_))
        ));
        let mut broken = event("confirmation", payload("u", "en"));
        broken.payload = "{".into();
        assert!(matches!(
            composer.compose(&catalog, &broken),
            Err(ComposeError::Payload(_))
        ));
        let mut bad_to = payload("u", "en");
        bad_to["to"] = serde_json::json!("not an address");
        assert!(matches!(
            composer.compose(&catalog, &event("confirmation", bad_to)),
            Err(ComposeError::Recipient(_))
        ));
    }
}
