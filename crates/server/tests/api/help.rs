//! The help centre's pages (SPEC §12) over plain HTTP: the home by category in the reader's
//! language, an article with its related ones and the form with its category chosen, the
//! operator's own articles over the built-in ones, and an article's HTML cleaned whoever wrote it.

use crate::helpers::{backends, backends_with, Options};

async fn page(app: &crate::helpers::TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_help_home_lists_every_category_s_articles_in_the_reader_s_language() {
    for app in backends().await {
        let (status, english) = page(&app, "/help?lang=en").await;
        assert_eq!(status, 200, "{}", app.backend);
        assert!(english.contains("<h1>Help centre</h1>"), "{english}");
        for (category, article) in [
            ("help-payments", "/help/payments-requests"),
            ("help-security", "/help/fake-support-scams"),
            ("help-technical", "/help/backup-failed"),
            ("help-account", "/help/banned-account-appeal"),
        ] {
            assert!(english.contains(&format!("id=\"{category}\"")), "{category}");
            assert!(english.contains(&format!("href=\"{article}\"")), "{article}");
        }
        assert!(english.contains("Fake support: how to spot it and report it"));
        let (_, italian) = page(&app, "/help?lang=it").await;
        assert!(italian.contains("<h1>Centro assistenza</h1>"), "{italian}");
        assert!(!italian.contains("Fake support: how to spot it and report it"));
        // The article's own Italian title (from its file), not the English one.
        let source = include_str!("../../../domain/data/help/it/fake-support-scams.md");
        let title = source
            .lines()
            .find_map(|l| l.strip_prefix("title = \""))
            .unwrap()
            .trim_end_matches('"');
        assert!(italian.contains(title), "{title}");
    }
}

#[tokio::test]
async fn an_article_shows_its_text_related_articles_and_the_form_with_its_category() {
    for app in backends().await {
        let (status, html) = page(&app, "/help/stolen-account?lang=en").await;
        assert_eq!(status, 200, "{}", app.backend);
        assert!(
            html.contains("<article class=\"help-article\" id=\"article\">"),
            "{html}"
        );
        assert!(html.contains("<h2>"), "the Markdown's headings are rendered: {html}");
        assert!(html.contains("href=\"/?category=security\""), "{html}");
        let related = html.split("id=\"related\"").nth(1).unwrap();
        assert!(related.contains("href=\"/help/"), "{related}");
        assert!(!related.contains("href=\"/help/stolen-account\""));
        // The form it leads to has the category chosen.
        let (_, form) = page(&app, "/?category=security&lang=en").await;
        assert!(
            form.contains("value=\"security\" checked") || form.contains("value=\"security\" selected"),
            "{form}"
        );
        for missing in ["/help/nothing-here", "/help/Stolen-Account", "/help/%00"] {
            assert_eq!(page(&app, missing).await.0, 404, "{missing}");
        }
    }
}

#[tokio::test]
async fn the_operator_s_articles_replace_and_join_the_builtin_ones_and_cannot_run_scripts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(
        dir.path().join("en/payments-requests.md"),
        "+++\ntitle = \"Our own payments guide\"\ncategory = \"payments\"\n+++\n\
         Send the **receipt**.\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[a link](javascript:alert(3))\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("en/refund-policy.md"),
        "+++\ntitle = \"Refund policy\"\ncategory = \"payments\"\nsubcategory = \"refund\"\n+++\nWithin 14 days.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("en/notes.txt"), "not an article").unwrap();
    let options = Options {
        help_dir: Some(dir.path().to_owned()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        let (_, home) = page(&app, "/help?lang=en").await;
        assert!(
            home.contains("Our own payments guide") && home.contains("Refund policy"),
            "{home}"
        );
        let (status, html) = page(&app, "/help/payments-requests?lang=en").await;
        assert_eq!(status, 200);
        assert!(html.contains("<strong>receipt</strong>"), "{html}");
        for bad in ["<script>alert", "onerror", "href=\"javascript:"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("a link"), "the link's text stays: {html}");
        // Only English was replaced; the Italian reader still has the built-in article.
        let (_, italian) = page(&app, "/help/payments-requests?lang=it").await;
        assert!(!italian.contains("Our own payments guide"));
        // An article only in English is shown to an Italian reader in English, and says so.
        let (_, only_english) = page(&app, "/help/refund-policy?lang=it").await;
        assert!(only_english.contains("id=\"help-other-language\""), "{only_english}");
        assert!(only_english.contains("lang=\"en\""));
    }
}
