//! Search (SPEC §11) against the real server on both backends: words in any form, in every part
//! of a case (contact, fields, description, messages, notes), ranked, with the passage marked;
//! numbers and ids that open their case; the queue's filters and permissions (a hidden case is
//! not found, not counted); pages that reach past the ranked window; hostile text.

use serde_json::{json, Value};
use sportello::app::queue::QueueRequest;
use sportello::app::search::{search_within, SearchRequest};
use sportello_domain::access::{Principal, Role, Scope};

use crate::desk::{agent, api_get, api_post, case, safety_team, signed_in, token};
use crate::helpers::{backends, complete, TestApp};

fn found(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["case_number"].as_str().unwrap().to_owned())
        .collect()
}

fn hits(result: &Value) -> Vec<String> {
    result["snippet_parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["hit"] == json!(true))
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let url = format!("/api/v1/search?q={}", urlencoding(query));
    let (status, body) = api_get(app, token, &url).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn request(n: u32, category: &str, subcategory: &str, description: &str) -> Value {
    let mut r = complete(n);
    r["category"] = json!(category);
    r["subcategory"] = json!(subcategory);
    r["description"] = json!(description);
    if category != "payments" {
        r.as_object_mut().unwrap().remove("transaction_id");
        r.as_object_mut().unwrap().remove("amount");
    }
    r
}

#[tokio::test]
async fn words_in_any_form_find_every_part_of_a_case_ranked_and_marked() {
    for app in backends().await {
        agent(&app, "ada@desk.test", Role::Agent, &[]).await;
        let t = token(&app, "ada@desk.test", Scope::Write).await;
        let mut paid = complete(1);
        paid["description"] = json!("Ho chiesto il rimborso di un pagamento doppio fatto ieri sera, ma niente.");
        paid["transaction_id"] = json!("WA987654321");
        let refund = case(&app, &paid).await;
        let english = case(
            &app,
            &request(
                2,
                "security",
                "account_stolen",
                "Someone stole my account yesterday and they refunded nothing, it is blocked now.",
            ),
        )
        .await;
        let blocked = case(
            &app,
            &request(
                3,
                "account",
                "banned",
                "Account bloccato. Bloccato da ieri, ancora bloccato oggi: perché?",
            ),
        )
        .await;
        let once = case(
            &app,
            &request(
                4,
                "account",
                "banned",
                "Da stamattina non riesco a entrare, l'app dice che l'account è stato bloccato per violazioni \
                 che non ho mai commesso, e il supporto non risponde alle mie mail da giorni.",
            ),
        )
        .await;

        // Italian plural finds the singular; an English form finds the English case.
        let body = search(&app, &t, "rimborsi").await;
        assert_eq!(found(&body), vec![refund.clone()], "{}: {body}", app.backend);
        assert_eq!(body["results"][0]["found_in"], "description");
        assert_eq!(hits(&body["results"][0]), ["rimborso"]);
        assert!(body["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("il rimborso di un pagamento"));
        assert_eq!(found(&search(&app, &t, "refunds").await), vec![english.clone()]);
        // Every word must be there; accents and case do not matter.
        assert_eq!(found(&search(&app, &t, "PERCHE bloccato").await), vec![blocked.clone()]);
        // Ranked: the case that says it three times in a few words before the one that says it once.
        let body = search(&app, &t, "bloccato").await;
        assert_eq!(found(&body), [blocked.clone(), once.clone()], "{}", app.backend);
        let ranks: Vec<f64> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rank"].as_f64().unwrap())
            .collect();
        assert!(ranks[0] > ranks[1] && ranks[1] > 0.0, "{ranks:?}");

        // The contact: an address, a phone number as people type it, with or without its code.
        assert_eq!(
            found(&search(&app, &t, "cliente3@gmail.com").await),
            vec![blocked.clone()]
        );
        for typed in ["+39 345 100 0004", "0039 3451000004", "345 100 0004"] {
            let body = search(&app, &t, typed).await;
            assert_eq!(found(&body), vec![once.clone()], "{typed}");
            assert_eq!(body["results"][0]["found_in"], "contact", "{typed}");
        }
        // A field's value: the transaction id.
        let body = search(&app, &t, "WA987654321").await;
        assert_eq!(found(&body), vec![refund.clone()]);
        assert_eq!(body["results"][0]["found_in"], "fields");

        // A reply and a note are found, each where it is, once written.
        let reply = format!("/api/v1/tickets/{english}/reply");
        let (status, _) = api_post(
            &app,
            &t,
            &reply,
            json!({"body": "We restored the account; change the PIN."}),
            None,
        )
        .await;
        assert_eq!(status, 201);
        let note = format!("/api/v1/tickets/{blocked}/notes");
        let (status, _) = api_post(
            &app,
            &t,
            &note,
            json!({"body": "Escalated to the integrity team."}),
            None,
        )
        .await;
        assert_eq!(status, 201);
        let body = search(&app, &t, "restoring").await;
        assert_eq!(
            (found(&body), body["results"][0]["found_in"].clone()),
            (vec![english.clone()], json!("reply"))
        );
        let body = search(&app, &t, "integrity").await;
        assert_eq!(
            (found(&body), body["results"][0]["found_in"].clone()),
            (vec![blocked.clone()], json!("note"))
        );

        // A case over is still found; the queue's filters narrow the search.
        let (status, _) = api_post(
            &app,
            &t,
            &format!("/api/v1/tickets/{english}/status"),
            json!({"status": "resolved"}),
            None,
        )
        .await;
        assert_eq!(status, 200, "{}", app.backend);
        assert_eq!(found(&search(&app, &t, "account").await).len(), 3);
        let (_, body) = api_get(&app, &t, "/api/v1/search?q=account&category=account").await;
        let mut of_account = found(&body);
        of_account.sort();
        assert_eq!(of_account, [blocked.clone(), once.clone()]);
        let (_, body) = api_get(&app, &t, "/api/v1/search?q=account&status=resolved").await;
        assert_eq!(found(&body), vec![english.clone()]);
        let (_, body) = api_get(&app, &t, "/api/v1/search?q=account&view=resolved&status=open").await;
        assert_eq!(found(&body), Vec::<String>::new(), "contradicting filters find nothing");

        // A merged case's words are found on the case it joined.
        let (status, _) = api_post(
            &app,
            &t,
            &format!("/api/v1/tickets/{once}/merge"),
            json!({"into": blocked}),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let body = search(&app, &t, "violazioni").await;
        assert!(found(&body).contains(&blocked), "{body}");

        // A case number finds its case first, whatever it is written like.
        let spaced = format!("{} {}", &refund[..6], &refund[6..]).to_lowercase();
        let body = search(&app, &t, &spaced).await;
        assert_eq!(body["case"], json!(refund));
        assert_eq!(found(&body)[0], refund);
        // The desk opens it, and an id only one case has.
        let mut desk = signed_in(&app, "ada@desk.test").await;
        for typed in [spaced.as_str(), "WA987654321"] {
            let page = desk.get(&format!("/desk/search?q={}", urlencoding(typed))).await;
            assert_eq!(
                (page.status, page.location()),
                (303, format!("/desk/cases/{refund}")),
                "{typed}"
            );
        }
        // Words show the results with the hits marked.
        let page = desk.get("/desk/search?q=rimborsi").await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("<mark>rimborso</mark>"), "{}", page.html);
        assert!(page.html.contains(&format!("/desk/cases/{refund}")));
    }
}

#[tokio::test]
async fn a_hidden_case_is_never_found_not_even_counted() {
    for app in backends().await {
        safety_team(&app).await;
        agent(&app, "out@desk.test", Role::Lead, &[]).await;
        agent(&app, "in@desk.test", Role::Agent, &["safety"]).await;
        let hidden = case(
            &app,
            &request(
                20,
                "security",
                "support_scam",
                "Un finto operatore mi ha chiesto il codice di verifica su Telegram: zanzibar.",
            ),
        )
        .await;
        let mut open = complete(21);
        open["description"] = json!("Pagamento su zanzibar non arrivato, il rimborso tarda da una settimana.");
        let visible = case(&app, &open).await;
        let outsider = token(&app, "out@desk.test", Scope::Read).await;
        let body = search(&app, &outsider, "zanzibar").await;
        assert_eq!(found(&body), vec![visible.clone()], "{}", app.backend);
        let body = search(&app, &outsider, "telegram").await;
        assert_eq!(body, json!({"results": [], "next_cursor": null, "case": null}));
        let body = search(&app, &outsider, &hidden).await;
        assert_eq!(body["case"], Value::Null);
        assert!(!body.to_string().contains(&hidden));
        let mut desk = signed_in(&app, "out@desk.test").await;
        let page = desk.get(&format!("/desk/search?q={hidden}")).await;
        assert_eq!(page.status, 200, "no jump to a case that does not exist for them");
        assert!(!page.html.contains(&format!("/desk/cases/{hidden}")));
        // Its team finds it.
        let member = token(&app, "in@desk.test", Scope::Read).await;
        assert_eq!(found(&search(&app, &member, "telegram").await), vec![hidden.clone()]);
        let body = search(&app, &member, "zanzibar").await;
        let mut both = found(&body);
        both.sort();
        assert_eq!(both, [hidden.clone(), visible.clone()]);
    }
}

#[tokio::test]
async fn pages_go_past_the_ranked_window_to_every_older_match() {
    for app in backends().await {
        let mut numbers = Vec::new();
        for n in 0..7u32 {
            let mut r = complete(40 + n);
            // The later, the more often it says the word: relevance is not the order of arrival.
            r["description"] = json!(format!(
                "Il bonifico {} non è arrivato e aspetto da giorni.",
                "bonifico ".repeat(n as usize)
            ));
            numbers.push(case(&app, &r).await);
        }
        // A window of 3, pages of 2: three ranked, then the four older, newest first.
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = search_within(
                &app.app,
                &Principal::System,
                &SearchRequest {
                    text: "bonifici".to_owned(),
                    filters: QueueRequest {
                        cursor: cursor.clone(),
                        limit: Some(2),
                        ..QueueRequest::default()
                    },
                },
                3,
            )
            .await
            .unwrap();
            pages.push(
                page.results
                    .iter()
                    .map(|r| (r.item.number.to_string(), r.rank))
                    .collect::<Vec<_>>(),
            );
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let order: Vec<String> = pages.iter().flatten().map(|(n, _)| n.clone()).collect();
        let expected: Vec<String> = [6, 5, 4, 3, 2, 1, 0].iter().map(|i| numbers[*i].clone()).collect();
        assert_eq!(order, expected, "{}: {pages:?}", app.backend);
        let ranked: Vec<f64> = pages.iter().flatten().take(3).map(|(_, r)| *r).collect();
        assert!(
            ranked.iter().all(|r| *r > 0.0) && ranked[0] >= ranked[1] && ranked[1] >= ranked[2],
            "{ranked:?}"
        );
        assert!(pages.iter().flatten().skip(3).all(|(_, r)| *r == 0.0));
        // A case that arrives meanwhile does not move the pages already begun.
        let first = search_within(
            &app.app,
            &Principal::System,
            &SearchRequest {
                text: "bonifici".to_owned(),
                filters: QueueRequest {
                    limit: Some(2),
                    ..QueueRequest::default()
                },
            },
            3,
        )
        .await
        .unwrap();
        let mut later = complete(60);
        later["description"] = json!("bonifico bonifico bonifico bonifico bonifico bonifico bonifico bonifico");
        let newest = case(&app, &later).await;
        let second = search_within(
            &app.app,
            &Principal::System,
            &SearchRequest {
                text: "bonifici".to_owned(),
                filters: QueueRequest {
                    cursor: first.next_cursor.clone(),
                    limit: Some(2),
                    ..QueueRequest::default()
                },
            },
            3,
        )
        .await
        .unwrap();
        let seen: Vec<String> = first
            .results
            .iter()
            .chain(&second.results)
            .map(|r| r.item.number.to_string())
            .collect();
        assert!(!seen.contains(&newest));
        assert_eq!(seen, expected[..3], "the second page ends the window");
    }
}

#[tokio::test]
async fn hostile_text_is_searched_as_words_never_as_syntax() {
    for app in backends().await {
        agent(&app, "ada@desk.test", Role::Agent, &[]).await;
        let t = token(&app, "ada@desk.test", Scope::Read).await;
        let mut r = complete(70);
        r["description"] = json!("Il pagamento NEAR la stazione è fallito: errore E-77, rimborso chiesto.");
        let number = case(&app, &r).await;
        for typed in [
            "\"",
            "'",
            "NEAR(",
            "pagamento OR",
            "-pagamento",
            "pagamento*",
            "*",
            "^",
            "(a | b) & !c",
            "'; DROP TABLE tickets; --",
            "\\",
            "\u{0}",
            "<script>alert(1)</script>",
            "{}",
            "…",
            "😀",
            "a:b",
            "col:pagamento",
            "NOT",
            "AND OR NOT",
        ] {
            let (status, body) = api_get(&app, &t, &format!("/api/v1/search?q={}", urlencoding(typed))).await;
            assert_eq!(status, 200, "{typed:?}: {body}");
        }
        // Operators are words like any other.
        assert_eq!(found(&search(&app, &t, "near").await), vec![number.clone()]);
        assert_eq!(
            found(&search(&app, &t, "(pagamento) \"E-77\"").await),
            vec![number.clone()]
        );
        let (status, body) = api_get(&app, &t, &format!("/api/v1/search?q={}", "a".repeat(201))).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("q")));
        for bad in ["x", "r.1", "o.zz", "r.1.-3"] {
            let (status, _) = api_get(&app, &t, &format!("/api/v1/search?q=pagamento&cursor={bad}")).await;
            assert_eq!(status, 422, "{bad}");
        }
        assert_eq!(api_get(&app, &t, "/api/v1/search?q=pagamento&view=nope").await.0, 400);
        // No credentials, no search.
        let anonymous = app
            .client
            .get(format!("{}/api/v1/search?q=pagamento", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
    }
}
