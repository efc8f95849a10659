//! Probing for what exists (SPEC §6): a case someone may not see, an agent id, an e-mail at sign-in
//! answer exactly as what does not exist, in body and in time. Times are medians of interleaved
//! requests in one run, so the machine's noise falls on both sides alike; each comparison has a
//! control that shows the probe does see work when there is some.

use std::time::{Duration, Instant};

use reqwest::multipart::Form;
use serde_json::{json, Value};
use sportello::app::agents::{add_team, disable_agent, TeamInput};
use sportello::store::TicketId;
use sportello_domain::access::{Principal, Role, Scope};

use crate::desk::{agent, api_get, api_post, case, token};
use crate::helpers::{backends, complete, TestApp, Visitor};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The median times of reading two cases, each `(token, case)`, in turn (which goes first
/// alternates, so neither pays for the other's leftovers).
async fn timed(app: &TestApp, probes: [(&String, &String); 2]) -> (Duration, Duration) {
    let mut times: [Vec<Duration>; 2] = Default::default();
    for round in 0..201 {
        for i in [round % 2, 1 - round % 2] {
            let (who, case) = probes[i];
            let start = Instant::now();
            api_get(app, who, &format!("/api/v1/tickets/{case}")).await;
            times[i].push(start.elapsed());
        }
    }
    let [a, b] = times.map(median);
    (a, b)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// A restricted team's case; it carries `notes` internal notes, so reading it costs something.
async fn restricted_case(app: &TestApp, notes: usize) -> String {
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
    let mut scam = complete(40);
    scam["category"] = json!("security");
    scam["subcategory"] = json!("support_scam");
    let fields = scam.as_object_mut().unwrap();
    fields.remove("transaction_id");
    fields.remove("amount");
    let number = case(app, &scam).await;
    agent(app, "member@probe.test", Role::Agent, &["safety"]).await;
    let member = token(app, "member@probe.test", Scope::Write).await;
    for i in 0..notes {
        let body = json!({ "body": format!("note {i}: {}", "words ".repeat(40)) });
        let (status, _) = api_post(app, &member, &format!("/api/v1/tickets/{number}/notes"), body, None).await;
        assert_eq!(status, 201);
    }
    number
}

#[tokio::test]
async fn a_hidden_case_answers_as_a_missing_one_on_every_route_and_in_time() {
    for app in backends().await {
        let hidden = restricted_case(&app, 300).await;
        // A well-formed number (its check digit right) that no case has: what a prober would try.
        let unknown = &TicketId::from(987_654)
            .number(app.app.catalog.case_prefix())
            .unwrap()
            .to_string();
        let visible = case(&app, &complete(41)).await;
        agent(&app, "lead@probe.test", Role::Lead, &["payments"]).await;
        let outsider = token(&app, "lead@probe.test", Scope::Write).await;
        let posts = [
            ("reply", json!({"body": "hello"})),
            ("notes", json!({"body": "x"})),
            ("request-info", json!({})),
            ("take", json!({})),
            ("assign", json!({"team": 1})),
            ("status", json!({"status": "resolved"})),
            ("priority", json!({"priority": "low", "reason": "r"})),
            (
                "category",
                json!({"category": "payments", "subcategory": "failed", "reason": "r"}),
            ),
            ("link", json!({"case": visible})),
            ("merge", json!({"into": visible})),
        ];
        let (a, body_hidden) = api_get(&app, &outsider, &format!("/api/v1/tickets/{hidden}")).await;
        let (b, body_unknown) = api_get(&app, &outsider, &format!("/api/v1/tickets/{unknown}")).await;
        assert_eq!((a, &body_hidden), (b, &body_unknown), "{}", app.backend);
        assert_eq!(a, 404);
        for (verb, body) in posts {
            let on = |case: &str| format!("/api/v1/tickets/{case}/{verb}");
            let hidden_answer = api_post(&app, &outsider, &on(&hidden), body.clone(), Some("k1")).await;
            let unknown_answer = api_post(&app, &outsider, &on(unknown), body, Some("k2")).await;
            assert_eq!(hidden_answer, unknown_answer, "{verb} on {}", app.backend);
            assert_eq!(hidden_answer.0, 404, "{verb}");
        }
        // Naming the hidden case as the other end of a link or a merge: as naming nothing.
        for (verb, field) in [("link", "case"), ("merge", "into")] {
            let path = format!("/api/v1/tickets/{visible}/{verb}");
            let hidden_answer = api_post(&app, &outsider, &path, json!({ field: hidden }), None).await;
            let unknown_answer = api_post(&app, &outsider, &path, json!({ field: unknown }), None).await;
            assert_eq!(hidden_answer, unknown_answer, "{verb} to the hidden case");
        }
        let mut desk = crate::desk::signed_in(&app, "lead@probe.test").await;
        let page_hidden = desk.get(&format!("/desk/cases/{hidden}")).await;
        let page_unknown = desk.get(&format!("/desk/cases/{unknown}")).await;
        assert_eq!((page_hidden.status, &page_hidden.html), (404, &page_unknown.html));

        // In time: the outsider's probe of the hidden case costs what one of a missing case does,
        // while the same probe by a member, who is shown its 300 notes, visibly costs more.
        let member = token(&app, "member@probe.test", Scope::Read).await;
        let missing = unknown.to_owned();
        let (t_hidden, t_unknown) = timed(&app, [(&outsider, &hidden), (&outsider, &missing)]).await;
        let (t_member, t_missing) = timed(&app, [(&member, &hidden), (&member, &missing)]).await;
        println!(
            "{}: hidden {t_hidden:?} unknown {t_unknown:?}; member reading it {t_member:?} vs {t_missing:?}",
            app.backend
        );
        let probe = ratio(t_hidden, t_unknown);
        assert!(
            (0.67..1.5).contains(&probe),
            "hidden/unknown = {probe:.2} on {}",
            app.backend
        );
        assert!(
            ratio(t_member, t_missing) > 2.0,
            "the control: reading the case's notes should show ({t_member:?} vs {t_missing:?})"
        );
    }
}

#[tokio::test]
async fn assignment_does_not_tell_which_agents_exist_or_where_they_work() {
    for app in backends().await {
        let hidden = restricted_case(&app, 0).await;
        agent(&app, "lead@probe.test", Role::Lead, &["payments"]).await;
        agent(&app, "gone@probe.test", Role::Agent, &["safety"]).await;
        agent(&app, "outside@probe.test", Role::Agent, &["payments"]).await;
        agent(&app, "boss@probe.test", Role::Admin, &[]).await;
        disable_agent(&app.app, &Principal::System, "gone@probe.test")
            .await
            .unwrap();
        let id = |email: &str| {
            let app = &app;
            let email = email.to_owned();
            async move {
                app.app
                    .store
                    .agent_by_email(&email.parse().unwrap())
                    .await
                    .unwrap()
                    .unwrap()
                    .id
                    .0
            }
        };
        let (gone, outside) = (id("gone@probe.test").await, id("outside@probe.test").await);
        let boss = token(&app, "boss@probe.test", Scope::Write).await;
        let assign = |to: i64| {
            let (app, boss, hidden) = (&app, boss.clone(), hidden.clone());
            async move {
                api_post(
                    app,
                    &boss,
                    &format!("/api/v1/tickets/{hidden}/assign"),
                    json!({ "agent": to }),
                    None,
                )
                .await
            }
        };
        let answers: Vec<(u16, Value)> = vec![assign(987_654).await, assign(gone).await, assign(outside).await];
        assert_eq!(answers[0].0, 409, "{:?}", answers[0]);
        assert_eq!(answers[0].1["reason"], "agent_cannot_take");
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
        // The agents' list is for admins only: a lead cannot read the ids from it.
        let lead = token(&app, "lead@probe.test", Scope::Write).await;
        assert_eq!(api_get(&app, &lead, "/api/v1/agents").await.0, 403);
    }
}

#[tokio::test]
async fn sign_in_answers_an_unknown_address_as_a_wrong_password_in_body_and_time() {
    for app in backends().await {
        // Four known accounts, so no account reaches its 5 failures; 16 tries stay under the
        // 20 an address may make.
        for n in 0..4 {
            agent(&app, &format!("known{n}@probe.test"), Role::Agent, &[]).await;
        }
        let mut v = Visitor::new(&app);
        v.get("/desk/login").await;
        let (mut unknown, mut wrong, mut answers) = (Vec::new(), Vec::new(), Vec::new());
        for n in 0..8 {
            let tries = [
                (format!("nobody{n}@probe.test"), &mut unknown),
                (format!("known{}@probe.test", n % 4), &mut wrong),
            ];
            for (email, times) in tries {
                let form = Form::new().text("email", email).text("password", "not the password");
                let start = Instant::now();
                let page = v.post("/desk/login", form).await;
                times.push(start.elapsed());
                answers.push((page.status, page.html));
            }
        }
        let (t_unknown, t_wrong) = (median(unknown), median(wrong));
        assert_eq!(answers[0].0, 401, "{}", app.backend);
        for (i, a) in answers.iter().enumerate() {
            // The form shows back the address typed, and nothing else differs.
            let shown =
                a.1.replace(&format!("nobody{}@", i / 2), "X@")
                    .replace(&format!("known{}@", (i / 2) % 4), "X@");
            let first = answers[0].1.replace("nobody0@", "X@");
            assert_eq!((a.0, shown), (answers[0].0, first), "answer {i}");
        }
        let r = ratio(t_unknown, t_wrong);
        println!(
            "{}: unknown address {t_unknown:?}, wrong password {t_wrong:?}",
            app.backend
        );
        // Eight Argon2 checks a side are noisy; a missing check would make this ratio ~0.05.
        assert!((0.5..2.0).contains(&r), "unknown/wrong = {r:.2} on {}", app.backend);
    }
}
