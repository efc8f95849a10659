//! Rules over the customer's own words (SPEC §3.1 `description_too_vague`, `too_long`; SPEC §3.2
//! `sensitive_data_masked`, `possible_scam_report`, and the word URGENTE). Italian and English.
//!
//! Every pattern here runs on the `regex` crate, which is linear in the input: a hostile megabyte
//! of text costs milliseconds, never a backtracking blow-up.

use std::sync::LazyLock;

use regex::Regex;

/// SPEC §3.1 `too_long`: characters, not bytes.
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
pub const FIELD_MAX_CHARS: usize = 200;
/// SPEC §3.1 `description_too_vague`.
pub const DESCRIPTION_MIN_CHARS: usize = 30;

/// The seed's "30 % of users only write *non funziona*": phrases that say nothing about the problem.
const STOCK_PHRASES: [&str; 38] = [
    "non funziona piu",
    "non funziona",
    "non va piu",
    "non va",
    "non riesco",
    "aiutatemi",
    "aiuto",
    "help me please",
    "help me",
    "please help",
    "help",
    "doesn't work",
    "doesnt work",
    "does not work",
    "not working",
    "it's broken",
    "its broken",
    "broken",
    "problema",
    "problemi",
    "problem",
    "issue",
    "error",
    "errore",
    "urgente",
    "urgent",
    "per favore",
    "per piacere",
    "please",
    "grazie",
    "thanks",
    "thank you",
    "ciao",
    "hello",
    "hi",
    "whatsapp",
    "fix it",
    "risolvete",
];

/// Under 30 characters, or nothing but stock phrases, punctuation and emoji.
pub fn is_too_vague(description: &str) -> bool {
    let collapsed = description.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() < DESCRIPTION_MIN_CHARS {
        return true;
    }
    let mut rest = fold(&collapsed);
    for phrase in STOCK_PHRASES {
        if rest.contains(phrase) {
            rest = remove_phrase(&rest, phrase);
        }
    }
    // What is left once stock phrases are gone must still say something.
    rest.chars().filter(|c| c.is_alphanumeric()).count() < 3
}

/// Replaces whole-word occurrences of `phrase` with a space.
fn remove_phrase(text: &str, phrase: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(phrase) {
        let before_ok = rest[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = &rest[at + phrase.len()..];
        let after_ok = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            out.push_str(&rest[..at]);
            out.push(' ');
        } else {
            out.push_str(&rest[..at + phrase.len()]);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Lower-case, accents folded to their base letter, typographic apostrophes made plain: keyword
/// matching should not care how a phone keyboard spelled "è" or "’".
fn fold(text: &str) -> String {
    if text.is_ascii() {
        // The common case, in one pass over bytes: only case and the backtick to fold.
        let lower = text.to_ascii_lowercase();
        return if lower.contains('`') {
            lower.replace('`', "'")
        } else {
            lower
        };
    }
    fold_chars(text)
}

fn fold_chars(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            '’' | '‘' | '`' | '´' => '\'',
            other => other,
        })
        .collect()
}

static URGENT: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)\burgent[ei]?\b"));

/// The word URGENTE / URGENT (any case, whole word): the seed's way of asking for priority.
pub fn mentions_urgent(text: &str) -> bool {
    URGENT.is_match(text)
}

/// The description after masking, and how many numbers were masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub masked: usize,
}

/// The character that replaces a masked digit.
pub const MASK: char = '•';

/// 13–19 digits, optionally grouped by single spaces or dashes.
static CARD: LazyLock<Regex> = LazyLock::new(|| compile(r"\b\d(?:[ -]?\d){12,18}\b"));
/// Six digits, optionally split 3+3.
static SIX_DIGITS: LazyLock<Regex> = LazyLock::new(|| compile(r"\b\d{3}[ -]?\d{3}\b"));
/// Words that make six digits a one-time code.
static CODE_WORD: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\b(?:code|codes|codice|codici|codigo|código|otp|pin|verification|verifica)\b"));

/// Masks card numbers that pass Luhn (every digit but the last 4) and six-digit codes written near
/// "code"/"codice"/"OTP"/"PIN" (every digit: four visible digits of a six-digit code would leave
/// 100 guesses). Each masked digit becomes one [`MASK`], so the text keeps its length in characters.
pub fn redact(text: &str) -> Redacted {
    let mut masked = 0;
    let cards = CARD.replace_all(text, |m: &regex::Captures<'_>| {
        let found = &m[0];
        let digits: Vec<u32> = found.chars().filter_map(|c| c.to_digit(10)).collect();
        if luhn(&digits) {
            masked += 1;
            mask_digits(found, digits.len().saturating_sub(4))
        } else {
            found.to_owned()
        }
    });
    let text = cards.into_owned();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in SIX_DIGITS.find_iter(&text) {
        if near_code_word(&text, m.start(), m.end()) {
            out.push_str(&text[last..m.start()]);
            out.push_str(&mask_digits(m.as_str(), 6));
            last = m.end();
            masked += 1;
        }
    }
    out.push_str(&text[last..]);
    Redacted { text: out, masked }
}

/// A code word within 40 characters before or after the match.
fn near_code_word(text: &str, start: usize, end: usize) -> bool {
    let from = floor_char_boundary(text, start.saturating_sub(40));
    let to = ceil_char_boundary(text, (end + 40).min(text.len()));
    CODE_WORD.is_match(&text[from..start]) || CODE_WORD.is_match(&text[end..to])
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Replaces the first `count` digits of `found` with [`MASK`], leaving separators alone.
fn mask_digits(found: &str, count: usize) -> String {
    let mut left = count;
    found
        .chars()
        .map(|c| {
            if c.is_ascii_digit() && left > 0 {
                left -= 1;
                MASK
            } else {
                c
            }
        })
        .collect()
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum % 10 == 0
}

/// Someone impersonating support…
static IMPERSONATION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        \b(?:claim(?:ed|ing)?|pretend(?:ed|ing)?|posing|pose[ds]?|impersonat\w*|fake|fraudster|scammer\w*
          |said\s+(?:he|she|they)\s+(?:was|were|is|are)|says?\s+(?:he|she|they)\s+(?:is|are)
          |finto|finta|falso|falsa|sedicente|presunto|presunta|truffator\w*|spacciav\w*|spaccia\w*
          |diceva\s+di\s+essere|dicendo\s+di\s+essere|dice\s+di\s+essere|si\s+e\s+presentat\w*
          |qualcuno|un\s+tizio|una\s+tizia|un\s+signore|una\s+signora|un\s+uomo|una\s+donna|someone|somebody
          |a\s+(?:man|woman|guy|person)|mi\s+ha\s+(?:contattat\w*|chiamat\w*|scritto|telefonato)
          |(?:contacted|called|messaged|texted|wrote\s+to)\s+me)\b",
    )
});
/// …who mentions support…
static SUPPORT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:support\w*|assistenza|supporto|help\s*desk|staff|team|operator\w*|agent\w*|whatsapp|servizio\s+clienti|customer\s+(?:service|care))\b",
    )
});
/// …asked…
static ASKED: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:ask(?:ed|ing|s)?|want(?:ed|s)?|demand\w*|request\w*|told\s+me\s+to|wanted\s+me\s+to|make\s+me|pay|paid|send|sent
          |chiest\w*|chied\w*|richiest\w*|richied\w*|voleva\w*|vuole|pretend\w*|pagare|pagato|versare|inviare|mandare|mandato|inviato|dare|fornire)\b",
    )
});
/// …for a code or for money.
static CODE_OR_FEE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:code|codes|codice|codici|otp|pin|verification|verifica|sms|six[-\s]digit|6\s+cifre
          |fee|fees|tassa|tasse|commission\w*|payment|pagamento|money|soldi|denaro|euro|dollars?|gift\s*cards?|ricarica|bonifico|bitcoin|crypto\w*)\b|[€$]",
    )
});

pub(crate) fn compile(pattern: &str) -> Regex {
    let flat: String = pattern.lines().map(str::trim).collect();
    #[allow(clippy::expect_used)] // constant patterns, compiled by the tests
    Regex::new(&flat).expect("a valid built-in pattern")
}

/// The description says someone posing as support asked for a code or a fee (SPEC §3.2).
pub fn looks_like_scam_report(text: &str) -> bool {
    let folded = fold(text);
    IMPERSONATION.is_match(&folded)
        && SUPPORT.is_match(&folded)
        && ASKED.is_match(&folded)
        && CODE_OR_FEE.is_match(&folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ascii_text_folds_as_any_text(text in "[ -~]{0,80}") {
            prop_assert_eq!(fold(&text), fold_chars(&text));
        }
    }

    #[test]
    fn short_descriptions_are_vague() {
        assert!(is_too_vague("L'app si chiude sempre."));
        assert!(is_too_vague("   "));
        assert!(is_too_vague(&format!("{}x", " ".repeat(100))));
        assert!(!is_too_vague("L'app si chiude quando apro una chat di gruppo."));
    }

    #[test]
    fn stock_phrases_alone_are_vague_in_both_languages() {
        for text in [
            "Non funziona!!! Non funziona!!! Aiuto per favore",
            "non funziona non funziona non funziona",
            "Help, it doesn't work, please help, thanks!!!",
            "URGENTE URGENTE URGENTE WhatsApp non va 😡😡😡",
            "Problema problema problema problema problema",
        ] {
            assert!(is_too_vague(text), "{text}");
        }
    }

    #[test]
    fn real_descriptions_are_not_vague_even_with_stock_words() {
        for text in [
            "Non funziona l'invio di foto nei gruppi da ieri sera, con errore WA-403.",
            "Help: my messages to +39 345 1234567 stay with one tick since Monday.",
            "Il backup su Google Drive si ferma al 45% e poi dice errore.",
        ] {
            assert!(!is_too_vague(text), "{text}");
        }
    }

    #[test]
    fn urgent_is_a_whole_word_in_any_case() {
        assert!(mentions_urgent("URGENTE: account rubato"));
        assert!(mentions_urgent("this is urgent"));
        assert!(mentions_urgent("Urgent!!"));
        assert!(!mentions_urgent("insurgent groups"));
        assert!(!mentions_urgent("nessuna urgenza"));
    }

    #[test]
    fn test_card_numbers_are_masked_keeping_the_last_four() {
        for (input, expected) in [
            ("carta 4111 1111 1111 1111 ok", "carta •••• •••• •••• 1111 ok"),
            ("card 5500-0000-0000-0004.", "card ••••-••••-••••-0004."),
            ("amex 378282246310005", "amex •••••••••••0005"),
        ] {
            let r = redact(input);
            assert_eq!(r.text, expected);
            assert_eq!(r.masked, 1);
        }
    }

    #[test]
    fn numbers_that_are_not_cards_stay() {
        for text in [
            "chiamami al +39 345 123 4567",
            "transazione WA123456789 del 2026-11-20 di 12,50 EUR",
            "numero 4111 1111 1111 1112 sbagliato",
            "ho 123456 messaggi non letti",
            "12345678901234567890123",
        ] {
            assert_eq!(
                redact(text),
                Redacted {
                    text: text.to_owned(),
                    masked: 0
                },
                "{text}"
            );
        }
    }

    #[test]
    fn six_digit_codes_near_a_code_word_are_masked() {
        for text in [
            "il codice è 123 456",
            "Code: 123456",
            "123456 is my verification code",
            "mi è arrivato il codice di verifica via SMS: 654-321",
            "OTP 998877",
        ] {
            let r = redact(text);
            assert_eq!(r.masked, 1, "{text}");
            assert!(!r.text.chars().any(|c| c.is_ascii_digit()), "{text} -> {}", r.text);
        }
    }

    #[test]
    fn scam_reports_are_recognised_in_italian_and_english() {
        for text in [
            "Un tizio dell'assistenza WhatsApp mi ha chiesto il codice di verifica.",
            "Mi ha contattato un finto operatore WhatsApp che voleva 50 euro per sbloccare l'account",
            "Someone claiming to be WhatsApp support asked me to pay a fee to unlock my account",
            "A man posing as WhatsApp staff asked for the six-digit code I got by SMS.",
            "Qualcuno che diceva di essere del supporto mi ha chiesto di inviare il codice ricevuto per SMS",
        ] {
            assert!(looks_like_scam_report(text), "{text}");
        }
    }

    #[test]
    fn ordinary_requests_are_not_scam_reports() {
        for text in [
            "Non ricevo il codice di verifica via SMS da due giorni.",
            "I was charged a fee twice for the same payment.",
            "Ho chiesto il rimborso del pagamento ma non è arrivato.",
            "Support asked me to send a screenshot of the error.",
        ] {
            assert!(!looks_like_scam_report(text), "{text}");
        }
    }

    /// Bitext's customer-support utterances: ordinary requests, none of them a scam report.
    fn bitext_instructions() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/tickets/bitext-customer-support-4514.csv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        csv_rows(&text)
            .into_iter()
            .skip(1)
            .filter_map(|row| row.get(2).cloned())
            .collect()
    }

    /// RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks.
    fn csv_rows(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => row.push(std::mem::take(&mut field)),
                ('\n', false) => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                ('\r', false) => {}
                (c, _) => field.push(c),
            }
        }
        if !field.is_empty() || !row.is_empty() {
            row.push(field);
            rows.push(row);
        }
        rows
    }

    #[test]
    fn bitext_support_requests_are_not_scam_reports() {
        let all = bitext_instructions();
        assert_eq!(all.len(), 4514);
        let flagged: Vec<_> = all.iter().filter(|t| looks_like_scam_report(t)).collect();
        eprintln!(
            "scam reports among {} bitext requests: {} {:?}",
            all.len(),
            flagged.len(),
            flagged
        );
        assert!(flagged.len() * 100 <= all.len(), "{} flagged", flagged.len());
    }

    #[test]
    fn bitext_requests_long_enough_are_not_vague() {
        let all = bitext_instructions();
        let vague = all.iter().filter(|t| is_too_vague(t)).count();
        // Long enough to pass the length rule: only stock phrases could make them vague, and these
        // are real questions.
        let long: Vec<_> = all
            .iter()
            .filter(|t| t.trim().chars().count() >= DESCRIPTION_MIN_CHARS)
            .collect();
        let long_vague: Vec<_> = long.iter().filter(|t| is_too_vague(t)).collect();
        eprintln!(
            "vague: {vague} of {}; long enough and vague: {} of {}",
            all.len(),
            long_vague.len(),
            long.len()
        );
        assert!(long.len() > 3000);
        assert!(long_vague.len() * 100 <= long.len(), "{long_vague:?}");
    }

    #[test]
    fn a_megabyte_is_handled_in_linear_time() {
        let text = "carta 4111 1111 1111 1111, codice 123456. ".repeat(25_000);
        let r = redact(&text);
        assert_eq!(r.masked, 50_000);
        assert_eq!(r.text.chars().count(), text.chars().count());
        let _ = looks_like_scam_report(&text);
        let _ = is_too_vague(&text);
    }

    proptest! {
        #[test]
        fn redact_keeps_length_and_non_digits(text in "[0-9 a-zè€-]{0,200}") {
            let r = redact(&text);
            prop_assert_eq!(r.text.chars().count(), text.chars().count());
            for (a, b) in text.chars().zip(r.text.chars()) {
                if a.is_ascii_digit() {
                    prop_assert!(b == a || b == MASK);
                } else {
                    prop_assert_eq!(a, b);
                }
            }
        }

        #[test]
        fn text_rules_never_panic(text in "\\PC{0,300}") {
            let _ = redact(&text);
            let _ = is_too_vague(&text);
            let _ = mentions_urgent(&text);
            let _ = looks_like_scam_report(&text);
        }
    }
}
