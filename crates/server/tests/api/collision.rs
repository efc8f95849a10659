//! Collision (SPEC §7): the case page names the other agents who have it open (fresh within
//! 10 s); a reply or note written on a view that has since gone stale is held, the new entry shown
//! and the text kept, until the agent sends again knowing of it.

use chrono::{DateTime, Duration, Utc};
use reqwest::multipart::Form;
use serde_json::{json, Value};
use sportello::app::Clock;
use sportello_domain::access::{Role, Scope};

use crate::desk::{agent, api_post, case, signed_in, token};
use crate::helpers::{backends_with, complete, Options};

#[tokio::test]
async fn two_agents_on_one_case_see_each_other_and_nobody_answers_blind() {
    let clock = Clock::fixed("2026-12-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "ann@desk.test", Role::Agent, &[]).await;
        agent(&app, "ben@desk.test", Role::Agent, &[]).await;
        let number = case(&app, &complete(60)).await;
        let page_path = format!("/desk/cases/{number}");
        let mut ann = signed_in(&app, "ann@desk.test").await;
        let mut ben = signed_in(&app, "ben@desk.test").await;
        let bens_view = ben.get(&page_path).await;
        assert!(bens_view.attr("viewers", "hidden").is_some(), "nobody else yet");
        let anns_view = ann.get(&page_path).await;
        assert_eq!(
            anns_view.text_of("viewers").trim(),
            "Also on this case now: ben",
            "{}",
            app.backend
        );
        let (_, others) = crate::helpers::read(ben.fetch(&format!("{page_path}/viewers")).await).await;
        assert_eq!(others, json!({"others": ["ann"]}));

        // Ann answers; Ben, still on the page he opened before, writes too: held, not sent.
        let reply = |body: &str, seen: String| {
            Form::new()
                .text("kind", "reply")
                .text("body", body.to_owned())
                .text("seen", seen)
        };
        let sent = ann
            .post(
                &format!("{page_path}/reply"),
                reply("Refund done, Ann", anns_view.value_of("seen")),
            )
            .await;
        assert_eq!(sent.status, 303);
        let id = app.case(&number).await.id;
        let messages = || async { app.app.store.messages(id).await.unwrap().len() };
        assert_eq!(messages().await, 1);
        let held = ben
            .post(
                &format!("{page_path}/reply"),
                reply("I am on it, Ben", bens_view.value_of("seen")),
            )
            .await;
        assert_eq!(held.status, 409, "{}", app.backend);
        assert_eq!(messages().await, 1, "nothing written");
        assert!(held.text().contains("Something new arrived"), "{}", held.text());
        assert!(
            held.attr_of("article.entry.new", "class").is_some(),
            "Ann's reply marked new"
        );
        assert_eq!(held.value("body"), "I am on it, Ben", "his text kept");
        // Having seen it, he sends from the page he was shown: it goes.
        let again = ben
            .post(
                &format!("{page_path}/reply"),
                reply("I am on it, Ben", held.value_of("seen")),
            )
            .await;
        assert_eq!(again.status, 303, "{}", again.html);
        assert_eq!(messages().await, 2);

        // Over the API: a stale `seen` is a 409 with its reason; `confirm` sends regardless.
        let t = token(&app, "ann@desk.test", Scope::Write).await;
        let path = format!("/api/v1/tickets/{number}/notes");
        let (status, body): (u16, Value) = api_post(&app, &t, &path, json!({"body": "n", "seen": 1}), None).await;
        assert_eq!((status, body["reason"].as_str()), (409, Some("newer_entry")));
        let (status, _) = api_post(&app, &t, &path, json!({"body": "n", "seen": 1, "confirm": true}), None).await;
        assert_eq!(status, 201);

        // Presence fades: 11 s after Ann's last sign, Ben no longer sees her.
        clock.advance(Duration::seconds(11));
        let (_, others) = crate::helpers::read(ben.fetch(&format!("{page_path}/viewers")).await).await;
        assert_eq!(others, json!({"others": []}));
    }
}
