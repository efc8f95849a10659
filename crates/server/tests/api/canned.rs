//! Canned replies (SPEC §7): placeholders checked when saved (a typo refused with the one meant),
//! the customer's language picking the text, every placeholder filled for the case, the status
//! link made with a fresh token only in the mail (checked at a real SMTP server), the status and
//! priority going with the reply, a team's replies only on its cases, and every change audited.

use std::time::Duration as StdDuration;

use reqwest::multipart::Form;
use serde_json::{json, Value};
use sportello_domain::access::{Role, Scope};
use sportello_domain::case::Status;
use sportello_domain::triage::Priority;

use crate::desk::{agent, api_get, api_post, case, signed_in, token};
use crate::helpers::{backends_with, complete, read, Options, TestApp};
use crate::mail::SmtpSink;

async fn api_send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

fn refund_sent() -> Value {
    json!({
        "name": "Refund sent",
        "texts": {
            "en": "Hello {customer_name}, we refunded case {case_number}. Follow it at {status_url}\n{agent_name}",
            "it": "Ciao {customer_name}, abbiamo rimborsato il caso {case_number}. Seguilo qui: {status_url}\nMancano ancora:\n{missing_fields}\n{agent_name}"
        },
        "set_status": "resolved",
        "set_priority": "high"
    })
}

fn audit_actions(rows: &[sportello::store::AuditRecord]) -> Vec<String> {
    rows.iter()
        .map(|r| r.entry.action.to_string())
        .filter(|a| a.starts_with("canned"))
        .collect()
}

#[tokio::test]
async fn a_canned_reply_is_checked_filled_in_the_customers_language_and_sets_what_it_says() {
    let Some(sink) = SmtpSink::start() else { return };
    let options = Options {
        smtp_url: Some(sink.url()),
        ..Options::default()
    };
    for (n, app) in (70..).zip(backends_with(options).await) {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;

        // A typo in a placeholder is refused, with the placeholder meant; nothing is kept.
        let mut typo = refund_sent();
        typo["texts"]["en"] = json!("Hello {custmer_name}, see {case_number}");
        let (status, refused) = api_post(&app, &boss, "/api/v1/canned", typo, None).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["errors"][0]["field"], "texts.en", "{refused}");
        assert_eq!(refused["errors"][0]["code"], "unknown_placeholder");
        assert_eq!(refused["errors"][0]["suggestion"], "{customer_name}");
        let mut bad_status = refund_sent();
        bad_status["set_status"] = json!("merged");
        let (status, refused) = api_post(&app, &boss, "/api/v1/canned", bad_status, None).await;
        assert_eq!(
            (status, refused["errors"][0]["field"].as_str()),
            (422, Some("set_status"))
        );
        assert_eq!(api_get(&app, &boss, "/api/v1/canned").await.1["canned"], json!([]));

        // Only admins write them; a name is used once.
        assert_eq!(api_post(&app, &ada, "/api/v1/canned", refund_sent(), None).await.0, 403);
        let (status, created) = api_post(&app, &boss, "/api/v1/canned", refund_sent(), None).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        let (status, taken) = api_post(&app, &boss, "/api/v1/canned", refund_sent(), None).await;
        assert_eq!(
            (status, taken["reason"].as_str()),
            (409, Some("canned_taken")),
            "{taken}"
        );
        let (_, listed) = api_get(&app, &ada, "/api/v1/canned").await;
        assert_eq!(listed["canned"][0]["name"], "Refund sent");

        // An Italian customer gets the Italian text, with the case's values in.
        // A contact of each backend's own: the SMTP server holds both backends' mail.
        let mut request = complete(n);
        request["language"] = json!("it");
        request["name"] = json!("Giulia Rossi");
        let mails_before = sink.messages().len();
        let number = case(&app, &request).await;
        sink.wait_for(mails_before + 1, StdDuration::from_secs(10)).await;
        let (status, filled) = api_get(&app, &ada, &format!("/api/v1/tickets/{number}/canned/{id}")).await;
        assert_eq!(status, 200, "{filled}");
        assert_eq!(filled["language"], "it");
        let body = filled["body"].as_str().unwrap().to_owned();
        assert!(
            body.starts_with(&format!(
                "Ciao Giulia Rossi, abbiamo rimborsato il caso {number}. Seguilo qui: {{status_url}}"
            )),
            "{body}"
        );
        assert!(body.ends_with("\nada"), "the agent's name: {body}");
        assert!(
            !body.contains("{missing_fields}") && !body.contains("{customer_name}"),
            "{body}"
        );

        // Sent: the case is resolved with priority high, and the mail carries a working link.
        let (status, sent) = api_post(
            &app,
            &ada,
            &format!("/api/v1/tickets/{number}/reply"),
            json!({"body": body, "canned": id}),
            None,
        )
        .await;
        assert_eq!(status, 201, "{sent}");
        let c = app.case(&number).await;
        assert_eq!(
            (c.status, c.priority),
            (Status::Resolved, Priority::High),
            "{}",
            app.backend
        );
        let mails = sink.wait_for(mails_before + 2, StdDuration::from_secs(10)).await;
        let to = format!("cliente{n}@gmail.com");
        let mail = mails
            .iter()
            .filter_map(|m| mail_parser::MessageParser::default().parse(m))
            .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(to.as_str()))
            .filter_map(|m| m.body_text(0).map(|t| t.into_owned()))
            .find(|text| text.contains("Seguilo qui"))
            .expect("the reply's mail");
        let link = mail
            .split(&format!("Seguilo qui: http://sportello.test/status/{number}?t="))
            .nth(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                    .collect::<String>()
            })
            .unwrap_or_default();
        assert!(link.len() >= 20, "a status link with a token in the mail: {mail}");
        let page = app.get(&format!("/status/{number}?t={link}")).await;
        assert_eq!(page.status(), 200, "the mailed link opens the case");
        // The token lives only in the mail: the message keeps the placeholder.
        let (_, detail) = api_get(&app, &ada, &format!("/api/v1/tickets/{number}")).await;
        let kept = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "reply")
            .unwrap()["body"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            kept.contains("Seguilo qui: {status_url}") && !kept.contains(&link),
            "{kept}"
        );
        let events: Vec<String> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["new_value"].as_str().map(ToOwned::to_owned))
            .collect();
        assert!(
            events.iter().any(|v| v == "high: canned reply: Refund sent"),
            "{events:?}"
        );

        // Changed and removed, each with its audit row; a removed one is not offered.
        let mut changed = refund_sent();
        changed["set_priority"] = Value::Null;
        let path = format!("/api/v1/canned/{id}");
        let (status, answer) = api_send(&app, &boss, reqwest::Method::PUT, &path, Some(changed.clone())).await;
        assert_eq!((status, answer["changed"].as_bool()), (200, Some(true)), "{answer}");
        let (_, again) = api_send(&app, &boss, reqwest::Method::PUT, &path, Some(changed)).await;
        assert_eq!(again["changed"], false);
        assert_eq!(api_send(&app, &ada, reqwest::Method::DELETE, &path, None).await.0, 403);
        assert_eq!(api_send(&app, &boss, reqwest::Method::DELETE, &path, None).await.0, 204);
        assert_eq!(api_send(&app, &boss, reqwest::Method::DELETE, &path, None).await.0, 404);
        let filled = format!("/api/v1/tickets/{number}/canned/{id}");
        assert_eq!(api_get(&app, &ada, &filled).await.0, 404);
        let audit = app
            .app
            .store
            .audit_log(sportello::store::AuditQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut actions = audit_actions(&audit);
        actions.sort();
        assert_eq!(actions, ["canned_changed", "canned_created", "canned_removed"]);
    }
}

#[tokio::test]
async fn a_teams_canned_replies_are_offered_only_on_its_cases_and_to_its_members() {
    for app in backends_with(Options::default()).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "pay@desk.test", Role::Agent, &["payments"]).await;
        agent(&app, "acc@desk.test", Role::Agent, &["account"]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let pay = token(&app, "pay@desk.test", Scope::Write).await;
        let acc = token(&app, "acc@desk.test", Scope::Write).await;
        let (_, teams) = api_get(&app, &boss, "/api/v1/teams").await;
        let team_id = |name: &str| {
            teams["teams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let mut accounts = refund_sent();
        accounts["name"] = json!("Account recovered");
        accounts["team"] = json!(team_id("account"));
        let (status, created) = api_post(&app, &boss, "/api/v1/canned", accounts, None).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        let (status, unknown) = api_post(
            &app,
            &boss,
            "/api/v1/canned",
            json!({"name": "x", "team": 999_999, "texts": {"en": "x"}}),
            None,
        )
        .await;
        assert_eq!((status, unknown["reason"].as_str()), (409, Some("unknown_team")));

        // The account team's member lists it; the payments agent does not.
        let names = |v: &Value| -> Vec<String> {
            v["canned"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names(&api_get(&app, &acc, "/api/v1/canned").await.1),
            ["Account recovered"]
        );
        assert!(names(&api_get(&app, &pay, "/api/v1/canned").await.1).is_empty());

        // A payments case is not one of the account team's: not offered, and refused on send.
        let number = case(&app, &complete(71)).await;
        let filled = format!("/api/v1/tickets/{number}/canned/{id}");
        assert_eq!(api_get(&app, &acc, &filled).await.0, 404);
        let (status, refused) = api_post(
            &app,
            &pay,
            &format!("/api/v1/tickets/{number}/reply"),
            json!({"body": "Hello", "canned": id}),
            None,
        )
        .await;
        assert_eq!(
            (status, refused["reason"].as_str()),
            (409, Some("canned_not_here")),
            "{refused}"
        );
        assert_eq!(app.case(&number).await.status, Status::New, "nothing was sent");
    }
}

#[tokio::test]
async fn on_the_desk_an_admin_writes_one_and_an_agent_picks_it_without_javascript() {
    for app in backends_with(Options::default()).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let mut admin = signed_in(&app, "boss@desk.test").await;
        let page = admin.get("/desk/admin/canned").await;
        assert_eq!(page.status, 200, "{}", page.html);

        // A typo: the page again, the text as typed, and the placeholder meant.
        let on_its_way = |text: &str| {
            Form::new()
                .text("name", "On its way")
                .text("team", "")
                .text("set_status", "pending_customer")
                .text("set_priority", "")
                .text("text-en", text.to_owned())
                .text("text-it", "")
        };
        let typed = "Hi {customer_name}, case {case_nubmer} is on its way.";
        let refused = admin.post("/desk/admin/canned", on_its_way(typed)).await;
        assert_eq!(refused.status, 422, "{}", refused.html);
        assert!(refused.html.contains("{case_number}"), "the suggestion");
        assert!(
            refused.html.contains("case {case_nubmer} is on its way"),
            "the text kept"
        );
        assert!(app.app.store.canned_replies().await.unwrap().is_empty());

        let fixed = on_its_way("Hi {customer_name}, case {case_number} is on its way.");
        let saved = admin.post("/desk/admin/canned", fixed).await;
        assert_eq!(saved.status, 303, "{}", saved.html);
        let id = app.app.store.canned_replies().await.unwrap()[0].id.0;

        // The agent picks it from the reply box (a plain GET form): the box is filled.
        let mut request = complete(72);
        request["name"] = json!("Sam Weller");
        let number = case(&app, &request).await;
        let mut desk = signed_in(&app, "ada@desk.test").await;
        let page = desk.get(&format!("/desk/cases/{number}")).await;
        assert!(page
            .html
            .contains(&format!("<option value=\"{id}\">On its way</option>")));
        let page = desk.get(&format!("/desk/cases/{number}?canned={id}")).await;
        assert_eq!(
            page.value("body"),
            format!("Hi Sam Weller, case {number} is on its way.")
        );
        assert_eq!(
            page.attr("canned-id", "value").as_deref(),
            Some(id.to_string().as_str())
        );
        assert!(!page.text_of("canned-does").is_empty(), "says what it also does");
        let sent = desk
            .post(
                &format!("/desk/cases/{number}/reply"),
                Form::new()
                    .text("kind", "reply")
                    .text("canned", id.to_string())
                    .text("body", page.value("body")),
            )
            .await;
        assert_eq!(sent.status, 303, "{}", sent.html);
        assert_eq!(
            app.case(&number).await.status,
            Status::PendingCustomer,
            "{}",
            app.backend
        );

        // An agent cannot remove it; the admin's Remove does, and the picker no longer offers it.
        let path = format!("/desk/admin/canned/{id}/remove");
        assert_eq!(desk.post(&path, Form::new()).await.status, 403);
        let removed = admin.post(&path, Form::new()).await;
        assert_eq!(removed.status, 303, "{}", removed.html);
        assert!(app.app.store.canned_replies().await.unwrap().is_empty());
        let page = desk.get(&format!("/desk/cases/{number}")).await;
        assert!(!page.html.contains("On its way"), "no longer offered");
    }
}

#[tokio::test]
async fn a_held_canned_reply_changes_the_case_only_when_it_goes_and_undo_takes_all_of_it_back() {
    use chrono::{DateTime, Duration, Utc};
    use sportello::app::answer::send_held;
    let clock = sportello::app::Clock::fixed("2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        reply_undo_delay: StdDuration::from_secs(10),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        let (_, created) = api_post(&app, &boss, "/api/v1/canned", refund_sent(), None).await;
        let id = created["id"].as_i64().unwrap();
        let number = case(&app, &complete(74)).await;
        let reply = format!("/api/v1/tickets/{number}/reply");
        let send = || json!({"body": "We refunded it.", "canned": id});

        // Held, then undone: the case never moved.
        let (status, held) = api_post(&app, &ada, &reply, send(), None).await;
        assert_eq!(status, 201, "{held}");
        let c = app.case(&number).await;
        assert_eq!((c.status, c.priority), (Status::New, Priority::Normal), "not yet");
        let undo = format!("/api/v1/tickets/{number}/replies/{}/undo", held["message_id"]);
        assert_eq!(api_post(&app, &ada, &undo, json!({}), None).await.0, 200);
        clock.advance(Duration::seconds(11));
        assert_eq!(send_held(&app.app).await.unwrap(), 0);
        let c = app.case(&number).await;
        assert_eq!(
            (c.status, c.priority),
            (Status::New, Priority::Normal),
            "{}",
            app.backend
        );

        // Held and let go: the status and priority come with it.
        api_post(&app, &ada, &reply, send(), None).await;
        clock.advance(Duration::seconds(11));
        // This pass or the server's own job sends it (once either way).
        send_held(&app.app).await.unwrap();
        let c = app.case(&number).await;
        assert_eq!(
            (c.status, c.priority),
            (Status::Resolved, Priority::High),
            "{}",
            app.backend
        );
    }
}
