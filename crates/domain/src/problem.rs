//! The stable machine codes of SPEC §3.1 (problems) and §3.2 (warnings).
//!
//! The domain says *what* is wrong with *which* field; the server turns a code into a sentence in
//! the customer's language. Codes are part of the API contract: never rename one.

use serde::{Deserialize, Serialize};

/// Why a field (or the whole request) was refused: SPEC §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    Required,
    UnknownCategory,
    UnknownSubcategory,
    EmailInvalid,
    EmailSuspect,
    PhoneInvalid,
    PhoneMissingCountryCode,
    FieldFormat,
    DescriptionTooVague,
    AttachmentTooMany,
    AttachmentTooLarge,
    AttachmentType,
    AttachmentResolution,
    AttachmentCorrupt,
    AttachmentDuplicate,
    TooLong,
    /// An agent's password shorter than the desk accepts.
    PasswordTooShort,
    /// A canned reply's `{name}` that is no placeholder (SPEC §7).
    UnknownPlaceholder,
    /// A webhook URL that reaches this machine or its network (SPEC §9, SSRF).
    WebhookTarget,
}

/// Accepted, but the customer and the agent are told: SPEC §3.2. Stored with the case (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    MissingRecommended,
    UrgentNotEligible,
    AttachmentEdited,
    AttachmentRepeated,
    SensitiveDataMasked,
    PossibleScamReport,
}

text_enum!(ProblemCode, "problem code", {
    Required => "required",
    UnknownCategory => "unknown_category",
    UnknownSubcategory => "unknown_subcategory",
    EmailInvalid => "email_invalid",
    EmailSuspect => "email_suspect",
    PhoneInvalid => "phone_invalid",
    PhoneMissingCountryCode => "phone_missing_country_code",
    FieldFormat => "field_format",
    DescriptionTooVague => "description_too_vague",
    AttachmentTooMany => "attachment_too_many",
    AttachmentTooLarge => "attachment_too_large",
    AttachmentType => "attachment_type",
    AttachmentResolution => "attachment_resolution",
    AttachmentCorrupt => "attachment_corrupt",
    AttachmentDuplicate => "attachment_duplicate",
    TooLong => "too_long",
    PasswordTooShort => "password_too_short",
    UnknownPlaceholder => "unknown_placeholder",
    WebhookTarget => "webhook_target",
});

text_enum!(WarningCode, "warning code", {
    MissingRecommended => "missing_recommended",
    UrgentNotEligible => "urgent_not_eligible",
    AttachmentEdited => "attachment_edited",
    AttachmentRepeated => "attachment_repeated",
    SensitiveDataMasked => "sensitive_data_masked",
    PossibleScamReport => "possible_scam_report",
});

/// One refused field. `field` names the input (`email`, `attachment[1]`, `transaction_id`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub code: ProblemCode,
    /// A corrected value the customer can accept with one click (`email_suspect`,
    /// `phone_missing_country_code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Problem {
    pub fn new(field: impl Into<String>, code: ProblemCode) -> Self {
        Self {
            field: field.into(),
            code,
            suggestion: None,
        }
    }

    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }
}

/// One accepted-with-a-caveat note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warning {
    pub code: WarningCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Warning {
    pub fn new(code: WarningCode) -> Self {
        Self { code, field: None }
    }

    pub fn on(code: WarningCode, field: impl Into<String>) -> Self {
        Self {
            code,
            field: Some(field.into()),
        }
    }
}
