//! The agents' desk and API (SPEC §6, §7, §9) against the real server on both backends, attacked as
//! an attacker would: restricted cases invisible everywhere, disabled agents stopped at once, read
//! tokens that cannot act, forms without their CSRF token refused, customer HTML shown as text.

use chrono::{DateTime, Duration, Utc};
use reqwest::multipart::Form;
use serde_json::{json, Value};
use sportello::app::agents::{add_agent, add_team, issue_token, AgentInput, TeamInput};
use sportello::app::Clock;
use sportello::events::OutboxEvent;
use sportello::jobs::sla::SlaWatcher;
use sportello_domain::access::{Principal, Role, Scope};
use sportello_domain::case::Status;

use crate::helpers::{backends, backends_with, complete, read, Options, TestApp, Visitor};

pub const PASSWORD: &str = "correct horse battery";

pub async fn agent(app: &TestApp, email: &str, role: Role, teams: &[&str]) {
    add_agent(
        &app.app,
        &Principal::System,
        AgentInput {
            email: email.to_owned(),
            name: email.split('@').next().unwrap().to_owned(),
            role,
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            password: Some(PASSWORD.to_owned()),
            mail_link: false,
        },
    )
    .await
    .unwrap();
}

pub async fn token(app: &TestApp, email: &str, scope: Scope) -> String {
    issue_token(&app.app, &Principal::System, email, scope, "test")
        .await
        .unwrap()
}

/// "safety", a restricted team owning the support-scam reports (SPEC §6).
pub async fn safety_team(app: &TestApp) {
    add_team(
        &app.app,
        &Principal::System,
        TeamInput {
            name: "safety".to_owned(),
            owns: vec!["security/support_scam".to_owned()],
            restricted: true,
        },
    )
    .await
    .unwrap();
}

/// A new case through the API; its number.
pub async fn case(app: &TestApp, request: &Value) -> String {
    let (status, body) = read(app.post_json(request).await).await;
    assert_eq!(status, 201, "{body}");
    body["case_number"].as_str().unwrap().to_owned()
}

pub async fn api_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    read(
        app.client
            .get(format!("{}{path}", app.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn api_post(app: &TestApp, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    read(request.send().await.unwrap()).await
}

pub async fn signed_in(app: &TestApp, email: &str) -> Visitor {
    let mut v = Visitor::new(app);
    v.get("/desk/login").await;
    let page = v
        .post(
            "/desk/login",
            Form::new().text("email", email.to_owned()).text("password", PASSWORD),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    assert_eq!(page.location(), "/desk");
    v
}

fn numbers(body: &Value) -> Vec<String> {
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["case_number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_queue_comes_in_due_order_a_page_at_a_time() {
    for app in backends().await {
        agent(&app, "anna@desk.test", Role::Agent, &[]).await;
        let read_token = token(&app, "anna@desk.test", Scope::Read).await;
        // Security (6 h, always clock) comes before payments (24 h); urgent before the rest.
        let mut payment = complete(1);
        let later = case(&app, &payment).await;
        let mut security = complete(2);
        security["category"] = json!("security");
        security["subcategory"] = json!("account_stolen");
        security.as_object_mut().unwrap().remove("transaction_id");
        security.as_object_mut().unwrap().remove("amount");
        let sooner = case(&app, &security).await;
        payment = complete(3);
        payment["urgent"] = json!(true);
        payment["description"] =
            json!("Mi hanno rubato 300 euro dal conto con un pagamento che non ho mai fatto ieri.");
        let urgent = case(&app, &payment).await;
        let (status, body) = api_get(&app, &read_token, "/api/v1/tickets").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            numbers(&body),
            [urgent.clone(), sooner.clone(), later.clone()],
            "{}",
            app.backend
        );
        assert_eq!(body["next_cursor"], Value::Null);
        assert_eq!(body["tickets"][0]["clock"], "running");
        // Keyset pages: two, then the rest, and nothing twice.
        let (_, first) = api_get(&app, &read_token, "/api/v1/tickets?limit=2").await;
        assert_eq!(numbers(&first), [urgent, sooner]);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let (_, second) = api_get(&app, &read_token, &format!("/api/v1/tickets?limit=2&cursor={cursor}")).await;
        assert_eq!(numbers(&second), [later]);
        assert_eq!(second["next_cursor"], Value::Null);
        // Filters narrow the view; an unknown value is refused, not ignored.
        let (_, security_only) = api_get(&app, &read_token, "/api/v1/tickets?category=security").await;
        assert_eq!(numbers(&security_only).len(), 1);
        let (status, _) = api_get(&app, &read_token, "/api/v1/tickets?priority=whenever").await;
        assert_eq!(status, 400);
        let (status, _) = api_get(&app, &read_token, "/api/v1/tickets?cursor=12;DROP").await;
        assert_eq!(status, 422);
        // The desk's page shows the same order.
        let mut desk = signed_in(&app, "anna@desk.test").await;
        let page = desk.get("/desk").await;
        assert_eq!(page.status, 200);
        let shown: Vec<usize> = numbers(&body)
            .iter()
            .map(|n| page.html.find(n.as_str()).unwrap())
            .collect();
        assert!(shown.windows(2).all(|w| w[0] < w[1]), "{shown:?}");
    }
}

#[tokio::test]
async fn a_restricted_teams_cases_do_not_exist_for_outsiders() {
    for app in backends().await {
        safety_team(&app).await;
        agent(&app, "out@desk.test", Role::Lead, &["payments"]).await;
        agent(&app, "in@desk.test", Role::Agent, &["safety"]).await;
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let mut scam = complete(10);
        scam["category"] = json!("security");
        scam["subcategory"] = json!("support_scam");
        scam.as_object_mut().unwrap().remove("transaction_id");
        scam.as_object_mut().unwrap().remove("amount");
        let hidden = case(&app, &scam).await;
        let open = case(&app, &complete(11)).await;
        let outsider = token(&app, "out@desk.test", Scope::Write).await;
        let (_, list) = api_get(&app, &outsider, "/api/v1/tickets").await;
        assert_eq!(numbers(&list), [open], "{}", app.backend);
        let (_, list) = api_get(&app, &outsider, "/api/v1/tickets?category=security").await;
        assert!(numbers(&list).is_empty());
        // By URL, on every route, exactly as a case that does not exist.
        let unknown = "WA0000009991";
        let (a, body_hidden) = api_get(&app, &outsider, &format!("/api/v1/tickets/{hidden}")).await;
        let (b, body_unknown) = api_get(&app, &outsider, &format!("/api/v1/tickets/{unknown}")).await;
        assert_eq!((a, b), (404, 404));
        assert_eq!(body_hidden, body_unknown);
        let (a, _) = api_post(
            &app,
            &outsider,
            &format!("/api/v1/tickets/{hidden}/notes"),
            json!({"body": "x"}),
            None,
        )
        .await;
        let (b, _) = api_post(
            &app,
            &outsider,
            &format!("/api/v1/tickets/{hidden}/take"),
            json!({}),
            None,
        )
        .await;
        assert_eq!((a, b), (404, 404));
        let mut desk = signed_in(&app, "out@desk.test").await;
        assert_eq!(desk.get(&format!("/desk/cases/{hidden}")).await.status, 404);
        assert!(!desk.get("/desk").await.html.contains(&hidden));
        // Members and admins see it.
        for who in ["in@desk.test", "boss@desk.test"] {
            let t = token(&app, who, Scope::Read).await;
            let (_, list) = api_get(&app, &t, "/api/v1/tickets").await;
            assert!(numbers(&list).contains(&hidden), "{who}");
            assert_eq!(api_get(&app, &t, &format!("/api/v1/tickets/{hidden}")).await.0, 200);
        }
        // A restricted case goes to nobody outside the team.
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let outsider_id = app
            .app
            .store
            .agent_by_email(&"out@desk.test".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let (status, _) = api_post(
            &app,
            &boss,
            &format!("/api/v1/tickets/{hidden}/assign"),
            json!({"agent": outsider_id.0}),
            None,
        )
        .await;
        assert_eq!(status, 409);
    }
}

#[tokio::test]
async fn a_disabled_agent_stops_at_once_and_a_read_token_cannot_act() {
    for app in backends().await {
        agent(&app, "eve@desk.test", Role::Agent, &[]).await;
        let number = case(&app, &complete(20)).await;
        let reader = token(&app, "eve@desk.test", Scope::Read).await;
        let writer = token(&app, "eve@desk.test", Scope::Write).await;
        let (status, _) = api_post(
            &app,
            &reader,
            &format!("/api/v1/tickets/{number}/notes"),
            json!({"body": "hi"}),
            None,
        )
        .await;
        assert_eq!(status, 403, "{}", app.backend);
        let (status, _) = api_post(
            &app,
            &writer,
            &format!("/api/v1/tickets/{number}/notes"),
            json!({"body": "hi"}),
            None,
        )
        .await;
        assert_eq!(status, 201);
        let mut desk = signed_in(&app, "eve@desk.test").await;
        assert_eq!(desk.get("/desk").await.status, 200);
        sportello::app::agents::disable_agent(&app.app, &Principal::System, "eve@desk.test")
            .await
            .unwrap();
        let page = desk.get("/desk").await;
        assert_eq!((page.status, page.location()), (303, "/desk/login".to_owned()));
        for t in [&reader, &writer] {
            assert_eq!(api_get(&app, t, "/api/v1/tickets").await.0, 401);
        }
        // Nor can they sign in again, and the answer is the one a wrong password gets.
        let mut again = Visitor::new(&app);
        again.get("/desk/login").await;
        let disabled = again
            .post(
                "/desk/login",
                Form::new().text("email", "eve@desk.test").text("password", PASSWORD),
            )
            .await;
        let wrong = again
            .post(
                "/desk/login",
                Form::new().text("email", "nobody@desk.test").text("password", PASSWORD),
            )
            .await;
        assert_eq!((disabled.status, wrong.status), (401, 401));
        assert_eq!(disabled.text_of("main"), wrong.text_of("main"));
    }
}

#[tokio::test]
async fn sign_in_is_throttled_even_for_the_right_password() {
    for app in backends().await {
        agent(&app, "tom@desk.test", Role::Agent, &[]).await;
        let mut v = Visitor::new(&app);
        v.get("/desk/login").await;
        for _ in 0..5 {
            let page = v
                .post(
                    "/desk/login",
                    Form::new()
                        .text("email", "tom@desk.test")
                        .text("password", "wrong password!"),
                )
                .await;
            assert_eq!(page.status, 401);
        }
        let page = v
            .post(
                "/desk/login",
                Form::new().text("email", "TOM@desk.test").text("password", PASSWORD),
            )
            .await;
        assert_eq!(page.status, 429, "{}", app.backend);
        let wait: i64 = page.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        // The session cookie of a good sign-in: HttpOnly, SameSite=Lax.
        agent(&app, "ann@desk.test", Role::Agent, &[]).await;
        let mut ok = Visitor::new(&app);
        ok.get("/desk/login").await;
        let csrf = ok.cookie("csrf").unwrap();
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = no_redirects
            .post(format!("{}/desk/login", app.address))
            .header("cookie", format!("csrf={csrf}"))
            .form(&[("email", "ann@desk.test"), ("password", PASSWORD), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("sportello_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    for app in backends().await {
        agent(&app, "kim@desk.test", Role::Agent, &[]).await;
        let number = case(&app, &complete(30)).await;
        let mut desk = signed_in(&app, "kim@desk.test").await;
        let form = || Form::new().text("body", "a reply").text("kind", "reply");
        let refused = desk.post_raw(&format!("/desk/cases/{number}/reply"), form()).await;
        assert_eq!(refused.status, 403, "{}", app.backend);
        let forged = desk
            .post_raw(
                &format!("/desk/cases/{number}/reply"),
                form().text("csrf", "x".repeat(43)),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert!(app
            .app
            .store
            .messages(app.case(&number).await.id)
            .await
            .unwrap()
            .is_empty());
        // A sign-in form without it neither.
        let mut v = Visitor::new(&app);
        let page = v
            .post_raw(
                "/desk/login",
                Form::new().text("email", "kim@desk.test").text("password", PASSWORD),
            )
            .await;
        assert_eq!(page.status, 403);
        // With it, the reply goes in.
        let sent = desk
            .post(&format!("/desk/cases/{number}/reply"), form().text("key", "k1"))
            .await;
        assert_eq!(sent.status, 303);
    }
}

#[tokio::test]
async fn a_reply_is_sent_once_threaded_and_shown_to_the_customer() {
    for app in backends().await {
        agent(&app, "lea@desk.test", Role::Agent, &[]).await;
        let writer = token(&app, "lea@desk.test", Scope::Write).await;
        let (_, created) = read(app.post_json(&complete(40)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let status_url = created["status_url"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/tickets/{number}/reply");
        let body = json!({"body": "Ciao, abbiamo rimborsato i 12 euro.", "wait_for_customer": true});
        let (first, one) = api_post(&app, &writer, &path, body.clone(), Some("reply-1")).await;
        let (again, two) = api_post(&app, &writer, &path, body, Some("reply-1")).await;
        assert_eq!((first, again), (201, 200), "{one} {two}");
        assert_eq!(two["repeated"], true);
        let c = app.case(&number).await;
        assert!(c.first_response_at.is_some());
        assert_eq!(c.status, Status::PendingCustomer, "reply and wait");
        assert!(c.paused_since.is_some());
        // One reply mail, on the confirmation's thread.
        let replies: Vec<_> = app
            .app
            .store
            .claim_outbox(app.app.clock.now(), Duration::seconds(30), 50)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                Ok(OutboxEvent::Reply(reply)) => Some((r.idempotency_key, reply)),
                _ => None,
            })
            .collect();
        assert_eq!(replies.len(), 1, "{}", app.backend);
        let (message_id, reply) = &replies[0];
        assert_eq!(
            reply.references,
            [format!("<{}>", app.our_message_id(&number, "confirmation"))]
        );
        assert!(message_id.contains(".reply-"), "{message_id}");
        assert!(reply
            .status_url
            .as_deref()
            .unwrap()
            .contains(&format!("/status/{number}?t=")));
        // The customer reads it on the status page.
        let mut customer = Visitor::new(&app);
        let page = customer.get(&status_url).await;
        assert!(page.html.contains("abbiamo rimborsato i 12 euro"), "{}", page.html);
        // The desk's timeline has the request, the reply and the status change.
        let (_, detail) = api_get(&app, &writer, &format!("/api/v1/tickets/{number}")).await;
        let kinds: Vec<&str> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["customer_message", "reply", "event"], "{detail}");
        assert_eq!(detail["first_response_clock"], "met");
        assert_eq!(detail["resolution_clock"], "paused");
    }
}

#[tokio::test]
async fn customer_html_is_shown_as_text_on_the_desk() {
    for app in backends().await {
        agent(&app, "max@desk.test", Role::Agent, &[]).await;
        let mut request = complete(50);
        request["description"] =
            json!("<script>alert(1)</script><img src=x onerror=alert(2)> il pagamento di 12 euro è fallito ieri sera");
        let number = case(&app, &request).await;
        let mut desk = signed_in(&app, "max@desk.test").await;
        for path in ["/desk".to_owned(), format!("/desk/cases/{number}")] {
            let page = desk.get(&path).await;
            assert!(!page.html.contains("<script>alert"), "{path}");
            assert!(!page.html.contains("<img src=x"), "{path}");
            // Shown, as the words the customer typed.
            assert!(
                page.text().contains("<script>alert(1)</script>"),
                "{path}: {}",
                page.html
            );
        }
    }
}

#[tokio::test]
async fn the_audit_log_refuses_to_be_changed() {
    for app in backends().await {
        agent(&app, "ada@desk.test", Role::Admin, &[]).await;
        let admin = token(&app, "ada@desk.test", Scope::Read).await;
        let (status, body) = api_get(&app, &admin, "/api/v1/audit").await;
        assert_eq!(status, 200);
        let actions: Vec<&str> = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"agent_created") && actions.contains(&"token_created"),
            "{actions:?}"
        );
        // Behind the application's back, straight to the database: refused there too.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
            .await
            .unwrap();
        for sql in ["UPDATE audit SET action = 'x'", "DELETE FROM audit"] {
            let refused = sqlx::query(sql).execute(&mut conn).await;
            let error = refused
                .expect_err(&format!("{} accepted {sql}", app.backend))
                .to_string();
            assert!(error.contains("append-only"), "{error}");
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows as usize, body["entries"].as_array().unwrap().len());
        // Agents who are not admins cannot read it, nor the lists of agents and teams.
        agent(&app, "bob@desk.test", Role::Lead, &[]).await;
        let lead = token(&app, "bob@desk.test", Scope::Write).await;
        for path in ["/api/v1/audit", "/api/v1/agents", "/api/v1/teams"] {
            assert_eq!(api_get(&app, &lead, path).await.0, 403, "{path}");
        }
        let (_, agents) = api_get(&app, &admin, "/api/v1/agents").await;
        let names: Vec<&str> = agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["email"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ada@desk.test", "bob@desk.test"]);
        let (_, teams) = api_get(&app, &admin, "/api/v1/teams").await;
        assert_eq!(teams["teams"].as_array().unwrap().len(), 6, "one per category: {teams}");
    }
}

#[tokio::test]
async fn each_breach_is_marked_once_however_many_watchers_run() {
    let clock = Clock::fixed("2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap());
    for app in backends_with(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await
    {
        clock.set("2026-12-01T09:00:00Z".parse().unwrap());
        agent(&app, "lead@desk.test", Role::Lead, &["payments"]).await;
        agent(&app, "other-lead@desk.test", Role::Lead, &["groups"]).await;
        let number = case(&app, &complete(60)).await;
        let first = SlaWatcher { app: app.app.clone() };
        let second = SlaWatcher { app: app.app.clone() };
        assert_eq!(first.pass().await.unwrap().breaches_marked, 0, "not due yet");
        // Payments: first response in 24 working hours; two days later it is overdue.
        clock.advance(Duration::days(2));
        let (a, b) = tokio::join!(first.pass(), second.pass());
        let marked = a.unwrap().breaches_marked + b.unwrap().breaches_marked;
        assert_eq!(marked, 1, "{}", app.backend);
        assert_eq!(first.pass().await.unwrap().breaches_marked, 0);
        // The payments team's lead is told, once; another team's lead is not.
        let told: Vec<String> = app
            .app
            .store
            .claim_outbox(clock.now(), Duration::seconds(30), 50)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                Ok(OutboxEvent::Breach(b)) => Some(format!("{} {} {}", b.to, b.case_number, b.target)),
                _ => None,
            })
            .collect();
        assert_eq!(told, [format!("lead@desk.test {number} first_response")]);
        let (_, detail) = {
            agent(&app, "sla@desk.test", Role::Agent, &[]).await;
            let t = token(&app, "sla@desk.test", Scope::Read).await;
            api_get(&app, &t, &format!("/api/v1/tickets/{number}")).await
        };
        let breaches: Vec<&Value> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "sla_breached")
            .collect();
        assert_eq!(breaches.len(), 1, "{detail}");
        assert_eq!(breaches[0]["new_value"], "first_response");
        // A resolved case closes once its reopen window has passed.
        let c = app.case(&number).await;
        sportello::app::change::set_status(&app.app, &Principal::System, &number, Status::Resolved)
            .await
            .unwrap();
        assert_eq!(c.status, Status::New);
        clock.advance(Duration::days(7) + Duration::seconds(1));
        assert_eq!(first.pass().await.unwrap().closed, 1);
        assert_eq!(app.case(&number).await.status, Status::Closed);
    }
}

#[tokio::test]
async fn every_case_action_is_checked_and_leaves_its_audit_row() {
    for app in backends().await {
        agent(&app, "ivo@desk.test", Role::Agent, &["payments"]).await;
        agent(&app, "una@desk.test", Role::Agent, &[]).await;
        let t = token(&app, "ivo@desk.test", Scope::Write).await;
        let mut request = complete(80);
        request["language"] = json!("it");
        request.as_object_mut().unwrap().remove("amount");
        let number = case(&app, &request).await;
        let other = case(&app, &complete(81)).await;
        let path = |action: &str| format!("/api/v1/tickets/{number}/{action}");
        // Request information: the missing field, in the customer's language; then it waits.
        let (status, body) = api_post(&app, &t, &path("request-info"), json!({}), None).await;
        assert_eq!(status, 201, "{} {body}", app.backend);
        let c = app.case(&number).await;
        assert_eq!(c.status, Status::PendingCustomer);
        let asked = app.app.store.messages(c.id).await.unwrap().pop().unwrap().body;
        assert!(
            asked.starts_with("Per proseguire") && asked.contains("Importo"),
            "{asked}"
        );
        // Priority and category need a reason; urgent only where the category allows it.
        let (status, body) = api_post(
            &app,
            &t,
            &path("priority"),
            json!({"priority": "high", "reason": " "}),
            None,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "reason");
        let (status, _) = api_post(
            &app,
            &t,
            &path("priority"),
            json!({"priority": "high", "reason": "VIP"}),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let before = app.case(&number).await;
        let moved = json!({"category": "groups", "subcategory": "removed", "reason": "about a group"});
        let (status, _) = api_post(&app, &t, &path("category"), moved, None).await;
        assert_eq!(status, 200);
        let after = app.case(&number).await;
        assert_eq!(
            (after.category.as_str(), after.subcategory.as_str()),
            ("groups", "removed")
        );
        assert_ne!(
            after.resolution_due, before.resolution_due,
            "due times follow the targets"
        );
        assert_ne!(after.team, before.team, "the new category's team owns it");
        let (status, body) = api_post(
            &app,
            &t,
            &path("priority"),
            json!({"priority": "urgent", "reason": "x"}),
            None,
        )
        .await;
        assert_eq!(status, 409, "groups cases cannot be urgent");
        assert_eq!(body["reason"], "never_urgent", "{body}");
        // On the desk, the refusal is worded in the agent's language.
        let mut desk = signed_in(&app, "ivo@desk.test").await;
        desk.accept_language = Some("it".to_owned());
        desk.get(&format!("/desk/cases/{number}")).await;
        let page = desk
            .post(
                &format!("/desk/cases/{number}/priority"),
                Form::new().text("priority", "urgent").text("reason", "x"),
            )
            .await;
        assert_eq!(page.status, 409);
        assert!(page.text().contains("non possono essere urgenti"), "{}", page.text());
        let (status, body) = api_post(
            &app,
            &t,
            &path("category"),
            json!({"category": "groups", "subcategory": "x", "reason": "y"}),
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("unknown_subcategory"))
        );
        // Assign to another agent; link to another case.
        let una = app
            .app
            .store
            .agent_by_email(&"una@desk.test".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        // An agent takes work but hands none to others: that is a lead's (SPEC §6).
        let (status, _) = api_post(&app, &t, &path("assign"), json!({"agent": una.id.0}), None).await;
        assert_eq!(status, 403);
        agent(&app, "lou@desk.test", Role::Lead, &[]).await;
        let lead = token(&app, "lou@desk.test", Scope::Write).await;
        let (status, _) = api_post(&app, &lead, &path("assign"), json!({"agent": una.id.0}), None).await;
        assert_eq!(status, 200);
        assert_eq!(app.case(&number).await.assignee, Some(una.id));
        let (status, _) = api_post(&app, &t, &path("take"), json!({}), None).await;
        assert_eq!(status, 403, "nor takes a case another agent has");
        let (status, _) = api_post(&app, &t, &path("link"), json!({"case": other}), None).await;
        assert_eq!(status, 200);
        let (status, again) = api_post(&app, &t, &path("link"), json!({"case": other}), None).await;
        assert_eq!((status, &again["changed"]), (200, &json!(false)));
        // Each change is in the timeline, by whom, before and after.
        let (_, detail) = api_get(&app, &t, &format!("/api/v1/tickets/{number}")).await;
        let actions: Vec<&str> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for wanted in [
            "case_request_info",
            "case_status",
            "case_priority",
            "case_category",
            "case_assigned",
            "case_linked",
        ] {
            assert!(actions.contains(&wanted), "{wanted} missing from {actions:?}");
        }
        let (_, linked) = api_get(&app, &t, &format!("/api/v1/tickets/{other}")).await;
        assert!(linked["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "case_linked"));
        // The desk's page offers the same actions, and shows the link.
        let mut desk = signed_in(&app, "ivo@desk.test").await;
        let page = desk.get(&format!("/desk/cases/{number}")).await;
        for action in [
            "assign",
            "request-info",
            "category",
            "link",
            "priority",
            "status",
            "take",
            "reply",
        ] {
            assert!(
                page.html.contains(&format!("/desk/cases/{number}/{action}")),
                "{action}"
            );
        }
        assert!(page.html.contains(&format!("/desk/cases/{other}")));
    }
}

#[tokio::test]
async fn an_invited_agent_sets_a_password_once_and_signs_in() {
    for app in backends().await {
        let added = add_agent(
            &app.app,
            &Principal::System,
            AgentInput {
                email: "new@desk.test".to_owned(),
                name: "New".to_owned(),
                role: Role::Agent,
                teams: Vec::new(),
                password: None,
                mail_link: false,
            },
        )
        .await
        .unwrap();
        let link = added.link.unwrap();
        let path = link.strip_prefix("http://sportello.test").unwrap().to_owned();
        let mut v = Visitor::new(&app);
        assert_eq!(v.get(&path).await.status, 200);
        let short = v.post(&path, Form::new().text("password", "short")).await;
        assert_eq!(short.status, 422, "{}", app.backend);
        let set = v.post(&path, Form::new().text("password", PASSWORD)).await;
        assert_eq!((set.status, set.location()), (303, "/desk/login".to_owned()));
        // Used up: the link opens nothing any more.
        assert_eq!(v.get(&path).await.status, 404);
        assert_eq!(
            v.post(&path, Form::new().text("password", "another long password"))
                .await
                .status,
            404
        );
        signed_in(&app, "new@desk.test").await;
        assert_eq!(v.get("/desk/password/not-a-token").await.status, 404);
    }
}

#[tokio::test]
async fn admins_invite_re_role_re_team_and_disable_agents_on_the_page() {
    for app in backends().await {
        agent(&app, "root@desk.test", Role::Admin, &[]).await;
        agent(&app, "plain@desk.test", Role::Agent, &[]).await;
        let mut plain = signed_in(&app, "plain@desk.test").await;
        assert_eq!(plain.get("/desk/admin").await.status, 403, "{}", app.backend);
        assert_eq!(plain.get("/desk/admin/audit").await.status, 403);
        let mut admin = signed_in(&app, "root@desk.test").await;
        let page = admin.get("/desk/admin").await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("plain@desk.test"));
        let payments = app
            .app
            .store
            .teams()
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "payments")
            .unwrap();
        let invited = admin
            .post(
                "/desk/admin/agents",
                Form::new()
                    .text("name", "Zoe")
                    .text("email", "zoe@desk.test")
                    .text("role", "lead")
                    .text("team", payments.id.0.to_string()),
            )
            .await;
        assert_eq!(invited.status, 200);
        assert!(invited.html.contains("/desk/password/"), "the link is shown once");
        // And it goes to the new agent by mail, through the outbox.
        let invitations: Vec<_> = app
            .app
            .store
            .claim_outbox(app.app.clock.now(), Duration::seconds(30), 50)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                Ok(OutboxEvent::Invitation(i)) => Some((r.ticket_id, i)),
                _ => None,
            })
            .collect();
        assert_eq!(invitations.len(), 1, "{}", app.backend);
        let (ticket, invitation) = &invitations[0];
        assert_eq!(
            (ticket, invitation.to.as_str(), invitation.invited_by.as_str()),
            (&None, "zoe@desk.test", "root")
        );
        let link = invitation.link.as_deref().unwrap();
        assert!(invited
            .html
            .contains(link.strip_prefix("http://sportello.test").unwrap()));
        let zoe = app
            .app
            .store
            .agent_by_email(&"zoe@desk.test".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((zoe.role, zoe.teams.clone()), (Role::Lead, vec![payments.id]));
        let plain_id = app
            .app
            .store
            .agent_by_email(&"plain@desk.test".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let changed = admin
            .post(
                &format!("/desk/admin/agents/{}", plain_id.0),
                Form::new().text("role", "lead").text("team", payments.id.0.to_string()),
            )
            .await;
        assert_eq!(changed.status, 303);
        let record = app.app.store.agent(plain_id).await.unwrap().unwrap();
        assert_eq!((record.role, record.teams), (Role::Lead, vec![payments.id]));
        // Disabled from the page: the agent's open session stops at once.
        let disabled = admin
            .post(&format!("/desk/admin/agents/{}/disable", plain_id.0), Form::new())
            .await;
        assert_eq!(disabled.status, 303);
        assert_eq!(plain.get("/desk").await.status, 303);
        // Every change is in the audit log, and the CSV has it, formulas defused.
        let formula = TeamInput {
            name: "=HYPERLINK(\"http://evil.test\")".to_owned(),
            owns: Vec::new(),
            restricted: false,
        };
        add_team(&app.app, &Principal::System, formula).await.unwrap();
        let csv = admin.get("/desk/admin/audit.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = csv.html;
        assert!(text.starts_with("id,at,actor_id,actor,action,case"), "{text}");
        for action in [
            "agent_created",
            "agent_role",
            "agent_teams",
            "agent_disabled",
            "sign_in",
        ] {
            assert!(text.contains(action), "{action} missing:\n{text}");
        }
        assert!(
            text.contains("'=HYPERLINK") && !text.contains(",=HYPERLINK") && !text.contains("\"=HYPERLINK"),
            "{text}"
        );
        let page = admin.get(&format!("/desk/admin/audit?agent={}", plain_id.0)).await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("Role changed"));
    }
}

#[tokio::test]
async fn an_agent_keeps_their_profile_password_sessions_and_tokens() {
    for app in backends().await {
        agent(&app, "pia@desk.test", Role::Agent, &[]).await;
        let mut here = signed_in(&app, "pia@desk.test").await;
        let mut there = signed_in(&app, "pia@desk.test").await;
        let page = here.get("/desk/profile").await;
        assert_eq!(page.status, 200, "{}", app.backend);
        let saved = here
            .post(
                "/desk/profile",
                Form::new()
                    .text("name", "Pia Rossi")
                    .text("language", "it")
                    .text("time_zone", "Europe/Rome"),
            )
            .await;
        assert_eq!(saved.status, 303);
        let page = here.get("/desk").await;
        assert!(
            page.html.contains("Pia Rossi") && page.html.contains("lang=\"it\""),
            "{}",
            page.html
        );
        // Audited like every change to an agent: before and after.
        let rows = app
            .app
            .store
            .audit_log(sportello::store::AuditQuery {
                limit: 20,
                ..Default::default()
            })
            .await
            .unwrap();
        let profile = rows
            .iter()
            .find(|r| r.entry.action.as_str() == "agent_profile")
            .expect("an audit row for the profile change");
        assert_eq!(profile.entry.old_value.as_deref(), Some("pia; en; UTC"));
        assert_eq!(profile.entry.new_value.as_deref(), Some("Pia Rossi; it; Europe/Rome"));
        let bad_zone = here
            .post(
                "/desk/profile",
                Form::new()
                    .text("name", "Pia")
                    .text("language", "it")
                    .text("time_zone", "Mars/Base"),
            )
            .await;
        assert_eq!(bad_zone.status, 422);
        // The password needs the current one.
        let wrong = here
            .post(
                "/desk/profile/password",
                Form::new()
                    .text("current_password", "not it at all")
                    .text("new_password", "a brand new pass phrase"),
            )
            .await;
        assert_eq!(wrong.status, 422);
        // A token, shown once, then revoked: it stops at once.
        let made = here
            .post(
                "/desk/profile/tokens",
                Form::new().text("name", "laptop").text("scope", "read"),
            )
            .await;
        assert_eq!(made.status, 200);
        let token = made.html.split("sp_").nth(1).unwrap().split('<').next().unwrap();
        let token = format!("sp_{token}");
        assert_eq!(api_get(&app, &token, "/api/v1/tickets").await.0, 200);
        let id = app
            .app
            .store
            .tokens_of(
                app.app
                    .store
                    .agent_by_email(&"pia@desk.test".parse().unwrap())
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
            )
            .await
            .unwrap()[0]
            .id;
        assert_eq!(
            here.post(&format!("/desk/profile/tokens/{id}/revoke"), Form::new())
                .await
                .status,
            303
        );
        assert_eq!(api_get(&app, &token, "/api/v1/tickets").await.0, 401);
        // Sign out everywhere: the other browser is signed out too.
        assert_eq!(there.get("/desk").await.status, 200);
        let out = here.post("/desk/logout", Form::new().text("everywhere", "1")).await;
        assert_eq!((out.status, out.location()), (303, "/desk/login".to_owned()));
        assert_eq!(there.get("/desk").await.status, 303);
    }
}

/// The code an authenticator app shows at `at` for `secret` (base32).
fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".to_owned()).unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap())
}

#[tokio::test]
async fn an_authenticator_app_adds_a_code_that_is_good_once() {
    let clock = Clock::fixed("2026-12-01T10:00:05Z".parse::<DateTime<Utc>>().unwrap());
    for app in backends_with(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await
    {
        agent(&app, "tess@desk.test", Role::Agent, &[]).await;
        let mut v = signed_in(&app, "tess@desk.test").await;
        assert_eq!(v.post("/desk/profile/totp", Form::new()).await.status, 303);
        let page = v.get("/desk/profile").await;
        assert!(page.html.contains("<svg"), "a QR code to scan");
        let secret = page
            .html
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        assert!(secret.len() >= 32, "{secret}");
        let wrong = v
            .post("/desk/profile/totp/confirm", Form::new().text("totp", "000000"))
            .await;
        assert_eq!(wrong.status, 422, "{}", app.backend);
        let confirmed = v
            .post(
                "/desk/profile/totp/confirm",
                Form::new().text("totp", code_at(&secret, clock.now())),
            )
            .await;
        assert_eq!(confirmed.status, 303);
        // Signing in now needs the code; the same code works once.
        let attempt = |code: Option<String>| {
            let app = &app;
            async move {
                let mut b = Visitor::new(app);
                b.get("/desk/login").await;
                let mut form = Form::new().text("email", "tess@desk.test").text("password", PASSWORD);
                if let Some(code) = code {
                    form = form.text("totp", code);
                }
                b.post("/desk/login", form).await.status
            }
        };
        assert_eq!(attempt(None).await, 401);
        assert_eq!(attempt(Some("123456".to_owned())).await, 401);
        // The confirming code used its step up; the app's next code (30 s on) signs in, once.
        assert_eq!(
            attempt(Some(code_at(&secret, clock.now()))).await,
            401,
            "a code is good once"
        );
        clock.advance(Duration::seconds(30));
        let code = code_at(&secret, clock.now());
        assert_eq!(attempt(Some(code.clone())).await, 303);
        assert_eq!(attempt(Some(code)).await, 401, "a code is good once");
        // A code from two steps ago is too old.
        clock.advance(Duration::seconds(90));
        assert_eq!(
            attempt(Some(code_at(&secret, clock.now() - Duration::seconds(60)))).await,
            401
        );
        // Turned off with the password, sign-in is as before (once the failures above have aged
        // out of the throttle's window: five of them would hold the account).
        clock.advance(Duration::minutes(16));
        let off = v
            .post("/desk/profile/totp/off", Form::new().text("current_password", PASSWORD))
            .await;
        assert_eq!(off.status, 303);
        assert_eq!(attempt(None).await, 303);
    }
}

#[tokio::test]
async fn a_merged_case_leads_its_customer_and_their_mail_to_the_target() {
    for app in backends().await {
        agent(&app, "max2@desk.test", Role::Agent, &[]).await;
        let t = token(&app, "max2@desk.test", Scope::Write).await;
        let (_, first) = read(app.post_json(&complete(90)).await).await;
        let mut again = complete(91);
        again["phone"] = complete(90)["phone"].clone();
        let (_, second) = read(app.post_json(&again).await).await;
        let target = first["case_number"].as_str().unwrap().to_owned();
        let source = second["case_number"].as_str().unwrap().to_owned();
        let source_link = second["status_url"].as_str().unwrap().to_owned();
        // The same phone under another address: a linked possible duplicate, for the agent.
        assert_eq!(
            app.case(&source).await.related_to,
            Some(app.case(&target).await.id),
            "{}",
            app.backend
        );
        api_post(
            &app,
            &t,
            &format!("/api/v1/tickets/{source}/notes"),
            json!({"body": "same person"}),
            None,
        )
        .await;
        let (status, _) = api_post(
            &app,
            &t,
            &format!("/api/v1/tickets/{source}/merge"),
            json!({"into": target}),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let merged = app.case(&source).await;
        assert_eq!(
            (merged.status, merged.merged_into),
            (Status::Merged, Some(app.case(&target).await.id))
        );
        let (status, _) = api_post(
            &app,
            &t,
            &format!("/api/v1/tickets/{target}/merge"),
            json!({"into": target}),
            None,
        )
        .await;
        assert_eq!(status, 409, "not into itself");
        // The messages moved; the merged request's words are in the target's timeline.
        let (_, detail) = api_get(&app, &t, &format!("/api/v1/tickets/{target}")).await;
        let bodies: Vec<&str> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["body"].as_str().unwrap())
            .collect();
        assert!(
            bodies.iter().any(|b| b.starts_with(&format!("[{source}]"))),
            "{bodies:?}"
        );
        assert!(bodies.contains(&"same person"), "{bodies:?}");
        // The source's status link leads to the target, with the same token.
        let mut customer = Visitor::new(&app);
        let page = customer.get(&source_link).await;
        assert_eq!(page.status, 303);
        assert!(
            page.location().starts_with(&format!("/status/{target}?t=")),
            "{}",
            page.location()
        );
        assert_eq!(customer.get(&page.location()).await.status, 200);
        // A reply on the merged case's mail thread joins the target.
        let id = app.our_message_id(&source, "confirmation");
        let mail = format!(
            "From: cliente91@gmail.com\r\nTo: support@sportello.test\r\nSubject: Re: [{source}]\r\nMessage-ID: <m{}@mail.test>\r\n\
             In-Reply-To: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAny news?\r\n",
            rand::random::<u64>()
        );
        let filed = sportello::app::ingest::ingest(&app.app, bytes::Bytes::from(mail))
            .await
            .unwrap();
        assert!(format!("{filed:?}").contains(&target), "{filed:?}");
    }
}

#[tokio::test]
async fn a_note_mails_the_agents_it_mentions_who_may_see_the_case() {
    for app in backends().await {
        safety_team(&app).await;
        agent(&app, "rita@desk.test", Role::Agent, &["safety"]).await;
        agent(&app, "sam@desk.test", Role::Agent, &["payments"]).await;
        let writer = token(&app, "rita@desk.test", Scope::Write).await;
        let mut scam = complete(95);
        scam["category"] = json!("security");
        scam["subcategory"] = json!("support_scam");
        scam.as_object_mut().unwrap().remove("transaction_id");
        scam.as_object_mut().unwrap().remove("amount");
        let hidden = case(&app, &scam).await;
        let open = case(&app, &complete(96)).await;
        let note = json!({"body": "@sam, @rita and @nobody: please look. Mail me at x@y.z"});
        for number in [&hidden, &open] {
            let (status, _) = api_post(
                &app,
                &writer,
                &format!("/api/v1/tickets/{number}/notes"),
                note.clone(),
                None,
            )
            .await;
            assert_eq!(status, 201);
        }
        let mentions: Vec<(String, String)> = app
            .app
            .store
            .claim_outbox(app.app.clock.now(), Duration::seconds(30), 50)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                Ok(OutboxEvent::Mention(m)) => Some((m.to.to_string(), m.case_number)),
                _ => None,
            })
            .collect();
        // Sam is told of the open case only (the restricted one does not exist for him); Rita
        // wrote the note; nobody is nobody.
        assert_eq!(
            mentions,
            [("sam@desk.test".to_owned(), open.clone())],
            "{}",
            app.backend
        );
    }
}

#[tokio::test]
async fn when_the_admin_requires_it_every_agent_sets_up_an_authenticator_first() {
    let clock = Clock::fixed("2026-12-01T11:00:05Z".parse::<DateTime<Utc>>().unwrap());
    for app in backends_with(Options {
        clock: Some(clock.clone()),
        require_totp: true,
        ..Options::default()
    })
    .await
    {
        agent(&app, "una2@desk.test", Role::Agent, &[]).await;
        let mut v = signed_in(&app, "una2@desk.test").await;
        let queue = v.get("/desk").await;
        assert_eq!(
            (queue.status, queue.location()),
            (303, "/desk/profile#authenticator".to_owned()),
            "{}",
            app.backend
        );
        assert_eq!(
            v.get("/desk/profile").await.status,
            200,
            "the profile stays open to set it up"
        );
        assert_eq!(v.post("/desk/profile/totp", Form::new()).await.status, 303);
        let page = v.get("/desk/profile").await;
        let secret = page
            .html
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        let done = v
            .post(
                "/desk/profile/totp/confirm",
                Form::new().text("totp", code_at(&secret, clock.now())),
            )
            .await;
        assert_eq!(done.status, 303);
        assert_eq!(
            v.get("/desk").await.status,
            200,
            "with the authenticator set up, the desk opens"
        );
    }
}

#[tokio::test]
async fn admins_make_teams_and_move_a_part_of_the_catalog_to_them_on_the_page() {
    for app in backends().await {
        agent(&app, "root@desk.test", Role::Admin, &[]).await;
        agent(&app, "pay@desk.test", Role::Agent, &["payments"]).await;
        let number = case(&app, &complete(90)).await;
        let pay = token(&app, "pay@desk.test", Scope::Read).await;
        assert_eq!(api_get(&app, &pay, &format!("/api/v1/tickets/{number}")).await.0, 200);
        let mut plain = signed_in(&app, "pay@desk.test").await;
        plain.get("/desk").await;
        let refused = plain.post("/desk/admin/teams", Form::new().text("name", "mine")).await;
        assert_eq!(refused.status, 403, "{}", app.backend);

        let mut admin = signed_in(&app, "root@desk.test").await;
        admin.get("/desk/admin").await;
        let made = admin
            .post(
                "/desk/admin/teams",
                Form::new().text("name", "refunds").text("owns", "payments/refund"),
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.html);
        let teams = app.app.store.teams().await.unwrap();
        let refunds = teams.iter().find(|t| t.name == "refunds").unwrap();
        assert_eq!(refunds.owns, [("payments".to_owned(), "refund".to_owned())]);
        assert!(!refunds.restricted);
        // The refund case moved with its sub-category; the page lists the team with its part.
        assert_eq!(app.case(&number).await.team, Some(refunds.id));
        let page = admin.get("/desk/admin").await;
        assert!(page.text().contains("refunds"), "{}", page.text());
        // Restricted now: the payments agent no longer sees it, anywhere.
        let changed = admin
            .post(
                &format!("/desk/admin/teams/{}", refunds.id.0),
                Form::new().text("restricted", "1").text("takes", ""),
            )
            .await;
        assert_eq!(changed.status, 303, "{}", changed.html);
        assert_eq!(api_get(&app, &pay, &format!("/api/v1/tickets/{number}")).await.0, 404);
        assert!(numbers(&api_get(&app, &pay, "/api/v1/tickets").await.1).is_empty());
        // A part the catalog lacks is refused and changes nothing.
        let wrong = admin
            .post(
                &format!("/desk/admin/teams/{}", refunds.id.0),
                Form::new().text("restricted", "1").text("takes", "payments/nothing"),
            )
            .await;
        assert_eq!(wrong.status, 409);
        let audit = app
            .app
            .store
            .audit_log(sportello::store::AuditQuery {
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        let team_rows: Vec<(String, Option<String>)> = audit
            .iter()
            .filter(|r| r.entry.team == Some(refunds.id) && r.entry.ticket.is_none())
            .map(|r| (r.entry.action.to_string(), r.entry.new_value.clone()))
            .collect();
        assert_eq!(
            team_rows,
            [
                (
                    "team_changed".to_owned(),
                    Some("refunds (restricted) owns payments/refund; manual up to 10".to_owned())
                ),
                (
                    "team_created".to_owned(),
                    Some("refunds owns payments/refund".to_owned())
                ),
            ]
        );
    }
}
