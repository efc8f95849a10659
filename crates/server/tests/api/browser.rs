//! The customer's pages in a real browser: Debian's headless Chromium driven through chromedriver
//! (issue 4). Each test starts chromedriver on a free port and the real server from `spawn_app()`.
//!
//! SQLite only: what these tests show (the pages, the script, the browser's own handling of forms)
//! does not depend on the database, which `pages.rs` covers on both backends over plain HTTP; the
//! browsers are the slow part of the suite. Browsers run one at a time (two cores).
//!
//! Without Chromium the tests say they skipped; in CI (`CI=true`) they fail.
//! `SPORTELLO_SCREENSHOTS=1` writes the README's screenshots to `docs/screenshots/`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use sportello::store::TicketId;

use crate::helpers::{complete, read, spawn_app, Backend, Options, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser at a time: two cores, and each Chromium wants one.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Driver {
    process: tokio::process::Child,
    _profile: tempfile::TempDir,
}

/// Whether the browser is installed; in CI its absence is a failure, not a skip.
fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing: install chromium and chromium-driver");
        }
        crate::helpers::say_skipped(&format!(
            "the browser tests ({CHROMIUM} or {CHROMEDRIVER} is missing: apt-get install chromium chromium-driver)"
        ));
    }
    present
}

/// chromedriver on a port it picks itself (`--port=0`, which it then names), and a Chromium
/// session at 390×844 (a phone), JavaScript on or off.
async fn start(javascript: bool, width: u32) -> (Driver, Client) {
    use tokio::io::AsyncBufReadExt;
    let mut process = tokio::process::Command::new(CHROMEDRIVER)
        .arg("--port=0")
        // Due times are shown in the browser's zone: make it one that is not UTC.
        .env("TZ", "Europe/Rome")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let mut lines = tokio::io::BufReader::new(process.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next_line().await.unwrap().expect("chromedriver says its port");
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            break rest.trim_end_matches('.').trim().to_owned();
        }
    };
    // Drained to the end, so chromedriver never writes into a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut prefs = json!({ "intl.accept_languages": "en-GB,en" });
    if !javascript {
        prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    }
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=390,844",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": prefs,
            // The viewport of a phone (e.g. 390×844 CSS pixels), whatever the headless window's limits.
            "mobileEmulation": { "deviceMetrics": { "width": width, "height": 844, "pixelRatio": 1.0 } },
        },
    });
    let capabilities = match capabilities {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => break client,
            Err(e) if Instant::now() > deadline => panic!("no browser session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    (
        Driver {
            process,
            _profile: profile,
        },
        client,
    )
}

/// Runs `test` with a browser and a fresh server; the browser is closed even when the test fails.
async fn with_browser<F, Fut>(javascript: bool, test: F)
where
    F: FnOnce(Client, Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_phone(javascript, 390, test).await;
}

/// As [`with_browser`], on a screen `width` CSS pixels wide.
async fn with_phone<F, Fut>(javascript: bool, width: u32, test: F)
where
    F: FnOnce(Client, Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_options(javascript, width, Options::default(), test).await;
}

/// As [`with_phone`], the server started with `options`.
async fn with_options<F, Fut>(javascript: bool, width: u32, options: Options, test: F)
where
    F: FnOnce(Client, Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !browser_available() {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    // Held here as well: the server lives until the browser is closed, whatever the test keeps.
    let app = Arc::new(spawn_app(Backend::Sqlite, options).await);
    let (mut driver, client) = start(javascript, width).await;
    let run = tokio::spawn(test(client.clone(), Arc::clone(&app)));
    let abort = run.abort_handle();
    // A browser that stops answering fails the test instead of hanging the suite.
    let outcome = tokio::time::timeout(Duration::from_secs(90), run).await;
    abort.abort();
    let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    let _ = driver.process.kill().await;
    match outcome {
        Err(_) => panic!("the browser test took more than 90 s"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(_) => {}
    }
}

/// Polls `script` (a JavaScript expression) until it is true.
async fn until(c: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = c.execute(&format!("return !!({script});"), vec![]).await.unwrap();
        if value == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "waited 20 s for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses a button with the keyboard (Enter), as a keyboard-only user does.
async fn press(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
}

async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn type_into(c: &Client, id: &str, text: &str) {
    let input = c.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

fn image_path(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/images")
        .join(name);
    path.canonicalize().unwrap().display().to_string()
}

/// Writes `docs/screenshots/NAME` when `SPORTELLO_SCREENSHOTS=1`.
async fn screenshot(c: &Client, name: &str) {
    if std::env::var("SPORTELLO_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// The case behind the browser's current `/confirmation/WA…` address.
async fn case_on_screen(c: &Client) -> (String, TicketId) {
    let url = c.current_url().await.unwrap();
    let number = url.path().rsplit('/').next().unwrap().to_owned();
    let id = TicketId::from(number[2..11].parse::<i64>().unwrap());
    (number, id)
}

/// Fills what every request needs, for the `payments`/`refund` case.
async fn fill_payment(c: &Client, email: &str) {
    c.find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("payments")
        .await
        .unwrap();
    until(
        c,
        "refund among the sub-categories",
        "document.querySelector('#subcategory option[value=refund]')",
    )
    .await;
    c.find(Locator::Id("subcategory"))
        .await
        .unwrap()
        .select_by_value("refund")
        .await
        .unwrap();
    type_into(
        c,
        "description",
        "Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non vedo il rimborso.",
    )
    .await;
    type_into(c, "device", "iPhone 14, iOS 17.1").await;
    type_into(c, "transaction_id", "WA123456789").await;
    type_into(c, "amount", "12,50 EUR").await;
    type_into(c, "name", "Mario Rossi").await;
    type_into(c, "email", email).await;
    type_into(c, "phone", "+39 345 123 4567").await;
}

#[tokio::test]
async fn a_complete_request_with_two_screenshots_in_italian() {
    with_browser(true, |c, app| async move {
        c.goto(&format!("{}/?lang=it", app.address)).await.unwrap();
        assert_eq!(c.title().await.unwrap(), "Chiedi assistenza · Assistenza clienti");
        // Live: the payments questions and the urgency box follow the category.
        until(&c, "the script", "document.querySelector('fieldset[data-category=payments]').hidden").await;
        screenshot(&c, "form-it.png").await;
        c.find(Locator::Id("category")).await.unwrap().select_by_value("messages").await.unwrap();
        until(&c, "the messages questions", "!document.querySelector('fieldset[data-category=messages]').hidden").await;
        assert!(!c.find(Locator::Id("urgent-field")).await.unwrap().is_displayed().await.unwrap());
        fill_payment(&c, "mario.rossi@gmail.com").await;
        until(&c, "the payments questions", "!document.querySelector('fieldset[data-category=payments]').hidden").await;
        assert!(c.find(Locator::Id("urgent-field")).await.unwrap().is_displayed().await.unwrap());
        let messages_group = c.find(Locator::Css("fieldset[data-category=messages]")).await.unwrap();
        assert!(!messages_group.is_displayed().await.unwrap());
        // The phone's E.164 reading as it is typed.
        until(&c, "the phone's reading", "document.getElementById('phone-live').textContent.indexOf('+393451234567') >= 0").await;
        assert!(text_of(&c, "#phone-live").await.starts_with("Letto come"));
        // Two screenshots, checked before they are sent.
        let files = c.find(Locator::Id("attachment")).await.unwrap();
        files
            .send_keys(&format!(
                "{}\n{}",
                image_path("large-png-3840x2160-exoplanet.png"),
                image_path("jpeg-exif-lightroom-canon-2000x1072.jpg")
            ))
            .await
            .unwrap();
        // A double click sends one request: a listener after the page's own counts the submissions
        // the page lets through (and holds them, so both clicks land on this page).
        c.execute(
            "var f = document.getElementById('request-form'); window.sent = 0;\
             f.addEventListener('submit', function (e) { if (!e.defaultPrevented) { window.sent++; } e.preventDefault(); });\
             var b = f.querySelector(':scope > button[type=submit]');\
             b.click(); setTimeout(function () { b.click(); window.clickedTwice = true; }, 50);",
            vec![],
        )
        .await
        .unwrap();
        until(&c, "the second click", "window.clickedTwice === true").await;
        let sent = c.execute("return [window.sent, document.querySelector('#request-form > button[type=submit]').disabled]", vec![]).await.unwrap();
        assert_eq!(sent, json!([1, true]), "submissions let through, button disabled");
        c.execute("document.getElementById('request-form').submit()", vec![]).await.unwrap();
        until(&c, "the confirmation", "location.pathname.indexOf('/confirmation/') === 0").await;
        until(&c, "the page", "document.readyState === 'complete'").await;
        let (number, id) = case_on_screen(&c).await;
        assert_eq!(text_of(&c, "#case-number").await, number);
        assert!(c.find(Locator::Css("[data-copy]")).await.unwrap().is_displayed().await.unwrap());
        let due = text_of(&c, "#first-response").await;
        assert!(due.starts_with("Riceverai una prima risposta entro"), "{due}");
        assert!(due.contains("ora di Europe/Rome"), "the browser's zone: {due}");
        assert!(c.source().await.unwrap().contains("non chiede mai il codice di verifica"));
        screenshot(&c, "confirmation-it.png").await;
        assert_eq!(app.tickets().await, 1);
        assert!(app.app.store.messages(id).await.unwrap().is_empty(), "no second submission merged in");
        let files = app.app.store.attachments(id, &[]).await.unwrap();
        assert_eq!(files.len(), 2);
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!((ticket.language.as_str(), ticket.channel.as_str()), ("it", "web"));
    })
    .await;
}

#[tokio::test]
async fn a_mistyped_email_is_fixed_with_one_click() {
    with_browser(true, |c, app| async move {
        c.goto(&format!("{}/?lang=en", app.address)).await.unwrap();
        fill_payment(&c, "mario.rossi@gmail.com").await;
        until(
            &c,
            "the phone's reading",
            "document.getElementById('phone-live').textContent",
        )
        .await;
        let top = "return Math.round(document.getElementById('phone').getBoundingClientRect().top + scrollY)";
        let before = c.execute(top, vec![]).await.unwrap();
        type_into(&c, "email", "mario.rossi@gamil.com").await;
        until(&c, "the suggestion", "document.querySelector('#email-live button')").await;
        let hint = text_of(&c, "#email-live").await;
        assert!(hint.starts_with("Did you mean mario.rossi@gmail.com?"), "{hint}");
        assert_eq!(
            c.execute(top, vec![]).await.unwrap(),
            before,
            "the hint moved nothing below it"
        );
        c.find(Locator::Css("#email-live button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(value_of(&c, "email").await, "mario.rossi@gmail.com");
        until(&c, "the hint to go", "!document.querySelector('#email-live button')").await;
        // Attachments are refused before upload: too many, not an image the desk takes, too small.
        let files = c.find(Locator::Id("attachment")).await.unwrap();
        let four = [
            "large-png-3840x2160-exoplanet.png",
            "jpeg-exif-lightroom-canon-2000x1072.jpg",
            "gif-hopper-128.gif",
            "screenshot-935x534-firefox.png",
        ]
        .map(image_path)
        .join("\n");
        files.send_keys(&four).await.unwrap();
        until(
            &c,
            "the count check",
            "document.getElementById('attachment-error').textContent.indexOf('3') >= 0",
        )
        .await;
        assert_eq!(files.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        files.clear().await.unwrap();
        files.send_keys(&image_path("webp-hopper-128.webp")).await.unwrap();
        until(
            &c,
            "the type check",
            "document.getElementById('attachment-error').textContent.indexOf('JPG, PNG') >= 0",
        )
        .await;
        files.clear().await.unwrap();
        files
            .send_keys(&image_path("screenshot-935x534-firefox.png"))
            .await
            .unwrap();
        until(
            &c,
            "the resolution check",
            "document.getElementById('attachment-error').textContent.indexOf('720') >= 0",
        )
        .await;
        files.clear().await.unwrap();
        c.execute(
            "document.getElementById('attachment').dispatchEvent(new Event('change'))",
            vec![],
        )
        .await
        .unwrap();
        c.find(Locator::Css("#request-form > button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(
            &c,
            "the confirmation",
            "location.pathname.indexOf('/confirmation/') === 0",
        )
        .await;
        let (_, id) = case_on_screen(&c).await;
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.email.as_str(), "mario.rossi@gmail.com");
    })
    .await;
}

#[tokio::test]
async fn without_javascript_a_refused_form_keeps_its_values_and_shows_its_errors() {
    with_browser(false, |c, app| async move {
        c.goto(&format!("{}/?lang=it", app.address)).await.unwrap();
        // No script: no category questions until the category is chosen and the button pressed.
        assert!(c.find(Locator::Css("fieldset[data-category=payments]")).await.unwrap().attr("hidden").await.unwrap().is_some());
        c.find(Locator::Id("category")).await.unwrap().select_by_value("payments").await.unwrap();
        type_into(&c, "description", "non funziona").await;
        press(&c, "button[name=update]").await;
        until(&c, "the payments questions", "document.getElementById('transaction_id') && !document.querySelector('fieldset[data-category=payments]').hidden").await;
        assert_eq!(value_of(&c, "description").await, "non funziona", "kept across the update");
        c.find(Locator::Id("subcategory")).await.unwrap().select_by_value("refund").await.unwrap();
        type_into(&c, "device", "Galaxy S23, Android 14").await;
        type_into(&c, "transaction_id", "WA123").await;
        type_into(&c, "email", "mario.rossi@gamil.com").await;
        type_into(&c, "phone", "393451234567").await;
        press(&c, "#request-form > button[type=submit]").await;
        until(&c, "the refused form", "document.getElementById('summary')").await;
        until(&c, "the summary to take the focus, script or not", "document.activeElement.id === 'summary'").await;
        assert_eq!(app.tickets().await, 0);
        // Every value kept, each problem beside its field and announced with it.
        assert_eq!(value_of(&c, "email").await, "mario.rossi@gamil.com");
        assert_eq!(value_of(&c, "phone").await, "393451234567");
        assert_eq!(value_of(&c, "device").await, "Galaxy S23, Android 14");
        assert_eq!(value_of(&c, "transaction_id").await, "WA123");
        assert_eq!(value_of(&c, "description").await, "non funziona");
        let email = c.find(Locator::Id("email")).await.unwrap();
        assert_eq!(email.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        assert!(email.attr("aria-describedby").await.unwrap().unwrap().contains("email-error"));
        assert!(text_of(&c, "#email-error").await.contains("intendevi mario.rossi@gmail.com"));
        assert!(text_of(&c, "#description-error").await.contains("30 caratteri"));
        assert!(text_of(&c, "#phone-error").await.contains("prefisso"));
        assert!(text_of(&c, "#transaction_id-error").await.contains("formato"));
        // The picture: the contact fields, each with its problem and its one-click fix.
        c.execute("document.getElementById('email-field').scrollIntoView(); window.scrollBy(0, -70);", vec![])
            .await
            .unwrap();
        screenshot(&c, "error-it.png").await;
        // The rest corrected; the address fixed with its one-click button.
        type_into(&c, "description", "Ho pagato 12 euro ieri sera ma il pagamento risulta fallito.").await;
        type_into(&c, "transaction_id", "WA123456789").await;
        type_into(&c, "phone", "+393451234567").await;
        press(&c, "button[name=use_email]").await;
        until(&c, "the confirmation", "location.pathname.indexOf('/confirmation/') === 0").await;
        let (number, id) = case_on_screen(&c).await;
        assert_eq!(text_of(&c, "#case-number").await, number);
        // No script to tell the zone: UTC, and said so.
        assert!(text_of(&c, "#first-response").await.contains("UTC"));
        let ticket = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(ticket.email.as_str(), "mario.rossi@gmail.com");
    })
    .await;
}

#[tokio::test]
async fn the_status_link_opens_the_case_and_takes_more_information() {
    with_browser(true, |c, app| async move {
        let mut request = complete(70);
        request.as_object_mut().unwrap().remove("amount");
        let (_, body) = read(app.post_json(&request).await).await;
        assert_eq!(body["priority"], "low");
        let url = body["status_url"].as_str().unwrap();
        c.goto(&format!("{}{url}", app.address)).await.unwrap();
        until(&c, "the status page", "document.getElementById('add-form')").await;
        assert!(text_of(&c, "#status").await.contains("waiting for an agent"));
        type_into(&c, "amount", "12,00 EUR").await;
        type_into(&c, "message", "Here is the screenshot of the failed payment.").await;
        c.find(Locator::Id("attachment"))
            .await
            .unwrap()
            .send_keys(&image_path("large-png-3840x2160-exoplanet.png"))
            .await
            .unwrap();
        c.find(Locator::Css("#add-form > button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the notice", "document.querySelector('.notice')").await;
        assert!(text_of(&c, ".notice").await.contains("back in the normal queue"));
        let thread = text_of(&c, ".thread").await;
        assert!(
            thread.contains("Here is the screenshot of the failed payment."),
            "{thread}"
        );
        assert!(thread.contains("large-png-3840x2160-exoplanet.png"), "{thread}");
        let id = TicketId::from(body["case_number"].as_str().unwrap()[2..11].parse::<i64>().unwrap());
        assert_eq!(
            app.app.store.case(id).await.unwrap().unwrap().priority.as_str(),
            "normal"
        );
    })
    .await;
}

#[tokio::test]
async fn the_language_switcher_changes_the_language_and_remembers_it() {
    with_phone(true, 360, |c, app| async move {
        c.goto(&app.address).await.unwrap();
        let lang = |c: Client| async move { c.execute("return document.documentElement.lang", vec![]).await.unwrap() };
        assert_eq!(lang(c.clone()).await, "en", "from the browser's Accept-Language");
        c.find(Locator::Css("nav.langs a[lang=it]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "Italian", "document.documentElement.lang === 'it'").await;
        assert_eq!(text_of(&c, "h1").await, "Chiedi assistenza");
        c.goto(&app.address).await.unwrap();
        assert_eq!(lang(c.clone()).await, "it", "remembered in a cookie");
        // Keyboard only: the skip link comes first and leads into the page.
        c.execute("document.activeElement.blur()", vec![]).await.unwrap();
        c.find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let focused = c
            .execute("return document.activeElement.className", vec![])
            .await
            .unwrap();
        assert_eq!(focused, "skip");
        c.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
        until(&c, "the skip link's target", "location.hash === '#main'").await;
        // 360 px wide: nothing sticks out sideways, on the form nor on a refused form.
        let fits = "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 360";
        until(&c, "a page that fits 360 px", fits).await;
        press(&c, "#request-form > button[type=submit]").await;
        until(&c, "the refused form", "document.getElementById('summary')").await;
        until(&c, "a refused form that fits 360 px", fits).await;
        assert_eq!(
            c.execute("return document.activeElement.id", vec![]).await.unwrap(),
            "summary",
            "the error summary takes the focus, so it is read first"
        );
    })
    .await;
}

/// A desk with an agent and a morning's cases: payments, a stolen account (urgent, the always
/// clock), a crash, one with HTML in it; returns the urgent case and its status link.
async fn a_morning_at_the_desk(app: &TestApp) -> (String, String) {
    use sportello::app::agents::{add_agent, AgentInput};
    use sportello_domain::access::{Principal, Role};
    add_agent(
        &app.app,
        &Principal::System,
        AgentInput {
            email: "giulia@desk.test".to_owned(),
            name: "Giulia Bianchi".to_owned(),
            role: Role::Agent,
            teams: vec!["payments".to_owned(), "security".to_owned()],
            password: Some("correct horse battery".to_owned()),
            mail_link: false,
        },
    )
    .await
    .unwrap();
    for n in 0..3 {
        let (status, _) = read(app.post_json(&complete(700 + n)).await).await;
        assert_eq!(status, 201);
    }
    let mut crash = complete(710);
    crash["category"] = json!("technical");
    crash["subcategory"] = json!("crash");
    crash["description"] =
        json!("The app closes as soon as I open a chat with a photo. <b>It started after the update.</b>");
    crash.as_object_mut().unwrap().remove("transaction_id");
    crash.as_object_mut().unwrap().remove("amount");
    assert_eq!(read(app.post_json(&crash).await).await.0, 201);
    let mut stolen = complete(720);
    stolen["category"] = json!("security");
    stolen["subcategory"] = json!("account_stolen");
    stolen["urgent"] = json!(true);
    stolen["name"] = json!("Luca Verdi");
    stolen["description"] =
        json!("Someone took over my account this morning and is writing to my contacts asking for money.");
    stolen.as_object_mut().unwrap().remove("transaction_id");
    stolen.as_object_mut().unwrap().remove("amount");
    // With a screenshot, and its thumbnail made as the job would.
    let form = crate::helpers::form_of(&stolen).part(
        "attachment",
        crate::helpers::file(
            "screenshot.png",
            crate::helpers::image("large-png-3840x2160-exoplanet.png"),
        ),
    );
    let (status, body) = read(app.post_form(form).await).await;
    assert_eq!(status, 201, "{body}");
    sportello::jobs::thumbnails::Thumbnailer { app: app.app.clone() }
        .pass()
        .await
        .unwrap();
    (
        body["case_number"].as_str().unwrap().to_owned(),
        body["status_url"].as_str().unwrap().to_owned(),
    )
}

async fn sign_in_as_giulia(c: &Client, app: &TestApp) {
    c.goto(&format!("{}/desk", app.address)).await.unwrap();
    until(c, "the sign-in page", "location.pathname === '/desk/login'").await;
    type_into(c, "email", "giulia@desk.test").await;
    type_into(c, "password", "correct horse battery").await;
    press(c, "form button[type=submit]").await;
    until(c, "the queue", "document.querySelector('table.queue')").await;
}

#[tokio::test]
async fn an_agent_answers_the_most_urgent_case_and_the_customer_reads_it() {
    with_phone(true, 1280, |c, app| async move {
        let (urgent, status_url) = a_morning_at_the_desk(&app).await;
        sign_in_as_giulia(&c, &app).await;
        let first = text_of(&c, "table.queue tbody tr td.case a").await;
        assert_eq!(first, urgent, "the most urgent case leads the queue");
        screenshot(&c, "desk-queue-1280.png").await;
        // Keys: j selects the first row, Enter opens it.
        c.find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys("j")
            .await
            .unwrap();
        // Said to a screen reader as well: which row of how many, and what it holds.
        until(
            &c,
            "the selected row announced",
            &format!("document.getElementById('announce').textContent.startsWith('1/') && document.getElementById('announce').textContent.includes('{urgent}')"),
        )
        .await;
        c.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
        until(
            &c,
            "the case page",
            &format!("location.pathname === '/desk/cases/{urgent}'"),
        )
        .await;
        assert!(text_of(&c, ".timeline").await.contains("asking for money"));
        until(
            &c,
            "the screenshot's thumbnail, loaded",
            "(i => i && i.complete && i.naturalWidth === 320)(document.querySelector('.evidence img'))",
        )
        .await;
        // r: to the reply box.
        c.find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys("r")
            .await
            .unwrap();
        let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
        assert_eq!(focused, "body");
        c.active_element()
            .await
            .unwrap()
            .send_keys("Hello Luca, we have locked the account and signed out every device. Set a new PIN now.")
            .await
            .unwrap();
        c.find(Locator::Css("button[value=reply]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the notice", "document.querySelector('.notice')").await;
        assert!(text_of(&c, ".timeline").await.contains("we have locked the account"));
        screenshot(&c, "desk-case-1280.png").await;
        // The customer reads the reply on their status page.
        c.goto(&format!("{}{status_url}", app.address)).await.unwrap();
        until(
            &c,
            "the reply",
            "document.body.innerText.includes('we have locked the account')",
        )
        .await;
        let id = TicketId::from(urgent[2..11].parse::<i64>().unwrap());
        let case = app.app.store.case(id).await.unwrap().unwrap();
        assert!(case.first_response_at.is_some());
    })
    .await;
}

#[tokio::test]
async fn undo_takes_a_reply_back_into_the_box_and_a_reply_let_go_is_sent() {
    let options = Options {
        reply_undo_delay: Duration::from_secs(3),
        ..Options::default()
    };
    with_options(true, 1280, options, |c, app| async move {
        let (urgent, _) = a_morning_at_the_desk(&app).await;
        sign_in_as_giulia(&c, &app).await;
        c.goto(&format!("{}/desk/cases/{urgent}", app.address)).await.unwrap();
        type_into(&c, "body", "Wrong customer, wrong words").await;
        press(&c, "button[value=reply]").await;
        until(&c, "the held reply with its undo", "document.querySelector('form.undo button')").await;
        screenshot(&c, "desk-undo-1280.png").await;
        press(&c, "form.undo button").await;
        until(&c, "the draft back in the box", "document.getElementById('body').value === 'Wrong customer, wrong words'").await;
        let shown = c
            .execute(
                "return Array.from(document.querySelectorAll('.timeline article')).map(a => a.innerText).join(' ')",
                Vec::new(),
            )
            .await
            .unwrap();
        assert!(!shown.as_str().unwrap().contains("wrong words"), "{shown}");
        // Edited and let go: the page reloads once the hold is over, and the reply has gone.
        type_into(&c, "body", "Hello Luca, the account is locked now.").await;
        press(&c, "button[value=reply]").await;
        until(&c, "the held reply", "document.querySelector('form.undo')").await;
        until(&c, "the reply sent, its undo gone", "!document.querySelector('form.undo') && document.querySelector('.timeline').innerText.includes('the account is locked now')").await;
        let id = TicketId::from(urgent[2..11].parse::<i64>().unwrap());
        let case = app.app.store.case(id).await.unwrap().unwrap();
        assert!(case.first_response_at.is_some(), "sent by the server's own job");
        let bodies: Vec<String> = app.app.store.messages(id).await.unwrap().into_iter().map(|m| m.body).collect();
        assert!(!bodies.iter().any(|b| b.contains("wrong words")), "{bodies:?}");
    })
    .await;
}

#[tokio::test]
async fn two_agents_in_two_browsers_see_each_other_and_a_stale_reply_is_held() {
    with_phone(true, 1280, |giulia, app| async move {
        let (urgent, _) = a_morning_at_the_desk(&app).await;
        sign_in_as_giulia(&giulia, &app).await;
        let case = format!("{}/desk/cases/{urgent}", app.address);
        giulia.goto(&case).await.unwrap();
        // Marta, in a browser of her own (kill_on_drop ends it with the test).
        let (_marta_driver, marta) = start(true, 1280).await;
        add_marta(&app).await;
        sign_in_as(&marta, &app, "marta@desk.test").await;
        marta.goto(&case).await.unwrap();
        until(&marta, "Giulia named on Marta's page", "document.getElementById('viewers').innerText.includes('Giulia Bianchi')").await;
        until(&giulia, "Marta named on Giulia's page, without a reload", "document.getElementById('viewers').innerText.includes('Marta Neri')").await;
        // Marta answers first; Giulia, writing on the page she opened before, is held.
        type_into(&marta, "body", "Marta here: the account is locked.").await;
        press(&marta, "button[value=reply]").await;
        until(&marta, "Marta's reply sent", "document.querySelector('.notice')").await;
        type_into(&giulia, "body", "Giulia here: I am locking it.").await;
        press(&giulia, "button[value=reply]").await;
        until(&giulia, "the held send, Marta's reply marked new", "document.querySelector('article.entry.new') && document.querySelector('article.entry.new').innerText.includes('Marta here')").await;
        assert_eq!(value_of(&giulia, "body").await, "Giulia here: I am locking it.");
        screenshot(&giulia, "desk-collision-1280.png").await;
        // She edits, knowing of it, and sends.
        type_into(&giulia, "body", "Giulia here: Marta has locked it; set a new PIN now.").await;
        press(&giulia, "button[value=reply]").await;
        until(&giulia, "her reply sent", "document.querySelector('.timeline').innerText.includes('set a new PIN now')").await;
        let _ = marta.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_queue_and_a_case_fit_a_phone() {
    with_phone(true, 390, |c, app| async move {
        let (urgent, _) = a_morning_at_the_desk(&app).await;
        sign_in_as_giulia(&c, &app).await;
        let fits = "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390";
        until(&c, "a queue that fits 390 px", fits).await;
        screenshot(&c, "desk-queue-390.png").await;
        c.goto(&format!("{}/desk/cases/{urgent}", app.address)).await.unwrap();
        until(&c, "the case page", "document.querySelector('.timeline')").await;
        until(&c, "a case that fits 390 px", fits).await;
        screenshot(&c, "desk-case-390.png").await;
    })
    .await;
}

#[tokio::test]
async fn the_admin_page_fits_a_phone() {
    with_phone(true, 390, |c, app| async move {
        sign_in_as_admin(&c, &app).await;
        c.goto(&format!("{}/desk/admin", app.address)).await.unwrap();
        let fits = "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390";
        until(&c, "an admin page that fits 390 px", fits).await;
        screenshot(&c, "desk-admin-390.png").await;
        let canned = sportello::app::canned::CannedInput {
            name: "Refund on its way".to_owned(),
            texts: [
                (
                    "en".to_owned(),
                    "Hello {customer_name}, the refund for {case_number} is on its way.".to_owned(),
                ),
                (
                    "it".to_owned(),
                    "Ciao {customer_name}, il rimborso per {case_number} è in arrivo.".to_owned(),
                ),
            ]
            .into(),
            set_status: Some(sportello_domain::case::Status::Resolved),
            ..Default::default()
        };
        sportello::app::canned::add(&app.app, &sportello_domain::access::Principal::System, canned)
            .await
            .unwrap();
        c.goto(&format!("{}/desk/admin/canned", app.address)).await.unwrap();
        until(&c, "the canned replies page", "document.querySelector('#new form')").await;
        until(&c, "a canned replies page that fits 390 px", fits).await;
        screenshot(&c, "desk-canned-390.png").await;
    })
    .await;
}

/// Marta, an admin, signed in on a morning's desk (her desk opens on the queue).
async fn sign_in_as_admin(c: &Client, app: &TestApp) {
    a_morning_at_the_desk(app).await;
    add_marta(app).await;
    sign_in_as(c, app, "marta@desk.test").await;
}

/// Marta Neri, an admin.
async fn add_marta(app: &TestApp) {
    use sportello::app::agents::{add_agent, AgentInput};
    use sportello_domain::access::{Principal, Role};
    add_agent(
        &app.app,
        &Principal::System,
        AgentInput {
            email: "marta@desk.test".to_owned(),
            name: "Marta Neri".to_owned(),
            role: Role::Admin,
            teams: Vec::new(),
            password: Some("correct horse battery".to_owned()),
            mail_link: false,
        },
    )
    .await
    .unwrap();
}

async fn sign_in_as(c: &Client, app: &TestApp, email: &str) {
    c.goto(&format!("{}/desk/login", app.address)).await.unwrap();
    type_into(c, "email", email).await;
    type_into(c, "password", "correct horse battery").await;
    press(c, "form button[type=submit]").await;
    until(c, "the queue", "document.querySelector('table.queue')").await;
}

#[tokio::test]
async fn the_admin_and_profile_pages_work_in_a_browser() {
    with_phone(true, 1280, |c, app| async move {
        sign_in_as_admin(&c, &app).await;
        c.find(Locator::Css("nav.desk-nav a[href='/desk/admin']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the admin page", "location.pathname === '/desk/admin'").await;
        assert!(text_of(&c, "main").await.contains("Giulia Bianchi"));
        screenshot(&c, "desk-admin-1280.png").await;
        // A team made on the page takes its part of the catalog.
        type_into(&c, "team-name", "refunds").await;
        c.execute(
            "document.querySelector(\"select[name=owns] option[value='payments/refund']\").selected = true",
            Vec::new(),
        )
        .await
        .unwrap();
        press(&c, "form[action='/desk/admin/teams'] button").await;
        until(
            &c,
            "the new team",
            "location.hash === '#teams' && document.querySelector('#teams').innerText.includes('refunds')",
        )
        .await;
        screenshot(&c, "desk-teams-1280.png").await;
        c.find(Locator::Css("a.me")).await.unwrap().click().await.unwrap();
        until(&c, "the profile page", "location.pathname === '/desk/profile'").await;
        type_into(&c, "token-name", "laptop").await;
        c.find(Locator::Css("form[action='/desk/profile/tokens'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the new token", "document.querySelector('code.secret')").await;
        assert!(text_of(&c, "code.secret").await.starts_with("sp_"));
        c.find(Locator::Css("form[action='/desk/profile/totp'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the QR code to scan", "document.querySelector('.qr svg')").await;
        screenshot(&c, "desk-profile-1280.png").await;
    })
    .await;
}

#[tokio::test]
async fn a_canned_reply_found_by_typing_fills_the_box_for_the_case_and_sets_its_status() {
    with_phone(true, 1280, |c, app| async move {
        let (urgent, _) = a_morning_at_the_desk(&app).await;
        add_marta(&app).await;
        sign_in_as(&c, &app, "marta@desk.test").await;
        // Marta writes it on the admin page.
        c.goto(&format!("{}/desk/admin/canned", app.address)).await.unwrap();
        until(&c, "the canned replies page", "document.querySelector('#new form')").await;
        c.execute(
            "const f = document.querySelector('#new form');
             f.querySelector('[name=name]').value = 'Account locked';
             f.querySelector('[name=set_status]').value = 'pending_customer';
             f.querySelector('[name=text-en]').value = 'Hello {customer_name}, we locked the account of case {case_number}. Tell us when you have a new PIN.\\n{agent_name}';",
            Vec::new(),
        )
        .await
        .unwrap();
        press(&c, "#new form button.primary").await;
        until(&c, "the canned reply saved", "document.querySelector('.notice') && document.querySelectorAll('form.canned-form').length === 2").await;
        screenshot(&c, "desk-canned-1280.png").await;
        for name in ["Refund on its way", "Send a screenshot"] {
            let canned = sportello::app::canned::CannedInput {
                name: name.to_owned(),
                texts: [("en".to_owned(), format!("{name}, {{customer_name}}."))].into(),
                ..Default::default()
            };
            sportello::app::canned::add(&app.app, &sportello_domain::access::Principal::System, canned)
                .await
                .unwrap();
        }

        // Giulia, on the urgent case: c, a few letters, Enter.
        c.delete_all_cookies().await.unwrap();
        sign_in_as_giulia(&c, &app).await;
        c.goto(&format!("{}/desk/cases/{urgent}", app.address)).await.unwrap();
        until(&c, "the case page with its picker", "document.getElementById('canned-filter')").await;
        c.find(Locator::Css("body")).await.unwrap().send_keys("c").await.unwrap();
        let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
        assert_eq!(focused, "canned-filter");
        c.active_element().await.unwrap().send_keys("lock").await.unwrap();
        until(
            &c,
            "one match",
            "document.querySelectorAll('#canned-list [role=option]').length === 1",
        )
        .await;
        screenshot(&c, "desk-canned-pick-1280.png").await;
        c.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
        until(
            &c,
            "the box filled for this case",
            &format!("document.getElementById('body').value.startsWith('Hello Luca Verdi, we locked the account of case {urgent}.')"),
        )
        .await;
        let body = value_of(&c, "body").await;
        assert!(body.ends_with("\nGiulia Bianchi"), "{body}");
        assert_eq!(
            c.execute("return document.activeElement.id", vec![]).await.unwrap(),
            "body",
            "back in the box to edit"
        );
        assert!(!text_of(&c, "#canned-does").await.is_empty(), "says it also sets the status");
        assert_eq!(
            c.execute("return document.querySelector('#reply input[name=wait]').checked", vec![]).await.unwrap(),
            Value::Bool(true)
        );
        press(&c, "button[value=reply]").await;
        until(&c, "the reply sent", "document.querySelector('.notice') && document.querySelector('.timeline').innerText.includes('we locked the account')").await;
        let id = TicketId::from(urgent[2..11].parse::<i64>().unwrap());
        let case = app.app.store.case(id).await.unwrap().unwrap();
        assert_eq!(case.status, sportello_domain::case::Status::PendingCustomer);
    })
    .await;
}

#[tokio::test]
async fn a_new_case_lands_with_the_agent_at_the_desk_and_shows_in_their_mine_view() {
    with_phone(true, 1280, |c, app| async move {
        a_morning_at_the_desk(&app).await;
        // Bruno is on the team too, but has not been at the desk today: he is given nothing.
        sportello::app::agents::add_agent(
            &app.app,
            &sportello_domain::access::Principal::System,
            sportello::app::agents::AgentInput {
                email: "bruno@desk.test".to_owned(),
                name: "Bruno Gallo".to_owned(),
                role: sportello_domain::access::Role::Agent,
                teams: vec!["security".to_owned()],
                password: Some("correct horse battery".to_owned()),
                mail_link: false,
            },
        )
        .await
        .unwrap();
        let teams = app.app.store.teams().await.unwrap();
        let security = teams.iter().find(|t| t.name == "security").unwrap().id;
        let change = sportello::app::agents::TeamChange {
            assignment: Some((sportello_domain::assignment::Mode::Balanced, 5)),
            ..Default::default()
        };
        sportello::app::agents::change_team(&app.app, &sportello_domain::access::Principal::System, security, change)
            .await
            .unwrap();
        sign_in_as_giulia(&c, &app).await;
        c.goto(&format!("{}/desk?view=mine", app.address)).await.unwrap();
        until(&c, "her view", "document.querySelector('table.queue, .empty')").await;

        // A customer reports a stolen account: it is Giulia's, and shows without a reload.
        let mut stolen = complete(730);
        stolen["category"] = json!("security");
        stolen["subcategory"] = json!("account_stolen");
        stolen["description"] = json!("My account was stolen an hour ago and I cannot get back in.");
        stolen.as_object_mut().unwrap().remove("transaction_id");
        stolen.as_object_mut().unwrap().remove("amount");
        let (status, body) = read(app.post_json(&stolen).await).await;
        assert_eq!(status, 201, "{body}");
        let number = body["case_number"].as_str().unwrap().to_owned();
        c.execute("window.stayed = true", Vec::new()).await.unwrap();
        until(
            &c,
            "the new case in her mine view",
            &format!("document.querySelector('table.queue') && document.querySelector('table.queue').innerText.includes('{number}')"),
        )
        .await;
        assert_eq!(
            c.execute("return window.stayed === true", Vec::new()).await.unwrap(),
            Value::Bool(true),
            "the page updated itself"
        );
        screenshot(&c, "desk-mine-1280.png").await;
        let id = TicketId::from(number[2..11].parse::<i64>().unwrap());
        let case = app.app.store.case(id).await.unwrap().unwrap();
        let giulia = app
            .app
            .store
            .agent_by_email(&"giulia@desk.test".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.assignee, Some(giulia.id), "to the agent present, not to Bruno");
    })
    .await;
}

#[tokio::test]
async fn files_that_came_by_mail_are_listed_on_the_case_for_download() {
    with_phone(true, 1280, |c, app| async move {
        a_morning_at_the_desk(&app).await;
        let raw = "From: Paola Neri <paola@example.it>\r\nTo: support@sportello.test\r\nSubject: Addebito doppio\r\n\
                   MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\r\nMi avete addebitato due volte 12 euro: allego l'estratto conto.\r\n\
                   --B\r\nContent-Type: application/pdf; name=\"estratto-novembre.pdf\"\r\n\
                   Content-Disposition: attachment; filename=\"estratto-novembre.pdf\"\r\n\r\n%PDF-1.4 estratto\r\n--B--\r\n";
        let opened = sportello::app::ingest::ingest(&app.app, bytes::Bytes::from(raw)).await.unwrap();
        let sportello::app::ingest::Ingested::Opened { case, .. } = opened else {
            panic!("{opened:?}")
        };
        // Marta, an admin, reads every case, the mail category's included.
        add_marta(&app).await;
        sign_in_as(&c, &app, "marta@desk.test").await;
        c.goto(&format!("{}/desk/cases/{case}", app.address)).await.unwrap();
        until(&c, "the file listed", "document.querySelector('.mail-files a[download]')").await;
        assert!(text_of(&c, ".mail-files").await.contains("estratto-novembre.pdf"));
        screenshot(&c, "desk-mail-files-1280.png").await;
        // The whole mail, one click away.
        press(&c, ".entry .whole a").await;
        until(&c, "the whole mail", "location.pathname.endsWith('/mail/request')").await;
        assert!(text_of(&c, "main").await.contains("allego l'estratto conto"));
    })
    .await;
}

/// Two endpoints, one answering and one failing, with a morning's deliveries behind them.
async fn endpoints_with_deliveries(app: &TestApp, receiver: &crate::webhooks::Receiver) -> i64 {
    use sportello::app::webhooks::{add, WebhookInput};
    use sportello_domain::access::Principal;
    let events = |list: &[&str]| list.iter().map(|e| (*e).to_owned()).collect();
    let crm = add(
        &app.app,
        &Principal::System,
        WebhookInput {
            url: receiver.url("/ok"),
            description: "CRM: new cases and messages".to_owned(),
            events: events(&["case.created", "message.created", "sla.breached"]),
            secret: Some(crate::webhooks::SECRET.to_owned()),
        },
    )
    .await
    .unwrap();
    add(
        &app.app,
        &Principal::System,
        WebhookInput {
            url: receiver.url("/fail"),
            description: "Analytics (down for maintenance)".to_owned(),
            events: events(&["case.created", "case.updated"]),
            secret: None,
        },
    )
    .await
    .unwrap();
    for n in 0..3 {
        let (status, body) = read(app.post_json(&complete(9_100 + n)).await).await;
        assert_eq!(status, 201, "{body}");
    }
    receiver.wait(Duration::from_secs(10), |s| s.len() >= 6).await;
    crm.id.0
}

#[tokio::test]
async fn an_admin_watches_webhook_deliveries_and_sends_a_test_event() {
    let options = Options {
        webhook_allow: vec!["127.0.0.1/32".parse().unwrap()],
        ..Options::default()
    };
    with_options(true, 1280, options, |c, app| async move {
        let receiver = crate::webhooks::Receiver::ours();
        sign_in_as_admin(&c, &app).await;
        let crm = endpoints_with_deliveries(&app, &receiver).await;
        c.goto(&format!("{}/desk/admin/webhooks", app.address)).await.unwrap();
        until(
            &c,
            "the webhooks page",
            "document.querySelectorAll('table.queue tbody tr').length === 2",
        )
        .await;
        until(
            &c,
            "the failing one marked",
            "document.querySelector('td.failing') !== null",
        )
        .await;
        screenshot(&c, "desk-webhooks-1280.png").await;
        c.goto(&format!("{}/desk/admin/webhooks/{crm}", app.address))
            .await
            .unwrap();
        let rows = "document.querySelectorAll('table.deliveries tbody tr').length";
        until(&c, "three deliveries", &format!("{rows} === 3")).await;
        press(&c, ".row.actions form:first-child button").await;
        until(&c, "the test event listed", &format!("{rows} === 4")).await;
        let store = &app.app.store;
        let delivered = Instant::now();
        while store.deliveries(sportello::store::WebhookId(crm), 1).await.unwrap()[0]
            .delivered_at
            .is_none()
        {
            assert!(delivered.elapsed() < Duration::from_secs(10), "the ping is delivered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        c.goto(&format!("{}/desk/admin/webhooks/{crm}", app.address))
            .await
            .unwrap();
        until(
            &c,
            "the ping on top, delivered",
            "document.querySelector('table.deliveries tbody tr').className === 'delivery-delivered'",
        )
        .await;
        screenshot(&c, "desk-webhook-1280.png").await;
    })
    .await;
}

#[tokio::test]
async fn the_webhook_pages_fit_a_phone() {
    let options = Options {
        webhook_allow: vec!["127.0.0.1/32".parse().unwrap()],
        ..Options::default()
    };
    with_options(true, 390, options, |c, app| async move {
        let receiver = crate::webhooks::Receiver::ours();
        sign_in_as_admin(&c, &app).await;
        let crm = endpoints_with_deliveries(&app, &receiver).await;
        let fits = "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390";
        c.goto(&format!("{}/desk/admin/webhooks", app.address)).await.unwrap();
        until(&c, "a webhooks page that fits 390 px", fits).await;
        screenshot(&c, "desk-webhooks-390.png").await;
        c.goto(&format!("{}/desk/admin/webhooks/{crm}", app.address))
            .await
            .unwrap();
        until(
            &c,
            "deliveries",
            "document.querySelectorAll('table.deliveries tbody tr').length === 3",
        )
        .await;
        until(&c, "an endpoint page that fits 390 px", fits).await;
        screenshot(&c, "desk-webhook-390.png").await;
    })
    .await;
}

/// Acme, verified, with a case from one of its people.
async fn acme_with_a_case(app: &TestApp) -> String {
    use sportello::app::organisations::{add, OrganisationInput};
    use sportello_domain::access::Principal;
    add(
        &app.app,
        &Principal::System,
        OrganisationInput {
            name: "Acme Logistica S.p.A.".to_owned(),
            verified: true,
            domains: vec!["acme-logistica.it".to_owned()],
            phones: vec!["+39 02 1234 5678".to_owned()],
            monthly_quota: Some(3),
            time_zone: Some("Europe/Rome".to_owned()),
        },
    )
    .await
    .unwrap();
    let mut request = complete(9_200);
    request["email"] = json!("giorgio.bianchi@acme-logistica.it");
    let (status, body) = read(app.post_json(&request).await).await;
    assert_eq!(status, 201, "{body}");
    body["case_number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_organisation_and_its_verified_mark_on_a_case() {
    with_phone(true, 1280, |c, app| async move {
        sign_in_as_admin(&c, &app).await;
        let case = acme_with_a_case(&app).await;
        c.goto(&format!("{}/desk/admin/organisations", app.address))
            .await
            .unwrap();
        until(
            &c,
            "the organisations page",
            "document.querySelector('.card .verified') !== null",
        )
        .await;
        screenshot(&c, "desk-organisations-1280.png").await;
        c.goto(&format!("{}/desk/cases/{case}", app.address)).await.unwrap();
        until(
            &c,
            "the verified mark",
            "document.querySelector('dd.organisation .verified') !== null",
        )
        .await;
        screenshot(&c, "desk-case-organisation-1280.png").await;
    })
    .await;
}

#[tokio::test]
async fn the_organisations_page_fits_a_phone() {
    with_phone(true, 390, |c, app| async move {
        sign_in_as_admin(&c, &app).await;
        acme_with_a_case(&app).await;
        c.goto(&format!("{}/desk/admin/organisations", app.address))
            .await
            .unwrap();
        let fits = "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390";
        until(&c, "an organisations page that fits 390 px", fits).await;
        screenshot(&c, "desk-organisations-390.png").await;
    })
    .await;
}

/// Search from the keyboard (SPEC §11): `/` puts the cursor in the header's box, the words typed
/// find the cases with the passage marked, and the result opens with j and Enter; a case number
/// typed there opens its case at once. At 1280 and 390 px.
#[tokio::test]
async fn the_slash_key_searches_and_a_result_opens_from_the_keyboard() {
    for width in [1280, 390] {
        with_phone(true, width, |c, app| async move {
            let (stolen, _) = a_morning_at_the_desk(&app).await;
            sign_in_as_giulia(&c, &app).await;
            c.find(Locator::Css("body"))
                .await
                .unwrap()
                .send_keys("/")
                .await
                .unwrap();
            until(
                &c,
                "the search box focused",
                "document.activeElement.id === 'desk-search'",
            )
            .await;
            c.active_element()
                .await
                .unwrap()
                .send_keys("contacts money\u{E007}")
                .await
                .unwrap();
            until(&c, "the results", "document.querySelector('ol.results mark')").await;
            let marked = c
                .execute(
                    "return Array.from(document.querySelectorAll('ol.results mark')).map(m => m.textContent);",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(marked, json!(["contacts", "money"]));
            assert_eq!(text_of(&c, "ol.results li .result-head a").await, stolen);
            let fits =
                format!("document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === {width}");
            until(&c, "a search page that fits", &fits).await;
            screenshot(&c, &format!("desk-search-{width}.png")).await;
            c.find(Locator::Css("body"))
                .await
                .unwrap()
                .send_keys("j")
                .await
                .unwrap();
            c.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
            until(&c, "the case", &format!("location.pathname === '/desk/cases/{stolen}'")).await;
            // A case number in the box opens its case.
            let lower = stolen.to_lowercase();
            c.find(Locator::Css("body"))
                .await
                .unwrap()
                .send_keys("/")
                .await
                .unwrap();
            until(
                &c,
                "the search box focused",
                "document.activeElement.id === 'desk-search'",
            )
            .await;
            c.goto(&format!("{}/desk/search?q={lower}", app.address)).await.unwrap();
            until(&c, "the case", &format!("location.pathname === '/desk/cases/{stolen}'")).await;
        })
        .await;
    }
}

/// A year of cases (the reports test's data set), and Marta, an admin, signed in at its end.
async fn a_year_at_the_desk(c: &Client, app: &TestApp, clock: &sportello::app::Clock) {
    use sportello_domain::access::{Role, Scope};
    crate::desk::agent(app, "ada@desk.test", Role::Agent, &["payments", "account", "security"]).await;
    let ada = crate::desk::token(app, "ada@desk.test", Scope::Write).await;
    crate::reports::seed(app, clock, &ada).await;
    clock.set("2026-12-31T12:00:00Z".parse().unwrap());
    add_marta(app).await;
    sign_in_as(c, app, "marta@desk.test").await;
}

/// The reports page (SPEC §11) without a line of JavaScript of its own: a GET form, a chart drawn
/// on the server with the same numbers in a table beneath it; bars by group, the week's heat map,
/// the backlog by day. At 1280 and 390 px.
#[tokio::test]
async fn the_reports_page_draws_each_report_over_its_table() {
    for width in [1280, 390] {
        let clock = sportello::app::Clock::fixed("2026-01-01T00:00:00Z".parse().unwrap());
        let options = Options {
            clock: Some(clock.clone()),
            ..Options::default()
        };
        with_options(true, width, options, move |c, app| async move {
            a_year_at_the_desk(&c, &app, &clock).await;
            let year = "from=2026-01-01&to=2026-12-31&tz=Europe/Rome";
            c.goto(&format!(
                "{}/desk/reports?measure=first_response_time&by=category&{year}",
                app.address
            ))
            .await
            .unwrap();
            until(
                &c,
                "the bars",
                "document.querySelectorAll('svg.bars rect').length === 3",
            )
            .await;
            let rows = text_of(&c, "table.report tbody").await;
            assert!(rows.contains(" h"), "durations in hours: {rows}");
            let fits =
                format!("document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === {width}");
            until(&c, "a page that fits", &fits).await;
            screenshot(&c, &format!("desk-reports-{width}.png")).await;
            c.goto(&format!("{}/desk/reports?measure=volume&by=period&{year}", app.address))
                .await
                .unwrap();
            until(
                &c,
                "the periods",
                "document.querySelectorAll('svg.bars rect').length === 3",
            )
            .await;
            if width == 1280 {
                screenshot(&c, "desk-reports-period-1280.png").await;
            }
            c.goto(&format!("{}/desk/reports?measure=hour_of_week&{year}", app.address))
                .await
                .unwrap();
            until(
                &c,
                "the heat map",
                "document.querySelectorAll('svg.heat rect').length === 168",
            )
            .await;
            if width == 1280 {
                screenshot(&c, "desk-reports-heat-1280.png").await;
            }
            c.goto(&format!(
                "{}/desk/reports?measure=backlog&from=2026-06-01&to=2026-06-30&tz=Europe/Rome",
                app.address
            ))
            .await
            .unwrap();
            until(
                &c,
                "a column per day",
                "document.querySelectorAll('svg.columns rect').length === 30",
            )
            .await;
            // The form leads to another report with the values it shows.
            c.goto(&format!("{}/desk/reports", app.address)).await.unwrap();
            until(
                &c,
                "the form",
                "document.querySelector('form.report-form select[name=measure]') !== null",
            )
            .await;
        })
        .await;
    }
}

/// SPEC §11 as the customer and the agent see it: the page a satisfaction link opens (a comment
/// added and sent from it), and the device-spike alert over the queue.
#[tokio::test]
async fn the_satisfaction_page_and_the_device_alert_in_a_browser() {
    for width in [1280, 390] {
        with_options(true, width, Options::default(), move |c, app| async move {
            use sportello::app::change::set_status;
            use sportello_domain::access::Principal;
            use sportello_domain::case::Status;
            let (status, body) = read(app.post_json(&complete(1)).await).await;
            assert_eq!(status, 201, "{body}");
            let number = body["case_number"].as_str().unwrap().to_owned();
            set_status(&app.app, &Principal::System, &number, Status::Resolved)
                .await
                .unwrap();
            let good = app
                .app
                .store
                .outbox_payloads()
                .await
                .unwrap()
                .iter()
                .map(|p| serde_json::from_str::<Value>(p).unwrap())
                .find(|v| v["kind"] == "resolution")
                .map(|v| {
                    v["links"]["good"]
                        .as_str()
                        .unwrap()
                        .replace("http://sportello.test", &app.address)
                })
                .expect("a resolution mail");
            c.goto(&good).await.unwrap();
            until(&c, "the thanks", "document.getElementById('csat-answer')").await;
            let fits =
                format!("document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === {width}");
            until(&c, "a page that fits", &fits).await;
            screenshot(&c, &format!("csat-{width}.png")).await;
            type_into(&c, "comment", "Risolto in un'ora, grazie.").await;
            // A mark on this page: gone once the answer's page has come back.
            c.execute("window.sent = true; return true;", vec![]).await.unwrap();
            press(&c, "#csat-comment button[type=submit]").await;
            until(
                &c,
                "the page again, with the comment",
                "window.sent === undefined && document.getElementById('comment').value.includes('un\\'ora')",
            )
            .await;
            let kept = app.case(&number).await.csat.unwrap();
            assert_eq!(kept.comment.as_deref(), Some("Risolto in un'ora, grazie."));

            // Twenty technical cases on one phone in a day: the alert over the queue.
            for n in 0..20 {
                let mut r = complete(100 + n);
                r["category"] = json!("technical");
                r["subcategory"] = json!("crash");
                r["device"] = json!("SM-S911B Android 14");
                r.as_object_mut().unwrap().remove("transaction_id");
                r.as_object_mut().unwrap().remove("amount");
                assert_eq!(read(app.post_json(&r).await).await.0, 201);
            }
            let watcher = sportello::jobs::alerts::SpikeWatcher { app: app.app.clone() };
            assert_eq!(watcher.pass().await.unwrap().len(), 1);
            add_marta(&app).await;
            sign_in_as(&c, &app, "marta@desk.test").await;
            let alert = text_of(&c, "#alert-1").await;
            assert!(alert.contains("Galaxy S23 / Android 14"), "{alert}");
            until(&c, "a page that fits", &fits).await;
            screenshot(&c, &format!("desk-alert-{width}.png")).await;
        })
        .await;
    }
}
