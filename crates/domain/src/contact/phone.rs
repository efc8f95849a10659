//! Phone numbers in E.164, read with libphonenumber's metadata (the `phonenumber` crate), and the
//! seed's most common mistake: a number written without its country code (SPEC §3.1).

use std::fmt;

use phonenumber::country::Id;
use serde::{Serialize, Serializer};

/// A valid number in E.164, e.g. `+393451234567`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("not a valid phone number")]
    Invalid,
    /// A national number and no country to read it with; `suggestion` is the E.164 reading of the
    /// digits as an international number, when that reading is valid.
    #[error("the number has no country code")]
    MissingCountryCode { suggestion: Option<String> },
}

impl Phone {
    /// `country`: ISO 3166 alpha-2 used to read a national number; an unknown code is ignored.
    pub fn parse(input: &str, country: Option<&str>) -> Result<Phone, PhoneError> {
        let input = input.trim();
        if input.is_empty() || input.len() > 64 {
            return Err(PhoneError::Invalid);
        }
        let region = country.and_then(|c| c.trim().to_ascii_uppercase().parse::<Id>().ok());
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !"()-./".contains(*c))
            .collect();
        // A `+` number describes itself; a region would only get in the way of reading it.
        let mut readings: Vec<(Option<Id>, String)> = Vec::new();
        if compact.starts_with('+') {
            readings.push((main_region(&compact), input.to_owned()));
            // `+0039…`, `+011…`: a dialling prefix typed after the plus, read in the region.
            if region.is_some() {
                readings.push((region, input.to_owned()));
            }
        } else {
            if region.is_some() {
                readings.push((region, input.to_owned()));
            }
            // `0039…` is how most of the world dials abroad, `011…` how North America does.
            if let Some(rest) = compact.strip_prefix("00") {
                readings.push((None, format!("+{rest}")));
            }
            if let (Some(rest), Some(Id::US | Id::CA)) = (compact.strip_prefix("011"), region) {
                readings.push((None, format!("+{rest}")));
            }
        }
        if let Some(e164) = readings.iter().find_map(|(region, text)| e164(*region, text)) {
            return Ok(Phone(e164));
        }
        if !readings.is_empty() {
            return Err(PhoneError::Invalid);
        }
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError::Invalid);
        }
        Err(PhoneError::MissingCountryCode {
            suggestion: e164(None, &format!("+{compact}")),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits after the country code (`+393451234567` → `3451234567`): how people type
    /// their own number. The whole of it when the code is not one libphonenumber knows.
    pub fn national_digits(&self) -> &str {
        let digits = self.0.strip_prefix('+').unwrap_or(&self.0);
        (1..=3)
            .find(|&len| {
                digits
                    .get(..len)
                    .and_then(|code| code.parse::<u16>().ok())
                    .is_some_and(|code| phonenumber::metadata::DATABASE.region(&code).is_some())
            })
            .map_or(digits, |len| &digits[len..])
    }

    /// A number this desk stored in E.164 itself, read back by its shape (`+`, then 7 to 17
    /// digits, the first not 0) without libphonenumber's cost: what has another shape is not ours.
    /// (E.164 says 15 digits, but libphonenumber calls some longer German numbers valid.)
    pub fn from_e164(text: &str) -> Result<Phone, PhoneError> {
        let digits = text.strip_prefix('+').ok_or(PhoneError::Invalid)?;
        let shaped =
            (7..=17).contains(&digits.len()) && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
        if shaped {
            Ok(Phone(text.to_owned()))
        } else {
            Err(PhoneError::Invalid)
        }
    }
}

/// The main region of the country code a `+` number starts with (`+39…` → IT): the reference
/// libphonenumber reads a `+` number with that region's rules. Given no region, the crate first
/// works out which of the code's regions the number belongs to, which `is_valid` then does again:
/// a tenth of an intake (README "Speed"). None for a non-geographic code (`+800`): read without.
fn main_region(compact: &str) -> Option<Id> {
    let digits = compact.strip_prefix('+')?;
    // Country codes are one to three digits and none is a prefix of another.
    (1..=3).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        phonenumber::metadata::DATABASE.region(&code)?.first()?.parse().ok()
    })
}

/// The E.164 form of `input` read in `region`, when libphonenumber calls it valid.
fn e164(region: Option<Id>, input: &str) -> Option<String> {
    let number = phonenumber::parse(region, input).ok()?;
    phonenumber::is_valid(&number).then(|| e164_text(&number))
}

/// `+`, the country code, the national number (with an Italian-style leading zero): what the
/// crate's E.164 formatter writes. Its formatter first picks the region's display pattern by
/// matching regexes that E.164 never uses, a fifth of an intake's time (README "Speed").
fn e164_text(number: &phonenumber::PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str, country: Option<&str>) -> String {
        Phone::parse(input, country).unwrap().as_str().to_owned()
    }

    /// Our E.164 text is the crate's, for every number of the shared table the crate calls valid.
    #[test]
    fn e164_text_is_the_crates_e164_format() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/phone/numbers.tsv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut checked = 0;
        for row in text.lines().skip(1).map(|l| l.split('\t').collect::<Vec<_>>()) {
            let region = (row[1] != "ZZ").then(|| row[1].parse::<Id>().ok()).flatten();
            let Ok(number) = phonenumber::parse(region, row[0]) else {
                continue;
            };
            if phonenumber::is_valid(&number) {
                let crate_e164 = number.format().mode(phonenumber::Mode::E164).to_string();
                assert_eq!(e164_text(&number), crate_e164, "{}", row[0]);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} valid numbers in the table");
    }

    #[test]
    fn stored_numbers_read_back_by_their_shape() {
        for e164 in ["+393451234567", "+12025550143", "+8001234567"] {
            assert_eq!(Phone::from_e164(e164).unwrap().as_str(), e164);
        }
        for bad in [
            "",
            "+",
            "393451234567",
            "+0393451234567",
            "+39 345",
            "+123456",
            "+123456789012345678",
            "+39a4512345",
        ] {
            assert_eq!(Phone::from_e164(bad), Err(PhoneError::Invalid), "{bad}");
        }
    }

    proptest! {
        /// Whatever intake accepts, the store reads back.
        #[test]
        fn every_parsed_number_reads_back_from_its_text(digits in "[0-9]{6,14}", country in "(IT|US|DE|GB|IN|BR)") {
            if let Ok(phone) = Phone::parse(&digits, Some(&country)) {
                prop_assert_eq!(Phone::from_e164(phone.as_str()), Ok(phone.clone()));
            }
        }
    }

    /// Reading a `+` number with its code's main region gives what reading it with none gives,
    /// for every example number of every region in libphonenumber's metadata, each type.
    #[test]
    fn plus_numbers_read_the_same_with_the_main_region() {
        use phonenumber::metadata::DATABASE;
        let mut checked = 0;
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let examples = [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.voip(),
                d.uan(),
            ]
            .into_iter()
            .flatten()
            .filter_map(|desc| desc.example());
            for example in examples {
                let input = format!("+{} {example}", meta.country_code());
                let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
                assert_eq!(
                    e164(main_region(&compact), &input),
                    e164(None, &input),
                    "{input} ({})",
                    meta.id()
                );
                checked += 1;
            }
        }
        assert!(checked > 500, "only {checked} examples");
    }

    #[test]
    fn spec_examples_read_as_e164() {
        assert_eq!(ok("+39 345 123 4567", None), "+393451234567");
        assert_eq!(ok("0039 345 123 4567", None), "+393451234567");
        assert_eq!(ok("00393451234567", None), "+393451234567");
        assert_eq!(ok("345 1234567", Some("IT")), "+393451234567");
        assert_eq!(ok("345 1234567", Some("it")), "+393451234567");
    }

    #[test]
    fn a_national_number_without_country_gets_the_e164_suggestion() {
        assert_eq!(
            Phone::parse("393451234567", None),
            Err(PhoneError::MissingCountryCode {
                suggestion: Some("+393451234567".into())
            })
        );
        assert_eq!(
            Phone::parse("345 1234567", None),
            Err(PhoneError::MissingCountryCode { suggestion: None })
        );
    }

    #[test]
    fn impossible_numbers_are_invalid() {
        assert_eq!(Phone::parse("+39 12", None), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("+39 345 abc", None), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("", None), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("12", Some("IT")), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("call me", None), Err(PhoneError::Invalid));
    }

    #[test]
    fn an_unknown_country_is_ignored_not_a_crash() {
        assert_eq!(ok("+39 345 123 4567", Some("XX")), "+393451234567");
        assert!(matches!(
            Phone::parse("345 1234567", Some("??")),
            Err(PhoneError::MissingCountryCode { .. })
        ));
    }

    #[test]
    fn libphonenumber_reference_table_agrees() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/phone/numbers.tsv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split('\t').collect()).collect();
        let mut mismatches = Vec::new();
        for row in &rows {
            let (input, region, valid, expected) =
                (row[0], row[1], row[2] == "true", row.get(3).copied().unwrap_or(""));
            let country = (region != "ZZ").then_some(region);
            let got = Phone::parse(input, country).ok().map(String::from);
            let want = valid.then(|| expected.to_owned());
            if got != want {
                mismatches.push(format!("{input} [{region}]: got {got:?}, want {want:?}"));
            }
        }
        eprintln!("phone table: {} of {} agree", rows.len() - mismatches.len(), rows.len());
        for m in &mismatches {
            eprintln!("  {m}");
        }
        // What the Rust port cannot read and the Python one can: RFC 3966 `tel:` URIs, text around
        // the number, letters inside it, Argentina's `(0xx)` placeholder and Japan's `00` national
        // numbers. Customers type none of these in a phone field; everything else must agree.
        let unsupported = |m: &&String| {
            m.contains("tel:")
                || m.starts_with("Tel:")
                || m.contains("0xx")
                || m.starts_with("00777012")
                || m.split(" [")
                    .next()
                    .is_some_and(|n| n.chars().any(|c| c.is_ascii_alphabetic()))
        };
        let unexplained: Vec<_> = mismatches.iter().filter(|m| !unsupported(m)).collect();
        assert!(unexplained.is_empty(), "{unexplained:#?}");
        assert!(mismatches.len() <= 12, "{mismatches:#?}");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_yields_e164(input in "[+0-9 ()./-]{0,24}", country in proptest::option::of("[A-Z]{2}")) {
            if let Ok(phone) = Phone::parse(&input, country.as_deref()) {
                prop_assert!(phone.as_str().starts_with('+'));
                prop_assert_eq!(Phone::parse(phone.as_str(), None).unwrap(), phone);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(input in "\\PC{0,40}") {
            let _ = Phone::parse(&input, Some("IT"));
            let _ = Phone::parse(&input, None);
        }
    }
}
