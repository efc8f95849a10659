//! `/help` and `/help/{slug}` (SPEC §12): the help centre's home, its articles by category, and
//! each article with those related to it and the way to the form with its category chosen.
//! Articles are Markdown; their HTML is cleaned (ammonia) whoever wrote them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use sportello_domain::help::Article;

use super::{html, not_found, Frame, Prefs, Tr};
use crate::web::WebState;

/// An article as a list shows it.
pub struct ArticleLink {
    pub title: String,
    pub href: String,
}

pub struct HelpCategory {
    pub id: String,
    pub label: String,
    pub articles: Vec<ArticleLink>,
}

#[derive(Template)]
#[template(path = "pages/help.html")]
pub struct HelpHome {
    pub frame: Frame,
    pub t: Tr,
    pub categories: Vec<HelpCategory>,
}

#[derive(Template)]
#[template(path = "pages/help_article.html")]
pub struct HelpArticle {
    pub frame: Frame,
    pub t: Tr,
    pub title: String,
    pub category: String,
    /// Cleaned HTML of the article's Markdown.
    pub body: String,
    /// The reader's language is not the article's: the page says so.
    pub other_language: bool,
    pub language: String,
    pub related: Vec<ArticleLink>,
    pub form_href: String,
}

#[derive(Deserialize)]
pub struct HelpQuery {
    lang: Option<String>,
}

fn link(a: &Article) -> ArticleLink {
    ArticleLink {
        title: a.title.clone(),
        href: format!("/help/{}", a.slug),
    }
}

/// The article's Markdown as HTML that can carry nothing but text, structure and links.
pub fn render(markdown: &str) -> String {
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::new();
    pulldown_cmark::html::push_html(&mut unsafe_html, pulldown_cmark::Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

pub async fn home(State(state): State<WebState>, Query(q): Query<HelpQuery>, headers: HeaderMap) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let (t, code) = (&prefs.t, prefs.code());
    let articles = state.app.help.in_language(&code);
    let categories = state
        .app
        .catalog
        .categories()
        .iter()
        .map(|c| HelpCategory {
            id: c.id.clone(),
            label: c.label.get(&code).to_owned(),
            articles: articles
                .iter()
                .filter(|a| a.category == c.id)
                .map(|a| link(a))
                .collect(),
        })
        .filter(|c| !c.articles.is_empty())
        .collect();
    let page = HelpHome {
        frame: Frame::new(&prefs, t.msg("help-title"), "/help", &[]),
        t: t.clone(),
        categories,
    };
    html(StatusCode::OK, &page, &prefs)
}

pub async fn article(
    State(state): State<WebState>,
    slug: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<HelpQuery>,
    headers: HeaderMap,
) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let code = prefs.code();
    let Some(article) = slug.ok().and_then(|Path(slug)| state.app.help.article(&slug, &code)) else {
        return not_found(&prefs);
    };
    let t = &prefs.t;
    let category = state
        .app
        .catalog
        .category(&article.category)
        .map_or_else(String::new, |c| c.label.get(&code).to_owned());
    let page = HelpArticle {
        frame: Frame::new(&prefs, article.title.clone(), &format!("/help/{}", article.slug), &[]),
        t: t.clone(),
        title: article.title.clone(),
        category,
        body: render(&article.body),
        other_language: article.language != code,
        language: article.language.clone(),
        related: state.app.help.related(article, &code).into_iter().map(link).collect(),
        form_href: format!("/?category={}", article.category),
    };
    html(StatusCode::OK, &page, &prefs)
}

#[cfg(test)]
mod tests {
    use super::render;

    /// Whoever wrote an article, its page carries no script, style, frame, handler or
    /// `javascript:` link; text, structure and ordinary links stay.
    #[test]
    fn an_article_renders_without_anything_that_runs() {
        let html = render(
            "## Steps\n\n1. **Open** [the form](/)\n2. <script>alert(1)</script>\n\n\
             <img src=x onerror=alert(1)> [x](javascript:alert(1)) <iframe src=\"/\"></iframe>\n\n\
             <a href=\"https://example.org\" onclick=\"x()\">out</a>",
        );
        assert!(html.contains("<h2>Steps</h2>"), "{html}");
        assert!(html.contains("<strong>Open</strong>"), "{html}");
        assert!(
            html.contains("<a href=\"/\" rel=\"noopener noreferrer\">the form</a>"),
            "{html}"
        );
        for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }
}
