//! `GET /status/{case}?t=…` (SPEC §3.5): the right token opens the case; anything else is 404.

use crate::helpers::{backends, complete, read};

#[tokio::test]
async fn only_the_right_token_opens_a_case() {
    for app in backends().await {
        let (_, body) = read(app.post_json(&complete(40)).await).await;
        let case = body["case_number"].as_str().unwrap().to_owned();
        let url = body["status_url"].as_str().unwrap().to_owned();
        let token = url.split("?t=").nth(1).unwrap().to_owned();
        assert_eq!(app.get(&url).await.status(), 200);
        // Lower case and spaces are fine.
        let spaced = format!("/status/{}%20{}?t={token}", case[..6].to_lowercase(), &case[6..]);
        assert_eq!(app.get(&spaced).await.status(), 200);
        assert_eq!(app.get(&format!("/status/{case}")).await.status(), 404);
        assert_eq!(app.get(&format!("/status/{case}?t=wrong")).await.status(), 404);
        assert_eq!(app.get(&format!("/status/{case}?t=")).await.status(), 404);
        // A wrong check digit is refused even with the right token.
        let mut wrong = case.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert_eq!(app.get(&format!("/status/{wrong}?t={token}")).await.status(), 404);
        // Another case's token does not open this one.
        let (_, other) = read(app.post_json(&complete(41)).await).await;
        let other_token = other["status_url"]
            .as_str()
            .unwrap()
            .split("?t=")
            .nth(1)
            .unwrap()
            .to_owned();
        assert_eq!(app.get(&format!("/status/{case}?t={other_token}")).await.status(), 404);
        assert_eq!(app.get(&format!("/status/WA9999999999?t={token}")).await.status(), 404);
        assert_eq!(app.get("/status/%00%ff?t=x").await.status(), 404);
    }
}
