//! A simulated day at an assigning desk (issue: "working faster"): cases arrive all day, ten
//! agents with a capacity resolve them at their own pace, take breaks (unseen, so away), one pauses
//! intake for an hour, one goes out of office and hands her cases back. Measured on the real
//! server and store: the spread of open cases among the agents at their desks, and the longest any
//! case waited unassigned while someone at a desk had room. `SPORTELLO_DAY_CASES` sets the day's
//! size (600 by default; the closing note's figures are from 5,000).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use sportello::app::agents::set_away;
use sportello::app::assign::assign_waiting;
use sportello::app::change::set_status;
use sportello::app::Clock;
use sportello_domain::access::{Role, Scope};
use sportello_domain::assignment::Mode;
use sportello_domain::case::Status;

use crate::desk::{agent, api_get, case, token};
use crate::helpers::{backends_with, complete, Options};

const AGENTS: usize = 10;
const CAPACITY: u32 = 4;
/// The simulation's tick: a pass of the assigner, as the job runs every 2 s.
const TICK: i64 = 10;

#[tokio::test]
async fn a_day_of_cases_is_shared_evenly_and_none_waits_while_someone_has_room() {
    let cases: usize = std::env::var("SPORTELLO_DAY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let start: DateTime<Utc> = "2026-12-02T08:00:00Z".parse().unwrap();
    let clock = Clock::fixed(start);
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        clock.set(start);
        let mut tokens = Vec::new();
        let mut principals = Vec::new();
        for i in 0..AGENTS {
            let email = format!("a{i}@day.test");
            agent(&app, &email, Role::Agent, &["payments"]).await;
            tokens.push(token(&app, &email, Scope::Write).await);
            let record = app
                .app
                .store
                .agent_by_email(&email.parse().unwrap())
                .await
                .unwrap()
                .unwrap();
            principals.push(sportello::app::access::as_agent(&record, Scope::Write));
        }
        crate::assignment::assigning_payments(&app, Mode::Balanced, CAPACITY).await;
        let team = app.app.store.assigning_teams().await.unwrap().remove(0);

        // Arrivals a little faster than the agents resolve, so capacity binds part of the day.
        let ticks = (cases as i64) * 3 / 2;
        let (mut filed, mut spread_max, mut spreads) = (0usize, 0u32, Vec::new());
        let mut longest_wait_with_room = Duration::zero();
        let (mut peak_waiting, mut longest_wait) = (0usize, Duration::zero());
        let mut first_seen: std::collections::HashMap<i64, DateTime<Utc>> = std::collections::HashMap::new();
        let mut waiting_since: std::collections::HashMap<i64, DateTime<Utc>> = std::collections::HashMap::new();
        for tick in 0..ticks {
            let now = clock.now();
            let minute = tick * TICK / 60;
            // Who is at their desk: agent i breaks for 30 minutes once, at their own hour.
            let on_break = |i: usize| {
                let from = 40 + (i as i64) * (ticks * TICK / 60 / 12);
                (from..from + 30).contains(&minute)
            };
            if tick % 30 == 0 {
                for (i, t) in tokens.iter().enumerate() {
                    if !on_break(i) {
                        api_get(&app, t, "/api/v1/tickets?limit=1").await;
                    }
                }
            }
            // Agent 3 pauses intake for an hour; agent 7 leaves two thirds into the day.
            if minute == 60 && tick * TICK % 60 == 0 {
                set_away(&app.app, &principals[3], true, false, false).await.unwrap();
            }
            if minute == 120 && tick * TICK % 60 == 0 {
                set_away(&app.app, &principals[3], false, false, false).await.unwrap();
            }
            if tick == ticks * 2 / 3 {
                set_away(&app.app, &principals[7], false, true, true).await.unwrap();
            }
            if tick % 3 != 2 && filed < cases {
                case(&app, &complete(10_000 + filed as u32)).await;
                filed += 1;
            }
            // Each agent at the desk resolves their soonest-due case now and then, at their pace.
            for (i, t) in tokens.iter().enumerate() {
                if on_break(i) || tick % (15 + (i as i64 % 3) * 5) != 0 {
                    continue;
                }
                let (_, mine): (u16, Value) = api_get(&app, t, "/api/v1/tickets?view=mine&limit=1").await;
                if let Some(number) = mine["tickets"][0]["case_number"].as_str() {
                    set_status(&app.app, &principals[i], number, Status::Resolved)
                        .await
                        .unwrap();
                }
            }
            assign_waiting(&app.app).await.unwrap();

            // The measures, from the same snapshot the assigner reads.
            let people = app.app.store.candidates(&team).await.unwrap();
            let waiting = app.app.store.waiting(team.id, 1_000).await.unwrap();
            let present: Vec<u32> = people
                .iter()
                .filter(|c| !sportello_domain::assignment::away(c.last_active, c.paused, c.out_of_office, now))
                .map(|c| c.open)
                .collect();
            if let (Some(max), Some(min)) = (present.iter().max(), present.iter().min()) {
                spread_max = spread_max.max(max - min);
                spreads.push(max - min);
            }
            let someone_has_room = people.iter().any(|c| c.available(now));
            peak_waiting = peak_waiting.max(waiting.len());
            first_seen.retain(|id, _| waiting.iter().any(|(t, _)| t.get() == *id));
            for (ticket, _) in &waiting {
                let since = *first_seen.entry(ticket.get()).or_insert(now);
                longest_wait = longest_wait.max(now - since);
            }
            waiting_since.retain(|id, _| waiting.iter().any(|(t, _)| t.get() == *id));
            for (ticket, _) in &waiting {
                let since = *waiting_since.entry(ticket.get()).or_insert(now);
                if someone_has_room {
                    longest_wait_with_room = longest_wait_with_room.max(now - since);
                }
            }
            if !someone_has_room {
                // Waiting because everyone is full or away is not a wait "while someone had room".
                for since in waiting_since.values_mut() {
                    *since = now;
                }
            }
            clock.advance(Duration::seconds(TICK));
        }
        spreads.sort_unstable();
        let median = spreads[spreads.len() / 2];
        println!(
            "{}: {filed} cases, {AGENTS} agents (capacity {CAPACITY}), {} simulated minutes: spread of open cases among agents at their desks median {median}, max {spread_max}; longest wait while someone had room {} s; at most {peak_waiting} waiting at once, the longest {} s (everyone full or away)",
            app.backend,
            ticks * TICK / 60,
            longest_wait_with_room.num_seconds(),
            longest_wait.num_seconds()
        );
        assert!(longest_wait_with_room <= Duration::seconds(TICK), "{}", app.backend);
        assert!(median <= 1, "balanced keeps the desk even: median spread {median}");
    }
}
