//! Accounts and teams (SPEC §6): add an agent (with a set-password link or a password), give them
//! an API token, disable them, add a team with what it owns. Each change is audited in its own
//! transaction. The command line acts as [`Principal::System`]; the admin pages as the admin.

use chrono::Duration;
use sportello_domain::access::{AgentId, Principal, Role, Scope, TeamId};
use sportello_domain::audit::Action;
use sportello_domain::contact::email::Email;

use super::conflict::Conflict;
use super::credentials::{check_password, hash_password, password_matches, secret_hash, Secret};
use super::{App, Error};
use crate::store::{AuditEntry, NewAgent, StoreError};

/// How long a set-password link works (SPEC §6).
pub const PASSWORD_LINK_VALID: Duration = Duration::days(7);

/// A new agent as an admin (or the command line) describes them.
#[derive(Debug, Clone)]
pub struct AgentInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Team names.
    pub teams: Vec<String>,
    /// None: a set-password link is made instead.
    pub password: Option<String>,
    /// Mail the link to the new agent (through the outbox) as well as returning it.
    pub mail_link: bool,
}

/// The agent made, and their set-password link when no password was given.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: AgentId,
    pub link: Option<String>,
}

pub(super) fn invalid(field: &str, code: sportello_domain::problem::ProblemCode) -> Error {
    Error::Invalid(vec![sportello_domain::problem::Problem::new(field, code)])
}

pub async fn add_agent(app: &App, by: &Principal, input: AgentInput) -> Result<Added, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let email: Email = input
        .email
        .parse()
        .map_err(|_| invalid("email", sportello_domain::problem::ProblemCode::EmailInvalid))?;
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return Err(invalid("name", sportello_domain::problem::ProblemCode::Required));
    }
    let teams = app.store.teams().await?;
    let mut team_ids = Vec::new();
    for wanted in &input.teams {
        let team = teams
            .iter()
            .find(|t| t.name == *wanted)
            .ok_or_else(|| Error::Conflict(Conflict::UnknownTeam(wanted.clone())))?;
        team_ids.push(team.id);
    }
    let password_hash = match &input.password {
        Some(p) => {
            check_password(p)?;
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let now = app.clock.now();
    let (email_for_mail, name_for_mail) = (email.clone(), name.clone());
    let mut tx = app.store.begin_write().await?;
    let id = tx
        .add_agent(&NewAgent {
            email,
            name,
            role: input.role,
            password_hash,
            language: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            at: now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => Error::Conflict(Conflict::EmailTaken),
            other => Error::Store(other),
        })?;
    for team in &team_ids {
        tx.add_member(*team, id).await?;
    }
    tx.audit(&AuditEntry::agent(now, by.agent(), Action::AgentCreated, id).change(None::<&str>, Some(input.role)))
        .await?;
    let link = if input.password.is_none() {
        let secret = Secret::generate();
        tx.add_password_link(id, &secret_hash(secret.as_str()), now, now + PASSWORD_LINK_VALID)
            .await?;
        Some(format!("{}/desk/password/{}", app.settings.public_url, secret.as_str()))
    } else {
        None
    };
    if let (Some(link), true) = (&link, input.mail_link) {
        let invitation = crate::events::OutboxEvent::Invitation(crate::events::Invitation {
            to: email_for_mail.clone(),
            name: name_for_mail.clone(),
            invited_by: match by {
                Principal::Agent(staff) => staff.name.clone(),
                Principal::System => "Sportello".to_owned(),
            },
            language: "en".to_owned(),
            link: Some(link.clone()),
        });
        let domain = app.settings.support_address.rsplit('@').next().unwrap_or("localhost");
        let nonce: u64 = rand::random();
        tx.enqueue_unbound(
            &invitation,
            &format!("<invitation.{}.{nonce:016x}@{domain}>", id.0),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if input.mail_link {
        app.outbox_wake.notify_one();
    }
    Ok(Added { id, link })
}

/// A new API token for the agent with `email`, shown once.
pub async fn issue_token(app: &App, by: &Principal, email: &str, scope: Scope, name: &str) -> Result<String, Error> {
    let agent = agent_named(app, email).await?;
    if by.agent() != Some(agent) {
        by.may_administer().map_err(|_| Error::Forbidden)?;
    }
    let secret = Secret::generate();
    let token = format!("sp_{}", secret.as_str());
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let id = tx.add_token(agent, name, scope, &secret_hash(&token), now).await?;
    tx.audit(
        &AuditEntry::agent(now, by.agent(), Action::TokenCreated, agent)
            .change(None::<&str>, Some(format!("{id} {scope}"))),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Disables the agent: their sessions and tokens stop at once (SPEC §6).
pub async fn disable_agent(app: &App, by: &Principal, email: &str) -> Result<bool, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let agent = agent_named(app, email).await?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let changed = tx.disable_agent(agent, now).await?;
    if changed {
        tx.audit(&AuditEntry::agent(now, by.agent(), Action::AgentDisabled, agent))
            .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

async fn agent_named(app: &App, email: &str) -> Result<AgentId, Error> {
    let email: Email = email.parse().map_err(|_| Error::NotFound)?;
    Ok(app.store.agent_by_email(&email).await?.ok_or(Error::NotFound)?.id)
}

/// A new team as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct TeamInput {
    pub name: String,
    /// `category` or `category/subcategory`, checked against the catalog.
    pub owns: Vec<String>,
    pub restricted: bool,
}

pub async fn add_team(app: &App, by: &Principal, input: TeamInput) -> Result<TeamId, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid("name", sportello_domain::problem::ProblemCode::Required));
    }
    let owns = catalog_parts(app, &input.owns)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let id = tx.add_team(name, input.restricted, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => Error::Conflict(Conflict::TeamTaken(name.to_owned())),
        other => Error::Store(other),
    })?;
    for (category, sub) in &owns {
        tx.own(id, category, sub).await?;
    }
    let mut entry = AuditEntry::new(now, by.agent(), Action::TeamCreated);
    entry.team = Some(id);
    entry.new_value = Some(team_words(name, input.restricted, &owns));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// What a team changes to: whether it is restricted, and what it takes over (ownership moves
/// from the team that had it, with that part's open cases; nothing is ever owned twice).
#[derive(Debug, Clone, Default)]
pub struct TeamChange {
    pub restricted: bool,
    pub takes: Vec<String>,
    /// How it hands out its cases and each agent's capacity (SPEC §8); `None`: as it is.
    pub assignment: Option<(sportello_domain::assignment::Mode, u32)>,
}

/// [`Ok(false)`] when nothing changed. One audit row with the team before and after.
pub async fn change_team(app: &App, by: &Principal, team: TeamId, change: TeamChange) -> Result<bool, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let before = app
        .store
        .teams()
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .ok_or(Error::NotFound)?;
    let takes: Vec<(String, String)> = catalog_parts(app, &change.takes)?
        .into_iter()
        .filter(|part| !before.owns.contains(part))
        .collect();
    let assignment = change.assignment.filter(|a| *a != (before.assignment, before.capacity));
    if takes.is_empty() && change.restricted == before.restricted && assignment.is_none() {
        return Ok(false);
    }
    let mut after = before.owns.clone();
    after.extend(takes.iter().cloned());
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.set_restricted(team, change.restricted).await?;
    if let Some((mode, capacity)) = assignment {
        tx.set_assignment(team, mode, capacity).await?;
    }
    for (category, sub) in &takes {
        tx.own(team, category, sub).await?;
    }
    let mut entry = AuditEntry::new(now, by.agent(), Action::TeamChanged);
    entry.team = Some(team);
    let (mode, capacity) = assignment.unwrap_or((before.assignment, before.capacity));
    entry.old_value = Some(format!(
        "{}; {} up to {}",
        team_words(&before.name, before.restricted, &before.owns),
        before.assignment,
        before.capacity
    ));
    entry.new_value = Some(format!(
        "{}; {mode} up to {capacity}",
        team_words(&before.name, change.restricted, &after)
    ));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// `category` or `category/subcategory` specs checked against the catalog, as (category, sub) with
/// '' for a whole category.
fn catalog_parts(app: &App, specs: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut parts = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (category, sub) = spec.split_once('/').unwrap_or((spec, ""));
        let Some(c) = app.catalog.category(category) else {
            return Err(Error::Conflict(Conflict::NotACategory(category.to_owned())));
        };
        if !sub.is_empty() && c.subcategory(sub).is_none() {
            return Err(Error::Conflict(Conflict::NotASubcategory {
                category: category.to_owned(),
                subcategory: sub.to_owned(),
            }));
        }
        let part = (category.to_owned(), sub.to_owned());
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    Ok(parts)
}

/// A team as the audit log shows it: `safety (restricted) owns security/support_scam`.
fn team_words(name: &str, restricted: bool, owns: &[(String, String)]) -> String {
    let parts: Vec<String> = owns
        .iter()
        .map(|(c, s)| if s.is_empty() { c.clone() } else { format!("{c}/{s}") })
        .collect();
    let restricted = if restricted { " (restricted)" } else { "" };
    format!("{name}{restricted} owns {}", parts.join(", "))
}

/// SPEC §6's default: one team per category. Each category that no team owns (in whole or in
/// part) gets a team of its own name; on a fresh desk that is all six.
pub async fn default_teams(app: &App) -> Result<(), Error> {
    let teams = app.store.teams().await?;
    for category in app.catalog.categories() {
        let owned = teams.iter().any(|t| t.owns.iter().any(|(c, _)| *c == category.id));
        let name_taken = teams.iter().any(|t| t.name == category.id);
        if owned || name_taken {
            continue;
        }
        let input = TeamInput {
            name: category.id.clone(),
            owns: vec![category.id.clone()],
            restricted: false,
        };
        match add_team(app, &Principal::System, input).await {
            // Another instance starting at the same moment made it.
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn agent_record(app: &App, agent: AgentId) -> Result<crate::store::AgentRecord, Error> {
    app.store.agent(agent).await?.ok_or(Error::NotFound)
}

/// An admin changes an agent's role and teams (SPEC §6); each change is audited.
pub async fn set_role_and_teams(
    app: &App,
    by: &Principal,
    agent: AgentId,
    role: Role,
    teams: Vec<TeamId>,
) -> Result<bool, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let before = agent_record(app, agent).await?;
    let known = app.store.teams().await?;
    if let Some(unknown) = teams.iter().find(|t| !known.iter().any(|k| k.id == **t)) {
        return Err(Error::Conflict(Conflict::UnknownTeam(unknown.0.to_string())));
    }
    let mut teams = teams;
    teams.sort();
    teams.dedup();
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let mut changed = false;
    if before.role != role {
        tx.set_role(agent, role).await?;
        tx.audit(&AuditEntry::agent(now, by.agent(), Action::AgentRole, agent).change(Some(before.role), Some(role)))
            .await?;
        changed = true;
    }
    if before.teams != teams {
        tx.set_teams(agent, &teams).await?;
        let ids = |t: &[TeamId]| t.iter().map(|t| t.0.to_string()).collect::<Vec<_>>().join(",");
        tx.audit(
            &AuditEntry::agent(now, by.agent(), Action::AgentTeams, agent)
                .change(Some(ids(&before.teams)), Some(ids(&teams))),
        )
        .await?;
        changed = true;
    }
    tx.commit().await?;
    Ok(changed)
}

/// An agent's skills (SPEC §8): the languages they answer in and the sub-categories they know,
/// each narrowing what assignment gives them; empty lists mean any. Sub-categories are checked
/// against the catalog.
pub async fn set_skills(
    app: &App,
    by: &Principal,
    agent: AgentId,
    languages: &str,
    subcategories: &str,
) -> Result<bool, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let before = agent_record(app, agent).await?;
    let mut langs: Vec<String> = Vec::new();
    for l in languages
        .split(',')
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
    {
        if !(2..=8).contains(&l.len()) || !l.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            return Err(invalid(
                "languages",
                sportello_domain::problem::ProblemCode::FieldFormat,
            ));
        }
        if !langs.contains(&l) {
            langs.push(l);
        }
    }
    let specs: Vec<String> = subcategories.split(',').map(|s| s.trim().to_owned()).collect();
    let mut subs = Vec::new();
    for (category, sub) in catalog_parts(app, &specs)? {
        if sub.is_empty() {
            return Err(Error::Conflict(Conflict::NotASubcategory {
                category: category.clone(),
                subcategory: String::new(),
            }));
        }
        subs.push(format!("{category}/{sub}"));
    }
    if before.languages == langs && before.subcategories == subs {
        return Ok(false);
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.set_skills(agent, &langs, &subs).await?;
    let words = |l: &[String], s: &[String]| format!("languages {}; sub-categories {}", l.join(","), s.join(","));
    tx.audit(&AuditEntry::agent(now, by.agent(), Action::AgentSkills, agent).change(
        Some(words(&before.languages, &before.subcategories)),
        Some(words(&langs, &subs)),
    ))
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An agent's own name, language and time zone (the profile page).
pub async fn set_profile(app: &App, who: &Principal, name: &str, language: &str, time_zone: &str) -> Result<(), Error> {
    let me = who.agent().ok_or(Error::Forbidden)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", sportello_domain::problem::ProblemCode::Required));
    }
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(invalid(
            "time_zone",
            sportello_domain::problem::ProblemCode::FieldFormat,
        ));
    }
    let language = crate::i18n::Lang::negotiate([language]).code();
    let before = agent_record(app, me).await?;
    let words = |n: &str, l: &str, z: &str| format!("{n}; {l}; {z}");
    let mut tx = app.store.begin_write().await?;
    tx.set_profile(me, name, &language, time_zone).await?;
    tx.audit(
        &AuditEntry::agent(app.clock.now(), Some(me), Action::AgentProfile, me).change(
            Some(words(&before.name, &before.language, &before.time_zone)),
            Some(words(name, &language, time_zone)),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An agent pauses their own intake, or says they are out of office (SPEC §8); going out of
/// office may hand their open cases back, to be assigned to someone else. Audited: the agent's
/// row, and each case let go.
pub async fn set_away(
    app: &App,
    who: &Principal,
    paused: bool,
    out_of_office: bool,
    hand_back: bool,
) -> Result<usize, Error> {
    let me = who.agent().ok_or(Error::Forbidden)?;
    let before = agent_record(app, me).await?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.set_away(me, paused, out_of_office).await?;
    let words = |p: bool, o: bool| format!("paused {p}, out of office {o}");
    tx.audit(&AuditEntry::agent(now, Some(me), Action::AgentAway, me).change(
        Some(words(before.paused, before.out_of_office)),
        Some(words(paused, out_of_office)),
    ))
    .await?;
    let mut handed = 0;
    if out_of_office && hand_back {
        for ticket in tx.hand_back(me, sportello_domain::sla::QueueKey::open_below()).await? {
            let mut entry = AuditEntry::case(now, Some(me), Action::CaseAssigned, ticket);
            entry.old_value = Some(format!("agent {} team 0", me.0));
            entry.new_value = Some("agent 0 team 0".to_owned());
            tx.audit(&entry).await?;
            handed += 1;
        }
    }
    tx.commit().await?;
    Ok(handed)
}

/// An agent changes their own password: the current one first; every other session ends.
pub async fn change_password(app: &App, who: &Principal, current: &str, new: &str) -> Result<(), Error> {
    let me = who.agent().ok_or(Error::Forbidden)?;
    let record = agent_record(app, me).await?;
    if !password_matches(current, record.password_hash.as_deref()).await {
        return Err(invalid(
            "current_password",
            sportello_domain::problem::ProblemCode::FieldFormat,
        ));
    }
    check_password(new)?;
    let hash = hash_password(new).await?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.set_password(me, &hash).await?;
    tx.audit(&AuditEntry::agent(now, Some(me), Action::PasswordSet, me))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes one of the agent's own tokens.
pub async fn revoke_token(app: &App, who: &Principal, token: i64) -> Result<bool, Error> {
    let me = who.agent().ok_or(Error::Forbidden)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let revoked = tx.revoke_token(me, token, now).await?;
    if revoked {
        tx.audit(&AuditEntry::agent(now, Some(me), Action::TokenRevoked, me).change(None::<&str>, Some(token)))
            .await?;
    }
    tx.commit().await?;
    Ok(revoked)
}
