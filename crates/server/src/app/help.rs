//! The help centre's articles (SPEC §12): the built-in ones, each replaced or joined by the
//! operator's own (`help_dir`, `{language}/{slug}.md`), read and checked once at start-up.

use sportello_domain::catalog::Catalog;
use sportello_domain::help::{self, Article, ArticleError};

/// Every article in every language, in the catalog's order of categories, then by title.
#[derive(Debug, Clone, Default)]
pub struct Library {
    articles: Vec<Article>,
}

/// An operator's article that does not read, named by its file.
#[derive(Debug, thiserror::Error)]
#[error("help article {language}/{slug}.md: {error}")]
pub struct BadArticle {
    pub language: String,
    pub slug: String,
    pub error: ArticleError,
}

/// How many related articles an article page shows.
pub const RELATED: usize = 3;

impl Library {
    /// The built-in articles the catalog has categories for, and `own` — (language, slug,
    /// source) — over them: an article of the same slug and language replaces the built-in one.
    pub fn new(catalog: &Catalog, own: &[(String, String, String)]) -> Result<Library, BadArticle> {
        let mut articles = help::builtin(catalog);
        for (language, slug, source) in own {
            let article = help::parse(slug, language, source, catalog).map_err(|error| BadArticle {
                language: language.clone(),
                slug: slug.clone(),
                error,
            })?;
            articles.retain(|a| !(a.slug == article.slug && a.language == article.language));
            articles.push(article);
        }
        let order = |a: &Article| catalog.categories().iter().position(|c| c.id == a.category);
        articles.sort_by(|a, b| (order(a), &a.title).cmp(&(order(b), &b.title)));
        Ok(Library { articles })
    }

    /// Each article once, in `language` where it is written in it, else in English, else in the
    /// first language it has.
    pub fn in_language(&self, language: &str) -> Vec<&Article> {
        let mut shown: Vec<&Article> = Vec::new();
        for a in &self.articles {
            if shown.iter().any(|s| s.slug == a.slug) {
                continue;
            }
            if let Some(best) = self.article(&a.slug, language) {
                shown.push(best);
            }
        }
        shown
    }

    /// The article `slug` in `language`, else in English, else in the first language it has.
    pub fn article(&self, slug: &str, language: &str) -> Option<&Article> {
        let of_slug = || self.articles.iter().filter(move |a| a.slug == slug);
        of_slug()
            .find(|a| a.language == language)
            .or_else(|| of_slug().find(|a| a.language == "en"))
            .or_else(|| of_slug().next())
    }

    /// Up to [`RELATED`] other articles of its category, those of its sub-category first.
    pub fn related(&self, article: &Article, language: &str) -> Vec<&Article> {
        let mut others: Vec<&Article> = self
            .in_language(language)
            .into_iter()
            .filter(|a| a.slug != article.slug && a.category == article.category)
            .collect();
        others.sort_by_key(|a| a.subcategory != article.subcategory || a.subcategory.is_none());
        others.truncate(RELATED);
        others
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn own(language: &str, slug: &str, title: &str) -> (String, String, String) {
        (
            language.into(),
            slug.into(),
            format!("+++\ntitle = \"{title}\"\ncategory = \"payments\"\n+++\nOur own words."),
        )
    }

    #[test]
    fn an_operators_article_replaces_the_builtin_one_of_its_slug_and_language() {
        let catalog = Catalog::builtin();
        let builtin = Library::new(&catalog, &[]).unwrap();
        let it = builtin.article("payments-requests", "it").unwrap().title.clone();
        let library = Library::new(
            &catalog,
            &[
                own("en", "payments-requests", "Our payments"),
                own("en", "refund-policy", "Refunds"),
            ],
        )
        .unwrap();
        assert_eq!(
            library.article("payments-requests", "en").unwrap().title,
            "Our payments"
        );
        assert_eq!(library.article("payments-requests", "it").unwrap().title, it);
        // An article only in English is shown in English to an Italian reader.
        assert_eq!(library.article("refund-policy", "it").unwrap().language, "en");
        let italian = library.in_language("it");
        assert_eq!(italian.iter().filter(|a| a.slug == "refund-policy").count(), 1);
        assert_eq!(italian.len(), builtin.in_language("it").len() + 1);
        assert!(library.article("nothing", "en").is_none());
    }

    #[test]
    fn a_bad_article_names_its_file() {
        let bad = (
            "en".to_owned(),
            "broken".to_owned(),
            "+++\ntitle = \"x\"\ncategory = \"billing\"\n+++\nText".to_owned(),
        );
        let e = Library::new(&Catalog::builtin(), &[bad]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "help article en/broken.md: the catalog has no category \"billing\""
        );
    }

    #[test]
    fn related_articles_share_the_category_and_put_the_subcategory_first() {
        let library = Library::new(&Catalog::builtin(), &[]).unwrap();
        let stolen = library.article("stolen-account", "en").unwrap();
        let related = library.related(stolen, "en");
        assert!(!related.is_empty() && related.len() <= RELATED);
        assert!(related
            .iter()
            .all(|a| a.category == "security" && a.slug != "stolen-account"));
    }
}
