//! Triage and service levels (SPEC §4): which priority a case gets, and when it is due.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::catalog::{Catalog, Category, Targets};
use crate::organisation::Business;
use crate::problem::{Warning, WarningCode};
use crate::request::ValidRequest;

/// Most urgent first, so `Ord` sorts a queue the way agents should work it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

text_enum!(Priority, "priority", {
    Urgent => "urgent",
    High => "high",
    Normal => "normal",
    Low => "low",
});

impl Priority {
    /// One step more urgent; `urgent` only where the category allows it.
    pub fn raised(self, urgent_allowed: bool) -> Priority {
        match self {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High if urgent_allowed => Priority::Urgent,
            other => other,
        }
    }
}

/// When a case must have its first public answer, and when it must be solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Due {
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
}

/// What changes a case's targets besides its category and priority: a recent strike (SPEC §4) and
/// the contact's organisation (SPEC §10). Kept with the case, so recomputed due times agree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub penalised: bool,
    pub business: Option<Business>,
}

/// The service level of one case: its targets and the calendar they run on.
pub fn due(
    catalog: &Catalog,
    category: &Category,
    subcategory: &str,
    priority: Priority,
    standing: Standing,
    created: DateTime<Utc>,
) -> Due {
    let policy = catalog.triage();
    let targets = if is_urgent(category, priority) {
        policy.urgent
    } else {
        let base = category
            .subcategory(subcategory)
            .and_then(|s| s.targets)
            .unwrap_or(category.targets);
        let factor = match priority {
            Priority::High => policy.high_factor,
            Priority::Low => policy.low_factor,
            Priority::Urgent | Priority::Normal => 1.0,
        };
        base.scaled(factor)
    };
    let calendar = calendar(catalog, category, priority);
    let targets: Targets = if standing.penalised {
        targets.scaled(policy.strike_factor)
    } else {
        targets
    };
    let targets = match standing.business {
        Some(Business::Verified) => targets.scaled(policy.verified_factor),
        Some(Business::Unverified) => targets.scaled(policy.unverified_factor),
        None => targets,
    };
    Due {
        first_response_due: calendar.add(created, targets.first_response),
        resolution_due: calendar.add(created, targets.resolution),
    }
}

/// `urgent` counts only where the category allows it (SPEC §4).
fn is_urgent(category: &Category, priority: Priority) -> bool {
    priority == Priority::Urgent && category.urgent_allowed
}

/// The calendar a case's targets run on: `urgent` on the urgent clock, the rest on the category's.
pub fn calendar<'a>(catalog: &'a Catalog, category: &'a Category, priority: Priority) -> &'a Calendar {
    if is_urgent(category, priority) {
        &catalog.triage().urgent_calendar
    } else {
        &category.calendar
    }
}

/// What the desk knows about the contact from earlier cases, read in the intake transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// A refused urgency claim within the strike window (SPEC §4: targets × 1.2).
    pub recent_strike: bool,
    /// One of the attachments was already sent twice or more by this contact (SPEC §3.2).
    pub repeated_attachment: bool,
    /// The contact is one of an organisation's people (SPEC §10).
    pub business: Option<Business>,
}

/// The outcome of triage for a new case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub priority: Priority,
    pub due: Due,
    /// Targets were stretched for a recent strike.
    pub penalised: bool,
    /// This case earns the contact a strike (urgency asked where it is not allowed).
    pub strike: bool,
    /// The request's warnings plus those that need the contact's history.
    pub warnings: Vec<Warning>,
}

/// Decides the priority and due times of a valid request.
///
/// Precedence, strongest first: urgent (asked, and allowed) › a scam report (`high`) › missing
/// recommended information or repeated screenshots (`low`) › `normal`.
pub fn triage(
    catalog: &Catalog,
    category: &Category,
    request: &ValidRequest,
    history: History,
    created: DateTime<Utc>,
) -> Triage {
    let mut warnings = request.warnings.clone();
    if history.repeated_attachment {
        warnings.push(Warning::on(WarningCode::AttachmentRepeated, "attachments"));
    }
    let has = |code| warnings.iter().any(|w: &Warning| w.code == code);
    let strike = request.urgent_requested && !category.urgent_allowed;
    let priority = if request.urgent_requested && category.urgent_allowed {
        Priority::Urgent
    } else if has(WarningCode::PossibleScamReport) {
        Priority::High
    } else if lowered(
        has(WarningCode::MissingRecommended),
        has(WarningCode::AttachmentRepeated),
    ) {
        Priority::Low
    } else {
        Priority::Normal
    };
    let standing = Standing {
        penalised: history.recent_strike,
        business: history.business,
    };
    let due = due(catalog, category, &request.subcategory, priority, standing, created);
    Triage {
        priority,
        due,
        penalised: history.recent_strike,
        strike,
        warnings,
    }
}

/// Why triage lowers a case to `low` (SPEC §3.2): recommended information is missing, or the
/// contact sent these screenshots before.
fn lowered(missing_recommended: bool, repeated_attachment: bool) -> bool {
    missing_recommended || repeated_attachment
}

/// SPEC §3.2: a `low` case goes back to `normal` once nothing recommended is missing, unless it is
/// also low for repeated screenshots (one of the case's `warnings`).
pub fn restored(current: Priority, still_missing: bool, warnings: &[Warning]) -> Option<Priority> {
    let repeated = warnings.iter().any(|w| w.code == WarningCode::AttachmentRepeated);
    (current == Priority::Low && !lowered(still_missing, repeated)).then_some(Priority::Normal)
}

/// SPEC §4: a reply raises the priority at most once in this long.
pub const BUMP_WINDOW: Duration = Duration::hours(24);

/// SPEC §4: a customer reply to a case with no agent reply yet raises its priority one step, at most
/// once in [`BUMP_WINDOW`]. Returns the new priority, or None when the reply changes nothing.
pub fn reply_bump(
    current: Priority,
    urgent_allowed: bool,
    agent_has_replied: bool,
    last_bump: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Priority> {
    if agent_has_replied || last_bump.is_some_and(|at| now - at < BUMP_WINDOW) {
        return None;
    }
    let raised = current.raised(urgent_allowed);
    (raised != current).then_some(raised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    fn due_of(category: &str, sub: &str, p: Priority, penalised: bool, created: DateTime<Utc>) -> Due {
        let catalog = Catalog::builtin();
        let c = catalog.category(category).unwrap();
        let standing = Standing {
            penalised,
            business: None,
        };
        due(&catalog, c, sub, p, standing, created)
    }

    #[test]
    fn business_cases_are_faster_when_verified_and_slower_when_not() {
        // The seed: 4 h instead of 6 h for a verified business; 40 % longer before verification.
        let catalog = Catalog::builtin();
        let c = catalog.category("payments").unwrap();
        let created = at(2026, 12, 1, 10);
        let first = |business| {
            let standing = Standing {
                penalised: false,
                business,
            };
            due(&catalog, c, "refund", Priority::Urgent, standing, created).first_response_due - created
        };
        assert_eq!(first(None), Duration::hours(6));
        assert_eq!(
            first(Some(Business::Verified)),
            Duration::seconds((6.0 * 3600.0 * 0.67) as i64)
        );
        assert_eq!(
            first(Some(Business::Unverified)),
            Duration::seconds((6.0 * 3600.0 * 1.4_f64).round() as i64)
        );
    }

    #[test]
    fn spec_example_friday_evening_messages_case_is_due_monday_evening() {
        let d = due_of("messages", "send_failed", Priority::Normal, false, at(2026, 11, 27, 20));
        assert_eq!(d.first_response_due, at(2026, 11, 30, 20));
        // 48 h of support days: Monday 20:00 + 24 h = Tuesday 20:00.
        assert_eq!(d.resolution_due, at(2026, 12, 1, 20));
    }

    #[test]
    fn security_runs_on_the_always_clock() {
        let d = due_of(
            "security",
            "account_stolen",
            Priority::Normal,
            false,
            at(2026, 11, 28, 10),
        );
        assert_eq!(d.first_response_due, at(2026, 11, 28, 16));
        assert_eq!(d.resolution_due, at(2026, 11, 29, 10));
    }

    #[test]
    fn subcategory_targets_replace_the_categorys() {
        // account/banned is 24 h / 120 h; Monday 08:00 + 24 h = Tuesday 08:00.
        let d = due_of("account", "banned", Priority::Normal, false, at(2026, 11, 23, 8));
        assert_eq!(d.first_response_due, at(2026, 11, 24, 8));
        let d = due_of("account", "cannot_log_in", Priority::Normal, false, at(2026, 11, 23, 8));
        assert_eq!(d.first_response_due, at(2026, 11, 23, 20));
    }

    #[test]
    fn high_is_three_quarters_and_low_one_and_a_half() {
        let created = at(2026, 11, 23, 0);
        assert_eq!(
            due_of("messages", "delayed", Priority::High, false, created).first_response_due,
            at(2026, 11, 23, 18)
        );
        assert_eq!(
            due_of("messages", "delayed", Priority::Low, false, created).first_response_due,
            at(2026, 11, 24, 12)
        );
    }

    #[test]
    fn urgent_is_six_and_twelve_hours_on_the_always_clock() {
        // Saturday: payments runs on support days, but urgent runs on the always clock.
        let d = due_of("payments", "refund", Priority::Urgent, false, at(2026, 11, 28, 10));
        assert_eq!(d.first_response_due, at(2026, 11, 28, 16));
        assert_eq!(d.resolution_due, at(2026, 11, 28, 22));
    }

    #[test]
    fn a_strike_stretches_targets_by_a_fifth() {
        let d = due_of(
            "security",
            "account_stolen",
            Priority::Normal,
            true,
            at(2026, 11, 28, 10),
        );
        assert_eq!(d.first_response_due, at(2026, 11, 28, 10) + Duration::minutes(6 * 72));
    }

    #[test]
    fn christmas_does_not_count() {
        // Wednesday 23 Dec 2026 20:00 + 24 h: 24, 25, 26 (Sat), 27 (Sun) are off → Monday 28 Dec 20:00.
        let d = due_of("messages", "delayed", Priority::Normal, false, at(2026, 12, 23, 20));
        assert_eq!(d.first_response_due, at(2026, 12, 28, 20));
    }

    #[test]
    fn priorities_raise_one_step_and_cap() {
        assert_eq!(Priority::Low.raised(false), Priority::Normal);
        assert_eq!(Priority::Normal.raised(false), Priority::High);
        assert_eq!(Priority::High.raised(false), Priority::High);
        assert_eq!(Priority::High.raised(true), Priority::Urgent);
        assert_eq!(Priority::Urgent.raised(true), Priority::Urgent);
        assert!(Priority::Urgent < Priority::High && Priority::Normal < Priority::Low);
        for &p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>(), Ok(p));
        }
    }

    #[test]
    fn low_for_missing_information_only_is_restored_to_normal() {
        let repeated = [Warning::on(WarningCode::AttachmentRepeated, "attachments")];
        let missing = [Warning::on(WarningCode::MissingRecommended, "amount")];
        assert_eq!(restored(Priority::Low, false, &missing), Some(Priority::Normal));
        assert_eq!(restored(Priority::Low, true, &missing), None, "still missing");
        assert_eq!(restored(Priority::Low, false, &repeated), None, "low for repeats too");
        assert_eq!(restored(Priority::High, false, &missing), None, "not low");
    }

    #[test]
    fn reply_bump_once_in_24_hours_and_only_before_an_agent_reply() {
        let now = at(2026, 11, 24, 12);
        assert_eq!(
            reply_bump(Priority::Normal, false, false, None, now),
            Some(Priority::High)
        );
        assert_eq!(reply_bump(Priority::Normal, false, true, None, now), None);
        assert_eq!(
            reply_bump(Priority::Normal, false, false, Some(now - Duration::hours(23)), now),
            None
        );
        assert_eq!(
            reply_bump(Priority::Normal, false, false, Some(now - Duration::hours(24)), now),
            Some(Priority::High)
        );
        assert_eq!(reply_bump(Priority::High, false, false, None, now), None);
    }
}
