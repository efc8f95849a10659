//! A second factor for signing in (SPEC §6): RFC 6238 codes from an authenticator app. An agent
//! sets it up from their profile (a new secret, shown as a QR code and as text, confirmed by its
//! first code) and may turn it off with their password. A code is good for its 30-second step and
//! the one either side (RFC 6238's recommended skew), and once only.

use chrono::{DateTime, Utc};
use sportello_domain::access::Principal;
use sportello_domain::audit::Action;
use sportello_domain::problem::{Problem, ProblemCode};
use totp_rs::{Algorithm, Secret as TotpSecret, TOTP};

use super::conflict::Conflict;
use super::{App, Error};
use crate::store::{AgentRecord, AuditEntry};

const STEP: u64 = 30;
const DIGITS: usize = 6;
const SKEW: u8 = 1;

/// The authenticator for `secret` (base32), labelled with the agent's address.
fn authenticator(secret: &str, account: &str) -> Result<TOTP, Error> {
    let bytes = TotpSecret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| Error::Internal(format!("a stored TOTP secret does not decode: {e:?}")))?;
    // An address with a colon cannot label an otpauth URL: the label is only shown in the app.
    let label = account.replace(':', "");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW,
        STEP,
        bytes,
        Some("Sportello".to_owned()),
        label,
    )
    .map_err(|e| Error::Internal(format!("TOTP: {e}")))
}

/// The time step of `code` if it is right for `secret` at `now` (within one step either side).
pub fn step_of(secret: &str, account: &str, code: &str, now: DateTime<Utc>) -> Result<Option<i64>, Error> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = authenticator(secret, account)?;
    let now = u64::try_from(now.timestamp()).unwrap_or(0);
    let current = now / STEP;
    for step in [current.saturating_sub(1), current, current + 1] {
        let expected = totp.generate(step * STEP);
        if bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes())) {
            return Ok(i64::try_from(step).ok());
        }
    }
    Ok(None)
}

/// What the profile page shows while an authenticator is set up.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The QR code of the `otpauth://` URL, as SVG.
    pub qr_svg: String,
}

/// The enrolment for a pending secret (a new one if none is pending).
pub async fn start(app: &App, who: &Principal, agent: &AgentRecord) -> Result<Enrolment, Error> {
    if who.agent() != Some(agent.id) {
        return Err(Error::Forbidden);
    }
    let secret = match &agent.totp_pending {
        Some(pending) => pending.clone(),
        None => {
            // 160 bits, RFC 4226's recommendation.
            let bits: [u8; 20] = rand::random();
            let secret = TotpSecret::Raw(bits.to_vec()).to_encoded().to_string();
            let mut tx = app.store.begin_write().await?;
            tx.set_totp_pending(agent.id, Some(&secret)).await?;
            tx.commit().await?;
            secret
        }
    };
    let url = authenticator(&secret, agent.email.as_str())?.get_url();
    let qr = qrcode::QrCode::new(url.as_bytes()).map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment { secret, qr_svg })
}

fn wrong_code() -> Error {
    Error::Invalid(vec![Problem::new("totp", ProblemCode::FieldFormat)])
}

/// The first code from the app confirms the pending secret: from now on sign-in asks for a code.
pub async fn confirm(app: &App, who: &Principal, agent: &AgentRecord, code: &str) -> Result<(), Error> {
    if who.agent() != Some(agent.id) {
        return Err(Error::Forbidden);
    }
    let pending = agent
        .totp_pending
        .as_deref()
        .ok_or(Error::Conflict(Conflict::NoAuthenticatorPending))?;
    let now = app.clock.now();
    let step = step_of(pending, agent.email.as_str(), code, now)?.ok_or_else(wrong_code)?;
    let mut tx = app.store.begin_write().await?;
    tx.set_totp(agent.id, Some(pending), Some(step)).await?;
    tx.audit(&AuditEntry::agent(now, Some(agent.id), Action::TotpEnabled, agent.id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the second factor off; the password is asked again.
pub async fn disable(app: &App, who: &Principal, agent: &AgentRecord, password: &str) -> Result<(), Error> {
    if who.agent() != Some(agent.id) {
        return Err(Error::Forbidden);
    }
    if !super::credentials::password_matches(password, agent.password_hash.as_deref()).await {
        return Err(Error::Invalid(vec![Problem::new(
            "current_password",
            ProblemCode::FieldFormat,
        )]));
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.set_totp(agent.id, None, None).await?;
    tx.audit(&AuditEntry::agent(now, Some(agent.id), Action::TotpDisabled, agent.id))
        .await?;
    tx.commit().await?;
    Ok(())
}
