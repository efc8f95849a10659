//! Outgoing mail: what an outbox event says, as a multipart/alternative message (text + HTML) in
//! the case's language, from compiled, auto-escaping templates (STYLE rule 16). Incoming mail is
//! read in [`inbound`].

pub mod ids;
pub mod imap;
pub mod inbound;
mod text;

use askama::Template;
use lettre::address::Envelope;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};
use sportello_domain::catalog::Catalog;
use sportello_domain::contact::email::Email;

use crate::events::{
    AgentReply, Breach, Confirmation, Invitation, Mention, MergedNotice, OutboxEvent, Resolution, ResolutionLinks,
    WebhookDisabled,
};
use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the recipient `{0}` is not an address mail can be sent to")]
    Recipient(String),
    #[error("the event has no status link left to send (already delivered?)")]
    NoLink,
    #[error("the message cannot be built: {0}")]
    Build(String),
}

/// The sentences of a confirmation, already in the customer's language.
struct Texts {
    greeting: String,
    received: String,
    first_response: String,
    /// The live estimate, when it differs from the target; empty otherwise.
    expected: String,
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

/// The sentences of the mail about a merged request.
struct MergedTexts {
    greeting: String,
    body: String,
    status_intro: String,
    reply_hint: String,
    warning: String,
}

#[derive(Template)]
#[template(path = "mail/merged.txt")]
struct MergedText<'a> {
    t: &'a MergedTexts,
    status_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/merged.html")]
struct MergedHtml<'a> {
    t: &'a MergedTexts,
    lang: &'a str,
    subject: &'a str,
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

/// Where a customer's mail goes: the address with its domain in ASCII (IDNA), so a mail server
/// without SMTPUTF8 takes it whenever the local part is ASCII. Every address intake accepts
/// is one (see the test `every_accepted_address_can_be_sent_to`).
pub fn recipient(email: &Email) -> Result<Address, ComposeError> {
    email
        .smtp_form()
        .parse()
        .map_err(|_| ComposeError::Recipient(email.to_string()))
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

    /// The message for `event`, under `message_id` (its idempotency key), with the bounce address
    /// that goes with that id as envelope sender (SPEC §5).
    pub fn compose(&self, catalog: &Catalog, event: &OutboxEvent, message_id: &str) -> Result<Message, ComposeError> {
        let (to, subject, text, html) = match event {
            OutboxEvent::Confirmation(c) => self.confirmation(catalog, c)?,
            OutboxEvent::Merged(m) => self.merged(m)?,
            OutboxEvent::Reply(r) => self.reply(r)?,
            OutboxEvent::Resolution(r) => self.resolution(r)?,
            OutboxEvent::Invitation(i) => self.invitation(i)?,
            OutboxEvent::Mention(m) => self.mention(m)?,
            OutboxEvent::Breach(b) => self.breach(b)?,
            OutboxEvent::WebhookDisabled(w) => self.webhook_disabled(w)?,
        };
        let references = match event {
            OutboxEvent::Reply(r) => r.references.clone(),
            _ => Vec::new(),
        };
        let bounce = ids::bounce_address_of(message_id)
            .and_then(|a| a.parse::<Address>().ok())
            .or_else(|| Some(self.from.email.clone()));
        let envelope = Envelope::new(bounce, vec![to.clone()]).map_err(|e| ComposeError::Build(e.to_string()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(subject)
            .message_id(Some(message_id.to_owned()))
            .envelope(envelope);
        // A person's reply is not an automatic one: the customer's mail client may answer it.
        if !matches!(event, OutboxEvent::Reply(_)) {
            builder = builder.header(AutoSubmitted);
        }
        if let Some(last) = references.last() {
            builder = builder.in_reply_to(last.clone()).references(references.join(" "));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| ComposeError::Build(e.to_string()))
    }

    fn confirmation(
        &self,
        catalog: &Catalog,
        c: &Confirmation,
    ) -> Result<(Address, String, String, String), ComposeError> {
        let status_url = c.status_url.as_deref().ok_or(ComposeError::NoLink)?;
        let lang = Lang::negotiate([c.language.as_str()]);
        let code = lang.code();
        let case = ("case", c.case_number.clone());
        let due = ("due", c.first_response_due.format("%Y-%m-%d %H:%M UTC").to_string());
        let t = Texts {
            greeting: lang.message("mail-greeting", &[]),
            received: lang.message("mail-received", std::slice::from_ref(&case)),
            first_response: lang.message("mail-first-response", &[due]),
            expected: c
                .expected_first_response
                .filter(|e| (*e - c.first_response_due).num_minutes().abs() >= 1)
                .map_or_else(String::new, |e| {
                    lang.message("mail-expected", &[("when", e.format("%Y-%m-%d %H:%M UTC").to_string())])
                }),
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
            status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        let html = ConfirmationHtml {
            t: &t,
            lang: &code,
            subject: &subject,
            missing: &missing,
            status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok((recipient(&c.to)?, subject, text, html))
    }

    fn merged(&self, m: &MergedNotice) -> Result<(Address, String, String, String), ComposeError> {
        let status_url = m.status_url.as_deref().ok_or(ComposeError::NoLink)?;
        let lang = Lang::negotiate([m.language.as_str()]);
        let code = lang.code();
        let case = ("case", m.case_number.clone());
        let t = MergedTexts {
            greeting: lang.message("mail-greeting", &[]),
            body: lang.message("mail-merged-body", std::slice::from_ref(&case)),
            status_intro: lang.message("mail-status-intro", &[]),
            reply_hint: lang.message("mail-reply-hint", &[]),
            warning: lang.message("mail-warning", &[]),
        };
        let subject = lang.message("mail-merged-subject", &[case]);
        let text = MergedText { t: &t, status_url }
            .render()
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        let html = MergedHtml {
            t: &t,
            lang: &code,
            subject: &subject,
            status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok((recipient(&m.to)?, subject, text, html))
    }
}

impl Composer {
    fn reply(&self, r: &AgentReply) -> Result<(Address, String, String, String), ComposeError> {
        let status_url = r.status_url.as_deref().ok_or(ComposeError::NoLink)?;
        let lang = Lang::negotiate([r.language.as_str()]);
        let code = lang.code();
        let case = ("case", r.case_number.clone());
        let t = ReplyTexts {
            signature: lang.message("mail-reply-signature", &[("agent", r.agent_name.clone())]),
            status_intro: lang.message("mail-status-intro", &[]),
            reply_hint: lang.message("mail-reply-hint", &[]),
            warning: lang.message("mail-warning", &[]),
        };
        let subject = lang.message("mail-reply-subject", &[case]);
        let paragraphs: Vec<&str> = r.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
        let text = ReplyText {
            t: &t,
            body: &r.body,
            status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        let html = ReplyHtml {
            t: &t,
            lang: &code,
            subject: &subject,
            paragraphs: &paragraphs,
            status_url,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok((recipient(&r.to)?, subject, text, html))
    }
}

impl Composer {
    fn resolution(&self, r: &Resolution) -> Result<(Address, String, String, String), ComposeError> {
        let links = r.links.as_ref().ok_or(ComposeError::NoLink)?;
        let lang = Lang::negotiate([r.language.as_str()]);
        let code = lang.code();
        let case = ("case", r.case_number.clone());
        let t = ResolutionTexts {
            greeting: lang.message("mail-greeting", &[]),
            body: lang.message("mail-resolution-body", std::slice::from_ref(&case)),
            question: lang.message("mail-resolution-question", &[]),
            good: lang.message("mail-resolution-good", &[]),
            bad: lang.message("mail-resolution-bad", &[]),
            reopen: lang.message("mail-resolution-reopen", &[]),
            signature: lang.message("mail-reply-signature", &[("agent", r.agent_name.clone())]),
            warning: lang.message("mail-warning", &[]),
        };
        let subject = lang.message("mail-resolution-subject", &[case]);
        let text = ResolutionText { t: &t, links }
            .render()
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        let html = ResolutionHtml {
            t: &t,
            lang: &code,
            subject: &subject,
            links,
        }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok((recipient(&r.to)?, subject, text, html))
    }

    fn invitation(&self, i: &Invitation) -> Result<(Address, String, String, String), ComposeError> {
        let link = i.link.as_deref().ok_or(ComposeError::NoLink)?;
        let lang = Lang::negotiate([i.language.as_str()]);
        let t = NoticeTexts {
            greeting: lang.message("mail-invitation-greeting", &[("name", i.name.clone())]),
            body: lang.message("mail-invitation-body", &[("by", i.invited_by.clone())]),
            expiry: lang.message("mail-invitation-expiry", &[]),
        };
        notice(&i.to, &lang, lang.message("mail-invitation-subject", &[]), &t, link)
    }

    fn mention(&self, m: &Mention) -> Result<(Address, String, String, String), ComposeError> {
        let lang = Lang::negotiate([m.language.as_str()]);
        let case = ("case", m.case_number.clone());
        let t = NoticeTexts {
            greeting: lang.message("mail-mention-body", &[("author", m.author.clone()), case.clone()]),
            body: m.note.clone(),
            expiry: String::new(),
        };
        notice(&m.to, &lang, lang.message("mail-mention-subject", &[case]), &t, &m.link)
    }

    fn breach(&self, b: &Breach) -> Result<(Address, String, String, String), ComposeError> {
        let lang = Lang::negotiate([b.language.as_str()]);
        let case = ("case", b.case_number.clone());
        let target = lang.message(&format!("mail-breach-{}", b.target.replace('_', "-")), &[]);
        let t = NoticeTexts {
            greeting: lang.message("mail-breach-body", &[case.clone(), ("target", target)]),
            body: String::new(),
            expiry: String::new(),
        };
        notice(&b.to, &lang, lang.message("mail-breach-subject", &[case]), &t, &b.link)
    }

    fn webhook_disabled(&self, w: &WebhookDisabled) -> Result<(Address, String, String, String), ComposeError> {
        let lang = Lang::negotiate([w.language.as_str()]);
        let t = NoticeTexts {
            greeting: lang.message("mail-webhook-disabled-body", &[("url", w.url.clone())]),
            body: w.reason.clone(),
            expiry: String::new(),
        };
        notice(
            &w.to,
            &lang,
            lang.message("mail-webhook-disabled-subject", &[]),
            &t,
            &w.link,
        )
    }
}

/// A short notice to an agent, as text and HTML.
fn notice(
    to: &Email,
    lang: &Lang,
    subject: String,
    t: &NoticeTexts,
    link: &str,
) -> Result<(Address, String, String, String), ComposeError> {
    let code = lang.code();
    let text = NoticeText { t, link }
        .render()
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    let html = NoticeHtml {
        t,
        lang: &code,
        subject: &subject,
        link,
    }
    .render()
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok((recipient(to)?, subject, text, html))
}

/// A short mail to an agent (an invitation, a mention, a breach): a line, a paragraph, a link, a
/// last line.
struct NoticeTexts {
    greeting: String,
    body: String,
    expiry: String,
}

#[derive(Template)]
#[template(path = "mail/notice.txt", escape = "none")]
struct NoticeText<'a> {
    t: &'a NoticeTexts,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    t: &'a NoticeTexts,
    lang: &'a str,
    subject: &'a str,
    link: &'a str,
}

struct ResolutionTexts {
    greeting: String,
    body: String,
    question: String,
    good: String,
    bad: String,
    reopen: String,
    signature: String,
    warning: String,
}

#[derive(Template)]
#[template(path = "mail/resolution.txt", escape = "none")]
struct ResolutionText<'a> {
    t: &'a ResolutionTexts,
    links: &'a ResolutionLinks,
}

#[derive(Template)]
#[template(path = "mail/resolution.html")]
struct ResolutionHtml<'a> {
    t: &'a ResolutionTexts,
    lang: &'a str,
    subject: &'a str,
    links: &'a ResolutionLinks,
}

struct ReplyTexts {
    signature: String,
    status_intro: String,
    reply_hint: String,
    warning: String,
}

#[derive(Template)]
#[template(path = "mail/reply.txt", escape = "none")]
struct ReplyText<'a> {
    t: &'a ReplyTexts,
    body: &'a str,
    status_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    t: &'a ReplyTexts,
    lang: &'a str,
    subject: &'a str,
    paragraphs: &'a [&'a str],
    status_url: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;
    use sportello_domain::triage::Priority;

    const MESSAGE_ID: &str = "<wa0000000013.confirmation.0123456789abcdef01234567@sportello.test>";

    fn confirmation(status_url: &str, language: &str) -> Confirmation {
        Confirmation {
            case_number: "WA0000000013".into(),
            to: Email::parse("mario@gmail.com").unwrap(),
            category: "payments".into(),
            language: language.into(),
            priority: Priority::Normal,
            first_response_due: "2026-11-30T20:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            resolution_due: "2026-12-02T20:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            expected_first_response: None,
            status_url: Some(status_url.into()),
            missing: vec!["transaction_id".into()],
            warnings: Vec::new(),
        }
    }

    fn compose(event: OutboxEvent) -> Message {
        Composer::new("support@sportello.test")
            .unwrap()
            .compose(&Catalog::builtin(), &event, MESSAGE_ID)
            .unwrap()
    }

    fn parts(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn an_invitation_carries_its_link_until_delivered() {
        let invitation = OutboxEvent::Invitation(crate::events::Invitation {
            to: Email::parse("zoe@example.com").unwrap(),
            name: "Zoe <b>".into(),
            invited_by: "Anna".into(),
            language: "en".into(),
            link: Some("https://desk.test/desk/password/abc".into()),
        });
        let raw = String::from_utf8(compose(invitation.clone()).formatted()).unwrap();
        assert!(raw.contains("https://desk.test/desk/password/abc"), "{raw}");
        assert!(raw.contains("Anna invited you"), "{raw}");
        assert!(
            raw.contains("Zoe &lt;b&gt;") || raw.contains("Zoe &#60;b&#62;"),
            "the HTML part escapes the name"
        );
        let kept = serde_json::to_string(&invitation.without_secrets()).unwrap();
        assert!(!kept.contains("password/abc"), "{kept}");
    }

    #[test]
    fn the_html_part_escapes_what_it_shows() {
        let m = compose(OutboxEvent::Confirmation(confirmation(
            "https://x.test/s?a=1&b=<script>",
            "en",
        )));
        let raw = parts(&m);
        let html = raw.split("Content-Type: text/html").nth(1).unwrap();
        assert!(
            html.contains("&#60;script&#62;") && !html.contains("<script>"),
            "{html}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains(&format!("Message-ID: {MESSAGE_ID}")), "{raw}");
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
    fn bounces_come_back_to_the_address_that_names_the_mail() {
        let m = compose(OutboxEvent::Confirmation(confirmation("https://x.test/s", "en")));
        let from = m.envelope().from().unwrap().to_string();
        assert_eq!(
            from,
            "bounce+wa0000000013.confirmation.0123456789abcdef01234567@sportello.test"
        );
        assert_eq!(m.envelope().to()[0].to_string(), "mario@gmail.com");
    }

    #[test]
    fn a_case_opened_by_mail_is_told_what_it_still_needs() {
        let mut c = confirmation("https://x.test/s", "it");
        c.category = "technical".into();
        c.missing = vec!["phone".into(), "device".into(), "os_version".into()];
        let raw = compose(OutboxEvent::Confirmation(c)).formatted();
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
    fn a_merged_request_is_told_with_its_link() {
        let m = compose(OutboxEvent::Merged(MergedNotice {
            case_number: "WA0000000013".into(),
            to: Email::parse("mario@università.it").unwrap(),
            language: "en".into(),
            status_url: Some("https://x.test/status/WA0000000013?t=abc".into()),
        }));
        let raw = m.formatted();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            parsed.subject(),
            Some("[WA0000000013] Your new request was added to your open case")
        );
        assert!(parsed
            .body_text(0)
            .unwrap()
            .contains("https://x.test/status/WA0000000013?t=abc"));
        // An internationalised domain is sent in its ASCII form: no SMTPUTF8 needed.
        assert_eq!(m.envelope().to()[0].to_string(), "mario@xn--universit-y1a.it");
    }

    #[test]
    fn an_event_already_delivered_is_not_sent_again_without_its_link() {
        let composer = Composer::new("support@sportello.test").unwrap();
        let sent = OutboxEvent::Confirmation(confirmation("u", "en")).without_secrets();
        assert!(matches!(
            composer.compose(&Catalog::builtin(), &sent, MESSAGE_ID),
            Err(ComposeError::NoLink)
        ));
    }

    proptest! {
        /// What intake accepts, delivery can address: every address `check_email` lets through
        /// becomes a recipient and a message (`"mario rossi x"@gmail.com` once got a 201 and a
        /// confirmation that was never sent).
        #[test]
        fn every_accepted_address_can_be_sent_to(
            local in "[\\PC&&[^@]]{1,20}", domain in "[\\PC&&[^@]]{1,20}", tld in "[a-zé]{2,5}",
        ) {
            let input = format!("{local}@{domain}.{tld}");
            if let Ok(email) = sportello_domain::request::check_email(&input, true) {
                let mut c = confirmation("https://x.test/s", "en");
                c.to = email.clone();
                let composed = Composer::new("support@sportello.test")
                    .unwrap()
                    .compose(&Catalog::builtin(), &OutboxEvent::Confirmation(c), MESSAGE_ID);
                prop_assert!(composed.is_ok(), "{email}: {composed:?}");
            }
        }

        #[test]
        fn plausible_addresses_can_be_sent_to(local in "[a-zA-Z0-9._%+-]{1,30}", domain in "[a-z0-9-]{1,20}(\\.[a-z]{2,6}){1,2}") {
            if let Ok(email) = sportello_domain::request::check_email(&format!("{local}@{domain}"), true) {
                prop_assert!(recipient(&email).is_ok(), "{email}");
            }
        }
    }
}
