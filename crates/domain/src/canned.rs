//! Canned replies (SPEC §7): texts with placeholders, checked when saved and filled in when an
//! agent picks one.
//!
//! A placeholder is `{name}` with `name` of ASCII lower-case letters and `_`. Any other brace is
//! text as written, so `{` alone, `{ x }` or `{Name}` need no escaping; but a well-formed name
//! that is not one of [`Placeholder::ALL`] is refused when saved, since it is almost always a
//! typo that would reach the customer as written.

/// What a canned text can ask to be filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    CustomerName,
    CaseNumber,
    StatusUrl,
    AgentName,
    MissingFields,
}

text_enum!(Placeholder, "placeholder", {
    CustomerName => "customer_name",
    CaseNumber => "case_number",
    StatusUrl => "status_url",
    AgentName => "agent_name",
    MissingFields => "missing_fields",
});

/// One piece of a text: as written, or a placeholder's name (known or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

/// The text cut into what is written and what names a placeholder.
fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // The first `{name}` in what is left; everything before it is text.
        let mut from = 0;
        while let Some(open) = rest[from..].find('{').map(|i| from + i) {
            let after = &rest[open + 1..];
            let len = after
                .bytes()
                .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
                .count();
            if len > 0 && after.as_bytes().get(len) == Some(&b'}') {
                if open > 0 {
                    let text = &rest[..open];
                    rest = &rest[open..];
                    return Some(Piece::Text(text));
                }
                let name = &after[..len];
                rest = &after[len + 1..];
                return Some(Piece::Name(name));
            }
            from = open + 1;
        }
        let text = rest;
        rest = "";
        Some(Piece::Text(text))
    })
}

/// The placeholder names `text` uses that are not known, each once, in order of appearance:
/// empty when the text may be saved.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for piece in pieces(text) {
        if let Piece::Name(name) = piece {
            if name.parse::<Placeholder>().is_err() && !unknown.iter().any(|u| u == name) {
                unknown.push(name.to_owned());
            }
        }
    }
    unknown
}

/// The known placeholder an unknown `name` was most likely meant to be (at most two edits
/// away), written as it would be in the text.
pub fn suggestion(name: &str) -> Option<String> {
    Placeholder::ALL
        .iter()
        .map(|p| (strsim::osa_distance(name, p.as_str()), p))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, p)| format!("{{{p}}}"))
}

/// `text` with each placeholder replaced by `value` of it, in one pass (a value that itself looks
/// like a placeholder stays as it is). A placeholder `value` has nothing for is left as written,
/// to be filled later (the status link is made only when the reply goes).
pub fn fill(text: &str, value: impl Fn(Placeholder) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(name) => match name.parse::<Placeholder>().ok().and_then(&value) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// Of the texts a canned reply has (language → text), the one for a customer writing in
/// `language`: theirs (or its base language's), else `fallback`'s, else the first; with the
/// language it is in.
pub fn text_for<'a>(
    texts: &'a std::collections::BTreeMap<String, String>,
    language: &str,
    fallback: &str,
) -> Option<(&'a str, &'a str)> {
    let pick = |lang: &str| texts.iter().find(|(l, _)| l.eq_ignore_ascii_case(lang));
    let base = language.split(['-', '_']).next().unwrap_or(language);
    pick(language)
        .or_else(|| pick(base))
        .or_else(|| pick(fallback))
        .or_else(|| texts.iter().next())
        .map(|(l, t)| (l.as_str(), t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(p: Placeholder) -> Option<String> {
        Some(format!("<{p}>"))
    }

    #[test]
    fn known_placeholders_are_filled_and_other_braces_kept() {
        let text = "Hi {customer_name}, case {case_number}: {status_url} — {agent_name}\n{missing_fields}";
        assert!(unknown_placeholders(text).is_empty());
        assert_eq!(
            fill(text, all),
            "Hi <customer_name>, case <case_number>: <status_url> — <agent_name>\n<missing_fields>"
        );
        for literal in [
            "{",
            "}",
            "{ case_number }",
            "{Case}",
            "{case1}",
            "a {b c} d",
            "{}",
            "{{",
            "x{",
        ] {
            assert_eq!(fill(literal, all), literal);
            assert!(unknown_placeholders(literal).is_empty(), "{literal}");
        }
        assert_eq!(fill("{{case_number}}", all), "{<case_number>}");
    }

    #[test]
    fn unknown_names_are_listed_once_in_order() {
        assert_eq!(
            unknown_placeholders("{custmer_name} {case_number} {nome} {custmer_name}"),
            ["custmer_name", "nome"]
        );
    }

    #[test]
    fn a_typo_suggests_the_placeholder_meant() {
        assert_eq!(suggestion("custmer_name").as_deref(), Some("{customer_name}"));
        assert_eq!(suggestion("case_nubmer").as_deref(), Some("{case_number}"));
        assert_eq!(suggestion("nome"), None);
    }

    #[test]
    fn a_placeholder_without_a_value_stays_for_later() {
        let filled = fill("{case_number}: {status_url}", |p| {
            (p == Placeholder::CaseNumber).then(|| "WA1".to_owned())
        });
        assert_eq!(filled, "WA1: {status_url}");
    }

    #[test]
    fn the_customers_language_picks_the_text() {
        let texts: std::collections::BTreeMap<String, String> = [("en", "Hello"), ("it", "Ciao")]
            .map(|(l, t)| (l.to_owned(), t.to_owned()))
            .into();
        assert_eq!(text_for(&texts, "it", "en"), Some(("it", "Ciao")));
        assert_eq!(text_for(&texts, "IT-ch", "en"), Some(("it", "Ciao")));
        assert_eq!(text_for(&texts, "de", "en"), Some(("en", "Hello")));
        let italian: std::collections::BTreeMap<String, String> = [("it".to_owned(), "Ciao".to_owned())].into();
        assert_eq!(text_for(&italian, "de", "en"), Some(("it", "Ciao")));
        assert_eq!(text_for(&Default::default(), "de", "en"), None);
    }

    proptest! {
        /// A text without braces is its own fill, and pieces always join back to the text.
        #[test]
        fn filling_with_nothing_gives_the_text_back(text in "\\PC{0,80}") {
            prop_assert_eq!(fill(&text, |_| None), text.clone());
            let joined: String = pieces(&text).map(|p| match p {
                Piece::Text(t) => t.to_owned(),
                Piece::Name(n) => format!("{{{n}}}"),
            }).collect();
            prop_assert_eq!(joined, text);
        }

        /// A value is written as given, never read again as a placeholder.
        #[test]
        fn values_are_not_filled_again(value in "[{}a-z_]{0,30}", before in "[^{}]{0,10}", after in "[^{}]{0,10}") {
            let text = format!("{before}{{case_number}}{after}");
            let filled = fill(&text, |_| Some(value.clone()));
            prop_assert_eq!(filled, format!("{before}{value}{after}"));
        }

        /// Every well-formed name is either known (and filled) or reported.
        #[test]
        fn every_name_is_filled_or_refused(name in "[a-z_]{1,16}") {
            let text = format!("x {{{name}}} y");
            let known = name.parse::<Placeholder>().is_ok();
            prop_assert_eq!(unknown_placeholders(&text).is_empty(), known);
            prop_assert_eq!(fill(&text, |_| Some("V".to_owned())) == "x V y", known);
        }
    }
}
