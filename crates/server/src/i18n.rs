//! Messages in the customer's language, from Fluent files under `locales/` (one folder a language:
//! adding a language is adding a folder). Italian and English are complete.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Isolation marks around variables would end up inside JSON and e-mail subjects.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language we have messages for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lang(LanguageIdentifier);

impl Lang {
    pub fn english() -> Lang {
        Lang(fluent_templates::langid!("en"))
    }

    /// The first of `candidates` (most preferred first) that we speak (`it-IT` is `it`), by
    /// fluent-langneg's lookup; English when none is.
    pub fn negotiate<'a>(candidates: impl IntoIterator<Item = &'a str>) -> Lang {
        let requested: Vec<LanguageIdentifier> = candidates
            .into_iter()
            .filter_map(|tag| tag.trim().parse::<LanguageIdentifier>().ok())
            .collect();
        let available: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
        let english = fluent_templates::langid!("en");
        fluent_langneg::negotiate_languages(
            &requested,
            &available,
            Some(&english),
            fluent_langneg::NegotiationStrategy::Lookup,
        )
        .first()
        .map_or_else(Lang::english, |found| Lang((*found).clone()))
    }

    /// The languages of an `Accept-Language` header, by descending quality. Written here rather
    /// than taken from fluent-langneg, whose parser drops the weights: `fr;q=0` ("not French")
    /// would then ask for French.
    pub fn from_accept_language(header: &str) -> Vec<&str> {
        let mut tags: Vec<(&str, f32)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (!tag.is_empty() && tag != "*" && q > 0.0).then_some((tag, q))
            })
            .collect();
        tags.sort_by(|a, b| b.1.total_cmp(&a.1));
        tags.into_iter().map(|(t, _)| t).collect()
    }

    /// Every language we have messages for, by code: the language switcher's list.
    pub fn available() -> Vec<Lang> {
        let mut all: Vec<Lang> = LOCALES.locales().map(|l| Lang(l.clone())).collect();
        all.sort_by_key(Lang::code);
        all.dedup_by_key(|l| l.code());
        all
    }

    pub fn code(&self) -> String {
        self.0.language.as_str().to_owned()
    }

    /// The message `id` with its variables; the id itself if a translation is missing everywhere.
    pub fn message(&self, id: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.as_str())))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.0, id, &args)
            .unwrap_or_else(|| id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_domain::problem::{ProblemCode, WarningCode};

    fn ids() -> Vec<String> {
        ProblemCode::ALL
            .iter()
            .map(|p| format!("problem-{}", p.as_str()))
            .chain(WarningCode::ALL.iter().map(|w| format!("warning-{}", w.as_str())))
            .collect()
    }

    #[test]
    fn every_code_has_a_distinct_message_in_italian_and_english() {
        let (it, en) = (Lang::negotiate(["it"]), Lang::english());
        for id in ids() {
            let args = [("suggestion", "x@gmail.com".to_owned())];
            let (i, e) = (it.message(&id, &args), en.message(&id, &args));
            assert_ne!(i, id, "{id} missing in Italian");
            assert_ne!(e, id, "{id} missing in English");
            assert_ne!(i, e, "{id} not translated");
        }
    }

    #[test]
    fn suggestions_are_woven_into_the_message() {
        let en = Lang::english();
        let with = en.message("problem-email_suspect", &[("suggestion", "mario@gmail.com".into())]);
        assert!(with.contains("mario@gmail.com"), "{with}");
        let without = en.message("problem-phone_missing_country_code", &[("suggestion", "none".into())]);
        assert!(!without.contains("Did you mean"), "{without}");
    }

    #[test]
    fn negotiation_takes_the_first_language_we_speak() {
        assert_eq!(Lang::negotiate(["de", "it-IT", "en"]).code(), "it");
        assert_eq!(Lang::negotiate(["xx", "??"]).code(), "en");
        let header = "de-DE;q=0.9, it;q=0.95, en;q=0.1, fr;q=0";
        assert_eq!(Lang::from_accept_language(header), ["it", "de-DE", "en"]);
        assert_eq!(Lang::negotiate(Lang::from_accept_language(header)).code(), "it");
    }
}
