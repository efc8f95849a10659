//! Signing in and being recognised (SPEC §6): passwords as Argon2id, the throttle that a correct
//! password does not bypass, database sessions (idle 12 h, absolute 30 days), API tokens. Every
//! secret handed out is 128 bits or more of randomness, and only its SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use sportello_domain::access::{Principal, Scope};
use sportello_domain::audit::Action;
use sportello_domain::contact::email::Email;

use super::credentials::{check_password, hash_password, secret_hash, verify_password, Secret};
use super::{App, Error};
use crate::store::{AgentRecord, AuditEntry};

/// SPEC §6's session lifetimes (*default*).
pub const SESSION_IDLE: Duration = Duration::hours(12);
pub const SESSION_ABSOLUTE: Duration = Duration::days(30);
/// SPEC §6's throttle: this many failures within the window, per account or per client.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
pub const ACCOUNT_FAILURES: i64 = 5;
pub const CLIENT_FAILURES: i64 = 20;
/// A session's or token's last use is written at most this often (not on every request).
const SEEN_EVERY: Duration = Duration::seconds(60);

/// Why a sign-in did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Wrong e-mail, wrong password, a disabled account, a missing or wrong code: one answer.
    #[error("the e-mail or the password is not right")]
    Credentials,
    /// Too many failures lately: try again after this long (SPEC §6).
    #[error("too many attempts")]
    Throttled(Duration),
    #[error(transparent)]
    Error(#[from] Error),
}

impl From<crate::store::StoreError> for Refused {
    fn from(e: crate::store::StoreError) -> Refused {
        Refused::Error(Error::Store(e))
    }
}

/// What a sign-in presents.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The authenticator's code, for an agent who set one up.
    pub totp: Option<String>,
    pub ip: Option<String>,
}

/// A session opened: its secret goes in the cookie, only its hash in the database.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: Secret,
    pub agent: AgentRecord,
}

/// The throttle's keys for an account and a client.
fn keys(email: &str, ip: Option<&str>) -> (String, Option<String>) {
    (
        format!("agent:{}", email.trim().to_lowercase()),
        ip.map(|ip| format!("ip:{ip}")),
    )
}

/// How long the throttle makes this sign-in wait, if at all: the window since the oldest failure
/// that counts.
async fn throttled(
    app: &App,
    keys: &(String, Option<String>),
    now: DateTime<Utc>,
) -> Result<Option<Duration>, Refused> {
    let since = now - THROTTLE_WINDOW;
    let (account, oldest) = app.store.failures_since(&keys.0, since).await?;
    if account >= ACCOUNT_FAILURES {
        return Ok(Some(oldest.map_or(THROTTLE_WINDOW, |at| at + THROTTLE_WINDOW - now)));
    }
    if let Some(client) = &keys.1 {
        let (n, oldest) = app.store.failures_since(client, since).await?;
        if n >= CLIENT_FAILURES {
            return Ok(Some(oldest.map_or(THROTTLE_WINDOW, |at| at + THROTTLE_WINDOW - now)));
        }
    }
    Ok(None)
}

/// Signs in: throttle first (a correct password does not bypass it), then the password; a
/// failure is counted, a success opens a new session. Both are audited.
pub async fn sign_in(app: &App, c: &Credentials) -> Result<Session, Refused> {
    let now = app.clock.now();
    let keys = keys(&c.email, c.ip.as_deref());
    if let Some(wait) = throttled(app, &keys, now).await? {
        return Err(Refused::Throttled(wait.max(Duration::seconds(1))));
    }
    let agent = match c.email.trim().parse::<Email>() {
        Ok(email) => app.store.agent_by_email(&email).await?,
        Err(_) => None,
    };
    let usable = agent.as_ref().filter(|a| a.disabled_at.is_none());
    let ok = verify_password(&c.password, usable.and_then(|a| a.password_hash.as_deref())).await;
    // The second factor, where set up: a right code of a step not used before.
    let step = match usable
        .filter(|_| ok)
        .and_then(|a| a.totp_secret.as_deref().map(|s| (a, s)))
    {
        Some((a, secret)) => Some(super::totp::step_of(
            secret,
            a.email.as_str(),
            c.totp.as_deref().unwrap_or(""),
            now,
        )?),
        None => None,
    };
    let mut tx = app.store.begin_write().await?;
    let second_factor = match (step, usable) {
        (None, _) => true,
        (Some(Some(step)), Some(a)) => tx.use_totp_step(a.id, step).await?,
        (Some(_), _) => false,
    };
    match usable.filter(|_| ok && second_factor) {
        Some(agent) => {
            let token = Secret::generate();
            tx.add_session(agent.id, &secret_hash(token.as_str()), now, c.ip.as_deref())
                .await?;
            tx.agent_seen(agent.id, now).await?;
            let mut entry = AuditEntry::agent(now, Some(agent.id), Action::SignIn, agent.id);
            entry.ip = c.ip.clone();
            tx.audit(&entry).await?;
            tx.commit().await?;
            Ok(Session {
                token,
                agent: agent.clone(),
            })
        }
        None => {
            tx.add_failure(&keys.0, now).await?;
            if let Some(client) = &keys.1 {
                tx.add_failure(client, now).await?;
            }
            tx.commit().await?;
            Err(Refused::Credentials)
        }
    }
}

/// The agent behind a session cookie, if the session is alive and the agent enabled.
pub async fn session(app: &App, token: &str) -> Result<Option<(Principal, AgentRecord)>, Error> {
    let now = app.clock.now();
    let hash = secret_hash(token);
    let Some((agent, seen)) = app
        .store
        .session_agent(&hash, now, SESSION_IDLE, SESSION_ABSOLUTE)
        .await?
    else {
        return Ok(None);
    };
    if now - seen >= SEEN_EVERY {
        let mut tx = app.store.begin_write().await?;
        tx.session_seen(&hash, agent.id, now).await?;
        tx.commit().await?;
    }
    Ok(Some((super::access::as_agent(&agent, Scope::Write), agent)))
}

/// The agent behind an API token (`Authorization: Bearer …`), with the token's scope.
pub async fn bearer(app: &App, token: &str) -> Result<Option<(Principal, AgentRecord)>, Error> {
    let now = app.clock.now();
    let Some((agent, record)) = app.store.token_agent(&secret_hash(token)).await? else {
        return Ok(None);
    };
    if record.last_used_at.is_none_or(|at| now - at >= SEEN_EVERY) {
        let mut tx = app.store.begin_write().await?;
        tx.token_used(record.id, agent.id, now).await?;
        tx.commit().await?;
    }
    Ok(Some((super::access::as_agent(&agent, record.scope), agent)))
}

/// Ends the session behind `token`; `everywhere` ends all of its agent's sessions.
pub async fn sign_out(app: &App, token: &str, everywhere: bool) -> Result<(), Error> {
    let Some((principal, agent)) = session(app, token).await? else {
        return Ok(());
    };
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let action = if everywhere {
        tx.end_sessions(agent.id, now).await?;
        Action::SignOutEverywhere
    } else {
        tx.end_session(&secret_hash(token), now).await?;
        Action::SignOut
    };
    tx.audit(&AuditEntry::agent(now, principal.agent(), action, agent.id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the password of the agent a set-password link names, using the link up.
pub async fn set_password(app: &App, link: &str, password: &str) -> Result<(), Error> {
    let now = app.clock.now();
    let hash = secret_hash(link);
    let agent = app.store.password_link(&hash, now).await?.ok_or(Error::NotFound)?;
    check_password(password)?;
    let password_hash = hash_password(password).await?;
    let mut tx = app.store.begin_write().await?;
    if !tx.use_password_link(&hash, now).await? {
        return Err(Error::NotFound);
    }
    tx.set_password(agent, &password_hash).await?;
    tx.end_sessions(agent, now).await?;
    tx.audit(&AuditEntry::agent(now, Some(agent), Action::PasswordSet, agent))
        .await?;
    tx.commit().await?;
    Ok(())
}
