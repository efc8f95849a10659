//! E-mail addresses: RFC 5322 addr-spec syntax, and the typo traps of the seed ("gamil.com",
//! "gmail.con", a missing ".com") that lose a customer's answers (SPEC §3.1).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An address that parsed: trimmed, domain in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Not an address; `suggestion` when a likely correction exists (`mario@gmail` → `mario@gmail.com`).
    #[error("not an e-mail address")]
    Invalid { suggestion: Option<String> },
    /// An address whose domain looks like a typo of a well-known one.
    #[error("the domain looks mistyped")]
    Suspect { suggestion: String },
}

impl Email {
    /// Syntax only: no typo check. What parses is what mail servers deliver to: a dot-atom local
    /// part (no quoted string: `"mario rossi"@gmail.com` is RFC 5322, but mail libraries and
    /// providers refuse it, so the confirmation would never leave) and a domain that has an
    /// ASCII form (IDNA).
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let invalid = || EmailError::Invalid { suggestion: None };
        let input = input.trim();
        let (local, domain) = input.rsplit_once('@').ok_or_else(invalid)?;
        let domain = domain.to_lowercase();
        if input.len() > 254 || !valid_local(local) || !valid_domain(&domain) || ascii_domain(&domain).is_none() {
            return Err(invalid());
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    /// The address as an SMTP envelope writes it: the domain in its ASCII form (`xn--…`), so
    /// that a server without SMTPUTF8 still takes mail for an internationalised domain.
    pub fn smtp_form(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        match ascii_domain(domain) {
            Some(ascii) => format!("{local}@{ascii}"),
            None => self.0.clone(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Email, EmailError> {
        Email::parse(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Read back by the same rule it was accepted with: what does not parse is an error.
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Email, D::Error> {
        let text = String::deserialize(d)?;
        Email::parse(&text).map_err(|_| serde::de::Error::custom(format!("`{text}` is not an e-mail address")))
    }
}

/// The intake rule: parse, then refuse a likely typo unless the customer confirmed the address.
pub fn check(input: &str, confirmed: bool) -> Result<Email, EmailError> {
    match Email::parse(input) {
        Ok(email) if confirmed => Ok(email),
        Ok(email) => match suggest(email.as_str()) {
            Some(suggestion) => Err(EmailError::Suspect { suggestion }),
            None => Ok(email),
        },
        Err(_) => Err(EmailError::Invalid {
            suggestion: suggest(input),
        }),
    }
}

/// Mailbox providers people mistype, most used first (ties go to the first). A domain on this list
/// is never suspect.
const PROVIDERS: [&str; 62] = [
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "libero.it",
    "hotmail.it",
    "outlook.it",
    "live.com",
    "live.it",
    "yahoo.it",
    "virgilio.it",
    "tiscali.it",
    "alice.it",
    "tim.it",
    "tin.it",
    "fastwebnet.it",
    "email.it",
    "pec.it",
    "legalmail.it",
    "aruba.it",
    "inwind.it",
    "iol.it",
    "googlemail.com",
    "msn.com",
    "aol.com",
    "me.com",
    "mac.com",
    "mail.com",
    "email.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "proton.me",
    "protonmail.com",
    "yandex.ru",
    "mail.ru",
    "orange.fr",
    "free.fr",
    "wanadoo.fr",
    "laposte.net",
    "sfr.fr",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "bellsouth.net",
    "cox.net",
    "charter.net",
    "earthlink.net",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.es",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.es",
    "btinternet.com",
    "ymail.com",
    "rocketmail.com",
    "live.co.uk",
];

/// Top-level domains that exist and are common enough that a near miss is a typo of one of them.
const COMMON_TLDS: [&str; 12] = [
    "com", "net", "org", "it", "de", "fr", "es", "eu", "info", "edu", "gov", "uk",
];

/// Every TLD the checker knows to be real: never "corrected".
const REAL_TLDS: [&str; 70] = [
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "aero", "coop", "museum", "mobi",
    "asia", "tel", "travel", "jobs", "cat", "eu", "it", "de", "fr", "es", "uk", "ch", "at", "be", "nl", "se", "no",
    "dk", "fi", "pl", "pt", "ie", "gr", "cz", "ru", "ua", "tr", "us", "ca", "mx", "br", "ar", "cl", "au", "nz", "jp",
    "cn", "in", "kr", "sg", "hk", "tw", "za", "io", "co", "me", "tv", "cc", "ai", "app", "dev", "xyz", "online",
    "site", "email",
];

/// A corrected address when the domain looks like a typo of a well-known provider or TLD.
pub fn suggest(input: &str) -> Option<String> {
    let input = input.trim();
    let (local, domain) = input.rsplit_once('@')?;
    if local.is_empty() {
        return None;
    }
    let typed = domain.to_lowercase();
    let domain = typed.trim_start_matches(|c: char| !c.is_alphanumeric());
    if domain.is_empty() {
        return None;
    }
    let corrected = if PROVIDERS.contains(&domain) {
        domain.to_owned()
    } else {
        single_domain_provider(domain)
            .or_else(|| closest_provider(domain))
            .or_else(|| corrected_tld(domain))?
    };
    (corrected != typed).then(|| format!("{local}@{corrected}"))
}

/// Providers that exist under one domain only: `gmail.net` can only mean `gmail.com`.
const SINGLE_DOMAIN_PROVIDERS: [&str; 8] = [
    "gmail.com",
    "googlemail.com",
    "icloud.com",
    "protonmail.com",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "fastwebnet.it",
];

fn single_domain_provider(domain: &str) -> Option<String> {
    let name = sld(domain);
    SINGLE_DOMAIN_PROVIDERS
        .iter()
        .find(|p| sld(p) == name && domain.contains('.'))
        .map(|p| (*p).to_owned())
}

/// The provider this domain most likely meant, within a distance that grows with the name's length.
fn closest_provider(domain: &str) -> Option<String> {
    // "hotmail.com.com": a provider followed by junk.
    if let Some(p) = PROVIDERS
        .iter()
        .find(|p| domain.strip_prefix(**p).is_some_and(|rest| rest.starts_with('.')))
    {
        return Some((*p).to_owned());
    }
    let dotless: String = domain.chars().filter(|c| *c != '.').collect();
    PROVIDERS
        .iter()
        .filter_map(|p| {
            let allowed = match p.len() {
                0..=6 => 0,
                7..=8 => 1,
                _ => 2,
            };
            let whole = strsim::osa_distance(domain, p);
            // "yahoocom", "gmail" (no TLD): compare without dots, and a bare name with the provider's.
            let without_dots = strsim::osa_distance(&dotless, &p.replace('.', ""));
            // A bare name must be long enough to mean something: "gm" is not "gmx".
            let bare = match strsim::osa_distance(domain, sld(p)) {
                _ if domain.contains('.') => usize::MAX,
                d if d > 0 && domain.len() < 5 => usize::MAX,
                d => d,
            };
            let d = whole.min(without_dots).min(bare);
            (allowed > 0 && d <= allowed).then_some((d, *p))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, p)| p.to_owned())
}

/// The name before the top-level domain (`gmail` of `gmail.com`, `hotmail` of `hotmail.co.uk`).
fn sld(domain: &str) -> &str {
    domain.split('.').next().unwrap_or(domain)
}

/// `company.con` → `company.com`: an unknown TLD one edit away from a common one.
fn corrected_tld(domain: &str) -> Option<String> {
    let (name, tld) = domain.rsplit_once('.')?;
    if name.is_empty() || REAL_TLDS.contains(&tld) {
        return None;
    }
    let common = COMMON_TLDS
        .iter()
        .find(|t| strsim::osa_distance(tld, t) == 1 && t.len() >= 3)?;
    Some(format!("{name}.{common}"))
}

/// The ASCII form of a domain (UTS 46), when it has one.
fn ascii_domain(domain: &str) -> Option<String> {
    if domain.is_ascii() {
        return Some(domain.to_owned());
    }
    idna::domain_to_ascii_strict(domain).ok()
}

/// A dot-atom (RFC 5322 §3.4.1), at most 64 characters. Letters and digits of any script pass;
/// spaces, quotes, controls and invisible formatting (bidi overrides among them) do not.
fn valid_local(local: &str) -> bool {
    if local.is_empty() || local.len() > 64 {
        return false;
    }
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// Labels of letters, digits and hyphens, at least two of them, and an alphabetic top-level domain.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_parse_and_normalise() {
        assert_eq!(
            Email::parse("  Mario.Rossi@GMAIL.com ").unwrap().as_str(),
            "Mario.Rossi@gmail.com"
        );
        assert_eq!(Email::parse("a+tag@sub.example.it").unwrap().domain(), "sub.example.it");
        assert!(Email::parse("utente@università.it").is_ok());
        assert_eq!(
            Email::parse("utente@Università.it").unwrap().smtp_form(),
            "utente@xn--universit-y1a.it"
        );
        assert_eq!(Email::parse("a@b.it").unwrap().smtp_form(), "a@b.it");
        for bad in [
            "",
            "mario",
            "mario@",
            "@gmail.com",
            "a..b@x.com",
            ".a@x.com",
            "a@-x.com",
            "a@x",
            "a@x.1",
            "a b@x.com",
            // Valid RFC 5322, undeliverable in practice: no mail library we send with takes it.
            "\"mario rossi x\"@gmail.com",
            "\"john\"@example.com",
            // Bidi overrides and invisible characters make one address look like another.
            "mario\u{202e}moc.liamg@gmail.com",
            "mario\u{200b}@gmail.com",
            "mario@gma\u{202e}il.com",
            "mario@gmail.com\u{2066}",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spec_typos_are_suspect_with_the_correction() {
        for (typo, fixed) in [
            ("mario@gamil.com", "mario@gmail.com"),
            ("mario@gmial.com", "mario@gmail.com"),
            ("mario@hotmial.com", "mario@hotmail.com"),
            ("mario@gmail.con", "mario@gmail.com"),
            ("mario@libreo.it", "mario@libero.it"),
            ("mario@outlok.it", "mario@outlook.it"),
        ] {
            assert_eq!(
                check(typo, false),
                Err(EmailError::Suspect {
                    suggestion: fixed.to_owned()
                }),
                "{typo}"
            );
        }
    }

    #[test]
    fn a_missing_tld_is_invalid_with_a_suggestion() {
        assert_eq!(
            check("mario@gmail", false),
            Err(EmailError::Invalid {
                suggestion: Some("mario@gmail.com".into())
            })
        );
        assert_eq!(
            check("mario@#gmail.com", false),
            Err(EmailError::Invalid {
                suggestion: Some("mario@gmail.com".into())
            })
        );
        assert_eq!(
            check("mario at home", false),
            Err(EmailError::Invalid { suggestion: None })
        );
    }

    #[test]
    fn real_providers_are_never_flagged() {
        for ok in [
            "a@mail.com",
            "a@gmx.de",
            "a@libero.it",
            "a@live.it",
            "a@email.it",
            "a@tim.it",
            "a@tin.it",
            "a@me.com",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn company_domains_far_from_providers_are_left_alone() {
        for ok in [
            "a@comune.milano.it",
            "a@example.com",
            "a@sportello.dev",
            "a@magellan.aero",
            "a@cox.net",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_confirmed_address_is_taken_as_typed() {
        assert_eq!(check("x@gamil.com", true).unwrap().as_str(), "x@gamil.com");
    }

    /// `typos.tsv`: (line number, input, expected suggestion).
    fn table() -> Vec<(usize, String, Option<String>)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/email-typos/typos.tsv"
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .enumerate()
            .skip(1)
            .map(|(i, line)| {
                let (input, expected) = line.split_once('\t').unwrap_or((line, ""));
                (
                    i + 1,
                    input.to_owned(),
                    Some(expected.trim().to_owned()).filter(|e| !e.is_empty()),
                )
            })
            .collect()
    }

    fn accuracy(lines: std::ops::RangeInclusive<usize>) -> (usize, usize) {
        let rows: Vec<_> = table().into_iter().filter(|(n, _, _)| lines.contains(n)).collect();
        let misses: Vec<_> = rows
            .iter()
            .filter(|(_, input, expected)| suggest(input.trim()) != *expected)
            .collect();
        for (n, input, expected) in &misses {
            eprintln!(
                "line {n}: {input} -> {:?}, expected {expected:?}",
                suggest(input.trim())
            );
        }
        (rows.len() - misses.len(), rows.len())
    }

    #[test]
    fn flanker_real_typos_are_corrected() {
        let (good, all) = accuracy(31..=201);
        eprintln!("flanker typos: {good}/{all}");
        assert!(good * 100 >= all * 97, "{good}/{all}");
    }

    #[test]
    fn flanker_real_domains_are_not_flagged() {
        let (good, all) = accuracy(202..=266);
        eprintln!("flanker legitimate domains: {good}/{all}");
        assert!(good * 100 >= all * 98, "{good}/{all}");
    }

    #[test]
    fn mailcheck_cases_mostly_agree() {
        // These rows assume mailcheck's own test lists (e.g. `emaildomain.com` as a provider, `.co`
        // as a typo); ours differ on purpose, so only most of them must agree.
        let (good, all) = accuracy(2..=30);
        eprintln!("mailcheck/email-spell-checker cases: {good}/{all}");
        assert!(good * 100 >= all * 85, "{good}/{all}");
    }

    proptest! {
        #[test]
        fn check_never_panics_and_parse_round_trips(input in "\\PC{0,60}", confirmed: bool) {
            if let Ok(email) = check(&input, confirmed) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }

        #[test]
        fn plausible_addresses_round_trip(local in "[a-z0-9._+-]{1,20}", name in "[a-z0-9-]{1,20}", tld in "[a-z]{2,6}") {
            if let Ok(email) = Email::parse(&format!("{local}@{name}.{tld}")) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }
    }
}
