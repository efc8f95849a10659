//! Files kept across a refused submit: the valid ones are stored as blobs and named in the
//! re-rendered form, bound to the browser's CSRF secret, so nobody else can claim them.

use sportello_domain::evidence::{content_hash, ContentHash};
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::request::Upload;

use super::prefs::constant_time_eq;
use super::Prefs;
use crate::app::App;

/// A valid file from a refused submit, stored as a blob and named in the re-rendered form, so
/// that the person does not have to pick it again.
#[derive(Debug, Clone)]
pub struct Kept {
    /// `sha256.mac.filename`; the MAC ties it to this browser's CSRF secret.
    pub value: String,
    pub name: String,
}

fn kept_mac(csrf: &str, hex: &str, name: &str) -> String {
    content_hash(format!("{csrf}\0{hex}\0{name}").as_bytes()).to_hex()[..32].to_owned()
}

/// Stores the uploads no problem names and returns them as kept files.
pub async fn keep(app: &App, prefs: &Prefs, uploads: &[Upload], problems: &[Problem]) -> Vec<Kept> {
    if problems.iter().any(|p| p.code == ProblemCode::AttachmentTooMany) {
        return Vec::new();
    }
    let mut kept = Vec::new();
    for (index, upload) in uploads.iter().enumerate() {
        let field = format!("attachment[{index}]");
        if problems.iter().any(|p| p.field == field) {
            continue;
        }
        let hash = content_hash(&upload.bytes);
        if let Err(e) = app.blobs.put(&hash, upload.bytes.clone()).await {
            tracing::warn!(error = %e, "could not keep an upload across a refused submit");
            continue;
        }
        let hex = hash.to_hex();
        let name: String = upload.filename.chars().filter(|c| !c.is_control()).take(200).collect();
        kept.push(Kept {
            value: format!("{hex}.{}.{name}", kept_mac(prefs.csrf(), &hex, &name)),
            name,
        });
    }
    kept
}

/// The kept files a form sends back, read from the blob store; forged or unknown ones are dropped.
pub async fn restore(app: &App, prefs: &Prefs, values: &[String]) -> Vec<Upload> {
    let mut uploads = Vec::new();
    for value in values.iter().take(sportello_domain::request::MAX_ATTACHMENTS) {
        let mut parts = value.splitn(3, '.');
        let (Some(hex), Some(mac), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !constant_time_eq(mac.as_bytes(), kept_mac(prefs.csrf(), hex, name).as_bytes()) {
            continue;
        }
        let Some(hash) = ContentHash::from_hex(hex) else {
            continue;
        };
        if let Ok(Some(bytes)) = app.blobs.get(&hash).await {
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
    fn kept_files_are_bound_to_the_browsers_secret() {
        let headers = HeaderMap::new();
        let (a, b) = (Prefs::read(&headers, None), Prefs::read(&headers, None));
        let mac = kept_mac(a.csrf(), "ab", "x.png");
        assert_eq!(mac, kept_mac(a.csrf(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(b.csrf(), "ab", "x.png"));
        assert_ne!(mac, kept_mac(a.csrf(), "ab", "y.png"));
    }
}
