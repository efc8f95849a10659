//! Case numbers: a prefix (`WA` by default), 9 digits of sequence and a Damm check digit (SPEC §3.5).
//!
//! The Damm digit catches every single-digit typo and every swap of adjacent digits, so a customer
//! who mistypes a case number is told so instead of reaching someone else's case.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The highest sequence that fits in 9 digits.
pub const MAX_SEQUENCE: u64 = 999_999_999;

/// The Damm quasigroup of order 10 (totally anti-symmetric, zero diagonal).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm check digit of a run of decimal digits (non-digits are a caller bug and ignored).
pub fn damm(digits: &str) -> u8 {
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u8, |interim, d| DAMM[usize::from(interim)][usize::from(d - b'0')])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNumberError {
    #[error("a case prefix is 1 to 8 ASCII letters")]
    BadPrefix,
    #[error("the sequence {0} does not fit in 9 digits")]
    SequenceOverflow(u64),
    #[error("a case number is {prefix} followed by 10 digits")]
    Malformed { prefix: String },
    #[error("the last digit of the case number does not match: check for a typo")]
    CheckDigit,
}

/// The letters every case number of this desk starts with; it makes and reads case numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePrefix(String);

impl CasePrefix {
    pub fn new(prefix: &str) -> Result<Self, CaseNumberError> {
        if (1..=8).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(prefix.to_ascii_uppercase()))
        } else {
            Err(CaseNumberError::BadPrefix)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case number of the `sequence`-th case.
    pub fn number(&self, sequence: u64) -> Result<CaseNumber, CaseNumberError> {
        if sequence > MAX_SEQUENCE {
            return Err(CaseNumberError::SequenceOverflow(sequence));
        }
        let digits = format!("{sequence:09}");
        let check = damm(&digits);
        Ok(CaseNumber {
            text: format!("{}{digits}{check}", self.0),
            sequence,
        })
    }

    /// Reads what a person typed: any case, spaces and dashes anywhere; a wrong check digit is refused.
    pub fn parse(&self, input: &str) -> Result<CaseNumber, CaseNumberError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let malformed = || CaseNumberError::Malformed { prefix: self.0.clone() };
        let digits = compact.strip_prefix(self.0.as_str()).ok_or_else(malformed)?;
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        // A valid Damm number checks to zero over all its digits, check digit included.
        if damm(digits) != 0 {
            return Err(CaseNumberError::CheckDigit);
        }
        let sequence = digits[..9].parse().map_err(|_| malformed())?;
        self.number(sequence)
    }
}

impl Default for CasePrefix {
    fn default() -> Self {
        Self("WA".to_owned())
    }
}

/// A case number known to be well formed, e.g. `WA0000000017`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseNumber {
    text: String,
    sequence: u64,
}

impl CaseNumber {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The position of the case in the desk's sequence (the store's ticket id).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for CaseNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl FromStr for CasePrefix {
    type Err = CaseNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wa() -> CasePrefix {
        CasePrefix::default()
    }

    #[test]
    fn damm_matches_the_published_example() {
        // The textbook example: 572 gets check digit 4, and 5724 checks to zero.
        assert_eq!(damm("572"), 4);
        assert_eq!(damm("5724"), 0);
    }

    #[test]
    fn spec_example_is_wa_nine_digits_and_check_digit() {
        let n = wa().number(1).unwrap();
        assert_eq!(n.as_str().len(), 12);
        assert!(n.as_str().starts_with("WA000000001"));
        assert_eq!(n.sequence(), 1);
        // Damm over "000000001" is 3 (leading zeros keep the interim at 0, DAMM[0][1] = 3).
        assert_eq!(n.as_str(), "WA0000000013");
    }

    #[test]
    fn parse_accepts_any_case_and_spaces() {
        let n = wa().number(123_456_789).unwrap();
        let spaced = format!("wa {} {}", &n.as_str()[2..7], &n.as_str()[7..]);
        assert_eq!(wa().parse(&spaced).unwrap(), n);
        assert_eq!(wa().parse(&n.as_str().to_lowercase()).unwrap(), n);
    }

    #[test]
    fn parse_rejects_wrong_check_digit() {
        let n = wa().number(42).unwrap();
        let mut text = n.as_str().to_owned();
        let last = text.pop().unwrap();
        let wrong = if last == '9' { '0' } else { char::from(last as u8 + 1) };
        text.push(wrong);
        assert_eq!(wa().parse(&text), Err(CaseNumberError::CheckDigit));
    }

    #[test]
    fn parse_rejects_other_prefixes_and_lengths() {
        assert!(matches!(
            wa().parse("XY0000000013"),
            Err(CaseNumberError::Malformed { .. })
        ));
        assert!(matches!(
            wa().parse("WA000000017"),
            Err(CaseNumberError::Malformed { .. })
        ));
        assert!(matches!(
            wa().parse("WA00000000170"),
            Err(CaseNumberError::Malformed { .. })
        ));
        assert!(matches!(
            wa().parse("WA00000000١7"),
            Err(CaseNumberError::Malformed { .. })
        ));
        assert!(matches!(wa().parse(""), Err(CaseNumberError::Malformed { .. })));
    }

    #[test]
    fn prefix_is_configurable_and_checked() {
        let p = CasePrefix::new("sp").unwrap();
        assert!(p.number(7).unwrap().as_str().starts_with("SP000000007"));
        assert_eq!(CasePrefix::new(""), Err(CaseNumberError::BadPrefix));
        assert_eq!(CasePrefix::new("W4"), Err(CaseNumberError::BadPrefix));
        assert_eq!(
            wa().number(MAX_SEQUENCE + 1),
            Err(CaseNumberError::SequenceOverflow(MAX_SEQUENCE + 1))
        );
    }

    proptest! {
        #[test]
        fn every_number_round_trips(seq in 0..=MAX_SEQUENCE) {
            let n = wa().number(seq).unwrap();
            prop_assert_eq!(wa().parse(n.as_str()).unwrap(), n);
        }

        #[test]
        fn every_single_digit_typo_is_caught(seq in 0..=MAX_SEQUENCE, pos in 2usize..12, delta in 1u8..10) {
            let n = wa().number(seq).unwrap();
            let mut bytes = n.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(wa().parse(&typo).is_err());
        }

        #[test]
        fn every_adjacent_swap_is_caught(seq in 0..=MAX_SEQUENCE, pos in 2usize..11) {
            let n = wa().number(seq).unwrap();
            let mut bytes = n.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(wa().parse(&typo).is_err());
        }

        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = wa().parse(&s);
        }
    }
}
