//! The stable machine codes of SPEC §3.1 (problems) and §3.2 (warnings).
//!
//! The domain says *what* is wrong with *which* field; the server turns a code into a sentence in
//! the customer's language. Codes are part of the API contract: never rename one.

use serde::Serialize;

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
}

/// Accepted, but the customer and the agent are told: SPEC §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    MissingRecommended,
    UrgentNotEligible,
    AttachmentEdited,
    AttachmentRepeated,
    SensitiveDataMasked,
    PossibleScamReport,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::UnknownCategory => "unknown_category",
            Self::UnknownSubcategory => "unknown_subcategory",
            Self::EmailInvalid => "email_invalid",
            Self::EmailSuspect => "email_suspect",
            Self::PhoneInvalid => "phone_invalid",
            Self::PhoneMissingCountryCode => "phone_missing_country_code",
            Self::FieldFormat => "field_format",
            Self::DescriptionTooVague => "description_too_vague",
            Self::AttachmentTooMany => "attachment_too_many",
            Self::AttachmentTooLarge => "attachment_too_large",
            Self::AttachmentType => "attachment_type",
            Self::AttachmentResolution => "attachment_resolution",
            Self::AttachmentCorrupt => "attachment_corrupt",
            Self::AttachmentDuplicate => "attachment_duplicate",
            Self::TooLong => "too_long",
        }
    }
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingRecommended => "missing_recommended",
            Self::UrgentNotEligible => "urgent_not_eligible",
            Self::AttachmentEdited => "attachment_edited",
            Self::AttachmentRepeated => "attachment_repeated",
            Self::SensitiveDataMasked => "sensitive_data_masked",
            Self::PossibleScamReport => "possible_scam_report",
        }
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: WarningCode,
    #[serde(skip_serializing_if = "Option::is_none")]
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
