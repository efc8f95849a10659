//! Automatic assignment (SPEC §8) against the real store on both backends: balanced within
//! capacity, only to available agents, the soonest-due waiting case to an agent who frees up,
//! pause and out of office (with cases handed back), and never past capacity when passes race.

use std::collections::BTreeMap;

use serde_json::Value;
use sportello::app::agents::{change_team, set_away, TeamChange};
use sportello::app::assign::assign_waiting;
use sportello::app::change::set_status;
use sportello_domain::access::{AgentId, Principal, Role, Scope};
use sportello_domain::assignment::Mode;
use sportello_domain::case::Status;

use crate::desk::{agent, api_get, case, token};
use crate::helpers::{backends, complete, TestApp};

/// Open cases per agent, by e-mail.
async fn loads(app: &TestApp, numbers: &[String]) -> BTreeMap<i64, usize> {
    let mut by = BTreeMap::new();
    for n in numbers {
        let c = app.case(n).await;
        if let (Some(a), true) = (c.assignee, c.status.is_open()) {
            *by.entry(a.0).or_insert(0) += 1;
        }
    }
    by
}

async fn id_of(app: &TestApp, email: &str) -> AgentId {
    app.app
        .store
        .agent_by_email(&email.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn a_balanced_team_shares_its_cases_within_capacity_among_those_present() {
    for app in backends().await {
        for who in ["ada", "bea", "cy"] {
            agent(&app, &format!("{who}@team.test"), Role::Agent, &["payments"]).await;
        }
        // Ada and Bea are at their desks (an API call counts); Cy has not been seen today.
        let ada_token = token(&app, "ada@team.test", Scope::Write).await;
        let bea_token = token(&app, "bea@team.test", Scope::Write).await;
        api_get(&app, &ada_token, "/api/v1/tickets").await;
        api_get(&app, &bea_token, "/api/v1/tickets").await;
        let (ada, bea, cy) = (
            id_of(&app, "ada@team.test").await,
            id_of(&app, "bea@team.test").await,
            id_of(&app, "cy@team.test").await,
        );
        assigning_payments(&app, Mode::Balanced, 2).await;

        let mut numbers = Vec::new();
        for n in 0..5 {
            numbers.push(case(&app, &complete(300 + n)).await);
        }
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 4, "{}", app.backend);
        let by = loads(&app, &numbers).await;
        assert_eq!(
            by,
            BTreeMap::from([(ada.0, 2), (bea.0, 2)]),
            "two each, none to the absent Cy"
        );
        assert!(!by.contains_key(&cy.0));
        let assignees = assignees(&app, &numbers).await;
        assert_eq!(assignees[4], None, "the latest due waits");
        assert!(assignees[..4].iter().all(Option::is_some));

        // Ada frees up: the waiting case is hers at the next pass. It shows in her "mine".
        let adas = numbers[assignees.iter().position(|a| *a == Some(ada)).unwrap()].clone();
        set_status(&app.app, &Principal::System, &adas, Status::Resolved)
            .await
            .unwrap();
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 1);
        assert_eq!(app.case(&numbers[4]).await.assignee, Some(ada));
        let (_, list): (u16, Value) = api_get(&app, &ada_token, "/api/v1/tickets?view=mine").await;
        assert!(list.to_string().contains(&numbers[4]), "{list}");

        // Bea pauses her intake, Ada is full: a new case waits.
        let bea_principal = principal(&app, "bea@team.test").await;
        set_away(&app.app, &bea_principal, true, false, false).await.unwrap();
        let beas = numbers[assignees.iter().position(|a| *a == Some(bea)).unwrap()].clone();
        set_status(&app.app, &Principal::System, &beas, Status::Resolved)
            .await
            .unwrap();
        let late = case(&app, &complete(320)).await;
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 0, "paused, and full");
        assert_eq!(app.case(&late).await.assignee, None);

        // Ada goes out of office and hands her cases back: nobody present takes them.
        let ada_principal = principal(&app, "ada@team.test").await;
        assert_eq!(set_away(&app.app, &ada_principal, false, true, true).await.unwrap(), 2);
        assert!(!loads(&app, &numbers).await.contains_key(&ada.0));
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 0);
        // Bea resumes: she takes up to her capacity, soonest due first.
        set_away(&app.app, &bea_principal, false, false, false).await.unwrap();
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 1, "she holds one already");
    }
}

#[tokio::test]
async fn passes_that_race_never_push_an_agent_past_capacity() {
    for app in backends().await {
        present(&app, &["dee@team.test", "eve@team.test"]).await;
        assigning_payments(&app, Mode::RoundRobin, 3).await;
        let mut numbers = Vec::new();
        for n in 0..12 {
            numbers.push(case(&app, &complete(400 + n)).await);
        }
        // Four passes at once, each from its own snapshot, as four instances would.
        let (a, b, c, d) = tokio::join!(
            assign_waiting(&app.app),
            assign_waiting(&app.app),
            assign_waiting(&app.app),
            assign_waiting(&app.app)
        );
        let racing = a.unwrap() + b.unwrap() + c.unwrap() + d.unwrap();
        let by = loads(&app, &numbers).await;
        assert!(by.values().all(|n| *n <= 3), "{}: {by:?}", app.backend);
        // A pass that lost a race counts that agent full for the rest of its round; the next
        // round fills what is left.
        let after = assign_waiting(&app.app).await.unwrap();
        let by = loads(&app, &numbers).await;
        assert_eq!(racing + after, 6, "{}: {by:?}", app.backend);
        assert!(by.values().all(|n| *n == 3), "{}: {by:?}", app.backend);
    }
}

/// Files ten cases through `instance`, assigning after each as its job would.
async fn file_and_assign(instance: &TestApp, from: u32) -> Vec<String> {
    let mut numbers = Vec::new();
    for n in 0..10 {
        numbers.push(case(instance, &complete(from + n)).await);
        assign_waiting(&instance.app).await.unwrap();
    }
    numbers
}

/// The payments team, handing its cases out in `mode`, `capacity` open cases an agent.
pub async fn assigning_payments(app: &TestApp, mode: Mode, capacity: u32) -> sportello::store::TeamRecord {
    let payments = app
        .app
        .store
        .teams()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "payments")
        .unwrap();
    let change = TeamChange {
        restricted: false,
        takes: Vec::new(),
        assignment: Some((mode, capacity)),
    };
    assert!(change_team(&app.app, &Principal::System, payments.id, change)
        .await
        .unwrap());
    payments
}

/// Agents of the payments team, each seen at the desk once (an API call counts).
async fn present(app: &TestApp, emails: &[&str]) {
    for who in emails {
        agent(app, who, Role::Agent, &["payments"]).await;
        let t = token(app, who, Scope::Read).await;
        api_get(app, &t, "/api/v1/tickets").await;
    }
}

pub async fn principal(app: &TestApp, email: &str) -> Principal {
    let record = app
        .app
        .store
        .agent_by_email(&email.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    sportello::app::access::as_agent(&record, Scope::Write)
}

async fn assignees(app: &TestApp, numbers: &[String]) -> Vec<Option<AgentId>> {
    let mut all = Vec::new();
    for n in numbers {
        all.push(app.case(n).await.assignee);
    }
    all
}

#[tokio::test]
async fn a_customer_who_writes_again_to_an_away_agent_goes_back_to_be_assigned() {
    for app in backends().await {
        present(&app, &["fay@team.test", "gus@team.test"]).await;
        assigning_payments(&app, Mode::Balanced, 5).await;
        let (_, created) = crate::helpers::read(app.post_json(&complete(500)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let link = created["status_url"].as_str().unwrap().to_owned();
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 1);
        let first = app.case(&number).await.assignee.unwrap();
        let (away, other) = if first == id_of(&app, "fay@team.test").await {
            ("fay@team.test", id_of(&app, "gus@team.test").await)
        } else {
            ("gus@team.test", id_of(&app, "fay@team.test").await)
        };
        set_away(&app.app, &principal(&app, away).await, false, true, false)
            .await
            .unwrap();
        // Still theirs while the customer is quiet; let go when the customer writes again.
        assert_eq!(app.case(&number).await.assignee, Some(first));
        let mut customer = crate::helpers::Visitor::new(&app);
        customer.get(&link).await;
        let page = customer
            .post(
                &link,
                reqwest::multipart::Form::new().text("message", "Any news about my refund?"),
            )
            .await;
        assert_eq!(page.status, 303, "{}", app.backend);
        assert_eq!(app.case(&number).await.assignee, None);
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 1);
        assert_eq!(app.case(&number).await.assignee, Some(other), "{}", app.backend);
    }
}

#[tokio::test]
async fn skills_set_on_the_admin_page_narrow_what_an_agent_is_given() {
    for app in backends().await {
        agent(&app, "root@team.test", Role::Admin, &[]).await;
        agent(&app, "ines@team.test", Role::Agent, &["payments"]).await;
        let t = token(&app, "ines@team.test", Scope::Read).await;
        api_get(&app, &t, "/api/v1/tickets").await;
        let ines = id_of(&app, "ines@team.test").await;
        let payments = app
            .app
            .store
            .teams()
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "payments")
            .unwrap();
        let mut admin = crate::desk::signed_in(&app, "root@team.test").await;
        admin.get("/desk/admin").await;
        let form = |subs: &str| {
            reqwest::multipart::Form::new()
                .text("role", "agent")
                .text("team", payments.id.0.to_string())
                .text("languages", "IT, it")
                .text("subcategories", subs.to_owned())
        };
        let path = format!("/desk/admin/agents/{}", ines.0);
        assert_eq!(
            admin.post(&path, form("payments/nothing")).await.status,
            409,
            "{}",
            app.backend
        );
        assert_eq!(admin.post(&path, form("payments/refund")).await.status, 303);
        let record = app.app.store.agent(ines).await.unwrap().unwrap();
        assert_eq!(
            (record.languages, record.subcategories),
            (vec!["it".to_owned()], vec!["payments/refund".to_owned()])
        );
        let change = TeamChange {
            restricted: false,
            takes: Vec::new(),
            assignment: Some((Mode::Balanced, 5)),
        };
        change_team(&app.app, &Principal::System, payments.id, change)
            .await
            .unwrap();
        let mut english = complete(600);
        english["language"] = serde_json::json!("en");
        let english = case(&app, &english).await;
        let mut italian = complete(601);
        italian["language"] = serde_json::json!("it");
        let italian = case(&app, &italian).await;
        assert_eq!(assign_waiting(&app.app).await.unwrap(), 1);
        assert_eq!(app.case(&italian).await.assignee, Some(ines));
        assert_eq!(app.case(&english).await.assignee, None, "she answers in Italian only");
    }
}

#[tokio::test]
async fn two_instances_on_one_database_filing_and_assigning_at_once_keep_every_capacity() {
    for app in backends().await {
        let second = crate::helpers::spawn_app(
            crate::helpers::Backend::Beside(app.database_url.clone()),
            crate::helpers::Options::default(),
        )
        .await;
        present(&app, &["hal@team.test", "ivy@team.test", "joe@team.test"]).await;
        assigning_payments(&app, Mode::Balanced, 4).await;
        // Each instance files cases and assigns them as they come, both at once.
        let (mut numbers, theirs) = tokio::join!(file_and_assign(&app, 700), file_and_assign(&second, 800));
        numbers.extend(theirs);
        let by = loads(&app, &numbers).await;
        assert!(by.values().all(|n| *n <= 4), "{}: {by:?}", app.backend);
        assign_waiting(&second.app).await.unwrap();
        let by = loads(&app, &numbers).await;
        assert_eq!(
            by.values().sum::<usize>(),
            12,
            "{}: three agents full, {by:?}",
            app.backend
        );
        assert!(by.values().all(|n| *n == 4));
        drop(second);
    }
}
