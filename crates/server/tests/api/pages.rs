//! The customer's pages over plain HTTP, as a browser without JavaScript uses them (issue 4):
//! the form, its errors and kept values, CSRF, the confirmation, the status page and adding
//! information, languages, security headers, and hostile input. On SQLite and PostgreSQL.

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sportello::store::TicketId;

use crate::helpers::{backends, complete, form_of, image, read, Visitor};

fn text_form(pairs: &[(&str, &str)]) -> Form {
    pairs
        .iter()
        .fold(Form::new(), |f, (k, v)| f.text((*k).to_owned(), (*v).to_owned()))
}

fn png(name: &str) -> Part {
    Part::bytes(image(name))
        .file_name(name.to_owned())
        .mime_str("image/png")
        .unwrap()
}

/// The case id behind a `/confirmation/WA…?t=…` or `/status/WA…?t=…` link.
fn ticket_of(location: &str) -> TicketId {
    let number = location.split('/').nth(2).unwrap().split('?').next().unwrap();
    TicketId::from(number[2..11].parse::<i64>().unwrap())
}

#[tokio::test]
async fn the_form_comes_with_strict_headers_a_csrf_cookie_and_stays_small() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        let page = visitor.get("/").await;
        assert_eq!(page.status, 200);
        let header = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("x-content-type-options"), "nosniff");
        let set_cookie: Vec<_> = page
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            set_cookie
                .iter()
                .any(|c| c.starts_with("csrf=") && c.contains("HttpOnly") && c.contains("SameSite=Strict")),
            "{set_cookie:?}"
        );
        let csrf = visitor.cookie("csrf").unwrap();
        assert!(page.html.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
        // No inline script, no third-party address anywhere in the page.
        assert_eq!(
            page.html.matches("<script").count(),
            page.html.matches("<script src=\"/static/").count()
        );
        assert!(!page.html.contains("src=\"http") && !page.html.contains("href=\"http"));
        // Nothing the policy would block: no inline style, no inline handler.
        assert!(!page.html.contains(" style=") && !page.html.contains(" onclick="));
        // Labels are bound to their inputs.
        for id in [
            "category",
            "subcategory",
            "email",
            "phone",
            "description",
            "device",
            "attachment",
        ] {
            assert!(page.html.contains(&format!("<label for=\"{id}\"")), "label for {id}");
        }
        // The whole page with its assets stays far under 100 KB.
        let mut weight = page.html.len();
        for asset in ["app.css", "app.js", "icon.svg"] {
            let url = page.html.split(&format!("/static/{asset}?v=")).nth(1).unwrap();
            let path = format!("/static/{asset}?v={}", &url[..url.find('"').unwrap()]);
            let response = app.get(&path).await;
            assert_eq!(response.status(), 200);
            assert!(response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable"));
            weight += response.bytes().await.unwrap().len();
        }
        assert!(weight < 100 * 1024, "{weight} bytes");
        eprintln!("the form with its assets: {weight} bytes");
    }
}

#[tokio::test]
async fn a_refused_form_comes_back_with_every_value_and_each_problem_beside_its_field() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/?lang=it").await;
        let form = text_form(&[
            ("language", "it"),
            ("category", "payments"),
            ("subcategory", "refund"),
            ("name", "Mario <Rossi> & figli"),
            ("email", "mario.rossi@gamil.com"),
            ("phone", "393451234567"),
            ("description", "non funziona"),
            ("device", "iPhone 14, iOS 17.1"),
            ("transaction_id", "WA123"),
            ("amount", "12,50 EUR"),
        ])
        .part("attachment", png("large-png-3840x2160-exoplanet.png"))
        .part("attachment", png("screenshot-935x534-firefox.png"));
        let page = visitor.post("/", form).await;
        assert_eq!(page.status, 422, "{}", page.html);
        assert_eq!(app.tickets().await, 0);
        // Every value kept, escaped in the page and read back as typed.
        assert_eq!(page.value("name"), "Mario <Rossi> & figli");
        assert!(!page.html.contains("Mario <Rossi>"));
        assert_eq!(page.value("email"), "mario.rossi@gamil.com");
        assert_eq!(page.value("phone"), "393451234567");
        assert_eq!(page.value("description"), "non funziona");
        assert_eq!(page.value("device"), "iPhone 14, iOS 17.1");
        assert_eq!(page.value("transaction_id"), "WA123");
        assert_eq!(page.value("amount"), "12,50 EUR");
        assert!(page.tag("category").contains("select"));
        assert!(page.html.contains("<option value=\"payments\" selected>"));
        assert!(page.html.contains("<option value=\"refund\" selected>"));
        // Each problem beside its field, in Italian, announced through aria-describedby.
        let email = page.tag("email");
        assert!(
            email.contains("aria-invalid=\"true\"") && email.contains("email-error"),
            "{email}"
        );
        assert!(page.error("email").unwrap().contains("mario.rossi@gmail.com"));
        assert!(
            page.error("phone").unwrap().contains("prefisso"),
            "{:?}",
            page.error("phone")
        );
        assert!(page.error("description").unwrap().contains("30 caratteri"));
        assert!(page.error("transaction_id").is_some());
        assert!(page.error("device").is_none() && page.error("name").is_none());
        assert!(
            page.error("attachment").unwrap().contains("720"),
            "{:?}",
            page.error("attachment")
        );
        // The summary links to each field.
        assert!(page.html.contains("href=\"#email\""));
        // One-click fixes that work without JavaScript.
        assert!(page.html.contains("name=\"use_email\" value=\"mario.rossi@gmail.com\""));
        assert!(page.html.contains("name=\"use_phone\" value=\"+393451234567\""));
        // The good screenshot is kept; the small one is not.
        let kept = page.inputs("kept");
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].ends_with(".large-png-3840x2160-exoplanet.png"));

        // The fixes in one click each, the kept file with them: accepted.
        let form = text_form(&[
            ("language", "it"),
            ("category", "payments"),
            ("subcategory", "refund"),
            ("name", "Mario Rossi"),
            ("email", "mario.rossi@gamil.com"),
            ("use_email", "mario.rossi@gmail.com"),
            ("phone", "+39 345 123 4567"),
            ("description", "Ho pagato 12 euro ieri ma il pagamento risulta fallito."),
            ("device", "iPhone 14, iOS 17.1"),
            ("transaction_id", "WA123456789"),
            ("amount", "12,50 EUR"),
            ("kept", kept[0].as_str()),
        ]);
        let page = visitor.post("/", form).await;
        assert_eq!(page.status, 303, "{}", page.text());
        let location = page.location();
        assert!(location.starts_with("/confirmation/WA"), "{location}");
        let id = ticket_of(&location);
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.email.as_str(), "mario.rossi@gmail.com");
        assert_eq!(ticket.channel.as_str(), "web");
        assert_eq!(ticket.language, "it");
        let files = app.app.store.attachments(id, &[]).await.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].filename, "large-png-3840x2160-exoplanet.png");
    }
}

#[tokio::test]
async fn a_kept_file_cannot_be_claimed_by_another_browser() {
    for app in backends().await {
        let mut first = Visitor::new(&app);
        first.get("/").await;
        let form = text_form(&[("category", "payments"), ("email", "x")])
            .part("attachment", png("large-png-3840x2160-exoplanet.png"));
        let page = first.post("/", form).await;
        let kept = page.inputs("kept").remove(0);
        let mut second = Visitor::new(&app);
        second.get("/").await;
        let mut request = complete(7);
        request["kept"] = Value::String(kept);
        let page = second.post("/", form_of(&request)).await;
        assert_eq!(page.status, 303);
        assert!(app
            .app
            .store
            .attachments(ticket_of(&page.location()), &[])
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn a_second_request_about_the_same_thing_joins_the_open_case() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/?lang=en").await;
        let first = visitor.post("/", form_of(&complete(11))).await;
        assert_eq!(first.status, 303);
        let mut again = complete(11);
        again["description"] = Value::from("I sent this already: the refund of 12 euro still has not arrived.");
        let second = visitor.post("/", form_of(&again)).await;
        assert_eq!(second.status, 303);
        // No status link for this browser: only the case's address gets it (SPEC §3.3).
        assert!(second.location().starts_with("/merged/WA"), "{}", second.location());
        assert!(!second.location().contains("t="), "{}", second.location());
        let page = visitor.get(&second.location()).await;
        assert!(!page.html.contains("/status/"), "{}", page.html);
        assert!(
            page.text().contains("has been sent to its e-mail address"),
            "{}",
            page.text()
        );
        let case = first
            .location()
            .split('/')
            .nth(2)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            page.text().contains(&format!("we added your message to case {case}")),
            "{}",
            page.text()
        );
        assert_eq!(app.tickets().await, 1);
        let messages = app.app.store.messages(ticket_of(&first.location())).await.unwrap();
        assert!(messages[0].body.starts_with("I sent this already"));
    }
}

#[tokio::test]
async fn unknown_addresses_are_a_page_for_browsers_and_json_for_clients() {
    for app in backends().await {
        let page = Visitor::new(&app).get("/no/such/page").await;
        assert_eq!(page.status, 404);
        assert!(page.html.contains("<h1>"));
        let (status, body) = read(app.get("/api/v1/nothing").await).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_keeps_its_values() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        // No page first: no cookie at all.
        let page = visitor.post_raw("/", form_of(&complete(3))).await;
        assert_eq!(page.status, 403);
        assert_eq!(page.value("email"), "cliente3@gmail.com");
        assert!(page.html.contains("banner"));
        // A cookie, but a forged field.
        let page = visitor
            .post_raw("/", form_of(&complete(3)).text("csrf", "forged"))
            .await;
        assert_eq!(page.status, 403);
        assert_eq!(app.tickets().await, 0);
        // The page it came back with carries a token that works.
        let page = visitor.post("/", form_of(&complete(3))).await;
        assert_eq!(page.status, 303);
        assert_eq!(app.tickets().await, 1);
        // The JSON API needs no token (no cookie authenticates it).
        assert_eq!(app.post_json(&complete(4)).await.status(), 201);
    }
}

#[tokio::test]
async fn the_confirmation_shows_the_case_its_due_time_what_is_missing_and_the_warning() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/?lang=it").await;
        visitor.set_cookie("tz", "Europe%2FRome");
        let mut request = complete(5);
        request["language"] = Value::from("it");
        request.as_object_mut().unwrap().remove("amount");
        let page = visitor.post("/", form_of(&request)).await;
        assert_eq!(page.status, 303);
        let location = page.location();
        let page = visitor.get(&location).await;
        assert_eq!(page.status, 200);
        let text = page.text();
        let case = location.split('/').nth(2).unwrap().split('?').next().unwrap();
        assert!(page.tag("case-number").contains("output"));
        assert!(text.contains(case));
        let due = page.text_of("first-response");
        assert!(due.contains("entro") && due.contains("Europe/Rome"), "{due}");
        assert!(text.contains("Importo"), "the missing field by its Italian label");
        assert!(page.html.contains(&format!("href=\"/status/{case}?t=")));
        assert!(text.contains("non chiede mai il codice di verifica"));
        // The due time in words is the case's, in the reader's zone.
        let ticket = app.app.store.case(ticket_of(&location)).await.unwrap().unwrap();
        let local = ticket
            .first_response_due
            .with_timezone(&chrono_tz::Europe::Rome)
            .format("%H:%M")
            .to_string();
        assert!(due.contains(&local), "{due} / {local}");
        // Without the zone: UTC, and the page says so.
        visitor.cookies.retain(|(k, _)| k != "tz");
        let page = visitor.get(&location).await;
        assert!(page.text().contains("UTC"));
        assert!(page.html.contains("data-tz-reload=\"1\""));
        // A wrong token: not found, and nothing says which part was wrong.
        let wrong = visitor.get(&format!("/confirmation/{case}?t=nope")).await;
        assert_eq!(wrong.status, 404);
        assert!(!wrong.text().contains(case));
    }
}

#[tokio::test]
async fn the_status_link_is_a_page_for_browsers_and_json_for_clients() {
    for app in backends().await {
        let (_, body) = read(app.post_json(&complete(8)).await).await;
        let url = body["status_url"].as_str().unwrap();
        let case = body["case_number"].as_str().unwrap();
        let mut visitor = Visitor::new(&app);
        let page = visitor.get(url).await;
        assert_eq!(page.status, 200);
        assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.headers["cache-control"].to_str().unwrap().contains("no-store"));
        assert!(page.text().contains(case));
        assert!(page.html.contains("id=\"add-form\""));
        let json = app
            .client
            .get(format!("{}{url}", app.address))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let (status, json) = read(json).await;
        assert_eq!(status, 200);
        assert_eq!(json["case_number"], case);
        let missing = visitor.get(&format!("/status/{case}?t=wrong")).await;
        assert_eq!(missing.status, 404);
        assert!(missing.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let nonsense = visitor.get("/status/%00%ff?t=x").await;
        assert_eq!(nonsense.status, 404);
    }
}

#[tokio::test]
async fn adding_the_missing_information_puts_the_case_back_to_normal() {
    for app in backends().await {
        let mut request = complete(9);
        request.as_object_mut().unwrap().remove("amount");
        request.as_object_mut().unwrap().remove("transaction_id");
        let (_, body) = read(app.post_json(&request).await).await;
        assert_eq!(body["priority"], "low");
        let url = body["status_url"].as_str().unwrap().to_owned();
        let id = ticket_of(&url);
        let mut visitor = Visitor::new(&app);
        let page = visitor.get(&url).await;
        // The form asks for what is missing.
        assert!(page.html.contains("id=\"transaction_id\"") && page.html.contains("id=\"amount\""));

        // A bad value: refused beside its field, every value kept, nothing stored.
        let form = text_form(&[
            ("transaction_id", "WA12"),
            ("amount", "3 EUR"),
            ("message", "Ecco i dati."),
        ])
        .part("attachment", png("screenshot-935x534-firefox.png"));
        let page = visitor.post(&url, form).await;
        assert_eq!(page.status, 422);
        assert_eq!(page.value("transaction_id"), "WA12");
        assert_eq!(page.value("amount"), "3 EUR");
        assert_eq!(page.value("message"), "Ecco i dati.");
        assert!(page.error("transaction_id").is_some());
        assert!(page.error("attachment").is_some());
        assert_eq!(app.app.store.messages(id).await.unwrap().len(), 0);
        // Nothing at all: refused.
        let page = visitor.post(&url, text_form(&[("message", "  ")])).await;
        assert_eq!(page.status, 422);
        assert!(page.error("message").is_some());

        // The rest, with a screenshot: added; the case is complete and back to normal.
        let form = text_form(&[
            ("transaction_id", "WA123456789"),
            ("amount", "3 EUR"),
            ("message", "Ecco i dati della transazione."),
        ])
        .part("attachment", png("large-png-3840x2160-exoplanet.png"));
        let page = visitor.post(&url, form).await;
        assert_eq!(page.status, 303, "{}", page.text());
        assert!(page.location().ends_with("&added=normal"), "{}", page.location());
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.priority.as_str(), "normal");
        assert!(ticket.fields.values().any(|v| v == "WA123456789"));
        let messages = app.app.store.messages(id).await.unwrap();
        assert_eq!(messages.len(), 1);
        assert!(messages[0].body.starts_with("Ecco i dati della transazione."));
        assert!(
            messages[0].body.contains("transaction_id: WA123456789"),
            "{}",
            messages[0].body
        );
        assert_eq!(app.app.store.attachments(id, &[]).await.unwrap().len(), 1);
        let page = visitor.get(&page.location()).await;
        assert!(page.html.contains("role=\"status\""));
        assert!(page.text().contains("Ecco i dati della transazione."));
        assert!(page.text().contains("large-png-3840x2160-exoplanet.png (3840×2160)"));
        assert!(
            !page.html.contains("id=\"transaction_id\""),
            "nothing is missing any more"
        );
        let (_, json) = read(app.client.get(format!("{}{url}", app.address)).send().await.unwrap()).await;
        assert_eq!(json["missing"], serde_json::json!([]));
        // A further message raises the priority once (SPEC §4), as a mail reply does.
        let page = visitor.post(&url, text_form(&[("message", "Qualche novità?")])).await;
        assert_eq!(page.status, 303);
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.priority.as_str(), "high");
    }
}

#[tokio::test]
async fn a_case_opened_by_mail_gets_its_phone_and_device_on_the_status_page() {
    for app in backends().await {
        let raw = bytes::Bytes::from(
            "From: Mario Rossi <mario.rossi@libero.it>\r\nTo: support@sportello.test\r\n\
             Subject: L'app si chiude da sola\r\nContent-Language: it\r\nMessage-ID: <web1@libero.it>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             Da ieri l'app si chiude appena apro una chat di gruppo, sempre dopo pochi secondi.\r\n",
        );
        sportello::app::ingest::ingest(&app.app, raw).await.unwrap();
        let payloads = app.app.store.outbox_payloads().await.unwrap();
        let confirmation: Value = serde_json::from_str(payloads.last().unwrap()).unwrap();
        let url = confirmation["status_url"]
            .as_str()
            .unwrap()
            .replace("http://sportello.test", "");
        let id = ticket_of(&url);
        let mut visitor = Visitor::new(&app);
        visitor.accept_language = Some("it".to_owned());
        let page = visitor.get(&url).await;
        assert!(page.text().contains("In attesa del tuo numero di telefono"));
        assert!(page.tag("phone").contains("type=\"tel\"") && page.tag("device").contains("aria-required"));
        // A national number without its country: refused beside the field, the rest kept.
        let form = text_form(&[("phone", "345 123 4567"), ("device", "Pixel 8, Android 15")]);
        let page = visitor.post(&url, form).await;
        assert_eq!(page.status, 422);
        assert!(
            page.error("phone").unwrap().contains("+39"),
            "{:?}",
            page.error("phone")
        );
        assert_eq!(page.value("device"), "Pixel 8, Android 15");
        let form = text_form(&[
            ("phone", "345 123 4567"),
            ("country", "IT"),
            ("device", "Pixel 8, Android 15"),
        ]);
        let page = visitor.post(&url, form).await;
        assert_eq!(page.status, 303, "{}", page.text());
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.status.as_str(), "new");
        assert_eq!(ticket.phone.as_ref().map(|p| p.as_str()), Some("+393451234567"));
        assert_eq!(ticket.device.as_deref(), Some("Pixel 8, Android 15"));
        let page = visitor.get(&page.location()).await;
        assert!(!page.html.contains("id=\"phone\""), "nothing is asked twice");
        assert!(page.text().contains("Dispositivo: Pixel 8, Android 15"));
    }
}

#[tokio::test]
async fn languages_come_from_the_query_then_the_cookie_then_accept_language() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        let page = visitor.get("/").await;
        assert!(page.html.contains("<html lang=\"en\">"));
        visitor.accept_language = Some("de-DE, it;q=0.8".to_owned());
        let page = visitor.get("/").await;
        assert!(page.html.contains("<html lang=\"it\">"));
        assert!(page.text().contains("Chiedi assistenza"));
        let page = visitor.get("/?lang=en").await;
        assert!(page.html.contains("<html lang=\"en\">"));
        assert_eq!(visitor.cookie("lang").as_deref(), Some("en"));
        // The cookie now outranks Accept-Language.
        let page = visitor.get("/").await;
        assert!(page.html.contains("<html lang=\"en\">"));
        assert!(page.text().contains("Ask for help"));
        // An unknown language changes nothing.
        let page = visitor.get("/?lang=xx").await;
        assert!(page.html.contains("<html lang=\"en\">"));
        assert_eq!(visitor.cookie("lang").as_deref(), Some("en"));
        // The switcher links to the other language.
        assert!(page.html.contains("href=\"/?lang=it\""));
    }
}

#[tokio::test]
async fn hostile_form_input_never_breaks_a_page_nor_loses_what_was_valid() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        visitor.get("/").await;
        // A field that is not UTF-8: refused beside it, the rest kept.
        let form = form_of(&complete(20)).part("name", Part::bytes(vec![0x4d, 0xff, 0xfe, 0x61]));
        let page = visitor.post("/", form).await;
        assert_eq!(page.status, 422, "{}", page.text());
        assert!(page.error("name").is_some());
        assert_eq!(page.value("email"), "cliente20@gmail.com");
        // Not an image, a truncated image, four files.
        let form = form_of(&complete(21))
            .part(
                "attachment",
                Part::bytes(b"%PDF-1.4 not an image".to_vec()).file_name("a.png"),
            )
            .part("attachment", png("png-truncated-640x480.png"))
            .part("attachment", png("gif-dimension-bomb.gif"))
            .part("attachment", png("large-png-3840x2160-exoplanet.png"));
        let page = visitor.post("/", form).await;
        assert_eq!(page.status, 422);
        assert!(page.error("attachment").is_some());
        assert_eq!(page.value("description"), complete(21)["description"].as_str().unwrap());
        // A body over the limit: the text read before the files comes back.
        let csrf = visitor.cookie("csrf").unwrap();
        let mut body = format!(
            "--XYZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nbig@gmail.com\r\n\
             --XYZ\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.png\"\r\n\r\n"
        )
        .into_bytes();
        body.extend(vec![b'a'; 20 * 1024 * 1024]);
        // Declared over the limit: refused before a byte of it is read, with a page that says why.
        let page = visitor.post_body("/", "multipart/form-data; boundary=XYZ", body).await;
        if page.status != 0 {
            assert_eq!(page.status, 413);
            assert!(page.text().contains("too large"), "{}", page.text());
        }
        // A truncated body, a urlencoded one, a body of no known type.
        let page = visitor
            .post_body(
                "/",
                "multipart/form-data; boundary=XYZ",
                b"--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nhalf@gmail.com\r\n--XYZ\r\nContent-Disp".to_vec(),
            )
            .await;
        assert_eq!(page.status, 400);
        assert_eq!(page.value("email"), "half@gmail.com");
        let page = visitor
            .post_body(
                "/",
                "application/x-www-form-urlencoded",
                format!("csrf={csrf}&email=url%40gmail.com&category=<b>").into_bytes(),
            )
            .await;
        assert_eq!(page.status, 422);
        assert_eq!(page.value("email"), "url@gmail.com");
        let page = visitor.post_body("/", "text/plain", b"hello".to_vec()).await;
        assert_eq!(page.status, 400);
        // Hostile values: escaped, never run.
        let mut request = complete(22);
        request["description"] = Value::from("<script>alert(1)</script> e il rimborso non arriva da giorni");
        request["device"] = Value::from("\"><img src=x onerror=alert(2)>");
        let page = visitor.post("/", form_of(&request)).await;
        assert_eq!(page.status, 303);
        let page = visitor.get(&page.location()).await;
        let status = page.attr("status-link", "href").unwrap();
        let page = visitor.get(&status).await;
        assert!(!page.html.contains("<script>alert") && !page.html.contains("<img src=x"));
        assert!(page.text().contains("<script>alert(1)</script>"));
        assert_eq!(app.tickets().await, 1);
    }
}

#[tokio::test]
async fn the_scripts_checks_ask_the_domain() {
    for app in backends().await {
        let (_, email) = read(app.get("/api/v1/check/email?value=mario%40gamil.com&lang=it").await).await;
        assert_eq!(email["status"], "email_suspect");
        assert_eq!(email["suggestion"], "mario@gmail.com");
        assert!(email["message"].as_str().unwrap().contains("intendevi"), "{email}");
        let (_, ok) = read(app.get("/api/v1/check/email?value=mario%40libero.it").await).await;
        assert_eq!(ok["status"], "ok");
        let (_, phone) = read(app.get("/api/v1/check/phone?value=345%20123%204567&country=IT").await).await;
        assert_eq!(phone, serde_json::json!({"status": "ok", "value": "+393451234567"}));
        let (_, phone) = read(app.get("/api/v1/check/phone?value=393451234567").await).await;
        assert_eq!(phone["status"], "phone_missing_country_code");
        assert_eq!(phone["suggestion"], "+393451234567");
        let (status, _) = read(
            app.get(&format!("/api/v1/check/phone?value={}", "9".repeat(5000)))
                .await,
        )
        .await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn every_customer_page_warns_of_fake_support_once() {
    for app in backends().await {
        let mut visitor = Visitor::new(&app);
        let mut pages = vec![("the form", visitor.get("/?lang=en").await)];
        let mut refused = complete(30);
        refused["email"] = Value::from("cliente30@gmial.com");
        pages.push(("a refused form", visitor.post("/", form_of(&refused)).await));
        let sent = visitor.post("/", form_of(&complete(31))).await;
        assert_eq!(sent.status, 303);
        pages.push(("the confirmation", visitor.get(&sent.location()).await));
        let mut again = complete(31);
        again["description"] = Value::from("I sent this already: the refund of 12 euro still has not arrived.");
        let merged = visitor.post("/", form_of(&again)).await;
        pages.push(("the merged page", visitor.get(&merged.location()).await));
        let status = sent.location().replace("/confirmation/", "/status/");
        pages.push(("the status page", visitor.get(&status).await));
        pages.push(("a page not found", visitor.get("/nothing-here").await));
        for (what, page) in pages {
            let told = page.text().matches("Beware of fake support").count();
            assert_eq!(told, 1, "{what} on {}: told {told} times", app.backend);
        }
    }
}
