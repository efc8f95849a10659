//! A support request as a channel hands it over, and the one rule set that accepts or refuses it
//! (SPEC §3.1–§3.2). Every problem is reported at once; nothing valid is dropped.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::catalog::{Catalog, Category, FieldSpec, Requirement};
use crate::contact::email::{self, Email, EmailError};
use crate::contact::phone::{Phone, PhoneError};
use crate::evidence::{self, Inspection};
use crate::problem::{Problem, ProblemCode, Warning, WarningCode};
use crate::text;

/// SPEC §3.1: at most three screenshots.
pub const MAX_ATTACHMENTS: usize = 3;

/// One uploaded file as received; its name is only a label, never trusted for its type.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Bytes,
}

/// What a channel (form, API, e-mail…) received, as text, before any rule is applied.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub category: String,
    pub subcategory: String,
    pub email: String,
    pub phone: String,
    pub description: String,
    pub device: String,
    pub name: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub urgent: bool,
    pub email_confirmed: bool,
    /// The category's own fields (`transaction_id`, `occurred_at`…); unknown keys are ignored.
    pub fields: BTreeMap<String, String>,
    pub attachments: Vec<Upload>,
}

/// An attachment that passed every check.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub filename: String,
    pub inspection: Inspection,
    pub bytes: Bytes,
}

/// A request the desk accepts: typed, normalised, redacted.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub category: String,
    pub subcategory: String,
    pub email: Email,
    /// None only when the channel could not ask for it (see [`needs_info`](Self::needs_info)).
    pub phone: Option<Phone>,
    /// Redacted: card numbers and verification codes masked before anything stores them.
    pub description: String,
    /// None only when the channel could not ask for it.
    pub device: Option<String>,
    pub name: Option<String>,
    /// ISO 3166 alpha-2, upper-case.
    pub country: Option<String>,
    pub language: Option<String>,
    /// The flag, or the word URGENTE/URGENT in the description.
    pub urgent_requested: bool,
    /// Catalog fields, normalised by their formats.
    pub fields: BTreeMap<String, String>,
    pub attachments: Vec<Evidence>,
    /// Recommended catalog fields left empty, in catalog order.
    pub missing_recommended: Vec<String>,
    /// Required fields the channel could not ask for (e-mail): the case waits for them.
    pub needs_info: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// The required fields a channel that cannot ask back (e-mail) may leave for later: the case is
/// opened, and the customer is asked for them afterwards. Anything else it sends must be right.
pub const DEFERRABLE: [&str; 3] = ["phone", "device", "description"];

/// Applies SPEC §3.1 and collects §3.2's warnings: every problem refuses the request. The form and
/// the API use this, so the person fixes everything before the case exists.
pub fn validate(catalog: &Catalog, request: NewRequest) -> Result<ValidRequest, Vec<Problem>> {
    validate_deferring(catalog, request, &[])
}

/// [`validate`], except that a field of `deferrable` (a subset of [`DEFERRABLE`]) that is missing,
/// or a description that is too vague, is listed in `needs_info` instead of refusing the request.
pub fn validate_deferring(
    catalog: &Catalog,
    request: NewRequest,
    deferrable: &[&str],
) -> Result<ValidRequest, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    let category_id = required(&mut problems, "category", &request.category, text::FIELD_MAX_CHARS);
    let subcategory_id = required(
        &mut problems,
        "subcategory",
        &request.subcategory,
        text::FIELD_MAX_CHARS,
    );
    let category = category_id.as_deref().and_then(|id| {
        let found = catalog.category(id);
        if found.is_none() {
            problems.push(Problem::new("category", ProblemCode::UnknownCategory));
        }
        found
    });
    if let (Some(category), Some(sub)) = (category, subcategory_id.as_deref()) {
        if category.subcategory(sub).is_none() {
            problems.push(Problem::new("subcategory", ProblemCode::UnknownSubcategory));
        }
    }

    let country = country(&mut problems, request.country.as_deref());
    let language = optional(&mut problems, "language", request.language.as_deref()).and_then(|l| {
        if is_language_tag(&l) {
            Some(l)
        } else {
            problems.push(Problem::new("language", ProblemCode::FieldFormat));
            None
        }
    });
    let name = optional(&mut problems, "name", request.name.as_deref());

    let email = required(&mut problems, "email", &request.email, text::FIELD_MAX_CHARS).and_then(|input| {
        check_email(&input, request.email_confirmed)
            .map_err(|p| problems.push(p))
            .ok()
    });
    let phone = required(&mut problems, "phone", &request.phone, text::FIELD_MAX_CHARS).and_then(|input| {
        check_phone(&input, country.as_deref())
            .map_err(|p| problems.push(p))
            .ok()
    });

    let device = required(&mut problems, "device", &request.device, text::FIELD_MAX_CHARS);
    let description = required(
        &mut problems,
        "description",
        &request.description,
        text::DESCRIPTION_MAX_CHARS,
    )
    .inspect(|d| {
        if text::is_too_vague(d) {
            problems.push(Problem::new("description", ProblemCode::DescriptionTooVague));
        }
    });
    let urgent_requested = request.urgent || description.as_deref().is_some_and(text::mentions_urgent);
    let description = description.map(|d| {
        if text::looks_like_scam_report(&d) {
            warnings.push(Warning::on(WarningCode::PossibleScamReport, "description"));
        }
        let redacted = text::redact(&d);
        if redacted.masked > 0 {
            warnings.push(Warning::on(WarningCode::SensitiveDataMasked, "description"));
        }
        redacted.text
    });

    let (fields, missing_recommended) = match category {
        Some(category) => catalog_fields(category, &request.fields, &mut problems),
        None => (BTreeMap::new(), Vec::new()),
    };
    for field in &missing_recommended {
        warnings.push(Warning::on(WarningCode::MissingRecommended, field.clone()));
    }
    if urgent_requested && category.is_some_and(|c| !c.urgent_allowed) {
        warnings.push(Warning::on(WarningCode::UrgentNotEligible, "urgent"));
    }

    let attachments = attachments(request.attachments, &mut problems, &mut warnings);

    let mut needs_info: Vec<String> = Vec::new();
    problems.retain(|p| {
        let later = deferrable.contains(&p.field.as_str())
            && DEFERRABLE.contains(&p.field.as_str())
            && matches!(p.code, ProblemCode::Required | ProblemCode::DescriptionTooVague);
        if later {
            needs_info.push(p.field.clone());
        }
        !later
    });
    match (category_id, subcategory_id, email) {
        (Some(category), Some(subcategory), Some(email)) if problems.is_empty() => Ok(ValidRequest {
            category,
            subcategory,
            email,
            phone,
            description: description.unwrap_or_default(),
            device,
            name,
            country,
            language,
            urgent_requested,
            fields,
            attachments,
            missing_recommended,
            needs_info,
            warnings,
        }),
        _ => Err(problems),
    }
}

/// Checks files added to an existing case (status page, merge, e-mail): the same rules as intake.
pub fn validate_attachments(uploads: Vec<Upload>) -> Result<(Vec<Evidence>, Vec<Warning>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let evidence = attachments(uploads, &mut problems, &mut warnings);
    if problems.is_empty() {
        Ok((evidence, warnings))
    } else {
        Err(problems)
    }
}

/// Files that arrived where nobody can be asked to fix them (an e-mail): the ones that pass every
/// rule are kept, at most [`MAX_ATTACHMENTS`] in arrival order; each of the others is named with
/// the problem that kept it out.
pub fn admit_attachments(uploads: Vec<Upload>) -> (Vec<Evidence>, Vec<Warning>, Vec<(Upload, Problem)>) {
    let mut admitted: Vec<Evidence> = Vec::new();
    let mut warnings = Vec::new();
    let mut refused = Vec::new();
    for (index, upload) in uploads.into_iter().enumerate() {
        let field = format!("attachment[{index}]");
        if admitted.len() == MAX_ATTACHMENTS {
            refused.push((upload, Problem::new(field, ProblemCode::AttachmentTooMany)));
            continue;
        }
        match admit(upload, &admitted, field, &mut warnings) {
            Ok(evidence) => admitted.push(evidence),
            Err(no) => refused.push(no),
        }
    }
    (admitted, warnings, refused)
}

/// ISO 3166 alpha-2, upper-cased; blank is absent.
fn country(problems: &mut Vec<Problem>, value: Option<&str>) -> Option<String> {
    optional(problems, "country", value).and_then(|c| {
        if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(c.to_ascii_uppercase())
        } else {
            problems.push(Problem::new("country", ProblemCode::FieldFormat));
            None
        }
    })
}

/// SPEC §3.1's rule for an e-mail address, alone (the form's live hint asks it too): the address,
/// or its problem with the corrected address as suggestion when there is one.
pub fn check_email(input: &str, confirmed: bool) -> Result<Email, Problem> {
    email::check(input, confirmed).map_err(|e| match e {
        EmailError::Invalid { suggestion } => {
            let p = Problem::new("email", ProblemCode::EmailInvalid);
            match suggestion {
                Some(s) => p.with_suggestion(s),
                None => p,
            }
        }
        EmailError::Suspect { suggestion } => {
            Problem::new("email", ProblemCode::EmailSuspect).with_suggestion(suggestion)
        }
    })
}

/// SPEC §3.1's rule for a phone number, alone: its E.164 form, or its problem with the E.164
/// reading as suggestion when there is one.
pub fn check_phone(input: &str, country: Option<&str>) -> Result<Phone, Problem> {
    Phone::parse(input, country).map_err(|e| match e {
        PhoneError::Invalid => Problem::new("phone", ProblemCode::PhoneInvalid),
        PhoneError::MissingCountryCode { suggestion } => {
            let p = Problem::new("phone", ProblemCode::PhoneMissingCountryCode);
            match suggestion {
                Some(s) => p.with_suggestion(s),
                None => p,
            }
        }
    })
}

/// A trimmed, non-blank value within `max` characters, or the problem with it.
fn required(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        problems.push(Problem::new(field, ProblemCode::Required));
        None
    } else if value.chars().count() > max {
        problems.push(Problem::new(field, ProblemCode::TooLong));
        None
    } else {
        Some(value.to_owned())
    }
}

/// A trimmed optional value: blank is absent; over the limit is a problem.
fn optional(problems: &mut Vec<Problem>, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > text::FIELD_MAX_CHARS {
        problems.push(Problem::new(field, ProblemCode::TooLong));
        None
    } else {
        Some(value.to_owned())
    }
}

fn catalog_fields(
    category: &Category,
    given: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut fields = BTreeMap::new();
    let mut refused = Vec::new();
    for spec in &category.fields {
        match catalog_field(problems, spec, given.get(&spec.id).map(String::as_str)) {
            Ok(Some(value)) => {
                fields.insert(spec.id.clone(), value);
            }
            Ok(None) if spec.requirement == Requirement::Required => {
                problems.push(Problem::new(spec.id.clone(), ProblemCode::Required));
            }
            Ok(None) => {}
            Err(()) => refused.push(spec.id.as_str()),
        }
    }
    // A refused value is reported as such, not also as missing.
    let missing = category
        .missing_recommended(&fields)
        .into_iter()
        .filter(|id| !refused.contains(&id.as_str()))
        .collect();
    (fields, missing)
}

/// A catalog field's value, normalised by its format: `Ok(None)` when blank, `Err` when refused
/// (the problem is recorded).
fn catalog_field(problems: &mut Vec<Problem>, spec: &FieldSpec, value: Option<&str>) -> Result<Option<String>, ()> {
    let before = problems.len();
    let Some(value) = optional(problems, &spec.id, value) else {
        return if problems.len() > before { Err(()) } else { Ok(None) };
    };
    match &spec.format {
        None => Ok(Some(value)),
        Some(format) => match format.check(&value) {
            Ok(normalised) => Ok(Some(normalised)),
            Err(_) => {
                problems.push(Problem::new(spec.id.clone(), ProblemCode::FieldFormat));
                Err(())
            }
        },
    }
}

fn attachments(uploads: Vec<Upload>, problems: &mut Vec<Problem>, warnings: &mut Vec<Warning>) -> Vec<Evidence> {
    if uploads.len() > MAX_ATTACHMENTS {
        problems.push(Problem::new("attachment", ProblemCode::AttachmentTooMany));
        return Vec::new();
    }
    let mut accepted: Vec<Evidence> = Vec::with_capacity(uploads.len());
    for (index, upload) in uploads.into_iter().enumerate() {
        match admit(upload, &accepted, format!("attachment[{index}]"), warnings) {
            Ok(evidence) => accepted.push(evidence),
            Err((_, problem)) => problems.push(problem),
        }
    }
    accepted
}

/// One file against the rules, beside the files already accepted with it.
fn admit(
    upload: Upload,
    accepted: &[Evidence],
    field: String,
    warnings: &mut Vec<Warning>,
) -> Result<Evidence, (Upload, Problem)> {
    // Equal bytes are caught by comparison, not hashing: validation stays cheap.
    if accepted.iter().any(|e| e.bytes == upload.bytes) {
        return Err((upload, Problem::new(field, ProblemCode::AttachmentDuplicate)));
    }
    match evidence::inspect(&upload.bytes) {
        Ok(inspection) => {
            if inspection.editor.is_some() {
                warnings.push(Warning::on(WarningCode::AttachmentEdited, field));
            }
            Ok(Evidence {
                filename: upload.filename,
                inspection,
                bytes: upload.bytes,
            })
        }
        Err(e) => Err((upload, Problem::new(field, e.code()))),
    }
}

/// A BCP 47 tag in its common shape (`it`, `en-GB`, `zh-Hant-TW`).
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What a customer adds to an existing case (status page): text, the category's fields, files.
#[derive(Debug, Clone)]
pub struct FollowUp {
    /// Redacted, as a description is.
    pub text: String,
    /// The catalog fields given, normalised by their formats; blank ones are left out.
    pub fields: BTreeMap<String, String>,
    pub attachments: Vec<Evidence>,
    /// The phone (`phone`, read with `country`) and `device` a case opened by mail waits for.
    pub phone: Option<Phone>,
    pub device: Option<String>,
    pub warnings: Vec<Warning>,
}

/// The intake rules for a follow-up to an open case: the same limits, formats, redaction and file
/// checks, all problems at once; `message` names the text. Besides the category's fields, `fields`
/// may give `phone` (with `country`) and `device`, which a case opened by mail waits for. Something
/// must be added (text, a field or a file). `description_too_vague` does not apply: "here is the screenshot" is a complete
/// follow-up, and the case's first description already passed that rule.
pub fn validate_follow_up(
    category: Option<&Category>,
    text: &str,
    fields: &BTreeMap<String, String>,
    uploads: Vec<Upload>,
) -> Result<FollowUp, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let text = text.trim();
    let text = if text.chars().count() > text::DESCRIPTION_MAX_CHARS {
        problems.push(Problem::new("message", ProblemCode::TooLong));
        String::new()
    } else {
        let redacted = text::redact(text);
        if redacted.masked > 0 {
            warnings.push(Warning::on(WarningCode::SensitiveDataMasked, "message"));
        }
        redacted.text
    };
    let mut given = BTreeMap::new();
    for spec in category.map_or(&[][..], |c| &c.fields[..]) {
        if let Ok(Some(value)) = catalog_field(&mut problems, spec, fields.get(&spec.id).map(String::as_str)) {
            given.insert(spec.id.clone(), value);
        }
    }
    let country = country(&mut problems, fields.get("country").map(String::as_str));
    let phone = optional(&mut problems, "phone", fields.get("phone").map(String::as_str)).and_then(|input| {
        check_phone(&input, country.as_deref())
            .map_err(|p| problems.push(p))
            .ok()
    });
    let device = optional(&mut problems, "device", fields.get("device").map(String::as_str));
    let nothing_sent = text.is_empty() && uploads.is_empty() && fields.values().all(|v| v.trim().is_empty());
    let attachments = attachments(uploads, &mut problems, &mut warnings);
    if nothing_sent {
        problems.push(Problem::new("message", ProblemCode::Required));
    }
    if problems.is_empty() {
        Ok(FollowUp {
            text,
            fields: given,
            attachments,
            phone,
            device,
            warnings,
        })
    } else {
        Err(problems)
    }
}
