//! SPEC §3.1–§3.3 through `POST /api/v1/requests`, and the catalog and health endpoints.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::helpers::{backends, backends_with, codes, complete, file, form_of, image, read, Options};
use sportello::config::RateLimit;

#[tokio::test]
async fn health_and_readiness() {
    for app in backends().await {
        assert_eq!(app.get("/healthz").await.status(), 200, "{}", app.backend);
        assert_eq!(app.get("/readyz").await.status(), 200, "{}", app.backend);
    }
}

#[tokio::test]
async fn catalog_comes_with_labels_in_the_requested_language() {
    for app in backends().await {
        let (status, it) = read(app.get("/api/v1/catalog?lang=it").await).await;
        assert_eq!(status, 200);
        assert_eq!(it["categories"].as_array().unwrap().len(), 6);
        assert_eq!(it["categories"][2]["id"], "payments");
        assert_eq!(it["categories"][2]["label"], "Pagamenti");
        let en = app
            .client
            .get(format!("{}/api/v1/catalog", app.address))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        let (_, en) = read(en).await;
        assert_eq!(en["categories"][2]["label"], "Payments");
        assert_eq!(en["categories"][2]["fields"][0]["id"], "transaction_id");
    }
}

#[tokio::test]
async fn a_complete_request_is_created_with_due_times_and_a_status_link() {
    for app in backends().await {
        let before = Utc::now();
        let (status, body) = read(app.post_json(&complete(1)).await).await;
        assert_eq!(status, 201, "{}: {body}", app.backend);
        let case = body["case_number"].as_str().unwrap();
        assert!(case.starts_with("WA") && case.len() == 12, "{case}");
        assert_eq!(body["priority"], "normal");
        assert_eq!(body["warnings"], json!([]));
        let due: DateTime<Utc> = body["first_response_due"].as_str().unwrap().parse().unwrap();
        assert!(due > before);
        let status_url = body["status_url"].as_str().unwrap();
        assert!(status_url.starts_with(&format!("/status/{case}?t=")));
        let (code, status_body) = read(app.get(status_url).await).await;
        assert_eq!(code, 200);
        assert_eq!(status_body["status"], "new");
        assert_eq!(status_body["first_response_due"], body["first_response_due"]);
        assert_eq!(app.tickets().await, 1);
        // The confirmation was committed with the case.
        let outbox = app
            .app
            .store
            .claim_outbox(
                Utc::now() + chrono::Duration::seconds(1),
                chrono::Duration::minutes(1),
                10,
            )
            .await
            .unwrap();
        assert_eq!(outbox.len(), 1, "{}", app.backend);
        let Ok(sportello::events::OutboxEvent::Confirmation(sent)) = &outbox[0].event else {
            panic!("{}: {:?}", app.backend, outbox[0].event)
        };
        assert_eq!(sent.case_number, case);
    }
}

#[tokio::test]
async fn due_times_match_the_sla_rules_for_the_moment_of_creation() {
    use sportello_domain::catalog::Catalog;
    use sportello_domain::triage::{due, Priority};
    for app in backends().await {
        let mut request = complete(2);
        request["category"] = json!("security");
        request["subcategory"] = json!("account_stolen");
        request["last_known_ip"] = json!("192.0.2.7");
        request["occurred_at"] = json!("2026-11-20 14:30");
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 201, "{body}");
        let (_, shown) = read(app.get(body["status_url"].as_str().unwrap()).await).await;
        let created: DateTime<Utc> = shown["created_at"].as_str().unwrap().parse().unwrap();
        let catalog = Catalog::builtin();
        let expected = due(
            &catalog,
            catalog.category("security").unwrap(),
            "account_stolen",
            Priority::Normal,
            Default::default(),
            created,
        );
        let first: DateTime<Utc> = body["first_response_due"].as_str().unwrap().parse().unwrap();
        assert_eq!(first, expected.first_response_due);
    }
}

#[tokio::test]
async fn every_problem_comes_back_at_once_in_the_requests_language() {
    for app in backends().await {
        let request = json!({
            "category": "payments", "subcategory": "banned", "email": "mario@gamil.com",
            "phone": "393451234567", "description": "non funziona", "language": "it",
            "transaction_id": "WA12345",
        });
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 422, "{body}");
        let got = codes(&body);
        for expected in [
            ("subcategory", "unknown_subcategory"),
            ("email", "email_suspect"),
            ("phone", "phone_missing_country_code"),
            ("device", "required"),
            ("description", "description_too_vague"),
            ("transaction_id", "field_format"),
        ] {
            assert!(
                got.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?} not in {got:?}"
            );
        }
        let email = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "email")
            .unwrap();
        assert_eq!(email["suggestion"], "mario@gmail.com");
        assert!(
            email["message"].as_str().unwrap().contains("intendevi mario@gmail.com"),
            "{email}"
        );
        let phone = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "phone")
            .unwrap();
        assert_eq!(phone["suggestion"], "+393451234567");
        assert_eq!(app.tickets().await, 0, "nothing stored for a refused request");

        let english = app
            .client
            .post(format!("{}/api/v1/requests", app.address))
            .header("accept-language", "en")
            .json(&json!({"category": "payments"}))
            .send()
            .await
            .unwrap();
        let (_, body) = read(english).await;
        assert_eq!(body["errors"][0]["message"], "This field is required.");
    }
}

#[tokio::test]
async fn warnings_lower_or_raise_priority() {
    for app in backends().await {
        let mut missing = complete(3);
        missing.as_object_mut().unwrap().remove("amount");
        let (status, body) = read(app.post_json(&missing).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["priority"], "low");
        assert_eq!(body["warnings"][0]["code"], "missing_recommended");
        assert_eq!(body["warnings"][0]["field"], "amount");

        let mut scam = complete(4);
        scam["category"] = json!("security");
        scam["subcategory"] = json!("support_scam");
        scam["last_known_ip"] = json!("2001:db8::1");
        scam["occurred_at"] = json!("2026-11-20T14:30:00Z");
        scam["description"] =
            json!("Someone claiming to be WhatsApp support asked me for my verification code by SMS.");
        let (status, body) = read(app.post_json(&scam).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["priority"], "high");
        assert!(body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "possible_scam_report"));

        let mut card = complete(5);
        card["description"] = json!("Il pagamento con la carta 4111 1111 1111 1111 non è andato a buon fine ieri.");
        let (_, body) = read(app.post_json(&card).await).await;
        assert!(body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "sensitive_data_masked"));
        let (_, shown) = read(app.get(body["status_url"].as_str().unwrap()).await).await;
        assert!(!shown.to_string().contains("4111 1111 1111 1111"));
    }
}

#[tokio::test]
async fn urgency_is_granted_where_allowed_and_misuse_slows_the_next_case() {
    for app in backends().await {
        let mut urgent = complete(6);
        urgent["urgent"] = json!(true);
        let (_, body) = read(app.post_json(&urgent).await).await;
        assert_eq!(body["priority"], "urgent", "{body}");

        // Same contact: URGENT on a category that does not allow it.
        let misuse = json!({
            "category": "technical", "subcategory": "crash", "email": "abuser@gmail.com", "phone": "+39 345 7654321",
            "description": "URGENTE!!! l'app si chiude appena apro una chat di gruppo, da stamattina.",
            "device": "Pixel 8, Android 14", "os_version": "Android 14", "error_code": "WA-403",
        });
        let (status, body) = read(app.post_json(&misuse).await).await;
        assert_eq!(status, 201, "{body}");
        assert_ne!(body["priority"], "urgent");
        assert!(body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "urgent_not_eligible"));

        // The next case of that contact (another category, so no merge) waits 20 % longer.
        let next = json!({
            "category": "security", "subcategory": "suspicious_activity", "email": "abuser@gmail.com",
            "phone": "+39 345 7654321", "description": "Vedo accessi da un dispositivo che non conosco nelle ultime ore.",
            "device": "Pixel 8, Android 14", "last_known_ip": "192.0.2.1", "occurred_at": "2026-11-20 10:00",
        });
        let (status, body) = read(app.post_json(&next).await).await;
        assert_eq!(status, 201, "{body}");
        let (_, shown) = read(app.get(body["status_url"].as_str().unwrap()).await).await;
        let created: DateTime<Utc> = shown["created_at"].as_str().unwrap().parse().unwrap();
        let first: DateTime<Utc> = shown["first_response_due"].as_str().unwrap().parse().unwrap();
        assert_eq!(first - created, chrono::Duration::minutes(6 * 72), "{}", app.backend);
    }
}

/// SPEC §3.3: the same address within 24 hours joins the open case, and the answer hands out no
/// access to it (the link goes to that address by mail); the same phone under another address is a
/// new case, linked to the other for an agent to merge. Typing someone's phone or e-mail must never
/// open their case.
#[tokio::test]
async fn a_second_request_within_24_hours_joins_the_open_case() {
    for app in backends().await {
        let (status, first) = read(app.post_json(&complete(7)).await).await;
        assert_eq!(status, 201);
        let mut again = complete(7);
        again["description"] = json!("Aggiungo: la banca mi ha addebitato l'importo due volte, ho lo screenshot.");
        let (status, merged) = read(app.post_json(&again).await).await;
        assert_eq!(status, 200, "{merged}");
        assert_eq!(
            merged,
            json!({ "merged_into": first["case_number"] }),
            "no status link, no token"
        );
        // Same phone, different e-mail: a case of its own, linked to the first.
        let mut by_phone = complete(7);
        by_phone["email"] = json!("altro.indirizzo@outlook.it");
        let (status, linked) = read(app.post_json(&by_phone).await).await;
        assert_eq!(status, 201, "{}: {linked}", app.backend);
        let first_case = app.case(first["case_number"].as_str().unwrap()).await;
        let linked_case = app.case(linked["case_number"].as_str().unwrap()).await;
        assert_eq!(linked_case.related_to, Some(first_case.id));
        assert_eq!(app.tickets().await, 2);
        // The first case has the added text, and its due times did not move.
        let (code, shown) = read(app.get(first["status_url"].as_str().unwrap()).await).await;
        assert_eq!(code, 200);
        assert_eq!(shown["first_response_due"], first["first_response_due"]);
        assert!(shown["messages"].to_string().contains("addebitato"));
        // Its address is told, with a link of its own.
        let notices: Vec<_> = app
            .app
            .store
            .claim_outbox(
                Utc::now() + chrono::Duration::seconds(1),
                chrono::Duration::minutes(1),
                10,
            )
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                Ok(sportello::events::OutboxEvent::Merged(m)) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(notices.len(), 1, "{}", app.backend);
        assert_eq!(notices[0].to.as_str(), "cliente7@gmail.com");
        let link = notices[0].status_url.as_deref().unwrap();
        let path = link.strip_prefix("http://sportello.test").unwrap();
        let (code, _) = read(app.get(path).await).await;
        assert_eq!(code, 200, "the mailed link opens the case");
        // Another category is another case.
        let mut other = complete(7);
        other["category"] = json!("technical");
        other["subcategory"] = json!("crash");
        let (status, _) = read(app.post_json(&other).await).await;
        assert_eq!(status, 201);
    }
}

#[tokio::test]
async fn screenshots_are_accepted_by_content_through_multipart() {
    for app in backends().await {
        let form = form_of(&complete(8))
            .part(
                "attachment",
                file("exoplanet.png", image("large-png-3840x2160-exoplanet.png")),
            )
            .part(
                "attachment",
                file("photo.jpg", image("jpeg-exif-lightroom-canon-2000x1072.jpg")),
            )
            .part("attachment", file("recording.gif", gif(1280, 720, 150)));
        let (status, body) = read(app.post_form(form).await).await;
        assert_eq!(status, 201, "{}: {body}", app.backend);
        let warnings = body["warnings"].as_array().unwrap();
        assert!(
            warnings
                .iter()
                .any(|w| w["code"] == "attachment_edited" && w["field"] == "attachment[1]"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn bad_screenshots_are_refused_each_with_its_reason() {
    for app in backends().await {
        let mut huge_png = image("large-png-3840x2160-exoplanet.png");
        huge_png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge_png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        elf.resize(4096, 0);
        let form = form_of(&complete(9))
            .part("attachment", file("small.gif", image("gif-hopper-128.gif")))
            .part("attachment", file("huge.png", huge_png))
            .part("attachment", file("program.png", elf));
        let (status, body) = read(app.post_form(form).await).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            codes(&body),
            [
                ("attachment[0]".to_owned(), "attachment_resolution".to_owned()),
                ("attachment[1]".to_owned(), "attachment_too_large".to_owned()),
                ("attachment[2]".to_owned(), "attachment_type".to_owned()),
            ]
        );
        let four = (0..4).fold(form_of(&complete(9)), |f, i| {
            f.part("attachment", file("a.gif", gif(1280, 720, i + 1)))
        });
        let (status, body) = read(app.post_form(four).await).await;
        assert_eq!(
            (status, codes(&body)),
            (422, vec![("attachment".to_owned(), "attachment_too_many".to_owned())])
        );
        assert_eq!(app.tickets().await, 0);
    }
}

#[tokio::test]
async fn the_intake_rate_limit_answers_429_with_retry_after() {
    let limit = Some(RateLimit {
        requests: 3,
        period: std::time::Duration::from_secs(600),
    });
    for app in backends_with(Options {
        rate_limit: limit,
        ..Options::default()
    })
    .await
    {
        for n in 0..3 {
            assert_ne!(app.post_json(&complete(100 + n)).await.status(), 429);
        }
        let response = app.post_json(&complete(200)).await;
        assert_eq!(response.status(), 429);
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=600).contains(&retry), "{retry}");
        assert_eq!(app.get("/healthz").await.status(), 200, "only intake is limited");
    }
}

/// A GIF89a of `width`×`height` with one frame of `delay_cs` hundredths of a second; its pixel data
/// is a token (the desk reads headers, never pixels).
pub fn gif(width: u16, height: u16, delay_cs: u16) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend(width.to_le_bytes());
    g.extend(height.to_le_bytes());
    g.extend([0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
    g.extend([0x21, 0xf9, 4, 0]);
    g.extend(delay_cs.to_le_bytes());
    g.extend([0, 0]);
    g.extend([0x2c, 0, 0, 0, 0]);
    g.extend(width.to_le_bytes());
    g.extend(height.to_le_bytes());
    g.extend([0, 2, 2, 0x44, 0x01, 0, 0x3b]);
    g
}
