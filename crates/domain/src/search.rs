//! The words of full-text search (SPEC §11). Both databases index the words made here, so a case
//! is found the same way on SQLite and PostgreSQL and neither needs a stemmer of its own (SQLite
//! has none for Italian): the text is cut into runs of letters and digits, lower-cased, stripped of
//! accents, and each word stemmed for every language the desk stems ([`STEMMED`]). A query word
//! finds a case when one of its stems is among the case's, whichever language either was written
//! in: "rimborsi" finds "rimborso", "refunded" finds "refund", "perche" finds "perché".
//!
//! Words are indexed by stem alone, so a query is an `AND` of its words, each an `OR` of its
//! stems; there are no phrases (a word's stems would sit at different positions).

use std::borrow::Cow;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The languages whose stems every word is indexed under. Changing this changes the index: cases
/// indexed before keep their old stems (still found by each word's unchanged stems).
pub const STEMMED: [Algorithm; 2] = [Algorithm::Italian, Algorithm::English];
/// A longer run is no word (a hash, base64, a pasted log line): not indexed, not searched.
pub const MAX_WORD_CHARS: usize = 40;
/// Query words after this many are ignored.
pub const MAX_TERMS: usize = 12;
/// Words of a snippet.
pub const SNIPPET_WORDS: usize = 24;
/// Words a snippet shows before its first hit.
const LEAD: usize = 5;
/// Words of a text read for its snippet: a long mail's hits past this are not shown.
const SNIPPET_SCAN: usize = 20_000;
/// Digits for a query to be read as one phone number.
const PHONE_DIGITS: usize = 6;

static STEMMERS: LazyLock<Vec<Stemmer>> = LazyLock::new(|| STEMMED.iter().map(|a| Stemmer::create(*a)).collect());

/// Byte ranges of the words of `text`: runs of letters, digits and the marks on them.
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|(_, c)| c.is_alphanumeric())?;
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !(c.is_alphanumeric() || is_combining_mark(c)) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// Lower case, without accents: `Perché` → `perche`.
fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stems a word is indexed and searched by, each once; none for a word too long to be one.
pub fn stems(word: &str) -> Vec<String> {
    let folded = fold(word);
    if folded.chars().count() > MAX_WORD_CHARS {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(STEMMED.len());
    for stemmer in STEMMERS.iter() {
        let stem = match stemmer.stem(&folded) {
            // A stemmer leaves a word it cannot shorten as it is.
            Cow::Borrowed(s) => s.to_owned(),
            Cow::Owned(s) => s,
        };
        if !stem.is_empty() && !out.contains(&stem) {
            out.push(stem);
        }
    }
    out
}

/// What the index holds for `text`: every stem of every word, space-separated.
pub fn indexed(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for (start, end) in words(text) {
        for stem in stems(&text[start..end]) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&stem);
        }
    }
    out
}

/// A search as typed, read into terms; every term must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Each term's stems, any of which finds it.
    terms: Vec<Vec<String>>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        if let Some(number) = phone_digits(text) {
            return Query {
                terms: vec![vec![number]],
            };
        }
        let mut terms: Vec<Vec<String>> = Vec::new();
        for (start, end) in words(text) {
            let stems = stems(&text[start..end]);
            if !stems.is_empty() && !terms.contains(&stems) {
                terms.push(stems);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// For SQLite's FTS5 `MATCH`: `("rimbors" OR "rimborsi") AND ("12")`. Stems are letters
    /// and digits only, so the quotes hold them whatever was typed.
    pub fn fts5(&self) -> String {
        self.join(" AND ", " OR ", |s| format!("\"{s}\""))
    }

    /// For PostgreSQL's `to_tsquery('simple', …)`: `('rimbors' | 'rimborsi') & ('12')`.
    pub fn tsquery(&self) -> String {
        self.join(" & ", " | ", |s| format!("'{s}'"))
    }

    fn join(&self, and: &str, or: &str, quote: impl Fn(&str) -> String) -> String {
        self.terms
            .iter()
            .map(|stems| format!("({})", stems.iter().map(|s| quote(s)).collect::<Vec<_>>().join(or)))
            .collect::<Vec<_>>()
            .join(and)
    }

    /// The term `word` finds, if any.
    fn term_of(&self, word: &str) -> Option<usize> {
        if self.terms.len() == 1 && self.terms[0].len() == 1 && self.terms[0][0].bytes().all(|b| b.is_ascii_digit()) {
            // A number is found inside a longer one only as a whole word: `3451000001` is a word
            // of `+39 345 1000001`'s index, not of its text; the text's digits are joined here.
            let digits: String = word.chars().filter(char::is_ascii_digit).collect();
            return (digits == self.terms[0][0]).then_some(0);
        }
        let stems = stems(word);
        self.terms.iter().position(|t| t.iter().any(|s| stems.contains(s)))
    }

    /// The passage of `text` that shows the most of the query's terms, its hits marked; None when
    /// no word of it is a hit.
    pub fn snippet(&self, text: &str) -> Option<Snippet> {
        let spans: Vec<(usize, usize)> = words(text).take(SNIPPET_SCAN).collect();
        let hits: Vec<(usize, usize)> = spans
            .iter()
            .enumerate()
            .filter_map(|(i, &(s, e))| self.term_of(&text[s..e]).map(|term| (i, term)))
            .collect();
        let score = |from: usize| {
            let inside: Vec<usize> = hits
                .iter()
                .filter(|(i, _)| (from..from + SNIPPET_WORDS).contains(i))
                .map(|(_, t)| *t)
                .collect();
            let mut distinct = inside.clone();
            distinct.sort_unstable();
            distinct.dedup();
            (distinct.len(), inside.len())
        };
        let mut best: Option<(usize, (usize, usize))> = None;
        // A window starts a few words before a hit, and no later than where it would still be
        // full: a short text is shown whole.
        let latest = spans.len().saturating_sub(SNIPPET_WORDS);
        for &(i, _) in &hits {
            let from = i.saturating_sub(LEAD).min(latest);
            let s = score(from);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((from, s));
            }
        }
        let (from, (distinct, count)) = best?;
        let to = (from + SNIPPET_WORDS).min(spans.len());
        let start = if from == 0 { 0 } else { spans[from].0 };
        let end = if to == spans.len() && spans.len() < SNIPPET_SCAN {
            text.len()
        } else {
            spans[to - 1].1
        };
        let mut parts: Vec<Part> = Vec::new();
        if from > 0 {
            parts.push(Part::text("…"));
        }
        let mut at = start;
        for (i, &(s, e)) in spans.iter().enumerate().take(to).skip(from) {
            parts.push(Part::text(&text[at..s]));
            let hit = hits.iter().any(|(h, _)| *h == i);
            parts.push(Part {
                text: text[s..e].to_owned(),
                hit,
            });
            at = e;
        }
        parts.push(Part::text(&text[at..end]));
        if end < text.len() {
            parts.push(Part::text("…"));
        }
        Some(Snippet {
            parts: Part::merged(parts),
            terms: distinct,
            hits: count,
        })
    }
}

/// A query that is a phone number as people type one (`+39 345 100 0001`, `0039 345…`,
/// `345-1000001`): its digits as one term, which the index holds whole ([`phone_words`]).
fn phone_digits(text: &str) -> Option<String> {
    let text = text.trim();
    if !text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let digits = match text.strip_prefix('+') {
        Some(_) => digits,
        None => digits.strip_prefix("00").map(ToOwned::to_owned).unwrap_or(digits),
    };
    (digits.len() >= PHONE_DIGITS).then_some(digits)
}

/// The words a request is indexed by, on its new case or the one it joins: its contact, device,
/// field values and description.
pub fn request_words(r: &crate::request::ValidRequest) -> String {
    let mut text = String::with_capacity(r.description.len() + 128);
    for part in [Some(r.email.as_str()), r.name.as_deref(), r.device.as_deref()]
        .into_iter()
        .flatten()
        .chain(r.fields.values().map(String::as_str))
        .chain(std::iter::once(r.description.as_str()))
    {
        text.push_str(part);
        text.push('\n');
    }
    let mut words = indexed(&text);
    if let Some(phone) = &r.phone {
        words.push(' ');
        words.push_str(&phone_words(phone));
    }
    words
}

/// A phone number as the index holds it: its E.164 digits and the national ones, whole.
pub fn phone_words(phone: &crate::contact::phone::Phone) -> String {
    let e164 = phone.as_str().trim_start_matches('+');
    format!("{e164} {}", phone.national_digits())
}

/// A passage of a text with the words that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub parts: Vec<Part>,
    /// How many of the query's terms it shows, and how many hits: the better of two passages
    /// shows more terms, then more hits.
    pub terms: usize,
    pub hits: usize,
}

impl Snippet {
    pub fn score(&self) -> (usize, usize) {
        (self.terms, self.hits)
    }

    /// The passage as plain text.
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    pub hit: bool,
}

impl Part {
    fn text(text: &str) -> Part {
        Part {
            text: text.to_owned(),
            hit: false,
        }
    }

    /// Runs of white space made one space, neighbouring plain parts joined, the ends trimmed.
    fn merged(parts: Vec<Part>) -> Vec<Part> {
        let mut out: Vec<Part> = Vec::new();
        for mut p in parts {
            if !p.hit {
                p.text = collapse_spaces(&p.text);
            }
            match out.last_mut() {
                _ if p.text.is_empty() => {}
                Some(last) if !last.hit && !p.hit => last.text.push_str(&p.text),
                _ => out.push(p),
            }
        }
        if let Some(first) = out.first_mut().filter(|p| !p.hit) {
            first.text = first.text.trim_start().to_owned();
        }
        if let Some(last) = out.last_mut().filter(|p| !p.hit) {
            last.text = last.text.trim_end().to_owned();
        }
        out.retain(|p| !p.text.is_empty());
        out
    }
}

fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Whether a case whose text is `text` is found by `query`, as the databases decide it: every
    /// term has a stem among the indexed words.
    fn finds(query: &str, text: &str) -> bool {
        let q = Query::parse(query);
        let index = indexed(text);
        let index: Vec<&str> = index.split(' ').collect();
        !q.is_empty() && q.terms.iter().all(|t| t.iter().any(|s| index.contains(&s.as_str())))
    }

    #[test]
    fn inflections_find_each_other_in_both_languages() {
        assert!(finds("rimborsi", "Chiedo il rimborso di 12 euro"));
        assert!(finds("rimborso", "Ho avuto due rimborsi"));
        assert!(finds("refund", "They refunded me twice"));
        assert!(finds("refunds", "Please refund the payment"));
        assert!(finds("pagamento", "i pagamenti non arrivano"));
        assert!(!finds("rimborso", "Il pagamento non arriva"));
    }

    #[test]
    fn accents_and_case_do_not_matter() {
        assert!(finds("perche", "Perché il mio account è bloccato?"));
        assert!(finds("PERCHÉ", "perche non funziona"));
        assert!(finds("citta", "Città di Milano"));
        // Decomposed input (e + combining acute) is the same word.
        assert!(finds("perché", "perche\u{301} no"));
    }

    #[test]
    fn every_term_must_be_found() {
        assert!(finds("rimborso bloccato", "rimborso: conto bloccato"));
        assert!(!finds("rimborso bloccato", "rimborso arrivato"));
    }

    #[test]
    fn identifiers_are_cut_into_their_parts_and_found_by_all_of_them() {
        let text = "Transaction TXN-8842-AB failed with error E1234";
        assert!(finds("TXN-8842-AB", text));
        assert!(finds("txn 8842 ab", text));
        assert!(finds("e1234", text));
        assert!(!finds("TXN-8842-AC", text));
    }

    #[test]
    fn phone_numbers_are_found_as_typed_with_or_without_the_country_code() {
        let phone = crate::contact::phone::Phone::from_e164("+393451000001").unwrap();
        let text = phone_words(&phone);
        assert_eq!(text, "393451000001 3451000001");
        for typed in [
            "+39 345 100 0001",
            "0039 345 1000001",
            "345-1000001",
            "3451000001",
            "+393451000001",
        ] {
            assert!(finds(typed, &text), "{typed}");
        }
        assert!(!finds("+39 345 100 0002", &text));
    }

    #[test]
    fn a_word_too_long_to_be_one_is_neither_indexed_nor_searched() {
        let hash = "a".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(indexed(&format!("{hash} ok")), "ok");
        assert!(Query::parse(&hash).is_empty());
    }

    #[test]
    fn the_query_languages_are_built_of_quoted_stems() {
        let q = Query::parse("rimborsi refunded");
        assert_eq!(
            q.fts5(),
            "(\"rimbors\" OR \"rimborsi\") AND (\"refunded\" OR \"refund\")"
        );
        assert_eq!(q.tsquery(), "('rimbors' | 'rimborsi') & ('refunded' | 'refund')");
        assert!(Query::parse("  ,;!? ").is_empty());
    }

    #[test]
    fn a_snippet_shows_the_passage_with_most_terms_and_marks_the_hits() {
        let text = "Il pagamento è partito ieri. Poi niente per giorni e giorni, nessuna notizia, \
                    nessuna risposta, niente di niente da nessuno, né in chat né per mail, né dalla \
                    banca né da voi. Oggi chiedo il rimborso del pagamento \
                    di 12 euro, transazione TXN-8842.";
        let s = Query::parse("rimborso pagamento").snippet(text).unwrap();
        assert_eq!(s.terms, 2);
        let hits: Vec<&str> = s.parts.iter().filter(|p| p.hit).map(|p| p.text.as_str()).collect();
        assert_eq!(hits, ["rimborso", "pagamento"]);
        assert!(s.text().starts_with('…'), "{}", s.text());
        assert!(
            s.text().contains("chiedo il rimborso del pagamento di 12 euro"),
            "{}",
            s.text()
        );
        assert!(Query::parse("bloccato").snippet(text).is_none());
    }

    #[test]
    fn a_short_text_is_its_own_snippet_with_its_spaces_made_single() {
        let s = Query::parse("euro").snippet("Rimborso di  12\n euro.").unwrap();
        assert_eq!(s.text(), "Rimborso di 12 euro.");
        assert_eq!(
            s.parts,
            [
                Part::text("Rimborso di 12 "),
                Part {
                    text: "euro".to_owned(),
                    hit: true
                },
                Part::text(".")
            ]
        );
    }

    proptest! {
        /// Any word of a text, searched alone, finds the text, and its snippet marks it.
        #[test]
        fn every_word_finds_its_text(words in proptest::collection::vec("[a-zA-Zàèéìòù0-9]{1,12}", 1..30), pick in 0usize..30) {
            let text = words.join(" ");
            let word = &words[pick % words.len()];
            prop_assert!(finds(word, &text));
            let s = Query::parse(word).snippet(&text);
            prop_assert!(s.is_some());
            let s = s.unwrap();
            prop_assert!(s.parts.iter().any(|p| p.hit));
            // The snippet's text is the text's, words in order, nothing invented.
            let plain = s.text().replace('…', "");
            prop_assert!(text.contains(plain.trim()), "{} not in {}", plain, text);
        }

        /// Whatever is typed, the query is quoted stems and operators only: nothing of the input
        /// reaches the database's query language as syntax.
        #[test]
        fn typed_text_never_becomes_query_syntax(typed in ".{0,200}") {
            let q = Query::parse(&typed);
            for stems in &q.terms {
                for s in stems {
                    prop_assert!(!s.is_empty() && s.chars().all(char::is_alphanumeric), "{:?}", s);
                }
            }
            prop_assert!(q.terms.len() <= MAX_TERMS);
        }

        /// Any text and any query: a snippet, when there is one, counts what it marks.
        #[test]
        fn snippets_never_panic_and_keep_to_the_text(text in ".{0,300}", typed in ".{0,40}") {
            if let Some(s) = Query::parse(&typed).snippet(&text) {
                prop_assert!(s.terms >= 1 && s.hits >= s.terms);
                prop_assert_eq!(s.parts.iter().filter(|p| p.hit).count(), s.hits);
            }
        }
    }
}
