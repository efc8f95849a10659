//! The life of a case (SPEC §4, §7): the statuses it moves through and which moves are allowed,
//! who wrote each entry of its timeline, and the channel it came in by. The store keeps these as
//! their `as_str` text and refuses a value it does not know rather than guessing one.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest text an agent writes: a reply, a note, a canned reply's text.
pub const MAX_TEXT_CHARS: usize = 20_000;

pub use crate::text_enum::UnknownValue;

/// Where a case stands (SPEC §4): `new` → `open` → `pending_customer` ⇄ `open` → `resolved` →
/// `closed`; `needs_info` while a case opened by mail waits for the phone and device it could not
/// give; `merged` once an agent folds it into another case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    NeedsInfo,
    Open,
    PendingCustomer,
    Resolved,
    Closed,
    Merged,
}

text_enum!(Status, "status", {
    New => "new",
    NeedsInfo => "needs_info",
    Open => "open",
    PendingCustomer => "pending_customer",
    Resolved => "resolved",
    Closed => "closed",
    Merged => "merged",
});

/// SPEC §4: a resolved case closes this long after its resolution, and a customer's message
/// within that time reopens it.
pub const REOPEN_WINDOW: Duration = Duration::days(7);

impl Status {
    /// Still being worked on: a new request from the same contact joins it (SPEC §3.3).
    pub const fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Merged)
    }

    /// The statuses that are not open, for queries that must leave them out.
    pub const ENDED: [Status; 3] = [Status::Resolved, Status::Closed, Status::Merged];

    /// The resolution clock stands still: the case waits on the customer (SPEC §4).
    pub const fn pauses_resolution(self) -> bool {
        matches!(self, Status::PendingCustomer)
    }

    /// Whether SPEC §4's life cycle (and the desk's actions of §7) allow this move.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        match (self, to) {
            (from, to) if from == to => false,
            (Closed | Merged, _) => false,
            (_, Merged) => true,
            (New | NeedsInfo, Open | PendingCustomer | Resolved) => true,
            (NeedsInfo, New) => true,
            (Open, PendingCustomer | Resolved) => true,
            (PendingCustomer, Open | Resolved) => true,
            (Resolved, Open | Closed) => true,
            _ => false,
        }
    }

    /// Whether a customer's follow-up (mail, status page) still joins the case at `now`: not
    /// closed or merged, and resolved, if at all, within [`REOPEN_WINDOW`].
    pub fn accepts_follow_up(self, resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match self {
            Status::Closed | Status::Merged => false,
            _ => resolved_at.is_none_or(|at| now - at <= REOPEN_WINDOW),
        }
    }

    /// The status a customer's follow-up leaves the case in: one waiting on them, or resolved,
    /// is open again (SPEC §4); any other stays where it is.
    pub fn after_customer_message(self) -> Status {
        match self {
            Status::PendingCustomer | Status::Resolved => Status::Open,
            other => other,
        }
    }

    /// A case opened by mail waits (`needs_info`) until it has a phone and a device; then it is
    /// `new`, as if it had come in complete.
    pub fn once_contact_known(self, has_phone: bool, has_device: bool) -> Status {
        match self {
            Status::NeedsInfo if has_phone && has_device => Status::New,
            other => other,
        }
    }
}

/// Who wrote an entry of a case's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Customer,
    Agent,
    System,
}

text_enum!(Author, "author", {
    Customer => "customer",
    Agent => "agent",
    System => "system",
});

/// Where a case came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Api,
    Email,
}

text_enum!(Channel, "channel", {
    Web => "web",
    Api => "api",
    Email => "email",
});

impl Channel {
    /// The form and the API ask back before a case exists; a mail cannot, so the required fields
    /// it lacks wait for later (SPEC §5).
    pub fn can_ask_back(self) -> bool {
        !matches!(self, Channel::Email)
    }
}

/// What the queue marks on a case's row (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    NeedsInfo,
    UrgencyStrike,
    EditedScreenshot,
    RepeatedScreenshot,
    PossibleScam,
    Undeliverable,
    Masked,
    /// Beyond its organisation's monthly free quota (SPEC §10).
    OverQuota,
}

text_enum!(Flag, "flag", {
    NeedsInfo => "needs_info",
    UrgencyStrike => "urgency_strike",
    EditedScreenshot => "edited_screenshot",
    RepeatedScreenshot => "repeated_screenshot",
    PossibleScam => "possible_scam",
    Undeliverable => "undeliverable",
    Masked => "masked",
    OverQuota => "over_quota",
});

impl Flag {
    /// A case's flags, from its status, its strike, what intake warned of, whether its address
    /// bounces and whether it is beyond its organisation's quota; in a fixed order.
    pub fn of(
        status: Status,
        penalised: bool,
        warnings: &[crate::problem::Warning],
        undeliverable: bool,
        over_quota: bool,
    ) -> Vec<Flag> {
        use crate::problem::WarningCode as W;
        let warned = |code: W| warnings.iter().any(|w| w.code == code);
        let mut flags = Vec::new();
        if status == Status::NeedsInfo || warned(W::MissingRecommended) {
            flags.push(Flag::NeedsInfo);
        }
        if penalised {
            flags.push(Flag::UrgencyStrike);
        }
        if warned(W::AttachmentEdited) {
            flags.push(Flag::EditedScreenshot);
        }
        if warned(W::AttachmentRepeated) {
            flags.push(Flag::RepeatedScreenshot);
        }
        if warned(W::PossibleScamReport) {
            flags.push(Flag::PossibleScam);
        }
        if undeliverable {
            flags.push(Flag::Undeliverable);
        }
        if warned(W::SensitiveDataMasked) {
            flags.push(Flag::Masked);
        }
        if over_quota {
            flags.push(Flag::OverQuota);
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn every_value_reads_back_from_its_text_and_unknown_text_is_an_error() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
            assert_eq!(serde_json_text(s), format!("\"{s}\""));
        }
        for a in Author::ALL {
            assert_eq!(a.as_str().parse::<Author>(), Ok(*a));
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(*c));
        }
        let e = "pending".parse::<Status>().unwrap_err();
        assert_eq!(e.to_string(), "`pending` is not a known status");
        assert!(
            "Open".parse::<Status>().is_err(),
            "case matters: the store writes lower case"
        );
    }

    /// The text serde writes for a value, without a JSON crate in the domain.
    fn serde_json_text(s: &Status) -> String {
        format!("\"{}\"", s.as_str())
    }

    #[test]
    fn the_life_cycle_of_spec_4() {
        use Status::*;
        let path = [New, Open, PendingCustomer, Open, Resolved, Closed];
        for pair in path.windows(2) {
            assert!(pair[0].can_become(pair[1]), "{} → {}", pair[0], pair[1]);
        }
        assert!(NeedsInfo.can_become(New));
        assert!(Resolved.can_become(Open), "a reopen");
        for to in Status::ALL {
            assert!(!Closed.can_become(*to), "closed is final");
            assert!(!Merged.can_become(*to), "merged is final");
        }
        assert!(!New.can_become(Closed), "closed only after resolved");
        assert!(!Open.can_become(New));
        assert!(!Resolved.can_become(PendingCustomer));
    }

    #[test]
    fn open_means_not_ended() {
        for s in Status::ALL {
            assert_eq!(s.is_open(), !Status::ENDED.contains(s), "{s}");
        }
        assert_eq!(
            Status::ALL.iter().filter(|s| s.pauses_resolution()).collect::<Vec<_>>(),
            [&Status::PendingCustomer]
        );
    }

    #[test]
    fn a_follow_up_reopens_within_seven_days_of_resolution() {
        let resolved = at(1, 12);
        let now = resolved + REOPEN_WINDOW;
        assert!(Status::Resolved.accepts_follow_up(Some(resolved), now));
        assert!(!Status::Resolved.accepts_follow_up(Some(resolved), now + Duration::seconds(1)));
        assert!(Status::Open.accepts_follow_up(None, now));
        assert!(!Status::Closed.accepts_follow_up(None, now));
        assert!(!Status::Merged.accepts_follow_up(None, now));
        assert_eq!(Status::Resolved.after_customer_message(), Status::Open);
        assert_eq!(Status::PendingCustomer.after_customer_message(), Status::Open);
        assert_eq!(Status::New.after_customer_message(), Status::New);
        assert_eq!(Status::NeedsInfo.after_customer_message(), Status::NeedsInfo);
    }

    #[test]
    fn a_mailed_case_is_new_once_phone_and_device_are_known() {
        assert_eq!(Status::NeedsInfo.once_contact_known(true, true), Status::New);
        assert_eq!(Status::NeedsInfo.once_contact_known(true, false), Status::NeedsInfo);
        assert_eq!(Status::NeedsInfo.once_contact_known(false, true), Status::NeedsInfo);
        assert_eq!(Status::Open.once_contact_known(true, true), Status::Open);
    }

    proptest! {
        /// Every move the follow-up rules make is one the life cycle allows.
        #[test]
        fn follow_up_moves_are_allowed_moves(i in 0..Status::ALL.len(), phone: bool, device: bool) {
            let s = Status::ALL[i];
            for next in [s.after_customer_message(), s.once_contact_known(phone, device)] {
                prop_assert!(next == s || s.can_become(next), "{} → {}", s, next);
            }
        }
    }
}
