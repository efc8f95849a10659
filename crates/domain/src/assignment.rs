//! Who takes a case (SPEC §8), as a pure function of a snapshot: a team's mode, its agents with
//! their load, availability and skills, and the case. The store takes the snapshot and applies the
//! choice atomically; nothing here reads a clock or a table.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::access::AgentId;

/// How a team hands out its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Agents take cases themselves (or a lead assigns them).
    #[default]
    Manual,
    /// The available agents in turn.
    RoundRobin,
    /// The available agent with the fewest open cases.
    Balanced,
}

text_enum!(Mode, "assignment mode", {
    Manual => "manual",
    RoundRobin => "round_robin",
    Balanced => "balanced",
});

/// SPEC §8's default: an agent whose last page or API request is older than this is away.
pub const ACTIVE_WINDOW: Duration = Duration::minutes(15);

/// One agent of the team, as the snapshot saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent: AgentId,
    /// Open cases assigned to them now.
    pub open: u32,
    /// The most open cases they may hold.
    pub capacity: u32,
    pub last_active: Option<DateTime<Utc>>,
    /// They paused their own intake.
    pub paused: bool,
    pub out_of_office: bool,
    /// Languages they answer in; empty: any.
    pub languages: Vec<String>,
    /// `category/subcategory` they know; empty: any.
    pub subcategories: Vec<String>,
}

/// What a case asks of the one who takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    pub language: String,
    pub category: String,
    pub subcategory: String,
}

/// Not at the desk: unseen for [`ACTIVE_WINDOW`], paused or out of office. A case whose
/// assignee is away when its customer writes again goes back to be assigned (SPEC §8).
pub fn away(last_active: Option<DateTime<Utc>>, paused: bool, out_of_office: bool, now: DateTime<Utc>) -> bool {
    let active = last_active.is_some_and(|at| now - at <= ACTIVE_WINDOW);
    !active || paused || out_of_office
}

impl Candidate {
    /// At the desk ([`away`] says not) and under capacity.
    pub fn available(&self, now: DateTime<Utc>) -> bool {
        !away(self.last_active, self.paused, self.out_of_office, now) && self.open < self.capacity
    }

    /// Their skills, where set, cover the case.
    pub fn suits(&self, case: &Needs) -> bool {
        let language =
            self.languages.is_empty() || self.languages.iter().any(|l| l.eq_ignore_ascii_case(&case.language));
        let part = format!("{}/{}", case.category, case.subcategory);
        let subject = self.subcategories.is_empty() || self.subcategories.contains(&part);
        language && subject
    }
}

/// A team at one moment: its mode, its agents, and (for round robin) whom it gave a case last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub mode: Mode,
    pub now: DateTime<Utc>,
    pub candidates: Vec<Candidate>,
    pub last_assigned: Option<AgentId>,
}

/// Who takes `case`: `None` in manual mode, or when nobody available suits it (it waits,
/// unassigned, for an agent to free up).
pub fn choose(team: &Snapshot, case: &Needs) -> Option<AgentId> {
    let mut pool: Vec<&Candidate> = team
        .candidates
        .iter()
        .filter(|c| c.available(team.now) && c.suits(case))
        .collect();
    pool.sort_by_key(|c| c.agent);
    match team.mode {
        Mode::Manual => None,
        // Fewest open cases; among equals, the lowest id (stable, so tests and instances agree).
        Mode::Balanced => pool.iter().min_by_key(|c| (c.open, c.agent)).map(|c| c.agent),
        // The first after the last one given a case, in id order, round the circle.
        Mode::RoundRobin => {
            let after = team.last_assigned;
            pool.iter()
                .find(|c| after.is_some_and(|last| c.agent > last))
                .or_else(|| pool.first())
                .map(|c| c.agent)
        }
    }
}

/// When `agent` frees up: the first of the unassigned `waiting` cases (soonest due first) they
/// suit, if they are available and the team hands cases out.
pub fn next_for(mode: Mode, agent: &Candidate, now: DateTime<Utc>, waiting: &[Needs]) -> Option<usize> {
    if mode == Mode::Manual || !agent.available(now) {
        return None;
    }
    waiting.iter().position(|case| agent.suits(case))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn agent(id: i64, open: u32, capacity: u32) -> Candidate {
        Candidate {
            agent: AgentId(id),
            open,
            capacity,
            last_active: Some(now() - Duration::minutes(1)),
            paused: false,
            out_of_office: false,
            languages: Vec::new(),
            subcategories: Vec::new(),
        }
    }

    fn case(language: &str) -> Needs {
        Needs {
            language: language.to_owned(),
            category: "payments".to_owned(),
            subcategory: "refund".to_owned(),
        }
    }

    fn team(mode: Mode, candidates: Vec<Candidate>) -> Snapshot {
        Snapshot {
            mode,
            now: now(),
            candidates,
            last_assigned: None,
        }
    }

    #[test]
    fn only_the_available_take_cases() {
        let mut away = agent(1, 0, 5);
        away.last_active = Some(now() - ACTIVE_WINDOW - Duration::seconds(1));
        let mut paused = agent(2, 0, 5);
        paused.paused = true;
        let mut holiday = agent(3, 0, 5);
        holiday.out_of_office = true;
        let full = agent(4, 5, 5);
        let never = Candidate {
            last_active: None,
            ..agent(5, 0, 5)
        };
        let busy = agent(6, 4, 5);
        let t = team(Mode::Balanced, vec![away, paused, holiday, full, never, busy]);
        assert_eq!(choose(&t, &case("it")), Some(AgentId(6)));
        assert_eq!(
            choose(
                &Snapshot {
                    mode: Mode::Manual,
                    ..t
                },
                &case("it")
            ),
            None
        );
    }

    #[test]
    fn skills_narrow_the_pool_only_where_set() {
        let mut italian = agent(1, 3, 9);
        italian.languages = vec!["it".to_owned()];
        let mut refunds = agent(2, 2, 9);
        refunds.subcategories = vec!["payments/refund".to_owned()];
        let mut groups = agent(3, 0, 9);
        groups.subcategories = vec!["groups/removed".to_owned()];
        let t = team(Mode::Balanced, vec![italian.clone(), refunds, groups]);
        assert_eq!(
            choose(&t, &case("it")),
            Some(AgentId(2)),
            "fewest open among those who suit"
        );
        let t = team(Mode::Balanced, vec![italian, agent(4, 8, 9)]);
        assert_eq!(
            choose(&t, &case("EN")),
            Some(AgentId(4)),
            "the Italian speaker does not take English"
        );
    }

    #[test]
    fn a_freed_agent_takes_the_soonest_due_case_they_suit() {
        let mut italian = agent(1, 0, 2);
        italian.languages = vec!["it".to_owned()];
        let waiting = [case("en"), case("it"), case("it")];
        assert_eq!(next_for(Mode::Balanced, &italian, now(), &waiting), Some(1));
        assert_eq!(next_for(Mode::Manual, &italian, now(), &waiting), None);
        italian.open = 2;
        assert_eq!(next_for(Mode::RoundRobin, &italian, now(), &waiting), None, "full");
    }

    fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
        prop::collection::vec(
            (
                0u32..6,
                1u32..6,
                prop::bool::weighted(0.8),
                any::<bool>(),
                prop::bool::weighted(0.1),
                0usize..3,
            ),
            1..8,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (open, capacity, active, paused, away, skill))| Candidate {
                    agent: AgentId(i as i64 + 1),
                    open,
                    capacity,
                    last_active: Some(
                        now()
                            - if active {
                                Duration::minutes(3)
                            } else {
                                Duration::hours(2)
                            },
                    ),
                    paused,
                    out_of_office: away,
                    languages: match skill {
                        0 => Vec::new(),
                        1 => vec!["it".to_owned()],
                        _ => vec!["en".to_owned()],
                    },
                    subcategories: Vec::new(),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_chosen_one_is_available_suits_and_stays_within_capacity(
            people in candidates(),
            mode in prop::sample::select(Mode::ALL.to_vec()),
            language in prop::sample::select(vec!["it", "en", "de"]),
            last in prop::option::of(1i64..9),
        ) {
            let t = Snapshot { mode, now: now(), candidates: people.clone(), last_assigned: last.map(AgentId) };
            let needs = case(language);
            match choose(&t, &needs) {
                Some(id) => {
                    let c = people.iter().find(|c| c.agent == id).unwrap();
                    prop_assert!(c.available(now()) && c.suits(&needs));
                    prop_assert!(c.open < c.capacity, "never past capacity");
                    if mode == Mode::Balanced {
                        let fewest = people.iter().filter(|c| c.available(now()) && c.suits(&needs)).map(|c| c.open).min();
                        prop_assert_eq!(Some(c.open), fewest);
                    }
                }
                None => prop_assert!(
                    mode == Mode::Manual || !people.iter().any(|c| c.available(now()) && c.suits(&needs)),
                    "nobody left out while someone could take it"
                ),
            }
        }

        /// Fair over time: handing out many cases one by one (each choice updating the load),
        /// balanced keeps the open counts within one of each other, and round robin gives each
        /// agent their turn.
        #[test]
        fn over_a_day_nobody_carries_more_than_their_share(
            agents in 2usize..7,
            cases in 1usize..60,
            mode in prop::sample::select(vec![Mode::Balanced, Mode::RoundRobin]),
        ) {
            let mut t = team(mode, (1..=agents as i64).map(|i| agent(i, 0, 1_000)).collect());
            for _ in 0..cases {
                let id = choose(&t, &case("it")).unwrap();
                t.candidates.iter_mut().find(|c| c.agent == id).unwrap().open += 1;
                t.last_assigned = Some(id);
            }
            let loads: Vec<u32> = t.candidates.iter().map(|c| c.open).collect();
            let spread = loads.iter().max().unwrap() - loads.iter().min().unwrap();
            prop_assert!(spread <= 1, "{:?}", loads);
        }
    }
}
