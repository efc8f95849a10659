//! Canned replies (SPEC §7): admins write them, global or for one team, a text per language;
//! agents pick one in the reply box and get it filled in for the case, in the customer's language.
//! A placeholder that is not one of the five is refused when saved.

use std::collections::BTreeMap;

use sportello_domain::access::{Principal, TeamId};
use sportello_domain::audit::Action;
use sportello_domain::canned::{self, Placeholder};
use sportello_domain::case::{Status, MAX_TEXT_CHARS};
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::triage::Priority;

use super::access::{staff, Intent, StaffAccess};
use super::conflict::Conflict;
use super::{App, Error};
use crate::store::{AuditEntry, Canned, CannedId, CannedRecord, StoreError};

/// Longest name accepted.
const MAX_NAME_CHARS: usize = 100;

/// The statuses a reply may leave its case in: working on it, waiting on the customer, done.
const AFTER_STATUSES: [Status; 3] = [Status::Open, Status::PendingCustomer, Status::Resolved];

/// The language a text falls back to when a customer's has none.
const FALLBACK_LANGUAGE: &str = "en";

/// The canned replies `who` may use anywhere: every global one and their teams' (an admin's: all).
pub async fn usable(app: &App, who: &Principal) -> Result<Vec<CannedRecord>, Error> {
    let all = app.store.canned_replies().await?;
    Ok(all.into_iter().filter(|c| may_use(who, c.canned.team)).collect())
}

fn may_use(who: &Principal, team: Option<TeamId>) -> bool {
    team.is_none_or(|team| who.sees_everything() || who.is_in(team))
}

/// Offered on the case `access` reads: a global canned reply, or one of the team that owns it.
fn offered_on(c: &CannedRecord, access: &StaffAccess) -> bool {
    c.canned.team.is_none() || c.canned.team == access.case().team
}

/// The canned replies offered on a case.
pub fn for_case(all: Vec<CannedRecord>, access: &StaffAccess) -> Vec<CannedRecord> {
    all.into_iter().filter(|c| offered_on(c, access)).collect()
}

/// A canned reply filled in for one case: the text the reply box gets, and what it will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub id: CannedId,
    pub name: String,
    pub language: String,
    pub body: String,
    pub set_status: Option<Status>,
    pub set_priority: Option<Priority>,
}

/// The canned reply `id` as `who` would send it on `case` (see [`filled`]).
pub async fn fill(app: &App, who: &Principal, case: &str, id: CannedId) -> Result<Filled, Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    let record = offered_one(app, &access, id).await?.ok_or(Error::NotFound)?;
    filled(app, who, &access, record).ok_or(Error::NotFound)
}

/// A canned reply offered on the case `access` reads, as `who` would send it there: the
/// customer's language picks the text, and every placeholder but `{status_url}` is filled now
/// (the link is made, with a fresh token, only when the reply goes, so no token is ever kept in
/// a message). None for one without texts.
pub fn filled(app: &App, who: &Principal, access: &StaffAccess, record: CannedRecord) -> Option<Filled> {
    let c = access.case();
    let (language, text) = canned::text_for(&record.canned.texts, &c.language, FALLBACK_LANGUAGE)?;
    let missing = super::missing::missing_fields(app, c);
    let body = canned::fill(text, |p| match p {
        Placeholder::CustomerName => Some(c.name.clone().unwrap_or_default()),
        Placeholder::CaseNumber => Some(access.number().to_string()),
        Placeholder::AgentName => Some(who.name().to_owned()),
        Placeholder::MissingFields => Some(missing.iter().map(|m| format!("- {m}")).collect::<Vec<_>>().join("\n")),
        Placeholder::StatusUrl => None,
    });
    Some(Filled {
        id: record.id,
        language: language.to_owned(),
        body,
        name: record.canned.name,
        set_status: record.canned.set_status,
        set_priority: record.canned.set_priority,
    })
}

/// The canned reply `id`, if it is one offered on the case `access` reads.
pub async fn offered_one(app: &App, access: &StaffAccess, id: CannedId) -> Result<Option<CannedRecord>, Error> {
    Ok(app.store.canned(id).await?.filter(|c| offered_on(c, access)))
}

/// A canned reply as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct CannedInput {
    pub name: String,
    pub team: Option<TeamId>,
    /// Language → text.
    pub texts: BTreeMap<String, String>,
    pub set_status: Option<Status>,
    pub set_priority: Option<Priority>,
}

/// The input as it is kept, or every problem with it at once.
fn checked(teams: &[crate::store::TeamRecord], input: CannedInput) -> Result<Canned, Error> {
    let mut problems = Vec::new();
    let name = super::named(&input.name, MAX_NAME_CHARS, &mut problems);
    let mut texts = BTreeMap::new();
    for (language, text) in input.texts {
        let language = language.trim().to_ascii_lowercase();
        let field = format!("texts.{language}");
        let text = text.trim().to_owned();
        if !is_language_tag(&language) {
            problems.push(Problem::new(field, ProblemCode::FieldFormat));
            continue;
        }
        if text.is_empty() {
            // An empty text is no text: the language falls back to another.
            continue;
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            problems.push(Problem::new(field.clone(), ProblemCode::TooLong));
        }
        for unknown in canned::unknown_placeholders(&text) {
            let problem = Problem::new(field.clone(), ProblemCode::UnknownPlaceholder);
            problems.push(match canned::suggestion(&unknown) {
                Some(s) => problem.with_suggestion(s),
                None => problem,
            });
        }
        texts.insert(language, text);
    }
    if texts.is_empty() && !problems.iter().any(|p| p.field.starts_with("texts")) {
        problems.push(Problem::new("texts", ProblemCode::Required));
    }
    if input.set_status.is_some_and(|s| !AFTER_STATUSES.contains(&s)) {
        problems.push(Problem::new("set_status", ProblemCode::FieldFormat));
    }
    if let Some(team) = input.team {
        if !teams.iter().any(|t| t.id == team) {
            return Err(Error::Conflict(Conflict::UnknownTeam(team.0.to_string())));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(Canned {
        name,
        team: input.team,
        texts,
        set_status: input.set_status,
        set_priority: input.set_priority,
    })
}

/// `en`, `it`, `pt-br`: a primary language of 2–3 letters and optional subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn taken(name: &str) -> impl FnOnce(StoreError) -> Error + '_ {
    move |e| match e {
        StoreError::Conflict(_) => Error::Conflict(Conflict::CannedTaken(name.to_owned())),
        other => Error::Store(other),
    }
}

/// The canned reply as the audit log keeps it, before and after a change.
fn audit_words(canned: &Canned) -> String {
    serde_json::to_string(canned).unwrap_or_default()
}

pub async fn add(app: &App, by: &Principal, input: CannedInput) -> Result<CannedId, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let canned = checked(&app.store.teams().await?, input)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let id = tx.add_canned(&canned, now).await.map_err(taken(&canned.name))?;
    let mut entry =
        AuditEntry::new(now, by.agent(), Action::CannedCreated).change(None::<&str>, Some(audit_words(&canned)));
    entry.team = canned.team;
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes the canned reply anew; [`Ok(false)`] when nothing changed.
pub async fn change(app: &App, by: &Principal, id: CannedId, input: CannedInput) -> Result<bool, Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let before = app.store.canned(id).await?.ok_or(Error::NotFound)?;
    let canned = checked(&app.store.teams().await?, input)?;
    if canned == before.canned {
        return Ok(false);
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.change_canned(id, &canned, now).await.map_err(taken(&canned.name))? {
        return Err(Error::NotFound);
    }
    let mut entry = AuditEntry::new(now, by.agent(), Action::CannedChanged)
        .change(Some(audit_words(&before.canned)), Some(audit_words(&canned)));
    entry.team = canned.team.or(before.canned.team);
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn remove(app: &App, by: &Principal, id: CannedId) -> Result<(), Error> {
    by.may_administer().map_err(|_| Error::Forbidden)?;
    let before = app.store.canned(id).await?.ok_or(Error::NotFound)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.remove_canned(id, now).await? {
        return Err(Error::NotFound);
    }
    let mut entry =
        AuditEntry::new(now, by.agent(), Action::CannedRemoved).change(Some(audit_words(&before.canned)), None::<&str>);
    entry.team = before.canned.team;
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_language_tag;

    #[test]
    fn language_tags() {
        for ok in ["en", "it", "pt-br", "zh-hant-tw", "gsw"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "EN", "en-", "en_us", "en-toolongsubtag", "1a"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
