//! Use cases: the only code that calls both the domain and the store. One file per verb.

pub mod add_info;
pub mod ingest;
pub mod reply;
pub mod status;
pub mod submit;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sportello_domain::catalog::Catalog;

use crate::blobs::BlobStore;
use crate::config::Settings;
use crate::store::Store;

/// Everything a use case needs, shared by every request (cheap to clone).
#[derive(Clone)]
pub struct App {
    pub catalog: Arc<Catalog>,
    pub store: Store,
    pub blobs: BlobStore,
    pub settings: Arc<Settings>,
    /// Woken when an event is written, so delivery starts at once rather than at the next poll.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

/// Times cross into the store as UTC milliseconds since the epoch.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
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
}
