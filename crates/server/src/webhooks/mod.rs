//! Webhooks out (SPEC §9): the events other systems hear of, as they are stored with the change
//! that causes them and as they are posted, signed, to each endpoint; and where a delivery may go
//! ([`target`]). The worker that posts them is `jobs::webhooks`.

pub mod target;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sportello_domain::access::AgentId;
use sportello_domain::case::{Author, Channel, Status};
use sportello_domain::triage::Priority;
use sportello_domain::webhook::EventKind;
use utoipa::ToSchema;

/// One event: its `type` and its `data`, stored as JSON in each delivery row (the same bytes are
/// posted on every attempt) and documented in the OpenAPI document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A case was opened (form, API, mail or WhatsApp).
    #[serde(rename = "case.created")]
    CaseCreated(CaseCreated),
    /// A case's status, priority, category, assignment or links changed.
    #[serde(rename = "case.updated")]
    CaseUpdated(CaseUpdated),
    /// A customer wrote, an agent's reply went out, or an agent left an internal note.
    #[serde(rename = "message.created")]
    MessageCreated(MessageCreated),
    /// A case missed a target.
    #[serde(rename = "sla.breached")]
    SlaBreached(SlaBreached),
    /// One device model (with its OS major version) came to account for an unusual share of new
    /// technical cases (SPEC §11); once per model and day.
    #[serde(rename = "alert.device_spike")]
    DeviceSpike(DeviceSpike),
    /// "Send a test event": posted only to the endpoint asked for.
    #[serde(rename = "ping")]
    Ping(Ping),
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::CaseCreated(_) => EventKind::CaseCreated,
            Event::CaseUpdated(_) => EventKind::CaseUpdated,
            Event::MessageCreated(_) => EventKind::MessageCreated,
            Event::SlaBreached(_) => EventKind::SlaBreached,
            Event::DeviceSpike(_) => EventKind::DeviceSpike,
            Event::Ping(_) => EventKind::Ping,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseCreated {
    #[schema(value_type = String, example = "new")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    pub category: String,
    pub subcategory: String,
    #[schema(value_type = String, example = "web")]
    pub channel: Channel,
    pub language: String,
    pub name: Option<String>,
    pub email: String,
    /// E.164; null while the case waits for it.
    pub phone: Option<String>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// The customer asked for urgency (whether it was granted is `priority`).
    pub urgent_requested: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseUpdated {
    /// What changed: `status`, `priority`, `category`, `assignment`, `merged`, `linked`,
    /// `request_info` or `rating` (the customer's answer to the resolution mail, `good`/`bad`).
    pub change: String,
    /// The value before, as the audit log keeps it (null where there was none).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The agent who made the change (their id); null: the system.
    pub by_agent: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageCreated {
    /// `customer` or `agent`.
    pub author: String,
    /// False for an agent's internal note.
    pub public: bool,
    pub body: String,
    /// The agent's id, for their replies and notes.
    pub agent: Option<i64>,
}

impl MessageCreated {
    pub fn customer(body: &str) -> MessageCreated {
        MessageCreated {
            author: Author::Customer.as_str().to_owned(),
            public: true,
            body: body.to_owned(),
            agent: None,
        }
    }

    pub fn agent(agent: AgentId, public: bool, body: &str) -> MessageCreated {
        MessageCreated {
            author: Author::Agent.as_str().to_owned(),
            public,
            body: body.to_owned(),
            agent: Some(agent.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaBreached {
    /// `first_response` or `resolution`.
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpike {
    #[schema(example = "Galaxy S23")]
    pub model: String,
    /// The OS and its major version, e.g. `Android 14`; null when the cases did not say.
    pub os: Option<String>,
    /// Its share of the last 24 hours' new technical cases, between 0 and 1.
    pub share: f64,
    /// Its cases in those 24 hours.
    pub cases: i64,
    /// Its share of the 30 days before.
    pub baseline_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// The endpoint the test was asked for.
    pub webhook: i64,
}

/// What is posted: the event with its id, when it happened and the case it is about. The body's
/// bytes are what `Sportello-Signature` signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Envelope {
    /// The event's id, the same on every attempt and for every endpoint: a receiver drops an id
    /// it has seen (deliveries are at least once).
    #[schema(example = "evt_5f0c6a8e2b1d4c7f9a3e6b8d0c2f4a61")]
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The case, e.g. `WA0000000013`; null for `ping`.
    pub case_number: Option<String>,
    #[serde(flatten)]
    pub event: Event,
}

/// The `change` of a `case.updated` for a case's audit action, or None for an action that is not
/// one (replies and notes are `message.created`; a breach is `sla.breached`).
pub fn case_change(action: sportello_domain::audit::Action) -> Option<&'static str> {
    use sportello_domain::audit::Action;
    Some(match action {
        Action::CaseStatus => "status",
        Action::CasePriority => "priority",
        Action::CaseCategory => "category",
        Action::CaseAssigned => "assignment",
        Action::CaseMerged => "merged",
        Action::CaseLinked => "linked",
        Action::CaseRequestInfo => "request_info",
        Action::CaseRated => "rating",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_reads_as_documented() {
        let envelope = Envelope {
            id: "evt_1".into(),
            created_at: "2026-12-01T10:00:00Z".parse().unwrap(),
            case_number: Some("WA0000000013".into()),
            event: Event::SlaBreached(SlaBreached {
                target: "first_response".into(),
            }),
        };
        let text = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            text,
            r#"{"id":"evt_1","created_at":"2026-12-01T10:00:00Z","case_number":"WA0000000013","type":"sla.breached","data":{"target":"first_response"}}"#
        );
        assert_eq!(serde_json::from_str::<Envelope>(&text).unwrap(), envelope);
    }

    #[test]
    fn every_kind_has_the_name_the_domain_gives_it() {
        let ping = Event::Ping(Ping { webhook: 3 });
        let text = serde_json::to_string(&ping).unwrap();
        assert!(text.starts_with(&format!(r#"{{"type":"{}""#, ping.kind())), "{text}");
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{kind}\""));
        }
    }
}
