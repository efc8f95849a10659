//! Why a change cannot be made in the state things are in (HTTP 409). Each reason is a message,
//! `conflict-<reason>`, in every language the desk speaks; API clients read the stable `reason`.

use std::fmt;

use sportello_domain::case::Status;

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Someone else changed the case between reading and writing it.
    Stale,
    /// The case's status does not allow this action.
    CaseIs(Status),
    Transition {
        from: Status,
        to: Status,
    },
    /// A merge names its target: it has its own verb.
    MergeInstead,
    SelfMerge,
    SelfLink,
    TargetIs(Status),
    NothingMissing,
    CategoryGone(String),
    NeverUrgent(String),
    /// The agent is unknown, disabled or may not see the case: one answer, so an agent's
    /// existence or teams cannot be probed through assignment.
    AgentCannotTake,
    UnknownTeam(String),
    TeamTaken(String),
    EmailTaken,
    NotACategory(String),
    NotASubcategory {
        category: String,
        subcategory: String,
    },
    NoAuthenticatorPending,
    /// The reply is no longer held: it has gone, or was undone.
    NotHeld,
    /// A customer message or reply arrived after the one the writer had seen (SPEC §7).
    NewerEntry,
    /// A live canned reply has this name already.
    CannedTaken(String),
    /// The canned reply is not one offered on this case (another team's, or removed).
    CannedNotHere,
    /// Another organisation has this name, or one of these domains or phones (SPEC §10).
    OrganisationTaken,
    /// The case's resolution is more than a week old: its answer stands as it was (SPEC §11).
    RatingClosed,
}

impl Conflict {
    /// The stable name API clients can act on.
    pub fn reason(&self) -> &'static str {
        match self {
            Conflict::Stale => "stale",
            Conflict::CaseIs(_) => "case_status",
            Conflict::Transition { .. } => "transition",
            Conflict::MergeInstead => "merge_instead",
            Conflict::SelfMerge => "self_merge",
            Conflict::SelfLink => "self_link",
            Conflict::TargetIs(_) => "target_status",
            Conflict::NothingMissing => "nothing_missing",
            Conflict::CategoryGone(_) => "category_gone",
            Conflict::NeverUrgent(_) => "never_urgent",
            Conflict::AgentCannotTake => "agent_cannot_take",
            Conflict::UnknownTeam(_) => "unknown_team",
            Conflict::TeamTaken(_) => "team_taken",
            Conflict::EmailTaken => "email_taken",
            Conflict::NotACategory(_) => "not_a_category",
            Conflict::NotASubcategory { .. } => "not_a_subcategory",
            Conflict::NoAuthenticatorPending => "no_authenticator_pending",
            Conflict::NotHeld => "not_held",
            Conflict::NewerEntry => "newer_entry",
            Conflict::CannedTaken(_) => "canned_taken",
            Conflict::CannedNotHere => "canned_not_here",
            Conflict::OrganisationTaken => "organisation_taken",
            Conflict::RatingClosed => "rating_closed",
        }
    }

    /// The reason in `lang`, statuses by the desk's labels for them.
    pub fn message(&self, lang: &Lang) -> String {
        let status = |s: &Status| lang.message(&format!("desk-status-{s}"), &[]);
        let args: Vec<(&'static str, String)> = match self {
            Conflict::CaseIs(s) | Conflict::TargetIs(s) => vec![("status", status(s))],
            Conflict::Transition { from, to } => vec![("from", status(from)), ("to", status(to))],
            Conflict::CategoryGone(c) | Conflict::NeverUrgent(c) | Conflict::NotACategory(c) => {
                vec![("category", c.clone())]
            }
            Conflict::UnknownTeam(t) | Conflict::TeamTaken(t) => vec![("team", t.clone())],
            Conflict::CannedTaken(n) => vec![("name", n.clone())],
            Conflict::NotASubcategory { category, subcategory } => {
                vec![("category", category.clone()), ("subcategory", subcategory.clone())]
            }
            _ => Vec::new(),
        };
        lang.message(&format!("conflict-{}", self.reason()), &args)
    }

    /// One of each, for the test that every language has every message.
    #[cfg(test)]
    pub fn examples() -> Vec<Conflict> {
        let s = || "x".to_owned();
        vec![
            Conflict::Stale,
            Conflict::CaseIs(Status::Closed),
            Conflict::Transition {
                from: Status::Closed,
                to: Status::New,
            },
            Conflict::MergeInstead,
            Conflict::SelfMerge,
            Conflict::SelfLink,
            Conflict::TargetIs(Status::Merged),
            Conflict::NothingMissing,
            Conflict::CategoryGone(s()),
            Conflict::NeverUrgent(s()),
            Conflict::AgentCannotTake,
            Conflict::UnknownTeam(s()),
            Conflict::TeamTaken(s()),
            Conflict::EmailTaken,
            Conflict::NotACategory(s()),
            Conflict::NotASubcategory {
                category: s(),
                subcategory: s(),
            },
            Conflict::NoAuthenticatorPending,
            Conflict::NotHeld,
            Conflict::NewerEntry,
            Conflict::CannedTaken(s()),
            Conflict::CannedNotHere,
            Conflict::OrganisationTaken,
            Conflict::RatingClosed,
        ]
    }
}

/// In English, for logs and the command line.
impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(&Lang::english()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_worded_in_every_language_with_its_arguments() {
        for c in Conflict::examples() {
            let (en, it) = (c.message(&Lang::english()), c.message(&Lang::negotiate(["it"])));
            assert_ne!(en, it, "{} not translated", c.reason());
        }
        for lang in Lang::available() {
            for c in Conflict::examples() {
                let text = c.message(&lang);
                let key = format!("conflict-{}", c.reason());
                assert_ne!(text, key, "{} lacks {key}", lang.code());
                assert!(!text.contains("desk-status-"), "{text}");
                // Every argument given is used: a message that drops the team's name says less.
                if matches!(c, Conflict::UnknownTeam(_) | Conflict::NotASubcategory { .. }) {
                    assert!(text.contains('x'), "{key} in {}: {text}", lang.code());
                }
            }
        }
    }
}
