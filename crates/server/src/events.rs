//! What the outbox carries: one typed event per message to send, the contract between the use
//! cases that write the outbox (in the transaction that causes the event) and the workers that
//! deliver it (DESIGN "Typed outbox events"). Stored as JSON with its `kind`; a payload that does
//! not decode is an error for an agent to see, never an empty message.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sportello_domain::contact::email::Email;
use sportello_domain::problem::Warning;
use sportello_domain::triage::Priority;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboxEvent {
    /// SPEC §5: the case was opened.
    Confirmation(Confirmation),
    /// SPEC §3.3: a request was added to the contact's open case.
    Merged(MergedNotice),
    /// SPEC §7: an agent's public reply.
    Reply(AgentReply),
    /// SPEC §11: the case was resolved; the mail asks how it went.
    Resolution(Resolution),
    /// SPEC §6: an admin invited an agent; the mail carries their set-password link.
    Invitation(Invitation),
    /// SPEC §7: an internal note named an agent.
    Mention(Mention),
    /// SPEC §7: a case missed a target; its team's leads are told.
    Breach(Breach),
    /// SPEC §9: an endpoint failed for a day and was disabled; every admin is told.
    WebhookDisabled(WebhookDisabled),
}

impl OutboxEvent {
    /// The `kind` column: what the event is, readable without decoding it.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxEvent::Confirmation(_) => "confirmation",
            OutboxEvent::Merged(_) => "merged",
            OutboxEvent::Reply(_) => "reply",
            OutboxEvent::Resolution(_) => "resolution",
            OutboxEvent::Invitation(_) => "invitation",
            OutboxEvent::Mention(_) => "mention",
            OutboxEvent::Breach(_) => "breach",
            OutboxEvent::WebhookDisabled(_) => "webhook_disabled",
        }
    }

    /// The event as it may stay in the database once delivered: status links carry the customer's
    /// token, and only the token's hash may be kept for good (SPEC §3.5).
    pub fn without_secrets(mut self) -> OutboxEvent {
        match &mut self {
            OutboxEvent::Confirmation(c) => c.status_url = None,
            OutboxEvent::Merged(m) => m.status_url = None,
            OutboxEvent::Reply(r) => r.status_url = None,
            OutboxEvent::Resolution(r) => r.links = None,
            OutboxEvent::Invitation(i) => i.link = None,
            OutboxEvent::Mention(_) | OutboxEvent::Breach(_) | OutboxEvent::WebhookDisabled(_) => {}
        }
        self
    }
}

/// SPEC §5's confirmation: the case number, what is missing, when the first answer is due, and the
/// status link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    pub case_number: String,
    pub to: Email,
    pub category: String,
    pub language: String,
    pub priority: Priority,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// The live estimate of the first answer (SPEC §11); absent from events written before it.
    #[serde(default)]
    pub expected_first_response: Option<DateTime<Utc>>,
    /// None once delivered.
    pub status_url: Option<String>,
    /// What the customer is asked for: required fields first, then recommended ones.
    pub missing: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// SPEC §3.3: the request went into the open case; only the address's owner gets its link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergedNotice {
    pub case_number: String,
    pub to: Email,
    pub language: String,
    /// None once delivered.
    pub status_url: Option<String>,
}

/// SPEC §7: an agent's public reply, mailed in the case's language on the customer's thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentReply {
    pub case_number: String,
    pub to: Email,
    pub language: String,
    pub agent_name: String,
    pub body: String,
    /// The Message-IDs the reply answers (`In-Reply-To`, the last) and its thread (`References`).
    pub references: Vec<String>,
    /// None once delivered.
    pub status_url: Option<String>,
}

/// SPEC §11: the case is resolved; two one-click links say how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    pub case_number: String,
    pub to: Email,
    pub language: String,
    /// Who resolved it, to sign the mail.
    pub agent_name: String,
    /// None once delivered: every link carries the customer's token.
    pub links: Option<ResolutionLinks>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionLinks {
    pub good: String,
    pub bad: String,
    pub status: String,
}

/// SPEC §6: the set-password link for a new agent, valid for 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    pub to: Email,
    pub name: String,
    pub invited_by: String,
    pub language: String,
    /// None once delivered: the link is a secret.
    pub link: Option<String>,
}

/// SPEC §7: an agent named in an internal note, told by mail with a link to the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mention {
    pub to: Email,
    pub language: String,
    pub author: String,
    pub case_number: String,
    pub note: String,
    /// The case on the desk (no secret: the desk asks the agent to sign in).
    pub link: String,
}

/// SPEC §7: a missed target (`first_response` or `resolution`), for a lead of the case's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breach {
    pub to: Email,
    pub language: String,
    pub case_number: String,
    pub target: String,
    pub link: String,
}

/// SPEC §9: an endpoint that failed every delivery for a day, now disabled, for an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookDisabled {
    pub to: Email,
    pub language: String,
    pub url: String,
    /// The last failure.
    pub reason: String,
    /// The endpoint's page on the desk.
    pub link: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmation() -> OutboxEvent {
        OutboxEvent::Confirmation(Confirmation {
            case_number: "WA0000000013".into(),
            to: Email::parse("mario@gmail.com").unwrap(),
            category: "payments".into(),
            language: "it".into(),
            priority: Priority::Low,
            first_response_due: "2026-11-30T20:00:00Z".parse().unwrap(),
            resolution_due: "2026-12-02T20:00:00Z".parse().unwrap(),
            expected_first_response: None,
            status_url: Some("https://x.test/status/WA0000000013?t=secret".into()),
            missing: vec!["transaction_id".into()],
            warnings: Vec::new(),
        })
    }

    #[test]
    fn events_read_back_as_written_and_say_their_kind() {
        let event = confirmation();
        let text = serde_json::to_string(&event).unwrap();
        assert!(text.starts_with(r#"{"kind":"confirmation","#), "{text}");
        assert_eq!(serde_json::from_str::<OutboxEvent>(&text).unwrap(), event);
        assert_eq!(event.kind(), "confirmation");
    }

    #[test]
    fn what_does_not_decode_is_an_error() {
        for broken in [
            "{}",
            r#"{"kind":"fax"}"#,
            r#"{"kind":"merged","case_number":"WA0000000013","to":"not an address","language":"it","status_url":null}"#,
            r#"{"kind":"merged","case_number":"WA0000000013","to":"a@b.it","language":"it","status_url":null,"extra":1}"#,
        ] {
            assert!(serde_json::from_str::<OutboxEvent>(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn a_delivered_event_keeps_no_token() {
        let kept = serde_json::to_string(&confirmation().without_secrets()).unwrap();
        assert!(!kept.contains("secret"), "{kept}");
        assert!(kept.contains("WA0000000013"));
    }
}
