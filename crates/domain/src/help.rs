//! Help-centre articles (SPEC §12): Markdown under a small TOML header, one file per article and
//! language (`{language}/{slug}.md`), the slug shared by an article's translations.
//!
//! ```text
//! +++
//! title = "What to send when a payment failed"
//! category = "payments"
//! subcategory = "transaction_failed"   # optional
//! tags = ["transaction id", "screenshots"]
//! +++
//! The body, in CommonMark…
//! ```
//!
//! This module reads and checks an article against the catalog; rendering the Markdown safely is
//! the web layer's (it owns the HTML).

use serde::Deserialize;

use crate::catalog::Catalog;

/// One article in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub slug: String,
    pub language: String,
    pub title: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub tags: Vec<String>,
    /// Markdown.
    pub body: String,
}

/// Why an article was refused, with what an editor needs to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("a slug is 1 to {SLUG_MAX} lowercase letters, digits and single hyphens: {0:?}")]
    Slug(String),
    #[error("a language is a two- or three-letter code: {0:?}")]
    Language(String),
    #[error("the article starts with a header between two `+++` lines")]
    NoHeader,
    #[error("the header: {0}")]
    Header(String),
    #[error("the title is empty or longer than {TITLE_MAX} characters")]
    Title,
    #[error("the catalog has no category {0:?}")]
    Category(String),
    #[error("the category {0:?} has no sub-category {1:?}")]
    Subcategory(String, String),
    #[error("the article has no text")]
    Body,
    #[error("the article is longer than {BODY_MAX} characters")]
    TooLong,
}

pub const SLUG_MAX: usize = 80;
pub const TITLE_MAX: usize = 150;
/// A long guide, with room to spare; a bound on what one page renders.
pub const BODY_MAX: usize = 50_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    title: String,
    category: String,
    subcategory: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// The built-in articles, written for the default catalog from the seed's advice: (language,
/// slug, source). A test holds this list to the files in `data/help`.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "en",
        "account-requests",
        include_str!("../data/help/en/account-requests.md"),
    ),
    ("en", "backup-failed", include_str!("../data/help/en/backup-failed.md")),
    (
        "en",
        "banned-account-appeal",
        include_str!("../data/help/en/banned-account-appeal.md"),
    ),
    (
        "en",
        "change-phone-or-number",
        include_str!("../data/help/en/change-phone-or-number.md"),
    ),
    (
        "en",
        "confirmation-email-missing",
        include_str!("../data/help/en/confirmation-email-missing.md"),
    ),
    (
        "en",
        "fake-support-scams",
        include_str!("../data/help/en/fake-support-scams.md"),
    ),
    (
        "en",
        "group-cannot-join",
        include_str!("../data/help/en/group-cannot-join.md"),
    ),
    (
        "en",
        "groups-requests",
        include_str!("../data/help/en/groups-requests.md"),
    ),
    (
        "en",
        "messages-not-received",
        include_str!("../data/help/en/messages-not-received.md"),
    ),
    (
        "en",
        "messages-requests",
        include_str!("../data/help/en/messages-requests.md"),
    ),
    (
        "en",
        "payments-requests",
        include_str!("../data/help/en/payments-requests.md"),
    ),
    (
        "en",
        "removed-from-group",
        include_str!("../data/help/en/removed-from-group.md"),
    ),
    (
        "en",
        "response-times",
        include_str!("../data/help/en/response-times.md"),
    ),
    (
        "en",
        "security-requests",
        include_str!("../data/help/en/security-requests.md"),
    ),
    (
        "en",
        "stolen-account",
        include_str!("../data/help/en/stolen-account.md"),
    ),
    (
        "en",
        "technical-requests",
        include_str!("../data/help/en/technical-requests.md"),
    ),
    ("en", "update-failed", include_str!("../data/help/en/update-failed.md")),
    (
        "en",
        "when-to-mark-urgent",
        include_str!("../data/help/en/when-to-mark-urgent.md"),
    ),
    (
        "it",
        "account-requests",
        include_str!("../data/help/it/account-requests.md"),
    ),
    ("it", "backup-failed", include_str!("../data/help/it/backup-failed.md")),
    (
        "it",
        "banned-account-appeal",
        include_str!("../data/help/it/banned-account-appeal.md"),
    ),
    (
        "it",
        "change-phone-or-number",
        include_str!("../data/help/it/change-phone-or-number.md"),
    ),
    (
        "it",
        "confirmation-email-missing",
        include_str!("../data/help/it/confirmation-email-missing.md"),
    ),
    (
        "it",
        "fake-support-scams",
        include_str!("../data/help/it/fake-support-scams.md"),
    ),
    (
        "it",
        "group-cannot-join",
        include_str!("../data/help/it/group-cannot-join.md"),
    ),
    (
        "it",
        "groups-requests",
        include_str!("../data/help/it/groups-requests.md"),
    ),
    (
        "it",
        "messages-not-received",
        include_str!("../data/help/it/messages-not-received.md"),
    ),
    (
        "it",
        "messages-requests",
        include_str!("../data/help/it/messages-requests.md"),
    ),
    (
        "it",
        "payments-requests",
        include_str!("../data/help/it/payments-requests.md"),
    ),
    (
        "it",
        "removed-from-group",
        include_str!("../data/help/it/removed-from-group.md"),
    ),
    (
        "it",
        "response-times",
        include_str!("../data/help/it/response-times.md"),
    ),
    (
        "it",
        "security-requests",
        include_str!("../data/help/it/security-requests.md"),
    ),
    (
        "it",
        "stolen-account",
        include_str!("../data/help/it/stolen-account.md"),
    ),
    (
        "it",
        "technical-requests",
        include_str!("../data/help/it/technical-requests.md"),
    ),
    ("it", "update-failed", include_str!("../data/help/it/update-failed.md")),
    (
        "it",
        "when-to-mark-urgent",
        include_str!("../data/help/it/when-to-mark-urgent.md"),
    ),
];

/// The built-in articles, checked against `catalog` (one that names a category the catalog lacks
/// is left out: an operator's own catalog need not have the default's).
pub fn builtin(catalog: &Catalog) -> Vec<Article> {
    BUILTIN
        .iter()
        .filter_map(|(language, slug, source)| parse(slug, language, source, catalog).ok())
        .collect()
}

/// A slug as URLs carry it: `payments-failed`, never `Payments`, `a--b` or `-a`.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

fn is_language(language: &str) -> bool {
    (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase())
}

/// Reads the article `slug` in `language` from its file's text, checked against `catalog`.
pub fn parse(slug: &str, language: &str, source: &str, catalog: &Catalog) -> Result<Article, ArticleError> {
    if !is_slug(slug) {
        return Err(ArticleError::Slug(slug.to_owned()));
    }
    if !is_language(language) {
        return Err(ArticleError::Language(language.to_owned()));
    }
    let source = source.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let rest = source.strip_prefix("+++\n").ok_or(ArticleError::NoHeader)?;
    let end = rest.find("\n+++").ok_or(ArticleError::NoHeader)?;
    let (header, body) = (&rest[..=end], &rest[end + 4..]);
    let body = body.strip_prefix('\n').unwrap_or(body).trim();
    let header: Header = toml::from_str(header).map_err(|e| ArticleError::Header(e.message().trim().to_owned()))?;
    let title = header.title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX {
        return Err(ArticleError::Title);
    }
    let category = catalog
        .category(&header.category)
        .ok_or_else(|| ArticleError::Category(header.category.clone()))?;
    if let Some(sub) = &header.subcategory {
        if !category.subcategories.iter().any(|s| &s.id == sub) {
            return Err(ArticleError::Subcategory(header.category.clone(), sub.clone()));
        }
    }
    if body.is_empty() {
        return Err(ArticleError::Body);
    }
    if body.chars().count() > BODY_MAX {
        return Err(ArticleError::TooLong);
    }
    Ok(Article {
        slug: slug.to_owned(),
        language: language.to_owned(),
        title: title.to_owned(),
        category: header.category,
        subcategory: header.subcategory,
        tags: header
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        body: body.to_owned(),
    })
}

/// The article as its file holds it: what [`parse`] reads back.
pub fn source(article: &Article) -> String {
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut text = format!(
        "+++\ntitle = {}\ncategory = {}\n",
        quote(&article.title),
        quote(&article.category)
    );
    if let Some(sub) = &article.subcategory {
        text += &format!("subcategory = {}\n", quote(sub));
    }
    let tags: Vec<String> = article.tags.iter().map(|t| quote(t)).collect();
    text += &format!("tags = [{}]\n+++\n{}\n", tags.join(", "), article.body);
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const FAILED: &str = "+++\ntitle = \"What to send when a payment failed\"\ncategory = \"payments\"\n\
        subcategory = \"transaction_failed\"\ntags = [\"transaction id\", \" \"]\n+++\n\n## The id\n\nThe **transaction id**.\n";

    #[test]
    fn an_article_reads_its_header_and_body() {
        let a = parse("payment-failed", "en", FAILED, &Catalog::builtin()).unwrap();
        assert_eq!(a.title, "What to send when a payment failed");
        assert_eq!(a.category, "payments");
        assert_eq!(a.subcategory.as_deref(), Some("transaction_failed"));
        assert_eq!(a.tags, ["transaction id"]);
        assert_eq!(a.body, "## The id\n\nThe **transaction id**.");
        let crlf = FAILED.replace('\n', "\r\n");
        assert_eq!(parse("payment-failed", "en", &crlf, &Catalog::builtin()).unwrap(), a);
    }

    #[test]
    fn a_bad_article_says_what_is_wrong() {
        let catalog = Catalog::builtin();
        let with = |slug: &str, text: &str| parse(slug, "en", text, &catalog).unwrap_err();
        assert_eq!(with("Payment", FAILED), ArticleError::Slug("Payment".into()));
        assert_eq!(with("a--b", FAILED), ArticleError::Slug("a--b".into()));
        assert_eq!(with("a", "no header"), ArticleError::NoHeader);
        assert_eq!(with("a", "+++\ntitle = \"x\"\n"), ArticleError::NoHeader);
        assert!(matches!(
            with(
                "a",
                "+++\ntitle = \"x\"\ncategory = \"payments\"\nauthor = \"me\"\n+++\nText"
            ),
            ArticleError::Header(_)
        ));
        assert_eq!(
            with("a", "+++\ntitle = \"x\"\ncategory = \"billing\"\n+++\nText"),
            ArticleError::Category("billing".into())
        );
        assert_eq!(
            with(
                "a",
                "+++\ntitle = \"x\"\ncategory = \"payments\"\nsubcategory = \"crash\"\n+++\nText"
            ),
            ArticleError::Subcategory("payments".into(), "crash".into())
        );
        assert_eq!(
            with("a", "+++\ntitle = \" \"\ncategory = \"payments\"\n+++\nText"),
            ArticleError::Title
        );
        assert_eq!(
            with("a", "+++\ntitle = \"x\"\ncategory = \"payments\"\n+++\n  \n"),
            ArticleError::Body
        );
        assert_eq!(
            parse("a", "English", FAILED, &catalog).unwrap_err(),
            ArticleError::Language("English".into())
        );
    }

    /// Every file in `data/help` is built in and reads against the default catalog, and every
    /// language has the same articles.
    #[test]
    fn the_builtin_articles_are_every_file_and_all_read() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/help");
        let mut files = Vec::new();
        for language in std::fs::read_dir(&dir).unwrap() {
            let language = language.unwrap();
            for file in std::fs::read_dir(language.path()).unwrap() {
                let name = file.unwrap().file_name().into_string().unwrap();
                files.push((
                    language.file_name().into_string().unwrap(),
                    name.trim_end_matches(".md").to_owned(),
                ));
            }
        }
        files.sort();
        let mut listed: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(l, s, _)| ((*l).to_owned(), (*s).to_owned()))
            .collect();
        listed.sort();
        assert_eq!(files, listed);
        let catalog = Catalog::builtin();
        for (language, slug, source) in BUILTIN {
            parse(slug, language, source, &catalog).unwrap_or_else(|e| panic!("{language}/{slug}: {e}"));
        }
        let slugs = |language: &str| {
            let mut s: Vec<&str> = BUILTIN
                .iter()
                .filter(|(l, _, _)| *l == language)
                .map(|(_, s, _)| *s)
                .collect();
            s.sort_unstable();
            s
        };
        assert_eq!(slugs("en"), slugs("it"));
        assert!(slugs("en").len() >= 12);
        // Links between articles lead to articles that exist.
        for (language, slug, source) in BUILTIN {
            for link in source.split("](/help/").skip(1) {
                let target = link.split(')').next().unwrap();
                assert!(slugs(language).contains(&target), "{language}/{slug} links to {target}");
            }
        }
        // Each of the six categories has articles.
        let articles = builtin(&catalog);
        for category in catalog.categories() {
            assert!(
                articles.iter().any(|a| a.category == category.id && a.language == "it"),
                "{}",
                category.id
            );
        }
    }

    proptest! {
        /// What an editor saves reads back as they wrote it, whatever the text.
        #[test]
        fn an_article_reads_back_from_its_source(
            title in "[^\\x00-\\x1f]{1,60}",
            tags in prop::collection::vec("[a-z ]{1,12}", 0..4),
            body in "[^\\x00-\\x08\\r]{1,300}",
        ) {
            prop_assume!(!title.trim().is_empty() && !body.trim().is_empty());
            let article = Article {
                slug: "a".into(),
                language: "it".into(),
                title: title.trim().to_owned(),
                category: "security".into(),
                subcategory: Some("support_scam".into()),
                tags: tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
                body: body.trim().to_owned(),
            };
            prop_assert_eq!(parse("a", "it", &source(&article), &Catalog::builtin()), Ok(article));
        }

        #[test]
        fn parsing_never_panics(text in ".{0,400}", slug in "[a-z-]{0,10}") {
            let _ = parse(&slug, "en", &text, &Catalog::builtin());
        }
    }
}
