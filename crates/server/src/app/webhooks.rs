//! Webhooks out (SPEC §9), the admin's side: register an endpoint (URL, secret, events), change,
//! disable, enable and remove it, send it a test event, read its last deliveries. The endpoint
//! that fails for a day is disabled here too, by the worker, and every admin is told.
//!
//! The signing secret must be read back to sign each delivery, so it cannot be kept as a hash:
//! it is sealed (ChaCha20-Poly1305) under a server key kept apart from the row, and never shown
//! again after it is made.

use std::collections::BTreeSet;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::{DateTime, Utc};
use sportello_domain::access::{Principal, Role};
use sportello_domain::audit::Action;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::webhook::EventKind;

use super::{App, Error};
use crate::events::{OutboxEvent, WebhookDisabled};
use crate::store::{AuditEntry, DeliveryRecord, Webhook, WebhookId, WebhookRecord};
use crate::webhooks::target::{Refused, Targets};
use crate::webhooks::{Event, Ping};

/// The deliveries an endpoint's page shows.
pub const SHOWN_DELIVERIES: i64 = 50;
const MAX_DESCRIPTION_CHARS: usize = 200;
/// A secret an admin chooses: long enough not to be guessed, short enough for any header tool.
const SECRET_CHARS: std::ops::RangeInclusive<usize> = 16..=200;
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An endpoint as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub description: String,
    /// Event names (`case.created`…); at least one.
    pub events: Vec<String>,
    /// The admin's own secret; None makes one (on add) or keeps the one there is (on change).
    pub secret: Option<String>,
}

/// A new endpoint; `secret` is the one made for it, shown this once (None: the admin chose it).
#[derive(Debug, Clone)]
pub struct Created {
    pub id: WebhookId,
    pub secret: Option<String>,
}

fn admin(who: &Principal) -> Result<(), Error> {
    who.may_administer().map_err(|_| Error::Forbidden)
}

fn reader(who: &Principal) -> Result<(), Error> {
    who.may_read_settings().map_err(|_| Error::Forbidden)
}

/// Where deliveries may go: the internet, and the operator's `webhook_allow`.
pub fn targets(app: &App) -> Targets {
    Targets::new(app.settings.webhook_allow.clone())
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<WebhookRecord>, Error> {
    reader(who)?;
    Ok(app.store.webhooks().await?)
}

/// The endpoint and its last deliveries, newest first.
pub async fn show(app: &App, who: &Principal, id: WebhookId) -> Result<(WebhookRecord, Vec<DeliveryRecord>), Error> {
    reader(who)?;
    let webhook = app.store.webhook(id).await?.ok_or(Error::NotFound)?;
    let deliveries = app.store.deliveries(id, SHOWN_DELIVERIES).await?;
    Ok((webhook, deliveries))
}

/// The input as it is kept and the secret it brings, or every problem with it at once.
async fn checked(app: &App, input: WebhookInput) -> Result<(Webhook, Option<String>), Error> {
    let mut problems = Vec::new();
    let url = match targets(app).check(&input.url).await {
        Ok(url) => Some(url.to_string()),
        Err(refused) => {
            let code = match refused {
                Refused::Internal { .. } => ProblemCode::WebhookTarget,
                Refused::Url | Refused::Unresolvable { .. } => ProblemCode::FieldFormat,
            };
            tracing::info!(%refused, "webhook URL refused");
            problems.push(Problem::new("url", code));
            None
        }
    };
    let description = input.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        problems.push(Problem::new("description", ProblemCode::TooLong));
    }
    let mut events = BTreeSet::new();
    for name in &input.events {
        match name.trim().parse::<EventKind>() {
            Ok(kind) if EventKind::SUBSCRIBABLE.contains(&kind) => {
                events.insert(kind);
            }
            _ => problems.push(Problem::new("events", ProblemCode::FieldFormat)),
        }
    }
    if events.is_empty() && problems.iter().all(|p| p.field != "events") {
        problems.push(Problem::new("events", ProblemCode::Required));
    }
    let secret = input.secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if secret
        .as_ref()
        .is_some_and(|s| !SECRET_CHARS.contains(&s.chars().count()))
    {
        problems.push(Problem::new("secret", ProblemCode::FieldFormat));
    }
    match url {
        Some(url) if problems.is_empty() => Ok((
            Webhook {
                url,
                description,
                events,
            },
            secret,
        )),
        _ => Err(Error::Invalid(problems)),
    }
}

/// The endpoint as the audit log keeps it: never its secret.
fn audit_words(w: &Webhook) -> String {
    serde_json::to_string(w).unwrap_or_default()
}

fn audited(now: DateTime<Utc>, by: &Principal, action: Action, id: WebhookId) -> AuditEntry {
    AuditEntry::new(now, by.agent(), action).change(None::<&str>, Some(format!("webhook {}", id.0)))
}

pub async fn add(app: &App, by: &Principal, input: WebhookInput) -> Result<Created, Error> {
    admin(by)?;
    let (webhook, chosen) = checked(app, input).await?;
    let made = chosen.is_none().then(new_secret);
    let secret = chosen.or_else(|| made.clone()).unwrap_or_default();
    let now = app.clock.now();
    let sealed = seal(&sealing_key(app, now).await?, &secret)?;
    let mut tx = app.store.begin_write().await?;
    let id = tx.add_webhook(&webhook, &sealed, by.agent(), now).await?;
    tx.audit(
        &AuditEntry::new(now, by.agent(), Action::WebhookCreated).change(None::<&str>, Some(audit_words(&webhook))),
    )
    .await?;
    tx.commit().await?;
    Ok(Created { id, secret: made })
}

/// Writes the endpoint anew (a new secret only when one is given); false when nothing changed.
pub async fn change(app: &App, by: &Principal, id: WebhookId, input: WebhookInput) -> Result<bool, Error> {
    admin(by)?;
    let before = app.store.webhook(id).await?.ok_or(Error::NotFound)?;
    let (webhook, secret) = checked(app, input).await?;
    if webhook == before.webhook && secret.is_none() {
        return Ok(false);
    }
    let now = app.clock.now();
    let sealed = match &secret {
        Some(s) => Some(seal(&sealing_key(app, now).await?, s)?),
        None => None,
    };
    let mut tx = app.store.begin_write().await?;
    if !tx.change_webhook(id, &webhook, sealed.as_deref(), now).await? {
        return Err(Error::NotFound);
    }
    let words = |w: &Webhook| {
        format!(
            "{}{}",
            audit_words(w),
            if secret.is_some() { " (new secret)" } else { "" }
        )
    };
    tx.audit(
        &AuditEntry::new(now, by.agent(), Action::WebhookChanged)
            .change(Some(audit_words(&before.webhook)), Some(words(&webhook))),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn remove(app: &App, by: &Principal, id: WebhookId) -> Result<(), Error> {
    admin(by)?;
    let before = app.store.webhook(id).await?.ok_or(Error::NotFound)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.remove_webhook(id, now).await? {
        return Err(Error::NotFound);
    }
    tx.audit(
        &AuditEntry::new(now, by.agent(), Action::WebhookRemoved)
            .change(Some(audit_words(&before.webhook)), None::<&str>),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stops or resumes deliveries; false when it already was so.
pub async fn set_enabled(app: &App, by: &Principal, id: WebhookId, enabled: bool) -> Result<bool, Error> {
    admin(by)?;
    app.store.webhook(id).await?.ok_or(Error::NotFound)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let changed = if enabled {
        tx.enable_webhook(id).await?
    } else {
        tx.disable_webhook(id, "disabled by an admin", now).await?
    };
    if changed {
        let action = if enabled {
            Action::WebhookEnabled
        } else {
            Action::WebhookDisabled
        };
        tx.audit(&audited(now, by, action, id)).await?;
    }
    tx.commit().await?;
    if changed && enabled {
        app.store.deliveries_written().wake.notify_one();
    }
    Ok(changed)
}

/// "Send a test event": a `ping` to this endpoint alone, through the same delivery path; the
/// delivery's id, to find it among the endpoint's deliveries.
pub async fn test(app: &App, by: &Principal, id: WebhookId) -> Result<i64, Error> {
    admin(by)?;
    app.store.webhook(id).await?.ok_or(Error::NotFound)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let delivery = tx.emit_to(id, &Event::Ping(Ping { webhook: id.0 }), now).await?;
    tx.audit(&audited(now, by, Action::WebhookTested, id)).await?;
    tx.commit().await?;
    Ok(delivery)
}

/// The worker's verdict on an endpoint that failed every delivery for a day: disabled, its
/// deliveries kept to resume when an admin enables it, and every admin told by mail.
pub async fn disable_failing(app: &App, id: WebhookId, reason: &str, now: DateTime<Utc>) -> Result<bool, Error> {
    let Some(webhook) = app.store.webhook(id).await? else {
        return Ok(false);
    };
    let admins: Vec<_> = app
        .store
        .agents()
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Admin && a.disabled_at.is_none())
        .collect();
    let mut tx = app.store.begin_write().await?;
    if !tx
        .disable_webhook(id, &format!("failing for 24 hours: {reason}"), now)
        .await?
    {
        return Ok(false);
    }
    tx.audit(
        &AuditEntry::new(now, None, Action::WebhookDisabled)
            .change(None::<&str>, Some(format!("webhook {}: {reason}", id.0))),
    )
    .await?;
    let domain = app.settings.support_address.rsplit('@').next().unwrap_or("localhost");
    for a in admins {
        let event = OutboxEvent::WebhookDisabled(WebhookDisabled {
            to: a.email.clone(),
            language: a.language.clone(),
            url: webhook.webhook.url.clone(),
            reason: reason.to_owned(),
            link: format!("{}/desk/admin/webhooks/{}", app.settings.public_url, id.0),
        });
        let key = format!("<webhook-disabled.{}.{}.{}@{domain}>", id.0, now.timestamp(), a.id.0);
        tx.enqueue_unbound(&event, &key, now).await?;
    }
    tx.commit().await?;
    app.outbox_wake.notify_one();
    Ok(true)
}

/// `whsec_` and 32 random bytes: what an endpoint gets when the admin names no secret.
fn new_secret() -> String {
    let bits: [u8; 32] = rand::random();
    format!("whsec_{}", BASE64.encode(bits))
}

/// The key secrets are sealed under, the same for every instance.
pub async fn sealing_key(app: &App, now: DateTime<Utc>) -> Result<[u8; 32], Error> {
    Ok(app.store.secret("webhook_secrets", now).await?)
}

/// A random nonce and the sealed secret, as base64.
fn seal(key: &[u8; 32], secret: &str) -> Result<String, Error> {
    let nonce: [u8; 12] = rand::random();
    let sealed = ChaCha20Poly1305::new(Key::from_slice(key))
        .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
        .map_err(|_| Error::Internal("cannot seal a webhook secret".into()))?;
    Ok(BASE64.encode([nonce.as_slice(), &sealed].concat()))
}

/// The secret a delivery is signed with; an error for a row sealed under another key (or damaged).
pub fn unseal(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>, String> {
    let bytes = BASE64
        .decode(sealed)
        .map_err(|_| "the sealed secret is not base64".to_owned())?;
    if bytes.len() < 12 {
        return Err("the sealed secret is too short".into());
    }
    let (nonce, sealed) = bytes.split_at(12);
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map_err(|_| "the secret does not unseal with this server's key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let key = [7u8; 32];
        let sealed = seal(&key, "whsec_abc").unwrap();
        assert!(!sealed.contains("whsec"), "{sealed}");
        assert_eq!(unseal(&key, &sealed).unwrap(), b"whsec_abc");
        assert_ne!(seal(&key, "whsec_abc").unwrap(), sealed, "a fresh nonce each time");
        assert!(unseal(&[8u8; 32], &sealed).is_err());
        assert!(unseal(&key, "not base64!").is_err());
        assert!(unseal(&key, "AAAA").is_err());
    }

    #[test]
    fn made_secrets_are_long_and_different() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 43, "{a}");
    }
}
