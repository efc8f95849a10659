//! Hostile input (issue: "none may produce a 500, a panic, a stored half-case or a duplicated case
//! number") on both backends.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{backends, codes, complete, read};

#[tokio::test]
async fn a_20_mb_body_is_refused_with_413() {
    for app in backends().await {
        let body = vec![b'a'; 20 * 1024 * 1024];
        let response = app
            .client
            .post(format!("{}/api/v1/requests", app.address))
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body(body)
            .send()
            .await;
        // The server may answer 413 and close before the client has sent everything.
        if let Ok(response) = response {
            assert_eq!(response.status(), 413, "{}", app.backend);
        }
        let json_body = format!("{{\"description\":\"{}\"}}", "a".repeat(20 * 1024 * 1024));
        let response = app
            .client
            .post(format!("{}/api/v1/requests", app.address))
            .header("content-type", "application/json")
            .body(json_body)
            .send()
            .await;
        if let Ok(response) = response {
            assert_eq!(response.status(), 413);
        }
        assert_eq!(app.tickets().await, 0);
    }
}

#[tokio::test]
async fn a_truncated_multipart_body_is_a_400() {
    for app in backends().await {
        let body = "--XYZ\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\npayments\r\n--XYZ\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.png\"\r\n\r\n\x7fPNG";
        let response = app
            .client
            .post(format!("{}/api/v1/requests", app.address))
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{}", app.backend);
        assert_eq!(app.tickets().await, 0);
    }
}

#[tokio::test]
async fn bodies_that_are_not_their_declared_type_are_400_or_415() {
    for app in backends().await {
        let post = |ct: &'static str, body: Vec<u8>| {
            app.client
                .post(format!("{}/api/v1/requests", app.address))
                .header("content-type", ct)
                .body(body)
                .send()
        };
        assert_eq!(
            post("application/json", b"{not json".to_vec()).await.unwrap().status(),
            400
        );
        assert_eq!(
            post("application/json", b"[1,2,3]".to_vec()).await.unwrap().status(),
            400
        );
        assert_eq!(
            post("application/json", br#"{"email": {"nested": 1}}"#.to_vec())
                .await
                .unwrap()
                .status(),
            400
        );
        assert_eq!(post("text/plain", b"hello".to_vec()).await.unwrap().status(), 415);
        assert_eq!(
            post("multipart/form-data", b"--x".to_vec()).await.unwrap().status(),
            400
        );
        // Invalid UTF-8 in a form field.
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\xff\xfe\xfd\r\n--XYZ--\r\n"
            .to_vec();
        let status = post("multipart/form-data; boundary=XYZ", body).await.unwrap().status();
        assert_eq!(status, 400);
        // Invalid UTF-8 inside JSON.
        let status = post("application/json", b"{\"description\": \"\xff\xfe\"}".to_vec())
            .await
            .unwrap()
            .status();
        assert_eq!(status, 400);
        assert_eq!(app.tickets().await, 0);
    }
}

/// RFC 9110: media types are case-insensitive; `Application/JSON` is JSON.
#[tokio::test]
async fn media_types_are_read_whatever_their_case() {
    for app in backends().await {
        for (n, ct) in ["Application/JSON", "APPLICATION/JSON; Charset=UTF-8"]
            .into_iter()
            .enumerate()
        {
            let mut request = complete(21 + u32::try_from(n).unwrap() * 100);
            request["device"] = json!("Pixel 8, Android 15");
            let response = app
                .client
                .post(format!("{}/api/v1/requests", app.address))
                .header("content-type", ct)
                .body(serde_json::to_vec(&request).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201, "{}: {ct}", app.backend);
        }
        let multipart =
            b"--XYZ\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\npayments\r\n--XYZ--\r\n".to_vec();
        let response = app
            .client
            .post(format!("{}/api/v1/requests", app.address))
            .header("content-type", "Multipart/Form-Data; boundary=XYZ")
            .body(multipart)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "read as multipart, refused for what it lacks");
    }
}

/// What intake accepts, delivery must deliver: an address no mail library sends to (a quoted local
/// part with spaces is valid RFC 5322, and its confirmation was given up), or one with bidi
/// controls or invisible characters, is refused at the door with the reason.
#[tokio::test]
async fn addresses_mail_cannot_reach_are_refused_at_the_door() {
    for app in backends().await {
        for address in [
            "\"mario rossi x\"@gmail.com",
            "\"mario\"@gmail.com",
            "mario\u{202e}moc.liamg@gmail.com",
            "mario\u{200b}rossi@gmail.com",
        ] {
            let mut request = complete(22);
            request["email"] = json!(address);
            let (status, body) = read(app.post_json(&request).await).await;
            assert_eq!(status, 422, "{}: {address:?}: {body}", app.backend);
            assert_eq!(
                codes(&body),
                [("email".to_owned(), "email_invalid".to_owned())],
                "{address:?}"
            );
        }
        assert_eq!(app.tickets().await, 0);
    }
}

#[tokio::test]
async fn a_one_megabyte_description_is_too_long_not_an_error() {
    for app in backends().await {
        let mut request = complete(20);
        request["description"] = json!("è".repeat(1024 * 1024));
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 422);
        assert!(body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "too_long" && e["field"] == "description"));
    }
}

#[tokio::test]
async fn sql_and_html_in_every_field_are_stored_as_text() {
    let payloads = [
        "'; DROP TABLE tickets; --",
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM outbox;--",
    ];
    for app in backends().await {
        for (i, payload) in payloads.iter().enumerate() {
            let request = complete(30 + i as u32);
            for field in [
                "category",
                "subcategory",
                "email",
                "phone",
                "device",
                "name",
                "country",
                "language",
                "amount",
            ] {
                let mut hostile = request.clone();
                hostile[field] = json!(payload);
                let (status, _) = read(app.post_json(&hostile).await).await;
                assert!([200, 201, 422].contains(&status), "{field}: {status}");
            }
            let mut request = complete(60 + i as u32);
            request["device"] = json!(payload);
            request["name"] = json!(payload);
            request["description"] = json!(format!("Il rimborso non arriva da giorni, ecco cosa vedo: {payload}"));
            let (status, body) = read(app.post_json(&request).await).await;
            assert_eq!(status, 201, "{body}");
            let (_, shown) = read(app.get(body["status_url"].as_str().unwrap()).await).await;
            assert_eq!(shown["status"], "new");
            assert!(
                shown["description"].as_str().unwrap().ends_with(payload),
                "stored verbatim: {shown}"
            );
            assert_eq!(shown["device"], *payload);
        }
        assert!(app.tickets().await >= payloads.len() as i64, "tables survived");
        assert_eq!(app.get("/readyz").await.status(), 200);
    }
}

#[tokio::test]
async fn two_hundred_concurrent_submissions_from_one_contact_make_one_case() {
    for app in backends().await {
        let requests = (0..200).map(|i| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/requests", app.address);
            let mut body = complete(500);
            body["description"] = json!(format!(
                "Tentativo numero {i}: il pagamento è fallito e non ho il rimborso."
            ));
            async move {
                let response = client.post(url).json(&body).send().await.unwrap();
                read(response).await
            }
        });
        let answers: Vec<(u16, Value)> = futures_util_join_all(requests).await;
        let created: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
        let merged: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
        assert_eq!(
            created.len(),
            1,
            "{}: {:?}",
            app.backend,
            answers.iter().map(|a| a.0).collect::<Vec<_>>()
        );
        assert_eq!(merged.len(), 199);
        let case = &created[0].1["case_number"];
        assert!(merged.iter().all(|(_, b)| &b["merged_into"] == case));
        assert_eq!(app.tickets().await, 1);
    }
}

#[tokio::test]
async fn concurrent_submissions_from_different_contacts_get_distinct_case_numbers() {
    for app in backends().await {
        let requests = (0..100).map(|i| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/requests", app.address);
            let body = complete(1000 + i);
            async move { read(client.post(url).json(&body).send().await.unwrap()).await }
        });
        let answers = futures_util_join_all(requests).await;
        assert!(answers.iter().all(|(s, _)| *s == 201));
        let numbers: HashSet<_> = answers
            .iter()
            .map(|(_, b)| b["case_number"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(numbers.len(), 100);
        assert_eq!(app.tickets().await, 100);
    }
}

/// Runs futures concurrently on the current task set.
async fn futures_util_join_all<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
