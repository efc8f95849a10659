//! Business accounts (SPEC §10): organisations whose people are known by their e-mail domain or
//! phone number, a monthly free quota counted in the organisation's own calendar month, and the
//! service levels of business cases — faster for verified organisations, slower for the rest.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::contact::email::Email;
use crate::contact::phone::Phone;

/// How a case's contact stands as a business customer: it changes the case's targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Business {
    /// The organisation is verified (the seed's blue tick): targets × 0.67 by default.
    Verified,
    /// An organisation not verified yet: targets × 1.4 by default.
    Unverified,
}

text_enum!(Business, "business standing", {
    Verified => "verified",
    Unverified => "unverified",
});

impl Business {
    pub fn of(verified: bool) -> Business {
        if verified {
            Business::Verified
        } else {
            Business::Unverified
        }
    }
}

/// An e-mail domain as organisations list it: lower case, no leading `@`, at least one dot, and
/// no public mailbox provider (a rule on `gmail.com` would make every Gmail user a business).
pub fn domain(text: &str) -> Option<String> {
    let d = text.trim().trim_start_matches('@').trim_end_matches('.').to_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let fine = d.len() <= 253 && d.contains('.') && d.split('.').all(label_ok);
    (fine && !PUBLIC_MAIL.contains(&d.as_str())).then_some(d)
}

/// Mailbox providers anyone can sign up to: never an organisation's domain.
const PUBLIC_MAIL: [&str; 16] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.it",
    "live.com",
    "live.it",
    "yahoo.com",
    "yahoo.it",
    "icloud.com",
    "me.com",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "alice.it",
    "proton.me",
];

/// Whether a contact is one of an organisation's people: its address is at one of the domains
/// (or a sub-domain of one), or its phone is one of the numbers.
pub fn recognises(domains: &[String], phones: &[Phone], email: &Email, phone: Option<&Phone>) -> bool {
    let at = email.domain().to_lowercase();
    let by_domain = domains
        .iter()
        .any(|d| at == *d || at.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.')));
    by_domain || phone.is_some_and(|p| phones.contains(p))
}

/// The calendar month, in `tz`, that `at` falls in: its first instant and the next month's, in UTC.
pub fn month_of(at: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = at.with_timezone(&tz);
    let first = |year: i32, month: u32| {
        let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
        // Midnight exists on the first of every month in every zone chrono-tz knows, except where
        // a zone skipped it: then the month starts at the first instant after the gap.
        let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        loop {
            match tz.from_local_datetime(&t) {
                LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => return x.with_timezone(&Utc),
                LocalResult::None => t += chrono::Duration::minutes(15),
            }
        }
    };
    let (y, m) = (local.year(), local.month());
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (first(y, m), first(ny, nm))
}

/// Beyond the free quota: the organisation had this many cases this month before this one.
pub fn over_quota(earlier_this_month: i64, monthly_quota: i64) -> bool {
    earlier_this_month >= monthly_quota
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn domains_are_written_one_way_and_public_mail_is_no_business() {
        assert_eq!(domain(" @Acme.IT. ").as_deref(), Some("acme.it"));
        assert_eq!(domain("shop.acme.co.uk").as_deref(), Some("shop.acme.co.uk"));
        for bad in [
            "",
            "acme",
            "gmail.com",
            "GMail.com",
            "-acme.it",
            "acme..it",
            "ac me.it",
            "a@b.it",
        ] {
            assert_eq!(domain(bad), None, "{bad}");
        }
    }

    #[test]
    fn people_are_known_by_domain_subdomain_or_phone() {
        let domains = vec!["acme.it".to_owned()];
        let phone = Phone::parse("+39 345 1234567", None).unwrap();
        let phones = vec![phone.clone()];
        let email = |a: &str| Email::parse(a).unwrap();
        assert!(recognises(&domains, &[], &email("anna@acme.it"), None));
        assert!(recognises(&domains, &[], &email("anna@Sales.ACME.it"), None));
        assert!(!recognises(&domains, &[], &email("anna@notacme.it"), None));
        assert!(!recognises(&domains, &[], &email("anna@acme.it.evil.com"), None));
        assert!(recognises(&[], &phones, &email("x@gmail.com"), Some(&phone)));
        assert!(!recognises(&[], &phones, &email("x@gmail.com"), None));
    }

    #[test]
    fn the_month_is_the_organisation_s_own() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        // 31 January 23:30 UTC is already February in Rome.
        let at: DateTime<Utc> = "2026-01-31T23:30:00Z".parse().unwrap();
        let (start, end) = month_of(at, rome);
        assert_eq!(start, "2026-01-31T23:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(end, "2026-02-28T23:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // Across the change to summer time, March is a month of 31 days less one hour.
        let (start, end) = month_of("2026-03-15T12:00:00Z".parse().unwrap(), rome);
        assert_eq!(end - start, chrono::Duration::hours(31 * 24 - 1));
        let (start, end) = month_of("2026-12-31T23:59:59Z".parse().unwrap(), Tz::UTC);
        assert_eq!(start, "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(end, "2027-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn the_quota_counts_the_cases_before_this_one() {
        assert!(!over_quota(0, 3));
        assert!(!over_quota(2, 3));
        assert!(over_quota(3, 3));
        assert!(over_quota(0, 0));
    }

    proptest! {
        #[test]
        fn every_instant_is_in_its_month(secs in 0i64..4_102_444_800, zone in 0usize..5) {
            let tz: Tz = ["UTC", "Europe/Rome", "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Auckland"][zone]
                .parse()
                .unwrap();
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let (start, end) = month_of(at, tz);
            prop_assert!(start <= at && at < end);
            prop_assert_eq!(start.with_timezone(&tz).day(), 1);
            prop_assert_eq!(end.with_timezone(&tz).day(), 1);
            prop_assert!((end - start).num_days() >= 27 && (end - start).num_days() <= 31);
        }
    }
}
