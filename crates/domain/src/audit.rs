//! What the audit log records (SPEC §6): one action per row, written in the transaction of the
//! change it records. Stored as its text; a case's timeline shows its rows as system events.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SignIn,
    SignOut,
    SignOutEverywhere,
    AgentCreated,
    AgentDisabled,
    AgentRole,
    AgentTeams,
    AgentAway,
    AgentSkills,
    AgentProfile,
    PasswordSet,
    TotpEnabled,
    TotpDisabled,
    TokenCreated,
    TokenRevoked,
    TeamCreated,
    TeamChanged,
    CannedCreated,
    CannedChanged,
    CannedRemoved,
    CaseReply,
    CaseReplyUndone,
    CaseNote,
    CaseRequestInfo,
    CaseStatus,
    CasePriority,
    CaseCategory,
    CaseAssigned,
    CaseMerged,
    CaseLinked,
    CaseRated,
    SlaBreached,
    WebhookCreated,
    WebhookChanged,
    WebhookRemoved,
    WebhookDisabled,
    WebhookEnabled,
    WebhookTested,
    OrganisationCreated,
    OrganisationChanged,
    OrganisationRemoved,
    AlertRaised,
}

text_enum!(Action, "audit action", {
    SignIn => "sign_in",
    SignOut => "sign_out",
    SignOutEverywhere => "sign_out_everywhere",
    AgentCreated => "agent_created",
    AgentDisabled => "agent_disabled",
    AgentRole => "agent_role",
    AgentTeams => "agent_teams",
    AgentAway => "agent_away",
    AgentSkills => "agent_skills",
    AgentProfile => "agent_profile",
    PasswordSet => "password_set",
    TotpEnabled => "totp_enabled",
    TotpDisabled => "totp_disabled",
    TokenCreated => "token_created",
    TokenRevoked => "token_revoked",
    TeamCreated => "team_created",
    TeamChanged => "team_changed",
    CannedCreated => "canned_created",
    CannedChanged => "canned_changed",
    CannedRemoved => "canned_removed",
    CaseReply => "case_reply",
    CaseReplyUndone => "case_reply_undone",
    CaseNote => "case_note",
    CaseRequestInfo => "case_request_info",
    CaseStatus => "case_status",
    CasePriority => "case_priority",
    CaseCategory => "case_category",
    CaseAssigned => "case_assigned",
    CaseMerged => "case_merged",
    CaseLinked => "case_linked",
    CaseRated => "case_rated",
    SlaBreached => "sla_breached",
    WebhookCreated => "webhook_created",
    WebhookChanged => "webhook_changed",
    WebhookRemoved => "webhook_removed",
    WebhookDisabled => "webhook_disabled",
    WebhookEnabled => "webhook_enabled",
    WebhookTested => "webhook_tested",
    OrganisationCreated => "organisation_created",
    OrganisationChanged => "organisation_changed",
    OrganisationRemoved => "organisation_removed",
    AlertRaised => "alert_raised",
});

impl Action {
    /// Shown in a case's timeline as a system event (replies and notes are shown as themselves).
    pub fn is_case_event(self) -> bool {
        matches!(
            self,
            Action::CaseStatus
                | Action::CasePriority
                | Action::CaseCategory
                | Action::CaseAssigned
                | Action::CaseMerged
                | Action::CaseLinked
                | Action::CaseRequestInfo
                | Action::CaseRated
                | Action::SlaBreached
        )
    }
}
