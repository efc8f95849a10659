//! Use cases: the only code that calls both the domain and the store. One file per verb; each
//! decides access from the proof it is given ([`access`]), reads the time from the [`Clock`], and
//! answers with the one [`Error`].

pub mod access;
pub mod add_info;
pub mod agents;
pub mod alerts;
pub mod answer;
pub mod assign;
pub mod canned;
pub mod change;
pub mod conflict;
pub mod credentials;
pub mod csat;
pub mod desk_case;
pub mod estimate;
pub mod help;
pub mod ingest;
pub mod missing;
pub mod organisations;
pub mod presence;
pub mod queue;
pub mod reply;
pub mod reports;
pub mod search;
pub mod sign_in;
pub mod status;
pub mod submit;
pub mod totp;
pub mod transitions;
pub mod webhooks;

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SubsecRound, Utc};
use sportello_domain::catalog::Catalog;
use sportello_domain::problem::Problem;

use crate::blobs::BlobStore;
use crate::mail::ids::MailIds;
use crate::store::{Store, StoreError};

/// Everything a use case needs, shared by every request (cheap to clone).
#[derive(Clone)]
pub struct App {
    pub catalog: Arc<Catalog>,
    pub store: Store,
    pub blobs: BlobStore,
    pub settings: Arc<AppSettings>,
    pub clock: Clock,
    pub mail_ids: MailIds,
    /// Woken when an event is written, so delivery starts at once rather than at the next poll.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The picture of the queues the live estimate reads (SPEC §11).
    pub forecaster: Arc<estimate::Forecaster>,
    /// The help centre's articles (SPEC §12).
    pub help: Arc<help::Library>,
}

/// The few settings the use cases read (no database URL, no mail passwords).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// Links sent to customers start with this (no trailing slash).
    pub public_url: String,
    /// The address customers write to; mail from it is our own coming back.
    pub support_address: String,
    /// Category and sub-category of cases opened by mail (checked against the catalog).
    pub mail_category: (String, String),
    /// Every agent must set up an authenticator before working (SPEC §6).
    pub require_totp: bool,
    /// SPEC §7: how long a reply is held, to be undone, before it goes (zero: at once).
    pub reply_undo_delay: chrono::Duration,
    /// SPEC §9: internal networks webhooks may reach nonetheless (`webhook_allow`).
    pub webhook_allow: Vec<ipnet::IpNet>,
}

/// The one error of the use cases. The web layer turns it into the SPEC's answers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the caller sent breaks a rule: every problem at once (SPEC §3.1).
    #[error("the request is not valid")]
    Invalid(Vec<Problem>),
    /// No such thing, or nothing the caller may see: the two are never told apart.
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The change cannot be made in the state things are in (a closed case, say).
    #[error("conflict: {0}")]
    Conflict(conflict::Conflict),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob store: {0}")]
    Blob(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

/// An admin's `name` field as kept (trimmed), with its problem if it is empty or over `max`
/// characters.
fn named(text: &str, max: usize, problems: &mut Vec<Problem>) -> String {
    let name = text.trim().to_owned();
    if name.is_empty() {
        problems.push(Problem::new("name", sportello_domain::problem::ProblemCode::Required));
    } else if name.chars().count() > max {
        problems.push(Problem::new("name", sportello_domain::problem::ProblemCode::TooLong));
    }
    name
}

/// The time the use cases read: the system's, or one a test sets and moves.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Moves a fixed clock (and every clone of it); the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.0 {
            *fixed.lock().unwrap_or_else(PoisonError::into_inner) = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }

    /// Now, in whole seconds: what is stored (milliseconds) and what is shown agree to the digit.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now().trunc_subsecs(0),
            Some(fixed) => fixed.lock().unwrap_or_else(PoisonError::into_inner).trunc_subsecs(0),
        }
    }
}

/// The secret in a customer's status link: 128 random bits; only its hash is stored (SPEC §3.5).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusToken(String);

impl StatusToken {
    pub fn generate() -> StatusToken {
        use base64::Engine as _;
        let bits: [u8; 16] = rand::random();
        StatusToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps: the hex SHA-256 of the token as presented.
    pub fn hash(token: &str) -> String {
        sportello_domain::evidence::content_hash(token.as_bytes()).to_hex()
    }
}

impl std::fmt::Debug for StatusToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_128_random_bits_and_hash_stably() {
        let (a, b) = (StatusToken::generate(), StatusToken::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22); // 16 bytes in unpadded base64url
        assert_eq!(StatusToken::hash(a.as_str()), StatusToken::hash(a.as_str()));
        assert_eq!(StatusToken::hash(a.as_str()).len(), 64);
        assert_ne!(StatusToken::hash(a.as_str()), StatusToken::hash(b.as_str()));
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_for_every_clone() {
        let at: DateTime<Utc> = "2020-12-04T20:00:00.750Z".parse().unwrap();
        let clock = Clock::fixed(at);
        let clone = clock.clone();
        assert_eq!(clock.now(), "2020-12-04T20:00:00Z".parse::<DateTime<Utc>>().unwrap());
        clock.advance(chrono::Duration::hours(1));
        assert_eq!(clone.now(), "2020-12-04T21:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let system = Clock::system();
        system.set(at);
        assert!(system.now() > at, "the system clock is not moved");
    }
}
