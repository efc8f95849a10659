//! Files kept across a refused submit: the valid ones are stored as blobs and named in the
//! re-rendered form with a MAC (a server key over the browser's CSRF secret, the hash and the
//! name), so nobody else can claim them and nobody can name a blob they did not send. Kept files
//! that no case ends up naming are removed by the blob sweeper after its grace period.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sportello_domain::evidence::{self, content_hash, inspect, ContentHash};
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::request::Upload;
use subtle::ConstantTimeEq;

use super::Prefs;
use crate::web::WebState;

/// A valid file from a refused submit, stored as a blob and named in the re-rendered form, so
/// that the person does not have to pick it again.
#[derive(Debug, Clone)]
pub struct Kept {
    /// `sha256.mac.filename`; the MAC ties it to this browser's CSRF secret.
    pub value: String,
    pub name: String,
}

/// 128 bits of HMAC-SHA256, in hex.
fn kept_mac(key: &[u8; 32], csrf: &[u8], hex: &str, name: &str) -> String {
    // A key of any length is accepted: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    for part in [csrf, hex.as_bytes(), name.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    evidence::hex(&mac.finalize().into_bytes()[..16])
}

/// Stores the uploads that pass the evidence rules and that no problem names, and returns them
/// as kept files. Callers keep files only for a request that may be made (its access, rate limit
/// and CSRF token checked): one that may not stores nothing.
pub async fn keep(state: &WebState, prefs: &Prefs, uploads: &[Upload], problems: &[Problem]) -> Vec<Kept> {
    if problems.iter().any(|p| p.code == ProblemCode::AttachmentTooMany) {
        return Vec::new();
    }
    let mut kept = Vec::new();
    for (index, upload) in uploads
        .iter()
        .enumerate()
        .take(sportello_domain::request::MAX_ATTACHMENTS)
    {
        let field = format!("attachment[{index}]");
        // Only what the evidence rules accept is worth keeping (and may reach the disk).
        if problems.iter().any(|p| p.field == field) || inspect(&upload.bytes).is_err() {
            continue;
        }
        let hash = content_hash(&upload.bytes);
        if let Err(e) = state.app.blobs.put(&hash, upload.bytes.clone()).await {
            tracing::warn!(error = %e, "could not keep an upload across a refused submit");
            continue;
        }
        let hex = hash.to_hex();
        let name: String = upload.filename.chars().filter(|c| !c.is_control()).take(200).collect();
        kept.push(Kept {
            value: format!(
                "{hex}.{}.{name}",
                kept_mac(&state.kept_files_key, prefs.csrf_secret(), &hex, &name)
            ),
            name,
        });
    }
    kept
}

/// The kept files a form sends back, read from the blob store; forged or unknown ones are dropped.
pub async fn restore(state: &WebState, prefs: &Prefs, values: &[String]) -> Vec<Upload> {
    let mut uploads = Vec::new();
    for value in values.iter().take(sportello_domain::request::MAX_ATTACHMENTS) {
        let mut parts = value.splitn(3, '.');
        let (Some(hex), Some(mac), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let expected = kept_mac(&state.kept_files_key, prefs.csrf_secret(), hex, name);
        if !bool::from(mac.as_bytes().ct_eq(expected.as_bytes())) {
            continue;
        }
        let Some(hash) = ContentHash::from_hex(hex) else {
            continue;
        };
        if let Ok(Some(bytes)) = state.app.blobs.get(&hash).await {
            uploads.push(Upload {
                filename: name.to_owned(),
                bytes,
            });
        }
    }
    uploads
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn kept_files_are_bound_to_the_browsers_secret_and_the_servers_key() {
        let headers = HeaderMap::new();
        let (a, b) = (Prefs::read(&headers, None), Prefs::read(&headers, None));
        let key = [1; 32];
        let mac = kept_mac(&key, a.csrf_secret(), "ab", "x.png");
        assert_eq!(mac.len(), 32);
        assert_eq!(mac, kept_mac(&key, a.csrf_secret(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(&key, b.csrf_secret(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(&key, a.csrf_secret(), "ab", "y.png"));
        assert_ne!(mac, kept_mac(&[2; 32], a.csrf_secret(), "ab", "x.png"));
        // The parts are length-prefixed: moving a byte from one to the next changes the MAC.
        assert_ne!(kept_mac(&key, b"ab", "c", "d"), kept_mac(&key, b"a", "bc", "d"));
    }
}
