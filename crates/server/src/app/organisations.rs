//! Business accounts (SPEC §10), the admin's side: organisations with their name, verified mark,
//! the e-mail domains and phones that identify their people, a monthly free quota and the time
//! zone its months are counted in; and the month's list of cases beyond the quota, for billing.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sportello_domain::access::Principal;
use sportello_domain::audit::Action;
use sportello_domain::contact::phone::Phone;
use sportello_domain::organisation::{self, month_of};
use sportello_domain::problem::{Problem, ProblemCode};

use super::conflict::Conflict;
use super::{App, Error};
use crate::store::{AuditEntry, Organisation, OrganisationId, OrganisationRecord, OverQuotaRow, StoreError};

/// SPEC §10's default free quota: cases a month before they are flagged.
pub const DEFAULT_QUOTA: i64 = 3;
const MAX_NAME_CHARS: usize = 200;
const MAX_QUOTA: i64 = 1_000_000;

/// An organisation as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct OrganisationInput {
    pub name: String,
    pub verified: bool,
    pub domains: Vec<String>,
    pub phones: Vec<String>,
    /// None: [`DEFAULT_QUOTA`].
    pub monthly_quota: Option<i64>,
    /// An IANA zone (`Europe/Rome`); None: UTC.
    pub time_zone: Option<String>,
}

fn admin(who: &Principal) -> Result<(), Error> {
    who.may_administer().map_err(|_| Error::Forbidden)
}

pub async fn list(app: &App, who: &Principal) -> Result<Vec<OrganisationRecord>, Error> {
    who.may_read_settings().map_err(|_| Error::Forbidden)?;
    Ok(app.store.organisations().await?)
}

/// The input as it is kept, or every problem with it at once.
fn checked(input: OrganisationInput) -> Result<Organisation, Error> {
    let mut problems = Vec::new();
    let name = super::named(&input.name, MAX_NAME_CHARS, &mut problems);
    let mut domains = Vec::new();
    for text in input.domains.iter().filter(|d| !d.trim().is_empty()) {
        match organisation::domain(text) {
            Some(d) if !domains.contains(&d) => domains.push(d),
            Some(_) => {}
            None => problems.push(Problem::new("domains", ProblemCode::FieldFormat)),
        }
    }
    let mut phones: Vec<Phone> = Vec::new();
    for text in input.phones.iter().filter(|p| !p.trim().is_empty()) {
        match Phone::parse(text, None) {
            Ok(p) if !phones.contains(&p) => phones.push(p),
            Ok(_) => {}
            Err(_) => problems.push(Problem::new("phones", ProblemCode::PhoneInvalid)),
        }
    }
    let monthly_quota = input.monthly_quota.unwrap_or(DEFAULT_QUOTA);
    if !(0..=MAX_QUOTA).contains(&monthly_quota) {
        problems.push(Problem::new("monthly_quota", ProblemCode::FieldFormat));
    }
    let time_zone = match input.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
        None => Some(Tz::UTC),
        Some(z) => z.parse::<Tz>().ok(),
    };
    if time_zone.is_none() {
        problems.push(Problem::new("time_zone", ProblemCode::FieldFormat));
    }
    match time_zone {
        Some(time_zone) if problems.is_empty() => Ok(Organisation {
            name,
            verified: input.verified,
            domains,
            phones,
            monthly_quota,
            time_zone,
        }),
        _ => Err(Error::Invalid(problems)),
    }
}

fn taken(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(_) => Error::Conflict(Conflict::OrganisationTaken),
        other => Error::Store(other),
    }
}

/// The organisation as the audit log keeps it.
fn audit_words(o: &Organisation) -> String {
    let phones: Vec<&str> = o.phones.iter().map(Phone::as_str).collect();
    serde_json::json!({
        "name": o.name, "verified": o.verified, "domains": o.domains, "phones": phones,
        "monthly_quota": o.monthly_quota, "time_zone": o.time_zone.name(),
    })
    .to_string()
}

pub async fn add(app: &App, by: &Principal, input: OrganisationInput) -> Result<OrganisationId, Error> {
    admin(by)?;
    let o = checked(input)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let id = tx.add_organisation(&o, now).await.map_err(taken)?;
    tx.audit(
        &AuditEntry::new(now, by.agent(), Action::OrganisationCreated).change(None::<&str>, Some(audit_words(&o))),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes it anew (its cases keep how they stood when they came); false when nothing changed.
pub async fn change(app: &App, by: &Principal, id: OrganisationId, input: OrganisationInput) -> Result<bool, Error> {
    admin(by)?;
    let before = app.store.organisation(id).await?.ok_or(Error::NotFound)?;
    let o = checked(input)?;
    if o == before.organisation {
        return Ok(false);
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.change_organisation(id, &o, now).await.map_err(taken)? {
        return Err(Error::NotFound);
    }
    let entry = AuditEntry::new(now, by.agent(), Action::OrganisationChanged)
        .change(Some(audit_words(&before.organisation)), Some(audit_words(&o)));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn remove(app: &App, by: &Principal, id: OrganisationId) -> Result<(), Error> {
    admin(by)?;
    let before = app.store.organisation(id).await?.ok_or(Error::NotFound)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.remove_organisation(id, now).await? {
        return Err(Error::NotFound);
    }
    tx.audit(
        &AuditEntry::new(now, by.agent(), Action::OrganisationRemoved)
            .change(Some(audit_words(&before.organisation)), None::<&str>),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The month's list for billing (Sportello takes no payments): every organisation's cases beyond
/// its quota in the calendar month `YYYY-MM`, each counted in its own time zone, by name.
pub async fn over_quota(app: &App, who: &Principal, month: &str) -> Result<Vec<OverQuotaRow>, Error> {
    who.may_read_settings().map_err(|_| Error::Forbidden)?;
    // The middle of the month is in that month in every time zone.
    let middle = chrono::NaiveDate::parse_from_str(&format!("{}-15", month.trim()), "%Y-%m-%d")
        .ok()
        .filter(|_| month.trim().len() == 7)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .ok_or_else(|| Error::Invalid(vec![Problem::new("month", ProblemCode::FieldFormat)]))?;
    let middle: DateTime<Utc> = middle.and_utc();
    let mut rows = Vec::new();
    for org in app.store.organisations().await? {
        let (from, to) = month_of(middle, org.organisation.time_zone);
        rows.extend(app.store.over_quota(org.id, from, to).await?);
    }
    Ok(rows)
}
