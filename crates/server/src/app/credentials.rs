//! What signing in rests on (SPEC §6): random secrets handed out once and stored as hashes,
//! Argon2id password hashes and their check, the shortest password accepted. Shared by the
//! accounts (`agents`), signing in (`sign_in`) and the authenticator (`totp`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sportello_domain::problem::{Problem, ProblemCode};

use super::Error;

/// A random secret handed out once: 256 bits, URL-safe.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn generate() -> Secret {
        use base64::Engine as _;
        let bits: [u8; 32] = rand::random();
        Secret(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// What is stored of a secret: its hex SHA-256 (the secrets are random, so no salt is needed).
pub fn secret_hash(secret: &str) -> String {
    sportello_domain::evidence::content_hash(secret.as_bytes()).to_hex()
}

/// Argon2id with the crate's defaults, which are OWASP's (19 MiB, 2 passes, 1 lane), off the
/// async threads (a hash takes tens of milliseconds on purpose).
pub async fn hash_password(password: &str) -> Result<String, Error> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Checks `password` against `hash`; with no hash (an unknown e-mail, or no password set yet) a
/// dummy one is checked, so both take the same time and say the same thing.
pub(super) async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let known = hash.is_some();
    let hash = match hash {
        Some(h) => Some(h.to_owned()),
        None => DUMMY
            .get_or_init(|| {
                let salt = SaltString::encode_b64(&[7u8; 16]).ok()?;
                Argon2::default()
                    .hash_password(b"nobody's password", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .clone(),
    };
    let Some(hash) = hash else { return false };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false);
    matches && known
}

/// Whether `password` is the one `hash` was made from (no hash: never, in the same time).
pub async fn password_matches(password: &str, hash: Option<&str>) -> bool {
    verify_password(password, hash).await
}

/// Shortest password accepted (OWASP's minimum for a password with a second factor optional).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A password an agent chooses: long enough, or [`Error::Invalid`].
pub fn check_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(vec![Problem::new(
            "password",
            ProblemCode::PasswordTooShort,
        )]));
    }
    Ok(())
}
