//! SPEC §11 beyond search and the first reports, against the real server on both backends: the
//! CSAT links of the resolution mail (one answer, changeable for a week), the device-spike alert
//! (once per model and day, on the desk, at `/api/v1/alerts` and as a webhook), the live estimate
//! of the first answer (computed here from the queue and the pace the test made), and
//! Prometheus `/metrics`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sportello::app::Clock;
use sportello::jobs::alerts::SpikeWatcher;
use sportello_domain::access::{Role, Scope};
use sportello_domain::case::Status;
use sportello_domain::csat::Rating;
use sportello_domain::triage;

use crate::desk::{agent, api_get, api_post, case, signed_in, token};
use crate::helpers::{backends_with, complete, read, Options, TestApp, Visitor};

async fn post(app: &TestApp, t: &str, path: &str, body: Value) {
    let (status, answer) = api_post(app, t, path, body, None).await;
    assert!(status < 300, "{path}: {status} {answer}");
}

/// The resolution mails in the outbox, as JSON, oldest first.
async fn resolution_mails(app: &TestApp) -> Vec<Value> {
    app.app
        .store
        .outbox_payloads()
        .await
        .unwrap()
        .iter()
        .map(|p| serde_json::from_str::<Value>(p).unwrap())
        .filter(|v| v["kind"] == "resolution")
        .collect()
}

/// A link of a mail, on the test server rather than the public address.
fn local(app: &TestApp, link: &Value) -> String {
    let path = link.as_str().unwrap().strip_prefix("http://sportello.test").unwrap();
    format!("{}{path}", app.address)
}

async fn audit_rows(app: &TestApp, boss: &str, action: &str) -> usize {
    let (status, body) = api_get(app, boss, "/api/v1/audit?limit=200").await;
    assert_eq!(status, 200, "{body}");
    body["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .filter(|e| e["action"] == action)
        .count()
}

#[tokio::test]
async fn a_resolution_mails_two_links_and_one_answer_stands_changeable_for_a_week() {
    let clock = Clock::fixed("2026-11-02T09:00:00Z".parse().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let number = case(&app, &complete(1)).await;
        let path = |what: &str| format!("/api/v1/tickets/{number}/{what}");
        post(&app, &boss, &path("reply"), json!({"body": "Il rimborso è partito."})).await;
        assert!(resolution_mails(&app).await.is_empty(), "no mail before a resolution");
        clock.advance(Duration::hours(2));
        post(&app, &boss, &path("status"), json!({"status": "resolved"})).await;
        let mails = resolution_mails(&app).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        let links = &mails[0]["links"];
        let (good, bad) = (local(&app, &links["good"]), local(&app, &links["bad"]));
        assert!(
            good.contains(&format!("/csat/{number}?t=")) && good.ends_with("&r=good"),
            "{good}"
        );

        // One click records the answer; the page thanks and offers a comment and the other one.
        let response = app.client.get(&good).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("id=\"csat-comment\"") && html.contains("name=\"r\" value=\"bad\""),
            "{html}"
        );
        let stored = app.case(&number).await.csat.expect("an answer");
        assert_eq!((stored.rating, stored.comment.as_deref()), (Rating::Good, None));
        assert_eq!(audit_rows(&app, &boss, "case_rated").await, 1);
        // A second click (or a mail scanner following the link) changes nothing.
        assert_eq!(app.client.get(&good).send().await.unwrap().status(), 200);
        assert_eq!(audit_rows(&app, &boss, "case_rated").await, 1);

        // Changed to bad, with a comment, through the page's form.
        let token_of = |link: &str| link.split("t=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let t = token_of(&good);
        let form = [
            ("t", t.as_str()),
            ("r", "bad"),
            ("comment", "  Ci sono voluti tre giorni.  "),
        ];
        let response = app
            .client
            .post(format!("{}/csat/{number}", app.address))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let stored = app.case(&number).await.csat.unwrap();
        assert_eq!(stored.rating, Rating::Bad);
        assert_eq!(stored.comment.as_deref(), Some("Ci sono voluti tre giorni."));
        // The bad link itself keeps the comment given before.
        assert_eq!(app.client.get(&bad).send().await.unwrap().status(), 200);
        assert_eq!(
            app.case(&number).await.csat.unwrap().comment.as_deref(),
            Some("Ci sono voluti tre giorni.")
        );
        assert_eq!(audit_rows(&app, &boss, "case_rated").await, 2);
        // The desk shows the answer beside the contact, and each answer in the timeline.
        let mut desk = signed_in(&app, "boss@desk.test").await;
        let page = desk.get(&format!("/desk/cases/{number}")).await;
        assert_eq!(
            page.text_of("csat"),
            "Bad — “Ci sono voluti tre giorni.”",
            "{}",
            page.html
        );
        assert!(
            page.text().contains("The customer rated the case: Good"),
            "{}",
            page.html
        );
        assert!(
            page.text().contains("The customer rated the case: Bad"),
            "{}",
            page.html
        );

        // A comment past its limit is refused and the answer stands.
        let long = "x".repeat(2_001);
        let response = app
            .client
            .post(format!("{}/csat/{number}", app.address))
            .form(&[("t", t.as_str()), ("r", "good"), ("comment", long.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(app.case(&number).await.csat.unwrap().rating, Rating::Bad);

        // Someone else's token, or none, opens nothing.
        let forged = good.replace(&t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
        let bare = format!("{}/csat/{number}?r=good", app.address);
        assert_eq!(app.client.get(&bare).send().await.unwrap().status(), 404);

        // A week after the resolution the answer is closed, as it stood.
        clock.advance(Duration::days(7));
        let response = app.client.get(&good).send().await.unwrap();
        assert_eq!(response.status(), 409);
        assert!(response.text().await.unwrap().contains("id=\"csat-refused\""));
        let stored = app.case(&number).await;
        assert_eq!(stored.csat.unwrap().rating, Rating::Bad);
        // …and the case closed by then: the watcher closes it after its reopen window.
        assert!(matches!(stored.status, Status::Resolved | Status::Closed));

        // A reopened case takes no answer until it is resolved again, which mails new links.
        let second = case(&app, &complete(2)).await;
        let path2 = |what: &str| format!("/api/v1/tickets/{second}/{what}");
        post(&app, &boss, &path2("reply"), json!({"body": "Fatto."})).await;
        post(&app, &boss, &path2("status"), json!({"status": "resolved"})).await;
        post(&app, &boss, &path2("status"), json!({"status": "open"})).await;
        let mails = resolution_mails(&app).await;
        let link = local(&app, &mails.last().unwrap()["links"]["good"]);
        assert_eq!(app.client.get(&link).send().await.unwrap().status(), 409);
        clock.advance(Duration::minutes(5));
        post(&app, &boss, &path2("status"), json!({"status": "resolved"})).await;
        assert_eq!(resolution_mails(&app).await.len(), 3, "one mail per resolution");
        assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);

        // The report counts the latest answer of each case: one bad, one good.
        let (status, body) = api_get(&app, &boss, "/api/v1/reports/csat?from=2026-11-01&to=2026-11-30&tz=UTC").await;
        assert_eq!(status, 200, "{body}");
        let row = &body["rows"][0];
        assert_eq!(
            (row["good"].as_f64(), row["bad"].as_f64(), row["answered"].as_f64()),
            (Some(1.0), Some(1.0), Some(2.0)),
            "{body}"
        );
        assert_eq!(row["value"].as_f64(), Some(0.5));
    }
}

fn technical(n: u32, device: &str) -> Value {
    let mut r = complete(n);
    r["category"] = json!("technical");
    r["subcategory"] = json!("crash");
    r["device"] = json!(device);
    r.as_object_mut().unwrap().remove("transaction_id");
    r.as_object_mut().unwrap().remove("amount");
    r
}

#[tokio::test]
async fn a_device_spike_is_raised_once_per_model_and_day_on_the_desk_the_api_and_a_webhook() {
    let clock = Clock::fixed("2026-10-01T08:00:00Z".parse().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        webhook_allow: vec!["127.0.0.0/8".parse().unwrap()],
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let (status, hook) = api_post(
            &app,
            &boss,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/spikes", "events": ["alert.device_spike"]}),
            None,
        )
        .await;
        assert_eq!(status, 201, "{hook}");
        // The month before: forty cases, two of them on the Galaxy S23 (5 %).
        let mut n = 0;
        for i in 0..40 {
            n += 1;
            clock.set("2026-10-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(i * 17));
            let device = if i < 2 {
                "Samsung Galaxy S23, Android 14"
            } else {
                "iPhone 13, iOS 17"
            };
            case(&app, &technical(n, device)).await;
        }
        // The last day: 19 of them on the S23, written three ways, among 30 cases.
        let day: DateTime<Utc> = "2026-11-01T09:00:00Z".parse().unwrap();
        let ways = [
            "SM-S911B Android 14",
            "galaxy s23 android 14.2",
            "Samsung Galaxy S23 (Android 14)",
        ];
        for i in 0..30 {
            n += 1;
            clock.set(day + Duration::minutes(i * 30));
            let device = if i < 19 {
                ways[i as usize % 3]
            } else {
                "Pixel 7, Android 14"
            };
            case(&app, &technical(n, device)).await;
        }
        let watcher = SpikeWatcher { app: app.app.clone() };
        clock.set(day + Duration::hours(16));
        assert!(watcher.pass().await.unwrap().is_empty(), "19 cases are not yet a spike");
        n += 1;
        case(&app, &technical(n, "SM-S911B, Android 14")).await;
        // 20 of 31 is 65 %, against 5 % before: thirteen times.
        let raised = watcher.pass().await.unwrap();
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0].device.model, "Galaxy S23");
        assert_eq!(raised[0].device.os.as_deref(), Some("Android 14"));
        assert_eq!(raised[0].cases, 20);
        // Once per model and day, however many passes (or instances) look.
        assert!(watcher.pass().await.unwrap().is_empty());
        let second = SpikeWatcher { app: app.app.clone() };
        assert!(second.pass().await.unwrap().is_empty());

        let (status, body) = api_get(&app, &boss, "/api/v1/alerts").await;
        assert_eq!(status, 200, "{body}");
        let alerts = body["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 1, "{body}");
        assert_eq!(alerts[0]["kind"], "device_spike");
        assert_eq!(alerts[0]["model"], "Galaxy S23");
        assert_eq!(alerts[0]["os"], "Android 14");
        assert_eq!(alerts[0]["cases"], 20);
        let share = alerts[0]["share"].as_f64().unwrap();
        assert!((share - 20.0 / 31.0).abs() < 1e-6, "{share}");
        assert_eq!(audit_rows(&app, &boss, "alert_raised").await, 1);

        let id = hook["id"].as_i64().unwrap();
        let (_, endpoint) = api_get(&app, &boss, &format!("/api/v1/webhooks/{id}")).await;
        let kinds: Vec<&str> = endpoint["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["event"].as_str())
            .collect();
        assert_eq!(kinds, ["alert.device_spike"], "{endpoint}");

        agent(&app, "ada@desk.test", Role::Agent, &[]).await;
        let mut desk = signed_in(&app, "ada@desk.test").await;
        let page = desk.get("/desk").await;
        assert!(
            page.text_of("alert-1").contains("Galaxy S23 / Android 14"),
            "{}",
            page.html
        );
    }
}

#[tokio::test]
async fn the_live_estimate_counts_the_work_ahead_at_the_teams_pace() {
    let start: DateTime<Utc> = "2026-11-16T08:00:00Z".parse().unwrap();
    let clock = Clock::fixed(start);
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        // A desk with no answers yet: the estimate is the target.
        let (status, first) = read(app.post_json(&complete(100)).await).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["expected_first_response"], first["first_response_due"], "{first}");

        // Ten cases answered over the next days.
        let mut n = 0;
        for i in 0..10 {
            n += 1;
            clock.set(start + Duration::hours(2 + i * 9));
            let number = case(&app, &complete(n)).await;
            clock.advance(Duration::minutes(40));
            post(
                &app,
                &boss,
                &format!("/api/v1/tickets/{number}/reply"),
                json!({"body": "Eccoci."}),
            )
            .await;
        }
        // Four unanswered payments cases wait, besides the first one.
        for _ in 0..4 {
            n += 1;
            case(&app, &complete(n)).await;
        }
        let now = start + Duration::days(5);
        clock.set(now);
        let (status, body) = read(app.post_json(&complete(200)).await).await;
        assert_eq!(status, 201, "{body}");
        let expected: DateTime<Utc> = body["expected_first_response"].as_str().unwrap().parse().unwrap();

        // The same estimate, counted here: ten answers in the week's working time on the
        // payments calendar, five cases as urgent or more ahead (none of them is urgent).
        let catalog = &app.app.catalog;
        let payments = catalog.category("payments").unwrap();
        let priority = body["priority"].as_str().unwrap().parse().unwrap();
        let calendar = triage::calendar(catalog, payments, priority);
        let week = calendar.working_between(now - Duration::days(7), now);
        let per_answer = week.num_seconds() as f64 / 10.0;
        let wanted = calendar.add(now, Duration::seconds((per_answer * 6.0).round() as i64));
        assert_eq!(expected, wanted, "{body}");
        let stored = app.case(body["case_number"].as_str().unwrap()).await;
        assert_eq!(stored.expected_first_response, Some(expected));

        // The confirmation says it when it is not the target.
        let mut visitor = Visitor::new(&app);
        let due: DateTime<Utc> = body["first_response_due"].as_str().unwrap().parse().unwrap();
        if (expected - due).num_minutes().abs() >= 1 {
            let page = visitor
                .get(
                    body["status_url"]
                        .as_str()
                        .unwrap()
                        .replace("/status/", "/confirmation/")
                        .as_str(),
                )
                .await;
            assert!(page.html.contains("id=\"expected-first-response\""), "{}", page.html);
        }

        // Answered three hours after it was told: the report's error is three hours.
        clock.set(expected + Duration::hours(3));
        let number = body["case_number"].as_str().unwrap();
        post(
            &app,
            &boss,
            &format!("/api/v1/tickets/{number}/reply"),
            json!({"body": "Eccoci."}),
        )
        .await;
        let (status, report) = api_get(
            &app,
            &boss,
            "/api/v1/reports/estimate_error?from=2026-11-21&to=2026-11-21&tz=UTC",
        )
        .await;
        assert_eq!(status, 200, "{report}");
        let row = &report["rows"][0];
        assert_eq!(row["value"].as_f64(), Some(3.0 * 3600.0), "{report}");
        assert_eq!(row["later"].as_f64(), Some(1.0), "{report}");
        assert_eq!(row["cases"].as_f64(), Some(1.0), "{report}");
    }
}

/// The value of the series `name{labels}` in a Prometheus text, 0 when absent.
fn series(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name_and_labels)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_and_intakes_and_read_the_queue_from_the_database() {
    let options = Options {
        metrics_token: Some("scrape-me".to_owned()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        let scrape = || async {
            let response = app
                .client
                .get(format!("{}/metrics", app.address))
                .bearer_auth("scrape-me")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        };
        let before = scrape().await;
        for n in 0..3 {
            case(&app, &complete(300 + n)).await;
        }
        let mut bad = complete(400);
        bad["email"] = json!("not an address");
        bad["phone"] = json!("12");
        assert_eq!(read(app.post_json(&bad).await).await.0, 422);
        assert_eq!(app.get("/no/such/page").await.status(), 404);
        let text = scrape().await;
        let created = r#"sportello_http_requests_total{method="POST",route="/api/v1/requests",status="201"}"#;
        assert_eq!(series(&text, created) - series(&before, created), 3.0, "{text}");
        assert_eq!(
            series(&text, r#"sportello_intake_total{outcome="created"}"#),
            3.0,
            "{text}"
        );
        // One refusal, counted under each of its two problems.
        assert_eq!(
            series(&text, r#"sportello_intake_total{outcome="email_invalid"}"#),
            1.0,
            "{text}"
        );
        assert_eq!(
            series(&text, r#"sportello_intake_total{outcome="phone_missing_country_code"}"#),
            1.0,
            "{text}"
        );
        assert_eq!(
            series(
                &text,
                r#"sportello_http_requests_total{method="GET",route="unmatched",status="404"}"#
            ),
            1.0,
            "a path no route knows is counted under one label: {text}"
        );
        let timed = r#"sportello_http_request_duration_seconds_count{route="/api/v1/requests"}"#;
        assert_eq!(series(&text, timed) - series(&before, timed), 4.0, "{text}");
        // From the database: the three new cases wait, each with its confirmation.
        assert_eq!(
            series(&text, r#"sportello_open_cases{priority="normal"}"#),
            3.0,
            "{text}"
        );
        assert_eq!(series(&text, "sportello_outbox_pending"), 3.0, "{text}");
        assert!(text.trim_end().ends_with("# EOF"));
        // The token is asked for.
        let anonymous = app.get("/metrics").await;
        assert_eq!(anonymous.status(), 401);
        let wrong = app
            .client
            .get(format!("{}/metrics", app.address))
            .bearer_auth("scrape-you")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
}
