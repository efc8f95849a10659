//! What one case goes through inside a use case's transaction: a new status (as SPEC §4 allows
//! it, its clock moved) and a new priority (its due times counted again), each with its audit
//! row. The verbs that cause them (a reply, a status or priority change) share these.

use chrono::{DateTime, Utc};
use sportello_domain::access::Principal;
use sportello_domain::audit::Action;
use sportello_domain::case::Status;
use sportello_domain::triage::{self, due, Priority};

use super::access::StaffAccess;
use super::conflict::Conflict;
use super::{App, Error};
use crate::store::{AuditEntry, PriorityChange, WriteTx};

/// Moves the case to `to` (if it is not there already and SPEC §4 allows it), with its audit row.
pub async fn move_to(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    to: Status,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let c = access.case();
    if c.status == to {
        return Ok(false);
    }
    if !c.status.can_become(to) {
        return Err(Error::Conflict(Conflict::Transition { from: c.status, to }));
    }
    let calendar = app
        .catalog
        .category(&c.category)
        .map_or(&app.catalog.triage().urgent_calendar, |cat| {
            triage::calendar(&app.catalog, cat, c.priority)
        });
    if !tx
        .move_status(c.id, c.status, &c.timers().moved(to, now, calendar), now)
        .await?
    {
        return Err(Error::Conflict(Conflict::Stale));
    }
    tx.audit(&AuditEntry::case(now, who.agent(), Action::CaseStatus, c.id).change(Some(c.status), Some(to)))
        .await?;
    if to == Status::Resolved {
        super::csat::mail_resolution(app, tx, access, who, now).await?;
    }
    Ok(true)
}

/// Whether the case's category allows `to` (urgent only where it says so, SPEC §7).
pub fn priority_allowed(app: &App, c: &crate::store::Case, to: Priority) -> Result<(), Error> {
    let category = app
        .catalog
        .category(&c.category)
        .ok_or_else(|| Error::Conflict(Conflict::CategoryGone(c.category.clone())))?;
    if to == Priority::Urgent && !category.urgent_allowed {
        return Err(Error::Conflict(Conflict::NeverUrgent(c.category.clone())));
    }
    Ok(())
}

/// Gives the case priority `to`, its due times counted again from its creation, with its audit
/// row and `reason`; false when it had it already. The caller checked [`priority_allowed`].
pub async fn reprioritise(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    to: Priority,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let c = access.case();
    if c.priority == to {
        return Ok(false);
    }
    let category = app
        .catalog
        .category(&c.category)
        .ok_or_else(|| Error::Conflict(Conflict::CategoryGone(c.category.clone())))?;
    let change = PriorityChange {
        from: c.priority,
        to,
        due: due(&app.catalog, category, &c.subcategory, to, c.standing(), c.created_at),
    };
    if !tx.change_priority(c.id, &change).await? {
        return Err(Error::Conflict(Conflict::Stale));
    }
    let mut entry = AuditEntry::case(now, who.agent(), Action::CasePriority, c.id).change(Some(c.priority), Some(to));
    entry.new_value = Some(format!("{to}: {reason}"));
    tx.audit(&entry).await?;
    Ok(true)
}
