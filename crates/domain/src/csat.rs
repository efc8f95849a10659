//! Customer satisfaction (SPEC §11): the resolution mail carries a good and a bad link; one
//! answer per case, with an optional comment, changeable for seven days after the resolution.

use chrono::{DateTime, Duration, Utc};

use crate::case::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rating {
    Good,
    Bad,
}

text_enum!(Rating, "rating", {
    Good => "good",
    Bad => "bad",
});

/// How long after a resolution its answer may be given or changed.
pub const CHANGEABLE_FOR: Duration = Duration::days(7);

/// A comment is a sentence or a paragraph, not a second request.
pub const COMMENT_MAX_CHARS: usize = 2_000;

/// Why an answer is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Reopened, or never resolved: there is nothing to rate yet.
    #[error("the case is not resolved")]
    NotResolved,
    #[error("answers are taken for {} days after the resolution", CHANGEABLE_FOR.num_days())]
    Expired,
    #[error("the comment is longer than {COMMENT_MAX_CHARS} characters")]
    CommentTooLong,
}

/// Whether a case in `status`, resolved at `resolved_at`, takes an answer (a new one or a
/// change) at `now`, with `comment`.
pub fn may_answer(
    status: Status,
    resolved_at: Option<DateTime<Utc>>,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let resolved_at = match (status, resolved_at) {
        (Status::Resolved | Status::Closed, Some(at)) => at,
        _ => return Err(Refused::NotResolved),
    };
    if now >= resolved_at + CHANGEABLE_FOR {
        return Err(Refused::Expired);
    }
    if comment.chars().count() > COMMENT_MAX_CHARS {
        return Err(Refused::CommentTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_answer_is_taken_for_seven_days_after_the_resolution() {
        let resolved = at("2026-12-01T10:00:00Z");
        assert_eq!(may_answer(Status::Resolved, Some(resolved), "", resolved), Ok(()));
        let last = at("2026-12-08T09:59:59Z");
        assert_eq!(may_answer(Status::Closed, Some(resolved), "thanks", last), Ok(()));
        let week = at("2026-12-08T10:00:00Z");
        assert_eq!(
            may_answer(Status::Resolved, Some(resolved), "", week),
            Err(Refused::Expired)
        );
    }

    #[test]
    fn an_open_case_takes_no_answer() {
        let now = at("2026-12-01T10:00:00Z");
        for status in Status::ALL.iter().filter(|s| s.is_open()) {
            assert_eq!(may_answer(*status, Some(now), "", now), Err(Refused::NotResolved));
        }
        assert_eq!(may_answer(Status::Resolved, None, "", now), Err(Refused::NotResolved));
        assert_eq!(
            may_answer(Status::Merged, Some(now), "", now),
            Err(Refused::NotResolved)
        );
    }

    proptest! {
        #[test]
        fn a_comment_is_taken_up_to_its_limit_in_characters(n in 0usize..3_000, c in prop::char::any()) {
            let now = at("2026-12-01T10:00:00Z");
            let comment: String = std::iter::repeat_n(c, n).collect();
            let taken = may_answer(Status::Resolved, Some(now), &comment, now).is_ok();
            prop_assert_eq!(taken, n <= COMMENT_MAX_CHARS);
        }
    }
}
