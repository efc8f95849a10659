//! A case's service-level clock (SPEC §4, §7): where its two targets stand, which due time comes
//! next, where it goes in the queue, and how a pause moves the resolution target.
//!
//! First response is judged by the first public agent reply, resolution by the resolution; a
//! case that waits on the customer (`pending_customer`) stops its resolution clock, and the time it
//! waited (in the calendar's working time) is added to the resolution target when it moves again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::Status;
use crate::triage::Priority;

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Not done yet, not overdue, counting.
    Running,
    /// Not done yet, not counting: the case waits on the customer.
    Paused,
    /// Done in time, or the case ended before the target was due.
    Met,
    /// Done late, or overdue now.
    Breached,
}

text_enum!(ClockState, "clock state", {
    Running => "running",
    Paused => "paused",
    Met => "met",
    Breached => "breached",
});

/// What the clock needs to know of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub status: Status,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// The first public agent reply.
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Since when the resolution clock stands still (the case entered `pending_customer`).
    pub paused_since: Option<DateTime<Utc>>,
}

impl Timers {
    /// The case is over (resolved, closed or merged): its clocks stand still for good.
    fn ended(&self) -> bool {
        !self.status.is_open()
    }

    pub fn first_response(&self, now: DateTime<Utc>) -> ClockState {
        match self.first_response_at {
            Some(at) => judged(at, self.first_response_due),
            // Ended without a public reply: resolved in silence is judged at the resolution; a
            // merged duplicate missed nothing.
            None if self.ended() => self
                .resolved_at
                .map_or(ClockState::Met, |at| judged(at, self.first_response_due)),
            None if now > self.first_response_due => ClockState::Breached,
            None => ClockState::Running,
        }
    }

    pub fn resolution(&self, now: DateTime<Utc>) -> ClockState {
        match (self.resolved_at, self.paused_since) {
            (Some(at), _) if self.ended() => judged(at, self.resolution_due),
            _ if self.ended() => ClockState::Met,
            // Waiting on the customer: a target missed before the wait stays missed.
            _ if self.waiting() => ClockState::Paused,
            // Waiting, but the target was missed before the wait began.
            (_, Some(_)) if self.status.pauses_resolution() => ClockState::Breached,
            _ if now > self.resolution_due => ClockState::Breached,
            _ => ClockState::Running,
        }
    }

    /// The target the desk works towards now: first response until the first public reply, then
    /// resolution; None once the case is over.
    pub fn current(&self, now: DateTime<Utc>) -> Option<(Target, ClockState)> {
        if self.ended() {
            return None;
        }
        Some(match self.first_response_at {
            None => (Target::FirstResponse, self.first_response(now)),
            Some(_) => (Target::Resolution, self.resolution(now)),
        })
    }

    /// The due time of [`Timers::current`]'s target (SPEC §7's queue order).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        if self.ended() {
            return None;
        }
        Some(match self.first_response_at {
            None => self.first_response_due,
            Some(_) => self.resolution_due,
        })
    }

    /// The clock once the case moves to `to` at `at`: resolving stops it and reopening starts it
    /// again (SPEC §4); waiting on the customer pauses resolution, and the wait moves the target
    /// when the case moves on.
    pub fn moved(self, to: Status, at: DateTime<Utc>, calendar: &Calendar) -> Timers {
        let mut t = self;
        if let Some(since) = self.paused_since.filter(|_| !to.pauses_resolution()) {
            t.resolution_due = resumed(self.resolution_due, since, at, calendar);
            t.paused_since = None;
        }
        if to.pauses_resolution() && t.paused_since.is_none() {
            t.paused_since = Some(at);
        }
        if to == Status::Resolved {
            t.resolved_at = Some(at);
        } else if to.is_open() {
            t.resolved_at = None;
        }
        t.status = to;
        t
    }

    /// Waiting on the customer with its resolution clock standing still (a target missed before
    /// the wait stays missed, and is not "paused").
    fn waiting(&self) -> bool {
        self.status.pauses_resolution() && self.paused_since.is_some_and(|since| since <= self.resolution_due)
    }

    /// Where the case goes in the queue (SPEC §7): running clocks before paused ones, then by next
    /// due time, then by priority; `tie` (the case's sequence) decides the rest. Ended cases last.
    /// A case waiting on the customer before any public reply still owes its first response, so it
    /// stays among the running ones.
    pub fn queue_key(&self, priority: Priority, tie: u64) -> QueueKey {
        let band = if self.ended() {
            Band::Ended
        } else if self.first_response_at.is_some() && self.waiting() {
            Band::Paused
        } else {
            Band::Running
        };
        QueueKey {
            band,
            due: self.next_due().unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            priority,
            tie,
        }
    }
}

/// Which of a case's two targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
    Resolution,
}

text_enum!(Target, "target", {
    FirstResponse => "first_response",
    Resolution => "resolution",
});

/// A case's place in the queue: compare keys to sort (smallest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    band: Band,
    /// The next due time; the epoch for ended cases (they sort among themselves by priority).
    due: DateTime<Utc>,
    priority: Priority,
    tie: u64,
}

/// The queue's three bands, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Band {
    Running,
    Paused,
    Ended,
}

/// Bits of [`QueueKey::position`] below the band: the due time in milliseconds (enough until the
/// year 3000) above two bits of priority.
const DUE_SHIFT: u32 = 2;
const BAND_SHIFT: u32 = 57;

impl QueueKey {
    /// The key without its tie as one number whose order is the key's: what the store indexes, so
    /// the queue, its views and its pages are one index range each (the tie is the case's id, the
    /// index's second column).
    pub fn position(&self) -> i64 {
        let band = match self.band {
            Band::Running => 0,
            Band::Paused => 1,
            Band::Ended => 2,
        };
        let due = self
            .due
            .timestamp_millis()
            .clamp(0, (1 << (BAND_SHIFT - DUE_SHIFT)) - 1);
        let priority = match self.priority {
            Priority::Urgent => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        };
        (band << BAND_SHIFT) | (due << DUE_SHIFT) | priority
    }

    /// A case is open (not resolved, closed or merged) exactly when its position is below this:
    /// the open queue is one range of the index.
    pub fn open_below() -> i64 {
        2 << BAND_SHIFT
    }

    /// Every open case with a position below this one is overdue at `now` on its current target:
    /// running, and due before `now`.
    pub fn overdue_below(now: DateTime<Utc>) -> i64 {
        QueueKey {
            band: Band::Running,
            due: now,
            priority: Priority::Urgent,
            tie: 0,
        }
        .position()
    }
}

fn judged(done_at: DateTime<Utc>, due: DateTime<Utc>) -> ClockState {
    if done_at <= due {
        ClockState::Met
    } else {
        ClockState::Breached
    }
}

/// The resolution target once a pause that began at `paused_since` ends at `now`: moved by the
/// working time the case waited, on the calendar its targets run on (FH#1675: a target that is
/// not moved after a pause breaches for time nobody could work).
pub fn resumed(
    resolution_due: DateTime<Utc>,
    paused_since: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> DateTime<Utc> {
    let waited = calendar.working_between(paused_since, now);
    if waited <= chrono::Duration::zero() {
        return resolution_due;
    }
    calendar.add(resolution_due, waited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn open(first_response_due: DateTime<Utc>, resolution_due: DateTime<Utc>) -> Timers {
        Timers {
            status: Status::Open,
            first_response_due,
            resolution_due,
            first_response_at: None,
            resolved_at: None,
            paused_since: None,
        }
    }

    #[test]
    fn first_response_runs_until_answered_or_overdue() {
        let t = open(at(2, 12), at(4, 12));
        assert_eq!(t.first_response(at(2, 11)), ClockState::Running);
        assert_eq!(t.first_response(at(2, 12)), ClockState::Running, "due is not yet late");
        assert_eq!(t.first_response(at(2, 13)), ClockState::Breached);
        let answered = Timers {
            first_response_at: Some(at(2, 10)),
            ..t
        };
        assert_eq!(answered.first_response(at(9, 0)), ClockState::Met, "met stays met");
        let late = Timers {
            first_response_at: Some(at(2, 14)),
            ..t
        };
        assert_eq!(late.first_response(at(2, 15)), ClockState::Breached, "late stays late");
    }

    #[test]
    fn the_current_target_is_first_response_then_resolution() {
        let t = open(at(2, 12), at(4, 12));
        assert_eq!(t.current(at(2, 0)), Some((Target::FirstResponse, ClockState::Running)));
        assert_eq!(t.next_due(), Some(at(2, 12)));
        let answered = Timers {
            first_response_at: Some(at(2, 10)),
            ..t
        };
        assert_eq!(
            answered.current(at(2, 11)),
            Some((Target::Resolution, ClockState::Running))
        );
        assert_eq!(answered.next_due(), Some(at(4, 12)));
        assert_eq!(
            answered.current(at(5, 0)),
            Some((Target::Resolution, ClockState::Breached))
        );
    }

    #[test]
    fn waiting_on_the_customer_pauses_resolution_but_keeps_a_breach() {
        let t = Timers {
            status: Status::PendingCustomer,
            first_response_at: Some(at(2, 10)),
            paused_since: Some(at(3, 0)),
            ..open(at(2, 12), at(4, 12))
        };
        // Past the stored due time, but the clock stands still: not a breach (CW#10178's inverse).
        assert_eq!(t.resolution(at(9, 0)), ClockState::Paused);
        let already_late = Timers {
            paused_since: Some(at(5, 0)),
            ..t
        };
        assert_eq!(already_late.resolution(at(9, 0)), ClockState::Breached);
    }

    #[test]
    fn a_resolved_case_stops_its_clocks() {
        let resolved = Timers {
            status: Status::Resolved,
            first_response_at: Some(at(2, 10)),
            resolved_at: Some(at(3, 0)),
            ..open(at(2, 12), at(4, 12))
        };
        // Long after the due time, the timer does not run on after the resolve (CW#10178).
        assert_eq!(resolved.resolution(at(20, 0)), ClockState::Met);
        assert_eq!(resolved.current(at(20, 0)), None);
        assert_eq!(resolved.next_due(), None);
        let late = Timers {
            resolved_at: Some(at(5, 0)),
            ..resolved
        };
        assert_eq!(late.resolution(at(20, 0)), ClockState::Breached);
        // Merged before its first answer was due: nothing was missed.
        let merged = Timers {
            status: Status::Merged,
            resolved_at: Some(at(2, 1)),
            ..open(at(2, 12), at(4, 12))
        };
        assert_eq!(merged.first_response(at(20, 0)), ClockState::Met);
    }

    #[test]
    fn a_pause_moves_the_resolution_target_by_the_working_time_waited() {
        let always = Calendar::always();
        assert_eq!(resumed(at(4, 12), at(3, 0), at(3, 6), &always), at(4, 18));
        assert_eq!(resumed(at(4, 12), at(3, 6), at(3, 6), &always), at(4, 12), "no wait");
        // Support days: a wait over the weekend costs nothing. Friday 4 Dec 12:00 to Monday 7 Dec
        // 00:00 waits 12 working hours; due Monday 12:00 moves to Tuesday 00:00.
        let days = Calendar::support_days();
        assert_eq!(resumed(at(7, 12), at(4, 12), at(7, 0), &days), at(8, 0));
    }

    #[test]
    fn moving_a_case_starts_stops_and_pauses_its_clock() {
        let always = Calendar::always();
        let answered = Timers {
            first_response_at: Some(at(2, 10)),
            ..open(at(2, 12), at(4, 12))
        };
        let waiting = answered.moved(Status::PendingCustomer, at(3, 0), &always);
        assert_eq!(
            (waiting.status, waiting.paused_since),
            (Status::PendingCustomer, Some(at(3, 0)))
        );
        assert_eq!(waiting.resolution_due, at(4, 12), "the target moves when the wait ends");
        let back = waiting.moved(Status::Open, at(3, 8), &always);
        assert_eq!((back.paused_since, back.resolution_due), (None, at(4, 20)));
        let resolved = back.moved(Status::Resolved, at(4, 0), &always);
        assert_eq!(resolved.resolved_at, Some(at(4, 0)));
        let reopened = resolved.moved(Status::Open, at(5, 0), &always);
        assert_eq!(reopened.resolved_at, None);
        let closed = resolved.moved(Status::Closed, at(11, 0), &always);
        assert_eq!(closed.resolved_at, Some(at(4, 0)), "closing keeps when it was resolved");
        // Resolved while waiting: the wait ends too.
        let done = waiting.moved(Status::Resolved, at(3, 4), &always);
        assert_eq!((done.paused_since, done.resolution_due), (None, at(4, 16)));
    }

    #[test]
    fn the_queue_puts_running_before_paused_then_soonest_due_then_priority() {
        let soon = open(at(2, 6), at(4, 0));
        let later = open(at(2, 9), at(4, 0));
        let paused = Timers {
            status: Status::PendingCustomer,
            first_response_at: Some(at(1, 0)),
            paused_since: Some(at(1, 12)),
            ..open(at(1, 6), at(2, 1))
        };
        let done = Timers {
            status: Status::Resolved,
            resolved_at: Some(at(1, 0)),
            ..open(at(1, 6), at(1, 7))
        };
        let mut keys = [
            (done.queue_key(Priority::Urgent, 1), "done"),
            (paused.queue_key(Priority::Urgent, 2), "paused"),
            (later.queue_key(Priority::Urgent, 3), "later"),
            (soon.queue_key(Priority::Low, 4), "soon, low"),
            (soon.queue_key(Priority::High, 5), "soon, high"),
            (soon.queue_key(Priority::High, 6), "soon, high, newer"),
        ];
        keys.sort();
        let order: Vec<_> = keys.iter().map(|(_, name)| *name).collect();
        assert_eq!(
            order,
            [
                "soon, high",
                "soon, high, newer",
                "soon, low",
                "later",
                "paused",
                "done"
            ]
        );
    }

    fn status() -> impl Strategy<Value = Status> {
        (0..Status::ALL.len()).prop_map(|i| Status::ALL[i])
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..60 * 24).prop_map(|minutes| at(1, 0) + Duration::minutes(minutes * 30))
    }

    fn priority() -> impl Strategy<Value = Priority> {
        prop::sample::select(Priority::ALL.to_vec())
    }

    fn timers() -> impl Strategy<Value = Timers> {
        (
            status(),
            instant(),
            instant(),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
            proptest::option::of(instant()),
        )
            .prop_map(|(status, frd, rd, answered, resolved, paused)| Timers {
                status,
                first_response_due: frd,
                resolution_due: rd,
                first_response_at: answered,
                resolved_at: resolved,
                paused_since: paused,
            })
    }

    proptest! {
        /// Whatever the history, a target done is never Running or Paused, an open case always has
        /// a next due time, and only a waiting case is paused.
        #[test]
        fn states_agree_with_the_history(
            status in status(), frd in instant(), rd in instant(), now in instant(),
            answered in proptest::option::of(instant()), resolved in proptest::option::of(instant()),
            paused in proptest::option::of(instant()),
        ) {
            let t = Timers { status, first_response_due: frd, resolution_due: rd, first_response_at: answered, resolved_at: resolved, paused_since: paused };
            if answered.is_some() {
                prop_assert!(matches!(t.first_response(now), ClockState::Met | ClockState::Breached));
            }
            prop_assert_eq!(t.next_due().is_some(), status.is_open());
            if t.resolution(now) == ClockState::Paused {
                prop_assert!(status.pauses_resolution());
            }
            if let Some((_, ClockState::Running)) = t.current(now) {
                prop_assert!(now <= t.next_due().unwrap_or(now));
            }
        }

        /// The stored position orders cases exactly as the key does (ties aside), and a case is
        /// below the overdue bound exactly when its current target is breached now.
        #[test]
        fn positions_order_as_keys_and_bound_the_overdue(
            a in timers(), b in timers(), pa in priority(), pb in priority(), now in instant(),
        ) {
            // A history lies in the past of the instant it is judged at.
            let past = |t: Option<DateTime<Utc>>| t.map(|t| t.min(now));
            let a = Timers {
                paused_since: past(a.paused_since),
                first_response_at: past(a.first_response_at),
                resolved_at: past(a.resolved_at),
                ..a
            };
            let (ka, kb) = (a.queue_key(pa, 0), b.queue_key(pb, 0));
            prop_assert_eq!(ka.cmp(&kb), ka.position().cmp(&kb.position()));
            prop_assert_eq!(a.status.is_open(), ka.position() < QueueKey::open_below());
            let overdue = matches!(a.current(now), Some((_, ClockState::Breached)));
            prop_assert_eq!(overdue, ka.position() < QueueKey::overdue_below(now), "{:?} at {}", a, now);
        }

        /// A pause never brings the target forward, and costs at most the time waited.
        #[test]
        fn resuming_never_moves_the_target_earlier(due in instant(), since in instant(), now in instant()) {
            let always = Calendar::always();
            let moved = resumed(due, since, now, &always);
            prop_assert!(moved >= due);
            prop_assert!(moved - due <= (now - since).max(Duration::zero()));
        }
    }
}
