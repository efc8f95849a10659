//! SPEC §10's business accounts through the API, on both backends: an organisation's people are
//! known by domain, sub-domain or phone; verified and unverified targets; the monthly quota in the
//! organisation's own month; `over_quota` on the case, in the queue and in the month's CSV.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sportello::app::Clock;
use sportello_domain::access::{Role, Scope};
use sportello_domain::catalog::Catalog;
use sportello_domain::organisation::Business;
use sportello_domain::triage::{due, Priority, Standing};

use crate::desk::{agent, api_get, api_post, token};
use crate::helpers::{backends_with, complete, read, Options, TestApp};

fn request(email: &str, phone: &str) -> Value {
    let mut r = complete(1);
    r["email"] = json!(email);
    r["phone"] = json!(phone);
    r
}

async fn opened(app: &TestApp, r: &Value) -> (String, Value) {
    let (status, body) = read(app.post_json(r).await).await;
    assert_eq!(status, 201, "{body}");
    let number = body["case_number"].as_str().unwrap().to_owned();
    (number, body)
}

/// The due times the API gave, against the domain's rule for the standing the test expects.
fn assert_due(body: &Value, at: DateTime<Utc>, business: Option<Business>) {
    let catalog = Catalog::builtin();
    let expected = due(
        &catalog,
        catalog.category("payments").unwrap(),
        "refund",
        Priority::Normal,
        Standing {
            penalised: false,
            business,
        },
        at,
    );
    let first: DateTime<Utc> = body["first_response_due"].as_str().unwrap().parse().unwrap();
    assert_eq!(first, expected.first_response_due, "{business:?}: {body}");
}

#[tokio::test]
async fn an_organisation_s_people_get_its_targets_and_its_quota_in_its_own_month() {
    // The last evening of January in UTC, already February in Rome: Acme counts by Rome's month.
    let start: DateTime<Utc> = "2026-01-31T21:00:00Z".parse().unwrap();
    let clock = Clock::fixed(start);
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        clock.set(start);
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let acme = json!({"name": "Acme", "verified": true, "domains": ["acme.it"], "phones": ["+39 02 1234 5678"],
            "monthly_quota": 2, "time_zone": "Europe/Rome"});
        let (status, body) = api_post(&app, &boss, "/api/v1/organisations", acme, None).await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = api_post(
            &app,
            &boss,
            "/api/v1/organisations",
            json!({"name": "Beta", "domains": ["beta.com"]}),
            None,
        )
        .await;
        assert_eq!(status, 201);

        // 22:00 in Rome on 31 January: two cases, within the free quota, verified targets.
        let (first, body) = opened(&app, &request("anna@acme.it", "+39 345 1110001")).await;
        assert_due(&body, start, Some(Business::Verified));
        let (second, _) = opened(&app, &request("bruno@sales.acme.it", "+39 345 1110002")).await;
        // A third by the organisation's phone from a Gmail address: beyond the quota.
        let (third, _) = opened(&app, &request("carla.rossi@gmail.com", "+39 02 1234 5678")).await;
        // Not a business contact; and Beta's, unverified, slower.
        let (plain, body) = opened(&app, &request("dario@gmail.com", "+39 345 1110004")).await;
        assert_due(&body, start, None);
        let (beta, body) = opened(&app, &request("eva@beta.com", "+39 345 1110005")).await;
        assert_due(&body, start, Some(Business::Unverified));

        let shown = |number: String| {
            let boss = boss.clone();
            let app = &app;
            async move { api_get(app, &boss, &format!("/api/v1/tickets/{number}")).await.1 }
        };
        for (number, org, standing, over) in [
            (&first, "Acme", "verified", false),
            (&second, "Acme", "verified", false),
            (&third, "Acme", "verified", true),
            (&beta, "Beta", "unverified", false),
        ] {
            let case = shown(number.clone()).await;
            assert_eq!(case["organisation"]["name"], org, "{case}");
            assert_eq!(case["business"], standing);
            let flagged = case["flags"].as_array().unwrap().contains(&json!("over_quota"));
            assert_eq!(flagged, over, "{number}: {case}");
        }
        let case = shown(plain.clone()).await;
        assert_eq!(case["organisation"], Value::Null);
        assert_eq!(case["business"], Value::Null);

        // In the queue too.
        let (_, queue) = api_get(&app, &boss, "/api/v1/tickets?view=all").await;
        let flagged: Vec<&str> = queue["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["flags"].as_array().unwrap().contains(&json!("over_quota")))
            .map(|t| t["case_number"].as_str().unwrap())
            .collect();
        assert_eq!(flagged, [third.as_str()]);

        // 23:30 UTC is 00:30 on 1 February in Rome: a new month, a fresh quota.
        clock.set("2026-01-31T23:30:00Z".parse().unwrap());
        let (february, _) = opened(&app, &request("franca@acme.it", "+39 345 1110006")).await;
        let case = shown(february.clone()).await;
        assert!(
            !case["flags"].as_array().unwrap().contains(&json!("over_quota")),
            "{case}"
        );

        // The month's list for billing: January (Rome) holds the third case only.
        let csv = app
            .client
            .get(format!(
                "{}/api/v1/organisations/over-quota.csv?month=2026-01",
                app.address
            ))
            .bearer_auth(&boss)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "organisation,case_number,created_at");
        assert_eq!(
            lines[1..],
            [format!("Acme,{third},2026-01-31T21:00:00+00:00")],
            "{text}"
        );
        let (status, _) = read(
            app.client
                .get(format!(
                    "{}/api/v1/organisations/over-quota.csv?month=2026-13",
                    app.address
                ))
                .bearer_auth(&boss)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 422);
    }
}

#[tokio::test]
async fn organisations_refuse_what_cannot_identify_people_and_only_admins_keep_them() {
    for app in backends_with(Options::default()).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let boss = token(&app, "boss@desk.test", Scope::Write).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        let bad = json!({"name": " ", "domains": ["gmail.com"], "phones": ["02 1234"], "monthly_quota": -1,
            "time_zone": "Mars/Olympus"});
        let (status, body) = api_post(&app, &boss, "/api/v1/organisations", bad, None).await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["name", "domains", "phones", "monthly_quota", "time_zone"],
            "{body}"
        );

        let acme = json!({"name": "Acme", "domains": ["Acme.IT"]});
        let (status, body) = api_post(&app, &boss, "/api/v1/organisations", acme.clone(), None).await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_i64().unwrap();
        for taken in [acme, json!({"name": "Other", "domains": ["acme.it"]})] {
            let (status, body) = api_post(&app, &boss, "/api/v1/organisations", taken, None).await;
            assert_eq!(
                (status, body["reason"].clone()),
                (409, json!("organisation_taken")),
                "{body}"
            );
        }
        let (status, _) = api_post(&app, &ada, "/api/v1/organisations", json!({"name": "Mine"}), None).await;
        assert_eq!(status, 403);
        let (status, _) = api_get(&app, &ada, "/api/v1/organisations").await;
        assert_eq!(status, 403);

        let (_, listed) = api_get(&app, &boss, "/api/v1/organisations").await;
        assert_eq!(listed["organisations"][0]["domains"], json!(["acme.it"]));
        assert_eq!(listed["organisations"][0]["monthly_quota"], 3, "the default quota");
        assert_eq!(listed["organisations"][0]["time_zone"], "UTC");
        let changed = app
            .client
            .put(format!("{}/api/v1/organisations/{id}", app.address))
            .bearer_auth(&boss)
            .json(&json!({"name": "Acme S.p.A.", "verified": true, "domains": ["acme.it", "acme.com"]}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(changed).await;
        assert_eq!((status, body["changed"].clone()), (200, json!(true)), "{body}");
        let removed = app
            .client
            .delete(format!("{}/api/v1/organisations/{id}", app.address))
            .bearer_auth(&boss)
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        // Its domains are free again.
        let (status, _) = api_post(
            &app,
            &boss,
            "/api/v1/organisations",
            json!({"name": "Acme", "domains": ["acme.it"]}),
            None,
        )
        .await;
        assert_eq!(status, 201);
        let (_, audit) = api_get(&app, &boss, "/api/v1/audit").await;
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("organisation"))
            .collect();
        assert_eq!(
            actions,
            [
                "organisation_created",
                "organisation_removed",
                "organisation_changed",
                "organisation_created"
            ]
        );
    }
}

#[tokio::test]
async fn admins_keep_organisations_on_the_desk_and_a_case_shows_its_verified_mark() {
    use reqwest::multipart::Form;
    for app in backends_with(Options::default()).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let mut desk = crate::desk::signed_in(&app, "boss@desk.test").await;
        let page = desk.get("/desk/admin/organisations").await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("No organisations yet."));

        // Refused as typed: a public mail domain, a time zone that is none.
        let refused = desk
            .post(
                "/desk/admin/organisations",
                Form::new()
                    .text("name", "Acme")
                    .text("domains", "gmail.com")
                    .text("time_zone", "Rome"),
            )
            .await;
        assert_eq!(refused.status, 422);
        let text = refused.text();
        assert!(text.contains("E-mail domains (one per line): "), "{text}");
        assert!(text.contains("Time zone of its months: "), "{text}");
        assert_eq!(refused.value_of("time_zone"), "Rome");

        let saved = desk
            .post(
                "/desk/admin/organisations",
                Form::new()
                    .text("name", "Acme")
                    .text("verified", "1")
                    .text("domains", "acme.it\nacme.com")
                    .text("phones", "+39 02 1234 5678")
                    .text("monthly_quota", "5")
                    .text("time_zone", "Europe/Rome"),
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.text());
        let squeezed = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let page = desk.get("/desk/admin/organisations").await;
        let text = squeezed(page.text());
        assert!(text.contains("Acme ✓ verified"), "{text}");
        assert!(page.html.contains("acme.com\nacme.it"), "{}", page.html);

        let (number, _) = opened(&app, &request("anna@acme.com", "+39 345 2220001")).await;
        let case = desk.get(&format!("/desk/cases/{number}")).await;
        let text = squeezed(case.text());
        assert!(text.contains("Organisation Acme ✓ verified"), "{text}");

        let mut ada = crate::desk::signed_in(&app, "ada@desk.test").await;
        assert_eq!(ada.get("/desk/admin/organisations").await.status, 403);
        let id = app.app.store.organisations().await.unwrap()[0].id.0;
        let removed = desk
            .post(&format!("/desk/admin/organisations/{id}/remove"), Form::new())
            .await;
        assert_eq!(removed.status, 303);
        assert!(desk
            .get("/desk/admin/organisations")
            .await
            .text()
            .contains("No organisations yet."));
    }
}
