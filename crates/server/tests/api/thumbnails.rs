//! Thumbnails (SPEC §7): made by a job from the pixels, once per image, shown on the case page;
//! the original one click away as a sandboxed download; neither reachable from outside the case.

use reqwest::multipart::Form;
use serde_json::json;
use sportello::jobs::thumbnails::Thumbnailer;
use sportello_domain::access::{Role, Scope};

use crate::desk::{agent, api_get, signed_in, token};
use crate::helpers::{backends, complete, file, form_of, image, read, TestApp};

/// A case sent with `screenshots` (files of the shared test data); its number.
async fn case_with(app: &TestApp, n: u32, screenshots: &[&str]) -> String {
    let mut form: Form = form_of(&complete(n));
    for name in screenshots {
        form = form.part("attachment", file(name, image(name)));
    }
    let (status, body) = read(app.post_form(form).await).await;
    assert_eq!(status, 201, "{body}");
    body["case_number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_job_makes_each_thumbnail_once_and_the_case_page_shows_it() {
    for app in backends().await {
        agent(&app, "pia@desk.test", Role::Agent, &["payments"]).await;
        let png = "large-png-3840x2160-exoplanet.png";
        let jpeg = "jpeg-exif-lightroom-canon-2000x1072.jpg";
        let number = case_with(&app, 1, &[png, jpeg]).await;
        // The same screenshot again, with another customer's case.
        let again = case_with(&app, 2, &[png]).await;
        let mut desk = signed_in(&app, "pia@desk.test").await;
        let page = desk.get(&format!("/desk/cases/{number}")).await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("preview being made"), "{}", app.backend);
        assert!(
            page.text().contains("sent before, with other cases: 1"),
            "{}",
            page.text()
        );

        let blobs_before = app.blob_count();
        let made = Thumbnailer { app: app.app.clone() }.pass().await.unwrap();
        assert_eq!(made, 2, "one per distinct image, not per attachment");
        assert_eq!(app.blob_count(), blobs_before + 2);
        assert_eq!(
            Thumbnailer { app: app.app.clone() }.pass().await.unwrap(),
            0,
            "made once"
        );

        let page = desk.get(&format!("/desk/cases/{number}")).await;
        let doc = scraper::Html::parse_document(&page.html);
        let thumbs: Vec<(String, String, String)> = doc
            .select(&scraper::Selector::parse(".evidence img").unwrap())
            .map(|img| {
                let a = |n: &str| img.value().attr(n).unwrap().to_owned();
                (a("src"), a("width"), a("height"))
            })
            .collect();
        assert_eq!(thumbs.len(), 2, "{}", page.html);
        assert_eq!((thumbs[0].1.as_str(), thumbs[0].2.as_str()), ("160", "90"));
        for (src, ..) in &thumbs {
            let response = desk.fetch(src).await;
            assert_eq!(response.status(), 200, "{src}");
            assert_eq!(response.headers()["content-type"], "image/jpeg");
        }
        let bytes = desk.fetch(&thumbs[1].0).await.bytes().await.unwrap();
        let small = image::load_from_memory(&bytes).unwrap();
        assert_eq!((small.width(), small.height()), (320, 172), "from the 2000×1072 photo");
        // The other case shares the first thumbnail's blob.
        let other = desk.get(&format!("/desk/cases/{again}")).await;
        assert!(other.html.contains("/thumb"), "{}", app.backend);

        // The original: a download, sandboxed, never sniffed.
        let original_url = thumbs[0].0.trim_end_matches("/thumb").to_owned();
        let original = desk.fetch(&original_url).await;
        let headers = original.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"large-png-3840x2160-exoplanet.png\""
        );
        let policies: Vec<_> = headers.get_all("content-security-policy").iter().collect();
        assert_eq!(policies, ["sandbox; default-src 'none'"]);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(original.bytes().await.unwrap().as_ref(), image(png).as_slice());
    }
}

#[tokio::test]
async fn attachments_are_not_found_from_outside_their_case() {
    for app in backends().await {
        agent(&app, "pia@desk.test", Role::Agent, &["payments"]).await;
        let number = case_with(&app, 3, &["large-png-3840x2160-exoplanet.png"]).await;
        let other = case_with(&app, 4, &["jpeg-exif-lightroom-canon-2000x1072.jpg"]).await;
        // A third case whose screenshot's bytes were lost from the blob store: the job says so
        // once and goes on; the page offers the file instead of a preview.
        let lost = case_with(&app, 5, &["jpeg-exif-lightroom-canon-2000x1072.jpg"]).await;
        let lost_file = &app.app.store.attachments(app.case(&lost).await.id, &[]).await.unwrap()[0];
        std::fs::remove_file(app.blob_path(&lost_file.sha256)).unwrap();
        let settled = Thumbnailer { app: app.app.clone() }.pass().await.unwrap();
        assert_eq!(settled, 2, "two distinct images, one of them lost");
        let ours = app
            .app
            .store
            .attachments(app.case(&number).await.id, &[])
            .await
            .unwrap();
        let theirs = app.app.store.attachments(app.case(&other).await.id, &[]).await.unwrap();
        let desk = signed_in(&app, "pia@desk.test").await;
        let own = format!("/desk/cases/{number}/files/{}", ours[0].id);
        assert_eq!(desk.fetch(&own).await.status(), 200);
        // Another case's file under this case's address, and an id that is nobody's: alike.
        let crossed = format!("/desk/cases/{number}/files/{}", theirs[0].id);
        let nobody = format!("/desk/cases/{number}/files/987654");
        for path in [crossed.clone(), format!("{crossed}/thumb"), nobody] {
            assert_eq!(desk.fetch(&path).await.status(), 404, "{path} on {}", app.backend);
        }
        // Signed out: the desk's sign-in, never the bytes.
        let stranger = crate::helpers::Visitor::new(&app);
        let answer = stranger.fetch(&own).await;
        assert_ne!(answer.status(), 200);
        assert!(answer.headers().get("content-type").is_none_or(|t| t != "image/png"));
        // A token cannot read through the desk's pages either; the API lists the files' facts.
        let t = token(&app, "pia@desk.test", Scope::Read).await;
        let (_, detail) = api_get(&app, &t, &format!("/api/v1/tickets/{number}")).await;
        assert_eq!(detail["attachments"][0]["width"], json!(3840));
    }
}
