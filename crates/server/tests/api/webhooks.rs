//! SPEC §9's webhooks against a real HTTP receiver process (Python's `http.server`, checking each
//! signature with Python's own `hmac`): signed deliveries for every kind of change, retries with
//! back-off, a day of failures that disables the endpoint and mails the admins (at aiosmtpd),
//! a receiver that hangs, one that refuses connections, one that redirects, and addresses that
//! must never be reached (SSRF).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use sportello::app::Clock;
use sportello::store::WebhookId;
use sportello_domain::access::{Role, Scope};

use crate::desk::{agent, api_get, api_post, case, token};
use crate::helpers::{backends_with, complete, read, Options, TestApp};
use crate::mail::SmtpSink;

pub const SECRET: &str = "whsec_test_0123456789abcdef";

/// The receiver process and every request it has logged.
pub struct Receiver {
    pub port: u16,
    seen: Arc<Mutex<Vec<Value>>>,
    child: Child,
}

impl Receiver {
    /// Runs `script` with `program` (`python3 -c`, `node -e`) and `args`; its first line out ends
    /// with its port, every later line is one JSON object (or kept as text).
    pub fn start(program: &str, script: &str, args: &[&str], env: &[(&str, &str)]) -> Receiver {
        let flag = if program == "node" { "-e" } else { "-c" };
        let mut child = Command::new(program)
            .arg(flag)
            .arg(script)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} runs the webhook receiver: {e}"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("the receiver says its port").unwrap();
        let port = first
            .split_whitespace()
            .last()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port: {first:?}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                log.lock().unwrap().push(value);
            }
        });
        Receiver { port, seen, child }
    }

    pub fn ours() -> Receiver {
        let script =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/webhook_receiver.py")).unwrap();
        Receiver::start("python3", &script, &[SECRET], &[])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn seen(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    /// What it has logged once `done` holds (or `within` passed).
    pub async fn wait(&self, within: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let seen = self.seen();
            if done(&seen) || started.elapsed() > within {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn loopback() -> Options {
    Options {
        webhook_allow: vec!["127.0.0.1/32".parse().unwrap()],
        ..Options::default()
    }
}

async fn admin(app: &TestApp) -> String {
    agent(app, "boss@desk.test", Role::Admin, &[]).await;
    token(app, "boss@desk.test", Scope::Write).await
}

async fn register(app: &TestApp, boss: &str, url: &str, events: &[&str]) -> i64 {
    let (status, body) = api_post(
        app,
        boss,
        "/api/v1/webhooks",
        json!({"url": url, "events": events, "secret": SECRET, "description": "test receiver"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(body.get("secret").is_none(), "a chosen secret is not echoed: {body}");
    body["id"].as_i64().unwrap()
}

/// Until `done` holds for the endpoint's deliveries (newest first), or `within` passed.
async fn deliveries(app: &TestApp, id: i64, within: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let boss = token(app, "boss@desk.test", Scope::Read).await;
    let started = Instant::now();
    loop {
        let (status, body) = api_get(app, &boss, &format!("/api/v1/webhooks/{id}")).await;
        assert_eq!(status, 200, "{body}");
        let list = body["deliveries"].as_array().unwrap().clone();
        if done(&list) || started.elapsed() > within {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn types(seen: &[Value]) -> Vec<String> {
    seen.iter()
        .map(|s| s["event"]["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_reaches_a_real_receiver_signed_once() {
    for app in backends_with(loopback()).await {
        let receiver = Receiver::ours();
        let boss = admin(&app).await;
        let id = register(
            &app,
            &boss,
            &receiver.url("/ok"),
            &["case.created", "case.updated", "message.created"],
        )
        .await;
        let number = case(&app, &complete(1)).await;
        let seen = receiver.wait(Duration::from_secs(10), |s| !s.is_empty()).await;
        assert_eq!(types(&seen), ["case.created"], "{}: {seen:?}", app.backend);
        let created = &seen[0];
        assert_eq!(created["valid"], true, "the receiver's own HMAC check: {created}");
        assert_eq!(created["event"]["case_number"], number.as_str());
        assert_eq!(created["event"]["data"]["category"], "payments");
        assert_eq!(created["event"]["data"]["email"], "cliente1@gmail.com");
        assert_eq!(created["event_header"], "case.created");
        assert!(created["event"]["id"].as_str().unwrap().starts_with("evt_"));

        // An agent's note, a status change and the customer's follow-up: one event each.
        api_post(
            &app,
            &boss,
            &format!("/api/v1/tickets/{number}/notes"),
            json!({"body": "Looking."}),
            None,
        )
        .await;
        let (status, body) = api_post(
            &app,
            &boss,
            &format!("/api/v1/tickets/{number}/status"),
            json!({"status": "open"}),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let seen = receiver.wait(Duration::from_secs(10), |s| s.len() >= 3).await;
        assert_eq!(
            types(&seen),
            ["case.created", "message.created", "case.updated"],
            "{}: {seen:?}",
            app.backend
        );
        assert_eq!(seen[1]["event"]["data"]["public"], false);
        assert_eq!(seen[1]["event"]["data"]["body"], "Looking.");
        assert_eq!(seen[2]["event"]["data"]["change"], "status");
        assert_eq!(seen[2]["event"]["data"]["to"], "open");
        assert!(seen.iter().all(|s| s["valid"] == true), "{seen:?}");
        let ids: std::collections::HashSet<_> = seen.iter().map(|s| s["event"]["id"].clone()).collect();
        assert_eq!(ids.len(), 3, "one id per event");

        // The endpoint's page: every delivery made once, with its answer and time.
        let list = deliveries(&app, id, Duration::from_secs(5), |d| {
            d.len() == 3 && d.iter().all(|d| d["state"] == "delivered")
        })
        .await;
        assert_eq!(list.len(), 3, "{list:?}");
        for d in &list {
            assert_eq!(d["state"], "delivered", "{d}");
            assert_eq!(d["attempts"], 1);
            assert_eq!(d["response_status"], 204);
            assert!(d["response_ms"].as_i64().unwrap() >= 0);
        }
        // Nothing was posted twice.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.seen().len(), 3);
    }
}

#[tokio::test]
async fn internal_addresses_are_refused_at_registration() {
    for app in backends_with(Options::default()).await {
        let boss = admin(&app).await;
        for (url, code) in [
            ("http://127.0.0.1:9/hook", "webhook_target"),
            ("http://[::1]/hook", "webhook_target"),
            ("http://169.254.169.254/latest/meta-data/", "webhook_target"),
            ("http://10.1.2.3/hook", "webhook_target"),
            ("http://localhost:8080/hook", "webhook_target"),
            ("ftp://example.com/hook", "field_format"),
            ("https://user:pw@example.com/hook", "field_format"),
        ] {
            let (status, body) = api_post(
                &app,
                &boss,
                "/api/v1/webhooks",
                json!({"url": url, "events": ["case.created"]}),
                None,
            )
            .await;
            assert_eq!(status, 422, "{url}: {body}");
            assert_eq!(body["errors"][0]["field"], "url", "{body}");
            assert_eq!(body["errors"][0]["code"], code, "{url}: {body}");
        }
        let (status, body) = api_post(
            &app,
            &boss,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/", "events": ["case.closed"], "secret": "short"}),
            None,
        )
        .await;
        assert_eq!(status, 422);
        let fields: Vec<_> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].clone())
            .collect();
        assert_eq!(fields, ["url", "events", "secret"], "every problem at once: {body}");
        let (_, listed) = api_get(&app, &boss, "/api/v1/webhooks").await;
        assert_eq!(listed["webhooks"], json!([]));
    }
    // Allowed networks let an address through, and only those.
    for app in backends_with(loopback()).await {
        let boss = admin(&app).await;
        let ok = json!({"url": "http://127.0.0.1:9/", "events": ["case.created"]});
        let (status, body) = api_post(&app, &boss, "/api/v1/webhooks", ok, None).await;
        assert_eq!(status, 201, "{body}");
        let made = body["secret"].as_str().unwrap();
        assert!(
            made.starts_with("whsec_") && made.len() > 40,
            "a made secret is shown once: {made}"
        );
        let (_, shown) = api_get(&app, &boss, &format!("/api/v1/webhooks/{}", body["id"])).await;
        assert!(!shown.to_string().contains(made), "and never again: {shown}");
        let stored: Vec<String> = app
            .app
            .store
            .webhooks()
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.secret_sealed)
            .collect();
        assert!(!stored.iter().any(|s| s.contains(made)), "sealed at rest");
        let (status, body) = api_post(
            &app,
            &boss,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.2:9/", "events": ["case.created"]}),
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].clone()),
            (422, json!("webhook_target")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_endpoint_that_moved_inside_is_refused_at_delivery() {
    for app in backends_with(loopback()).await {
        let receiver = Receiver::ours();
        let boss = admin(&app).await;
        let id = register(&app, &boss, &receiver.url("/ok"), &["case.created"]).await;
        // As if its name now resolved elsewhere: 127.0.0.2 is loopback too, and not allowed.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("UPDATE webhooks SET url = $1 WHERE id = $2")
            .bind(format!("http://127.0.0.2:{}/ok", receiver.port))
            .bind(id)
            .execute(&mut conn)
            .await
            .unwrap();
        case(&app, &complete(2)).await;
        let list = deliveries(&app, id, Duration::from_secs(10), |d| {
            d.first().is_some_and(|d| d["attempts"] == 1)
        })
        .await;
        let error = list[0]["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("loopback"), "{}: {list:?}", app.backend);
        assert_eq!(list[0]["state"], "retrying");
        assert!(receiver.seen().is_empty());
    }
}

#[tokio::test]
async fn a_day_of_failures_disables_the_endpoint_and_tells_the_admins() {
    let Some(smtp) = SmtpSink::start() else { return };
    let start = Utc::now();
    let clock = Clock::fixed(start);
    let options = Options {
        smtp_url: Some(smtp.url()),
        clock: Some(clock.clone()),
        ..loopback()
    };
    for app in backends_with(options).await {
        clock.set(start);
        let notices_before = smtp
            .messages()
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains("webhook endpoint was disabled"))
            .count();
        let receiver = Receiver::ours();
        let boss = admin(&app).await;
        let id = register(&app, &boss, &receiver.url("/fail"), &["case.created"]).await;
        case(&app, &complete(3)).await;
        let list = deliveries(&app, id, Duration::from_secs(10), |d| {
            d.first().is_some_and(|d| d["attempts"] == 1)
        })
        .await;
        assert_eq!(list[0]["state"], "retrying", "{list:?}");
        assert_eq!(list[0]["response_status"], 500);
        assert_eq!(
            list[0]["last_error"],
            "HTTP 500 Internal Server Error: receiver is down"
        );
        let next: chrono::DateTime<Utc> = serde_json::from_value(list[0]["next_attempt_at"].clone()).unwrap();
        assert_eq!((next - clock.now()).num_seconds(), 5, "the first retry after 5 s");

        // Back-off: the second try waits 5 s, the third 10 s.
        clock.advance(chrono::Duration::seconds(6));
        let list = deliveries(&app, id, Duration::from_secs(10), |d| d[0]["attempts"] == 2).await;
        let next: chrono::DateTime<Utc> = serde_json::from_value(list[0]["next_attempt_at"].clone()).unwrap();
        assert_eq!((next - clock.now()).num_seconds(), 10, "{list:?}");
        let (_, shown) = api_get(&app, &boss, &format!("/api/v1/webhooks/{id}")).await;
        assert_eq!(shown["enabled"], true);
        assert!(shown["failing_since"].is_string(), "{shown}");

        // A day later the delivery is given up and the endpoint disabled; the admin is mailed.
        clock.advance(chrono::Duration::hours(25));
        let list = deliveries(&app, id, Duration::from_secs(10), |d| d[0]["state"] == "given_up").await;
        assert_eq!(list[0]["state"], "given_up", "{list:?}");
        assert_eq!(list[0]["attempts"], 3);
        // The endpoint is disabled just after the delivery is given up: wait for it, briefly.
        let started = Instant::now();
        let shown = loop {
            let (_, shown) = api_get(&app, &boss, &format!("/api/v1/webhooks/{id}")).await;
            if shown["enabled"] == false || started.elapsed() > Duration::from_secs(10) {
                break shown;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(shown["enabled"], false, "{shown}");
        assert!(
            shown["disabled_reason"].as_str().unwrap().contains("HTTP 500"),
            "{shown}"
        );
        // The sink's files come in no order: count the notices, before and after.
        let told = |mails: Vec<Vec<u8>>| -> Vec<String> {
            mails
                .iter()
                .map(|m| String::from_utf8_lossy(m).into_owned())
                .filter(|m| m.contains("webhook endpoint was disabled"))
                .collect()
        };
        let waited = Instant::now();
        while told(smtp.messages()).len() <= notices_before && waited.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let told = told(smtp.messages());
        assert_eq!(
            told.len(),
            notices_before + 1,
            "{}: one mail to the one admin",
            app.backend
        );
        assert!(told.iter().all(|m| m.contains("To: boss@desk.test")), "{told:?}");

        // Disabled: new events are not kept for it, and nothing more is posted.
        let posted = receiver.seen().len();
        assert_eq!(posted, 3);
        case(&app, &complete(4)).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.seen().len(), posted);
        assert_eq!(app.app.store.deliveries(WebhookId(id), 50).await.unwrap().len(), 1);
        let (_, audit) = api_get(&app, &boss, "/api/v1/audit").await;
        let actions: Vec<_> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("webhook"))
            .map(str::to_owned)
            .collect();
        assert_eq!(actions, ["webhook_disabled", "webhook_created"], "{audit}");
    }
}

#[tokio::test]
async fn a_hanging_endpoint_is_cut_off_and_a_closed_port_retried() {
    let options = Options {
        webhook_timeout: Some(Duration::from_secs(1)),
        ..loopback()
    };
    for app in backends_with(options).await {
        let receiver = Receiver::ours();
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let boss = admin(&app).await;
        let hang = register(&app, &boss, &receiver.url("/hang"), &["case.created"]).await;
        let refused = register(&app, &boss, &format!("http://127.0.0.1:{closed}/"), &["case.created"]).await;
        let redirect = register(&app, &boss, &receiver.url("/redirect"), &["case.created"]).await;
        case(&app, &complete(5)).await;
        let tried = |d: &[Value]| d.first().is_some_and(|d| d["attempts"] == 1);
        let hung = deliveries(&app, hang, Duration::from_secs(10), tried).await;
        assert_eq!(
            hung[0]["last_error"], "no answer within 1s",
            "{}: {hung:?}",
            app.backend
        );
        let took = hung[0]["response_ms"].as_i64().unwrap();
        assert!((1000..5000).contains(&took), "bounded by the timeout: {took} ms");
        let closed = deliveries(&app, refused, Duration::from_secs(10), tried).await;
        let why = closed[0]["last_error"].as_str().unwrap().to_lowercase();
        assert!(why.contains("refused"), "{why}");
        assert_eq!(closed[0]["state"], "retrying");
        let moved = deliveries(&app, redirect, Duration::from_secs(10), tried).await;
        assert_eq!(moved[0]["response_status"], 302);
        assert!(moved[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed"));
        let paths: Vec<_> = receiver.seen().iter().map(|s| s["path"].clone()).collect();
        assert!(
            !paths.contains(&json!("/ok")),
            "the redirect was not followed: {paths:?}"
        );
    }
}

#[tokio::test]
async fn a_test_event_goes_to_the_one_endpoint_and_only_admins_manage_them() {
    for app in backends_with(loopback()).await {
        let receiver = Receiver::ours();
        let boss = admin(&app).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        let one = register(&app, &boss, &receiver.url("/ok?one"), &["sla.breached"]).await;
        let _other = register(&app, &boss, &receiver.url("/ok?other"), &["case.created"]).await;
        let (status, body) = api_post(&app, &boss, &format!("/api/v1/webhooks/{one}/test"), json!({}), None).await;
        assert_eq!(status, 202, "{body}");
        let seen = receiver.wait(Duration::from_secs(10), |s| !s.is_empty()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let seen = if seen.len() == 1 { receiver.seen() } else { seen };
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["path"], "/ok?one");
        assert_eq!(seen[0]["event"]["type"], "ping");
        assert_eq!(seen[0]["event"]["case_number"], Value::Null);
        assert_eq!(seen[0]["event"]["data"]["webhook"], one);
        assert_eq!(seen[0]["valid"], true);

        for (method, path) in [
            ("GET", "/api/v1/webhooks".to_owned()),
            ("GET", format!("/api/v1/webhooks/{one}")),
            ("POST", format!("/api/v1/webhooks/{one}/test")),
            ("POST", format!("/api/v1/webhooks/{one}/disable")),
        ] {
            let request = match method {
                "GET" => app.client.get(format!("{}{path}", app.address)),
                _ => app.client.post(format!("{}{path}", app.address)).json(&json!({})),
            };
            let (status, _) = read(request.bearer_auth(&ada).send().await.unwrap()).await;
            assert_eq!(status, 403, "{method} {path}");
        }
        let (status, _) = api_get(&app, &boss, "/api/v1/webhooks/999").await;
        assert_eq!(status, 404);

        // Disable, enable, change, remove: each once, each audited.
        let (_, body) = api_post(&app, &boss, &format!("/api/v1/webhooks/{one}/disable"), json!({}), None).await;
        assert_eq!(body["changed"], true);
        let (_, body) = api_post(&app, &boss, &format!("/api/v1/webhooks/{one}/disable"), json!({}), None).await;
        assert_eq!(body["changed"], false);
        let (_, body) = api_post(&app, &boss, &format!("/api/v1/webhooks/{one}/enable"), json!({}), None).await;
        assert_eq!(body["changed"], true);
        let changed = app
            .client
            .put(format!("{}/api/v1/webhooks/{one}", app.address))
            .bearer_auth(&boss)
            .json(&json!({"url": receiver.url("/ok?one"), "events": ["sla.breached", "case.updated"]}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(changed).await;
        assert_eq!((status, body["changed"].clone()), (200, json!(true)), "{body}");
        let (_, shown) = api_get(&app, &boss, &format!("/api/v1/webhooks/{one}")).await;
        assert_eq!(shown["events"], json!(["case.updated", "sla.breached"]));
        let removed = app
            .client
            .delete(format!("{}/api/v1/webhooks/{one}", app.address))
            .bearer_auth(&boss)
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        let (_, listed) = api_get(&app, &boss, "/api/v1/webhooks").await;
        assert_eq!(listed["webhooks"].as_array().unwrap().len(), 1);
    }
}

/// The code block of the README that follows `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let after = &readme[readme.find(marker).unwrap_or_else(|| panic!("the README has {marker}"))..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_owned()
}

fn node_here() -> bool {
    let here = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !here {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but node is missing: .ci/run installs it"
        );
        crate::helpers::say_skipped("the README's JavaScript webhook receiver (node is missing)");
    }
    here
}

#[tokio::test]
async fn the_readme_receivers_verify_a_real_delivery_and_refuse_a_forged_one() {
    let mut receivers = vec![("python3", readme_block("<!-- webhook-receiver.py"))];
    if node_here() {
        receivers.push(("node", readme_block("<!-- webhook-receiver.js")));
    }
    for app in backends_with(loopback()).await {
        let boss = admin(&app).await;
        for (n, (program, script)) in (10u32..).zip(&receivers) {
            let receiver = Receiver::start(
                program,
                script,
                &[],
                &[("SPORTELLO_WEBHOOK_SECRET", SECRET), ("PORT", "0")],
            );
            let id = register(&app, &boss, &receiver.url("/"), &["case.created"]).await;
            let number = case(&app, &complete(n)).await;
            let seen = receiver.wait(Duration::from_secs(10), |s| !s.is_empty()).await;
            assert_eq!(
                seen,
                [json!(format!("case.created {number}"))],
                "{program} on {}",
                app.backend
            );
            let forged = app
                .client
                .post(receiver.url("/"))
                .header(
                    "Sportello-Signature",
                    format!("t={},v1={}", Utc::now().timestamp(), "0".repeat(64)),
                )
                .body(r#"{"id":"evt_forged","type":"case.created","case_number":"WA0000000001","data":{}}"#)
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 400, "{program} refuses a forged signature");
            let (_, body) = api_post(&app, &boss, &format!("/api/v1/webhooks/{id}/disable"), json!({}), None).await;
            assert_eq!(body["changed"], true);
            assert_eq!(receiver.seen().len(), 1, "{program}: the forged one is not taken");
        }
    }
}

#[tokio::test]
async fn admins_register_and_watch_an_endpoint_on_the_desk_without_javascript() {
    use reqwest::multipart::Form;
    for app in backends_with(loopback()).await {
        let receiver = Receiver::ours();
        admin(&app).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let mut desk = crate::desk::signed_in(&app, "boss@desk.test").await;
        let page = desk.get("/desk/admin/webhooks").await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("No webhooks yet."), "{}", page.text());

        // Refused: an internal address, no event; what was typed stays.
        let refused = desk
            .post(
                "/desk/admin/webhooks",
                Form::new()
                    .text("url", "http://10.0.0.7/hook")
                    .text("description", "CRM"),
            )
            .await;
        assert_eq!(refused.status, 422);
        let text = refused.text();
        assert!(text.contains("URL: This address leads to this server"), "{text}");
        assert!(text.contains("Events: "), "{text}");
        assert_eq!(refused.value_of("description"), "CRM");

        // Registered without a secret: one is made and shown on the answer, once.
        let added = desk
            .post(
                "/desk/admin/webhooks",
                Form::new()
                    .text("url", receiver.url("/ok"))
                    .text("events", "case.created")
                    .text("events", "message.created"),
            )
            .await;
        assert_eq!(added.status, 200, "{}", added.text());
        let text = added.text();
        let made = text
            .split_whitespace()
            .find(|w| w.starts_with("whsec_"))
            .unwrap_or_else(|| panic!("the made secret is on the page: {text}"))
            .to_owned();
        let id = app.app.store.webhooks().await.unwrap()[0].id.0;
        let again = desk.get(&format!("/desk/admin/webhooks/{id}")).await;
        assert!(!again.html.contains(&made), "shown once only");

        // Give it the receiver's secret, send a test event: the page shows it delivered.
        let saved = desk
            .post(
                &format!("/desk/admin/webhooks/{id}"),
                Form::new()
                    .text("url", receiver.url("/ok"))
                    .text("events", "case.created")
                    .text("secret", SECRET),
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.text());
        let tested = desk.post(&format!("/desk/admin/webhooks/{id}/test"), Form::new()).await;
        assert_eq!(tested.status, 303);
        receiver.wait(Duration::from_secs(10), |s| !s.is_empty()).await;
        deliveries(&app, id, Duration::from_secs(5), |d| {
            d.first().is_some_and(|d| d["state"] == "delivered")
        })
        .await;
        let page = desk.get(&format!("/desk/admin/webhooks/{id}")).await;
        let text = page.text();
        assert!(
            text.contains("ping") && text.contains("Delivered") && text.contains("204"),
            "{text}"
        );
        assert_eq!(receiver.seen()[0]["valid"], true, "signed with the secret typed in");

        // Disable and enable from the page; an agent may not see it at all.
        let off = desk
            .post(&format!("/desk/admin/webhooks/{id}/disable"), Form::new())
            .await;
        assert_eq!(off.status, 303);
        assert!(desk
            .get(&format!("/desk/admin/webhooks/{id}"))
            .await
            .text()
            .contains("Disabled"));
        desk.post(&format!("/desk/admin/webhooks/{id}/enable"), Form::new())
            .await;
        assert!(desk.get("/desk/admin/webhooks").await.text().contains("Answering"));
        let mut ada = crate::desk::signed_in(&app, "ada@desk.test").await;
        assert_eq!(ada.get("/desk/admin/webhooks").await.status, 403);
        assert_eq!(ada.get(&format!("/desk/admin/webhooks/{id}")).await.status, 403);
        let removed = desk
            .post(&format!("/desk/admin/webhooks/{id}/remove"), Form::new())
            .await;
        assert_eq!(removed.status, 303);
        assert!(desk
            .get("/desk/admin/webhooks")
            .await
            .text()
            .contains("No webhooks yet."));
    }
}
