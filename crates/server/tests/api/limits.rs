//! What a client may ask of the server, and what it may leave on its disk: per-client limits on
//! intake, status-page additions and live checks, counted through trusted proxies only; nothing
//! stored before every check of the request has passed; blobs no row names swept after their grace.

use std::time::{Duration, SystemTime};

use reqwest::multipart::{Form, Part};
use sportello::config::RateLimit;
use sportello::jobs::blobs::BlobSweeper;

use crate::helpers::{backends_with, complete, form_of, image, read, Options, Visitor};

fn per_ten_minutes(requests: u32) -> Option<RateLimit> {
    Some(RateLimit {
        requests,
        period: Duration::from_secs(600),
    })
}

fn screenshot() -> Part {
    Part::bytes(image("large-png-3840x2160-exoplanet.png"))
        .file_name("schermata.png")
        .mime_str("image/png")
        .unwrap()
}

/// Behind a trusted proxy each client is counted by the address the proxy forwards for; from
/// anyone else `X-Forwarded-For` is a client's own claim and changes nothing.
#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_counted_one_by_one() {
    for (trusted, separate) in [(vec!["127.0.0.1/32".parse().unwrap()], true), (Vec::new(), false)] {
        for app in backends_with(Options {
            rate_limit: per_ten_minutes(2),
            trusted_proxies: trusted.clone(),
            ..Options::default()
        })
        .await
        {
            let post = |n: u32, client: &'static str| {
                app.client
                    .post(format!("{}/api/v1/requests", app.address))
                    .header("x-forwarded-for", client)
                    .json(&complete(n))
                    .send()
            };
            for n in 0..2 {
                assert_ne!(post(300 + n, "203.0.113.1").await.unwrap().status(), 429);
            }
            assert_eq!(post(302, "203.0.113.1").await.unwrap().status(), 429, "{}", app.backend);
            let other = post(303, "203.0.113.2").await.unwrap().status();
            assert_eq!(other != 429, separate, "{}: trusted {trusted:?}: {other}", app.backend);
            // A client cannot reset its own count by naming a new address left of the proxy's.
            if separate {
                let forged = post(304, "198.51.100.9, 203.0.113.1").await.unwrap().status();
                assert_eq!(forged, 429, "{}", app.backend);
            }
        }
    }
}

/// The live checks and the status page's additions have limits of their own.
#[tokio::test]
async fn checks_and_status_page_additions_are_limited_too() {
    for app in backends_with(Options {
        check_rate_limit: per_ten_minutes(3),
        status_rate_limit: per_ten_minutes(2),
        ..Options::default()
    })
    .await
    {
        for _ in 0..3 {
            assert_eq!(app.get("/api/v1/check/email?value=a@gmail.com").await.status(), 200);
        }
        let refused = app.get("/api/v1/check/phone?value=3451234567").await;
        assert_eq!(refused.status(), 429, "{}", app.backend);
        assert!(refused.headers().contains_key("retry-after"));

        let (_, created) = read(app.post_json(&complete(310)).await).await;
        let link = created["status_url"].as_str().unwrap().to_owned();
        let mut visitor = Visitor::new(&app);
        visitor.get(&link).await;
        for n in 0..2 {
            let page = visitor
                .post(
                    &link,
                    Form::new().text("message", format!("Altro dettaglio numero {n}.")),
                )
                .await;
            assert_eq!(page.status, 303, "{}", app.backend);
        }
        let page = visitor.post(&link, Form::new().text("message", "Ancora uno.")).await;
        assert_eq!(page.status, 429, "{}", app.backend);
        assert!(
            page.text().contains("Too many requests"),
            "a page for the browser: {}",
            page.text()
        );
    }
}

/// Nothing is written to the disk for a request that may not be made: not for a wrong status
/// link, not without the form's CSRF token, not past the rate limit — not even a kept file.
#[tokio::test]
async fn uploads_are_stored_only_once_the_request_is_allowed() {
    for app in backends_with(Options {
        rate_limit: per_ten_minutes(1),
        ..Options::default()
    })
    .await
    {
        let (_, created) = read(app.post_json(&complete(320)).await).await;
        let link = created["status_url"].as_str().unwrap().to_owned();
        let case = created["case_number"].as_str().unwrap().to_owned();
        assert_eq!(app.blob_count(), 0);
        let mut visitor = Visitor::new(&app);
        visitor.get(&format!("/status/{case}?t=wrong")).await;
        let page = visitor
            .post(
                &format!("/status/{case}?t=wrong"),
                Form::new().part("attachment", screenshot()),
            )
            .await;
        assert_eq!(page.status, 404, "{}", app.backend);
        assert_eq!(app.blob_count(), 0, "{}: a wrong token stored a file", app.backend);
        visitor.get(&link).await;
        let page = visitor
            .post_raw(
                &link,
                Form::new().text("csrf", "forged").part("attachment", screenshot()),
            )
            .await;
        assert_eq!(page.status, 403, "{}", app.backend);
        assert_eq!(app.blob_count(), 0, "{}: a forged form stored a file", app.backend);
        // The intake limit (1, spent above): "show the questions" with a file stores nothing.
        visitor.get("/").await;
        let form = form_of(&complete(321))
            .text("update", "1")
            .part("attachment", screenshot());
        let page = visitor.post("/", form).await;
        assert_eq!(page.status, 429, "{}", app.backend);
        assert_eq!(app.blob_count(), 0, "{}: a refused form stored a file", app.backend);
    }
}

/// Only what the evidence rules accept is kept across a refused form: a file that is not an image
/// never reaches the disk, whatever button sent it.
#[tokio::test]
async fn files_that_are_not_screenshots_are_never_kept() {
    for app in backends_with(Options::default()).await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/").await;
        let pdf = Part::bytes(b"%PDF-1.7 a document, not a screenshot".to_vec()).file_name("a.png");
        let page = visitor
            .post("/", form_of(&complete(322)).text("update", "1").part("attachment", pdf))
            .await;
        assert_eq!(page.status, 200, "{}", app.backend);
        assert!(page.inputs("kept").is_empty());
        assert_eq!(app.blob_count(), 0, "{}", app.backend);
    }
}

/// A refused form's kept file that no case comes to name is swept after its grace period; the
/// files cases name stay, however old.
#[tokio::test]
async fn blobs_no_row_names_are_swept_after_their_grace() {
    for app in backends_with(Options::default()).await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/").await;
        let mut refused = complete(330);
        refused["email"] = serde_json::json!("nobody@gamil.com");
        let page = visitor
            .post("/", form_of(&refused).part("attachment", screenshot()))
            .await;
        assert_eq!(page.status, 422);
        assert_eq!(app.blob_count(), 1, "{}: kept for the corrected form", app.backend);
        let with_file = app
            .post_form(form_of(&complete(331)).part(
                "attachment",
                Part::bytes(image("jpeg-exif-lightroom-canon-2000x1072.jpg")).file_name("foto.jpg"),
            ))
            .await;
        assert_eq!(with_file.status(), 201);
        assert_eq!(app.blob_count(), 2);
        let grace = Duration::from_secs(86_400);
        let mut sweeper = BlobSweeper::new(app.app.clone(), grace);
        let now = SystemTime::now();
        assert_eq!(sweeper.sweep(now).await.unwrap().removed, 0, "within the grace period");
        let swept = sweeper.sweep(now + grace + Duration::from_secs(60)).await.unwrap();
        assert_eq!(swept.removed, 1, "{}: {swept:?}", app.backend);
        assert_eq!(app.blob_count(), 1, "the case's attachment stays");
    }
}
