//! Who may see and do what on the desk (SPEC §6): roles, API-token scopes, the principal every use
//! case is given, and the one rule that hides a restricted team's cases. Use cases decide access
//! from a [`Principal`]; pages, the API and jobs only say who is asking.

use serde::{Deserialize, Serialize};

/// An agent's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgentId(pub i64);

/// A team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TeamId(pub i64);

/// SPEC §6's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: agents, teams, catalog, settings, every case.
    Admin,
    /// An agent who also reassigns and reads reports for their teams.
    Lead,
    Agent,
}

text_enum!(Role, "role", {
    Admin => "admin",
    Lead => "lead",
    Agent => "agent",
});

/// What an API token may do; a signed-in browser may do what its role allows (`Write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

text_enum!(Scope, "scope", {
    Read => "read",
    Write => "write",
});

/// A team as access needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamRef {
    pub id: TeamId,
    /// Its cases are visible only to its members and admins (SPEC §6).
    pub restricted: bool,
}

/// A signed-in agent, as a request presents them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: AgentId,
    pub name: String,
    pub role: Role,
    pub teams: Vec<TeamId>,
    pub scope: Scope,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Agent(Staff),
    /// The server's own jobs (the SLA watcher, closing resolved cases).
    System,
}

/// What a principal may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The case is not theirs to see: answered exactly as a case that does not exist.
    #[error("not found")]
    Hidden,
    /// They may see it but not do this (a read token acting, an agent administering).
    #[error("forbidden")]
    Forbidden,
}

impl Principal {
    /// The agent's name, as mail signs it; empty for the system.
    pub fn name(&self) -> &str {
        self.staff().map_or("", |s| s.name.as_str())
    }

    fn staff(&self) -> Option<&Staff> {
        match self {
            Principal::Agent(staff) => Some(staff),
            Principal::System => None,
        }
    }

    /// A member of `team`.
    pub fn is_in(&self, team: TeamId) -> bool {
        self.staff().is_some_and(|s| s.teams.contains(&team))
    }

    /// Sees every case: admins and the system.
    pub fn sees_everything(&self) -> bool {
        self.staff().is_none_or(|s| s.role == Role::Admin)
    }

    /// Whether a case owned by `team` (None: no team) is visible. The one rule of SPEC §6: a
    /// restricted team's cases only to its members and admins.
    pub fn may_see(&self, team: Option<TeamRef>) -> bool {
        match (self.staff(), team) {
            (None, _) | (_, None) => true,
            (Some(s), Some(team)) => !team.restricted || s.role == Role::Admin || s.teams.contains(&team.id),
        }
    }

    /// Of the `restricted` teams, those whose cases this principal may not see: what a list,
    /// a count or a search must leave out.
    pub fn hidden_teams(&self, restricted: &[TeamId]) -> Vec<TeamId> {
        restricted
            .iter()
            .copied()
            .filter(|&id| !self.may_see(Some(TeamRef { id, restricted: true })))
            .collect()
    }

    /// May see and change the case owned by `team`: hidden comes before forbidden, so a read token
    /// learns nothing of a case it could not read.
    pub fn may_work(&self, team: Option<TeamRef>) -> Result<(), Denied> {
        if !self.may_see(team) {
            return Err(Denied::Hidden);
        }
        match self.staff() {
            Some(s) if s.scope == Scope::Read => Err(Denied::Forbidden),
            _ => Ok(()),
        }
    }

    /// May move a case from `current` to `to` (SPEC §6: leads and admins reassign): an agent
    /// takes a case nobody has or lets go of their own, and hands work to no one else.
    pub fn may_assign(&self, current: Option<AgentId>, to: Option<AgentId>) -> bool {
        match self.staff() {
            None => true,
            Some(s) if matches!(s.role, Role::Admin | Role::Lead) => true,
            Some(s) => {
                let mine_or_nobodys = |a: Option<AgentId>| a.is_none_or(|a| a == s.id);
                mine_or_nobodys(current) && mine_or_nobodys(to)
            }
        }
    }

    /// May manage agents, teams and settings.
    pub fn may_administer(&self) -> Result<(), Denied> {
        match self.staff() {
            Some(s) if s.role == Role::Admin && s.scope == Scope::Write => Ok(()),
            None => Ok(()),
            _ => Err(Denied::Forbidden),
        }
    }

    /// May read the audit log: admins (SPEC §6).
    pub fn may_audit(&self) -> Result<(), Denied> {
        self.may_read_settings()
    }

    /// May read what admins set up (the audit log, webhooks): an admin, with a token of any scope.
    pub fn may_read_settings(&self) -> Result<(), Denied> {
        match self.staff() {
            Some(s) if s.role == Role::Admin => Ok(()),
            None => Ok(()),
            _ => Err(Denied::Forbidden),
        }
    }

    /// Whose cases this principal's reports count (SPEC §6: leads read reports for their teams):
    /// None for every team (admins and the system), a lead's teams, and agents none at all.
    pub fn report_teams(&self) -> Result<Option<Vec<TeamId>>, Denied> {
        match self.staff() {
            None => Ok(None),
            Some(s) if s.role == Role::Admin => Ok(None),
            Some(s) if s.role == Role::Lead => Ok(Some(s.teams.clone())),
            Some(_) => Err(Denied::Forbidden),
        }
    }

    /// The agent, if an agent is asking.
    pub fn agent(&self) -> Option<AgentId> {
        self.staff().map(|s| s.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn staff(role: Role, teams: &[i64], scope: Scope) -> Principal {
        Principal::Agent(Staff {
            id: AgentId(1),
            name: "A".to_owned(),
            role,
            teams: teams.iter().copied().map(TeamId).collect(),
            scope,
        })
    }

    #[test]
    fn reports_are_for_admins_and_for_leads_over_their_teams() {
        assert_eq!(staff(Role::Admin, &[3], Scope::Read).report_teams(), Ok(None));
        assert_eq!(Principal::System.report_teams(), Ok(None));
        assert_eq!(
            staff(Role::Lead, &[3, 7], Scope::Read).report_teams(),
            Ok(Some(vec![TeamId(3), TeamId(7)]))
        );
        assert_eq!(
            staff(Role::Agent, &[3], Scope::Write).report_teams(),
            Err(Denied::Forbidden)
        );
    }

    const SAFETY: TeamRef = TeamRef {
        id: TeamId(7),
        restricted: true,
    };
    const BILLING: TeamRef = TeamRef {
        id: TeamId(3),
        restricted: false,
    };

    #[test]
    fn a_restricted_team_is_seen_by_its_members_and_admins_only() {
        assert!(!staff(Role::Agent, &[3], Scope::Write).may_see(Some(SAFETY)));
        assert!(!staff(Role::Lead, &[3], Scope::Write).may_see(Some(SAFETY)));
        assert!(staff(Role::Agent, &[7], Scope::Read).may_see(Some(SAFETY)));
        assert!(staff(Role::Admin, &[], Scope::Read).may_see(Some(SAFETY)));
        assert!(Principal::System.may_see(Some(SAFETY)));
        assert!(staff(Role::Agent, &[], Scope::Write).may_see(Some(BILLING)));
        assert!(staff(Role::Agent, &[], Scope::Write).may_see(None));
        assert_eq!(
            staff(Role::Agent, &[3], Scope::Write).hidden_teams(&[TeamId(7), TeamId(9)]),
            [TeamId(7), TeamId(9)]
        );
        assert!(staff(Role::Admin, &[], Scope::Write)
            .hidden_teams(&[TeamId(7)])
            .is_empty());
    }

    #[test]
    fn hidden_comes_before_forbidden_and_read_tokens_cannot_act() {
        let reader = staff(Role::Agent, &[3], Scope::Read);
        assert_eq!(reader.may_work(Some(SAFETY)), Err(Denied::Hidden));
        assert_eq!(reader.may_work(Some(BILLING)), Err(Denied::Forbidden));
        assert_eq!(staff(Role::Agent, &[3], Scope::Write).may_work(Some(BILLING)), Ok(()));
        assert_eq!(
            staff(Role::Agent, &[], Scope::Write).may_administer(),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            staff(Role::Admin, &[], Scope::Read).may_administer(),
            Err(Denied::Forbidden)
        );
        assert_eq!(staff(Role::Admin, &[], Scope::Read).may_audit(), Ok(()));
    }

    #[test]
    fn agents_take_and_let_go_while_leads_reassign() {
        let agent = staff(Role::Agent, &[], Scope::Write);
        let (me, other) = (Some(AgentId(1)), Some(AgentId(2)));
        assert!(agent.may_assign(None, me), "take an unassigned case");
        assert!(agent.may_assign(me, None), "let go of one's own");
        assert!(!agent.may_assign(other, me), "not take another's");
        assert!(!agent.may_assign(None, other), "not hand work to another");
        assert!(staff(Role::Lead, &[], Scope::Write).may_assign(other, me));
        assert!(staff(Role::Admin, &[], Scope::Write).may_assign(me, other));
        assert!(Principal::System.may_assign(None, other));
    }

    proptest! {
        /// Whatever the roles and memberships: what `may_see` hides is exactly what `hidden_teams`
        /// leaves out of lists, and nobody but members and admins sees a restricted team's case.
        #[test]
        fn lists_hide_exactly_what_a_case_page_hides(
            role in prop::sample::select(Role::ALL.to_vec()),
            member_of in prop::collection::vec(0i64..6, 0..4),
            restricted in prop::collection::vec(0i64..6, 0..4),
        ) {
            let who = staff(role, &member_of, Scope::Write);
            let restricted: Vec<TeamId> = restricted.into_iter().map(TeamId).collect();
            let hidden = who.hidden_teams(&restricted);
            for id in (0..6).map(TeamId) {
                let is_restricted = restricted.contains(&id);
                let visible = who.may_see(Some(TeamRef { id, restricted: is_restricted }));
                prop_assert_eq!(visible, !hidden.contains(&id));
                if is_restricted && visible {
                    prop_assert!(role == Role::Admin || member_of.contains(&id.0));
                }
            }
        }
    }
}
