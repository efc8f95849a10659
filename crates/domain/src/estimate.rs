//! The live estimate (SPEC §11): when a new case's first answer can be expected, from the work
//! ahead of it in its team's queue, how fast the team has been answering, and the calendar the
//! case's target runs on. Without a week of answers to go by, the estimate is the target itself:
//! a guess from nothing would be a promise nobody made.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::Calendar;

/// How far back the team's answering pace is read.
pub const LOOKBACK: Duration = Duration::days(7);
/// No estimate reaches further than this (a team that answered once in a week is no pace).
pub const HORIZON: Duration = Duration::days(60);

/// How fast a team answered: `answered` first responses over `working` time of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub answered: u64,
    pub working: Duration,
}

/// The first answer expected for a case created at `now`, with `ahead` unanswered cases before it
/// in its team's queue, at the team's `pace`, on `calendar`; `due` (its target) without a pace.
pub fn expected_first_response(
    now: DateTime<Utc>,
    ahead: u64,
    pace: Option<Pace>,
    calendar: &Calendar,
    due: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(pace) = pace.filter(|p| p.answered > 0 && p.working > Duration::zero()) else {
        return due;
    };
    // Each answer took this much working time; the case waits for those ahead and its own.
    let per_answer = pace.working.num_seconds() as f64 / pace.answered as f64;
    let wait = (per_answer * (ahead as f64 + 1.0)).min(HORIZON.num_seconds() as f64);
    let expected = calendar.add(now, Duration::seconds(wait.round() as i64));
    expected.min(now + HORIZON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn without_a_pace_the_target_is_the_estimate() {
        let now = at("2026-12-01T10:00:00Z");
        let due = at("2026-12-02T10:00:00Z");
        let always = Calendar::always();
        assert_eq!(expected_first_response(now, 5, None, &always, due), due);
        let none = Pace {
            answered: 0,
            working: Duration::hours(40),
        };
        assert_eq!(expected_first_response(now, 5, Some(none), &always, due), due);
    }

    #[test]
    fn the_wait_is_the_pace_times_the_cases_ahead_and_its_own() {
        let now = at("2026-12-01T10:00:00Z");
        let due = at("2026-12-09T10:00:00Z");
        // Ten answers in 40 working hours: four hours each; three ahead, so four turns.
        let pace = Pace {
            answered: 10,
            working: Duration::hours(40),
        };
        let always = Calendar::always();
        assert_eq!(
            expected_first_response(now, 3, Some(pace), &always, due),
            now + Duration::hours(16)
        );
    }

    #[test]
    fn the_wait_runs_on_the_calendar() {
        // Friday 22:00 on support days (weekdays): two hours on Friday, the third on Monday.
        let now = at("2026-12-04T22:00:00Z");
        let pace = Pace {
            answered: 1,
            working: Duration::hours(3),
        };
        let expected = expected_first_response(now, 0, Some(pace), &Calendar::support_days(), now);
        assert_eq!(expected, at("2026-12-07T01:00:00Z"));
    }

    proptest! {
        #[test]
        fn more_work_ahead_never_comes_sooner(ahead in 0u64..10_000, more in 1u64..1_000, answered in 1u64..500, hours in 1i64..200) {
            let now = at("2026-12-01T10:00:00Z");
            let pace = Some(Pace { answered, working: Duration::hours(hours) });
            let calendar = Calendar::support_days();
            let a = expected_first_response(now, ahead, pace, &calendar, now);
            let b = expected_first_response(now, ahead + more, pace, &calendar, now);
            prop_assert!(a <= b);
            prop_assert!(a >= now && b <= now + HORIZON);
        }
    }
}
