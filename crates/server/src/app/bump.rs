//! SPEC §4's reply bump, shared by every way a customer's reply arrives (mail, the status page).

use chrono::{DateTime, Utc};
use sportello_domain::triage::{due, reply_bump, Priority};

use super::{from_millis, millis, App};
use crate::store::{Bump, CaseState};

/// The priority a reply arriving `now` raises the case to, with the due times that follow; None
/// when the reply changes nothing (an agent has answered, a bump within 24 h, already the top).
pub fn bump_for_reply(app: &App, case: &CaseState, now: DateTime<Utc>) -> Option<(Priority, Bump)> {
    let category = app.catalog.category(&case.category)?;
    let current: Priority = case.priority.parse().unwrap_or(Priority::Normal);
    let raised = reply_bump(
        current,
        category.urgent_allowed,
        case.first_response_at.is_some(),
        case.last_bump_at.map(from_millis),
        now,
    )?;
    let moved = due(
        &app.catalog,
        category,
        &case.subcategory,
        raised,
        case.penalised,
        from_millis(case.created_at),
    );
    Some((
        raised,
        Bump {
            from: current.as_str().to_owned(),
            priority: raised.as_str().to_owned(),
            first_response_due: millis(moved.first_response_due),
            resolution_due: millis(moved.resolution_due),
        },
    ))
}
