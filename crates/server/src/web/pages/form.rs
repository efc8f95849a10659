//! `/` — the request form (issue 4): category, sub-category, the category's own fields, contact,
//! description, device, urgency and up to three screenshots. It posts the same `NewRequest` as the
//! API through the same use case, and a refused submit comes back with every value kept and each
//! problem beside its field.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use sportello_domain::catalog::{Catalog, FieldSpec, Requirement};
use sportello_domain::formats::FieldFormat;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::request::{validate, NewRequest, MAX_ATTACHMENTS};

use super::{html, keep, restore, see_other, shown, Frame, Kept, Prefs, Tr};
use crate::app::submit::{submit, Submitted, Via};
use crate::app::Error;
use crate::web::posted::{not_utf8_problems, set_field, Failure, Posted};
use crate::web::{Limit, WebState};

/// One input, its label, hint and problem; `pages/field.html` draws it.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The element's id and the submitted name.
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
    pub value: String,
    pub error: Option<String>,
    /// `text`, `email`, `tel`, `url` or `textarea`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub required: bool,
    pub recommended: bool,
    pub maxlength: usize,
    /// A line the script fills with live hints ("did you mean…", the E.164 reading).
    pub live: Option<&'static str>,
    /// A one-click correction that works without JavaScript (a submit button).
    pub fix: Option<Fix>,
    /// "The address is right as I typed it" (SPEC §3.1 `email_suspect`).
    pub confirm: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Fix {
    pub name: &'static str,
    pub value: String,
    pub label: String,
}

impl Input {
    pub fn new(t: &Tr, id: &str, kind: &'static str) -> Input {
        let hint = t.msg(&format!("hint-{id}"));
        Input {
            id: id.to_owned(),
            label: t.msg(&format!("field-{id}")),
            hint: (hint != format!("hint-{id}")).then_some(hint),
            kind,
            autocomplete: "off",
            inputmode: "",
            maxlength: sportello_domain::text::FIELD_MAX_CHARS,
            ..Input::default()
        }
    }

    pub fn required(mut self) -> Input {
        self.required = true;
        self
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Input {
        self.autocomplete = autocomplete;
        self
    }

    pub fn value(mut self, value: &str) -> Input {
        self.value = shown(value);
        self
    }

    /// The ids of the hint and problem lines, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.live.is_some() {
            ids.push(format!("{}-live", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }

    /// A catalog field (`transaction_id`, `occurred_at`…) with its label and hint in `lang`.
    pub fn catalog(t: &Tr, spec: &FieldSpec, value: &str) -> Input {
        let code = t.lang().code();
        let (kind, inputmode) = match spec.format {
            Some(FieldFormat::Email) => ("email", "email"),
            Some(FieldFormat::E164) => ("tel", "tel"),
            Some(FieldFormat::Url { .. }) => ("url", "url"),
            Some(FieldFormat::Money) => ("text", "decimal"),
            _ => ("text", ""),
        };
        Input {
            id: spec.id.clone(),
            label: spec.label.get(&code).to_owned(),
            hint: spec.hint.as_ref().map(|h| h.get(&code).to_owned()),
            value: shown(value),
            kind,
            inputmode,
            autocomplete: "off",
            required: spec.requirement == Requirement::Required,
            recommended: spec.requirement == Requirement::Recommended,
            maxlength: sportello_domain::text::FIELD_MAX_CHARS,
            ..Input::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct ChoiceGroup {
    pub label: String,
    pub choices: Vec<Choice>,
}

/// The fields one category asks for; the others' are hidden (and, with the script, disabled).
#[derive(Debug, Clone)]
pub struct FieldGroup {
    pub category: String,
    pub hidden: bool,
    pub fields: Vec<Input>,
}

/// A line of the error summary at the top, linking to its field.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    pub href: String,
    pub label: String,
    pub message: String,
}

/// The file input, its problems and the files kept from a refused submit (shared with the status page).
#[derive(Debug, Clone)]
pub struct Files {
    pub input: Input,
    pub errors: Vec<String>,
    pub kept: Vec<Kept>,
    pub max_files: usize,
    pub max_bytes: usize,
    pub min_side: u32,
    /// The domain's own messages for the script's early checks (no rule is copied into it).
    pub too_many: String,
    pub too_large: String,
    pub wrong_type: String,
    pub too_small: String,
}

impl Files {
    pub fn new(t: &Tr, problems: &[Problem], kept: Vec<Kept>) -> Files {
        let mut input = Input::new(t, "attachment", "file");
        let message = |code| t.problem(&Problem::new("attachment", code));
        let errors: Vec<String> = problems
            .iter()
            .filter(|p| p.field == "attachment" || p.field.starts_with("attachment["))
            .map(|p| t.problem(p))
            .collect();
        if !errors.is_empty() {
            input.error = Some(errors.join(" "));
        }
        Files {
            input,
            errors,
            kept,
            max_files: MAX_ATTACHMENTS,
            max_bytes: sportello_domain::evidence::MAX_BYTES,
            min_side: sportello_domain::evidence::MIN_SHORT_SIDE,
            too_many: message(ProblemCode::AttachmentTooMany),
            too_large: message(ProblemCode::AttachmentTooLarge),
            wrong_type: message(ProblemCode::AttachmentType),
            too_small: message(ProblemCode::AttachmentResolution),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/form.html")]
pub struct FormPage {
    pub frame: Frame,
    pub t: Tr,
    pub csrf: String,
    pub language: String,
    pub banner: Option<String>,
    pub summary: Vec<SummaryItem>,
    pub category: Input,
    pub categories: Vec<Choice>,
    pub subcategory: Input,
    pub subcategories: Vec<ChoiceGroup>,
    pub groups: Vec<FieldGroup>,
    pub contact: Vec<Input>,
    pub problem: Vec<Input>,
    pub urgent: Input,
    pub urgent_checked: bool,
    /// The chosen category does not allow urgency: the box is not offered.
    pub urgent_hidden: bool,
    pub files: Files,
    /// Categories, sub-categories and urgency for the script (in a data attribute: CSP-safe).
    pub catalog_json: String,
}

impl FormPage {
    /// The form with `request`'s values and `problems` beside their fields.
    pub fn new(
        catalog: &Catalog,
        prefs: &Prefs,
        request: &NewRequest,
        problems: &[Problem],
        kept: Vec<Kept>,
    ) -> FormPage {
        let t = &prefs.t;
        let code = prefs.code();
        let chosen = catalog.category(request.category.trim());
        let categories = catalog
            .categories()
            .iter()
            .map(|c| Choice {
                value: c.id.clone(),
                label: c.label.get(&code).to_owned(),
                selected: chosen.is_some_and(|x| x.id == c.id),
            })
            .collect();
        // Without a chosen category (and without the script) every sub-category shows, by category.
        let subcategories = catalog
            .categories()
            .iter()
            .filter(|c| chosen.is_none_or(|x| x.id == c.id))
            .map(|c| ChoiceGroup {
                label: c.label.get(&code).to_owned(),
                choices: c
                    .subcategories
                    .iter()
                    .map(|s| Choice {
                        value: s.id.clone(),
                        label: s.label.get(&code).to_owned(),
                        selected: s.id == request.subcategory.trim(),
                    })
                    .collect(),
            })
            .collect();
        let groups = catalog
            .categories()
            .iter()
            .map(|c| FieldGroup {
                category: c.id.clone(),
                hidden: chosen.is_none_or(|x| x.id != c.id),
                fields: c
                    .fields
                    .iter()
                    .map(|f| Input::catalog(t, f, request.fields.get(&f.id).map_or("", String::as_str)))
                    .collect(),
            })
            .collect();
        let catalog_json = json!(catalog
            .categories()
            .iter()
            .map(|c| json!({
                "id": c.id,
                "urgent": c.urgent_allowed,
                "subcategories": c.subcategories.iter().map(|s| json!([s.id, s.label.get(&code)])).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>())
        .to_string();
        let mut email = Input::new(t, "email", "email")
            .required()
            .autocomplete("email")
            .value(&request.email);
        email.inputmode = "email";
        email.live = Some("email");
        let mut phone = Input::new(t, "phone", "tel")
            .required()
            .autocomplete("tel")
            .value(&request.phone);
        phone.inputmode = "tel";
        phone.live = Some("phone");
        let mut country = Input::new(t, "country", "text")
            .autocomplete("country")
            .value(request.country.as_deref().unwrap_or(""));
        country.maxlength = 2;
        let mut description = Input::new(t, "description", "textarea")
            .required()
            .value(&request.description);
        description.maxlength = sportello_domain::text::DESCRIPTION_MAX_CHARS;
        let mut page = FormPage {
            frame: Frame::new(prefs, t.msg("form-title"), "/", &[]),
            t: t.clone(),
            csrf: prefs.csrf().to_owned(),
            language: code,
            banner: None,
            summary: Vec::new(),
            category: Input::new(t, "category", "select").required().value(&request.category),
            categories,
            subcategory: Input::new(t, "subcategory", "select")
                .required()
                .value(&request.subcategory),
            subcategories,
            groups,
            contact: vec![
                Input::new(t, "name", "text")
                    .autocomplete("name")
                    .value(request.name.as_deref().unwrap_or("")),
                email,
                phone,
                country,
            ],
            problem: vec![
                description,
                Input::new(t, "device", "text").required().value(&request.device),
            ],
            urgent: Input::new(t, "urgent", "checkbox"),
            urgent_checked: request.urgent,
            urgent_hidden: chosen.is_some_and(|c| !c.urgent_allowed),
            files: Files::new(t, problems, kept),
            catalog_json,
        };
        page.place(t, problems, request.email_confirmed);
        page
    }

    /// Puts each problem beside its field and in the summary.
    fn place(&mut self, t: &Tr, problems: &[Problem], email_confirmed: bool) {
        for problem in problems {
            let message = t.problem(problem);
            let field = problem.field.as_str();
            let input = if field.starts_with("attachment") {
                Some(&mut self.files.input)
            } else {
                self.inputs_mut().find(|i| i.id == field)
            };
            let (href, label) = match input {
                Some(input) => {
                    match (field, problem.code, &problem.suggestion) {
                        ("email", _, Some(s)) => {
                            input.fix = Some(Fix {
                                name: "use_email",
                                value: s.clone(),
                                label: t.with("use-suggestion", "value", s),
                            })
                        }
                        ("phone", _, Some(s)) => {
                            input.fix = Some(Fix {
                                name: "use_phone",
                                value: s.clone(),
                                label: t.with("use-suggestion", "value", s),
                            })
                        }
                        _ => {}
                    }
                    if field == "email" && problem.code == ProblemCode::EmailSuspect && !email_confirmed {
                        input.confirm = Some(t.msg("email-confirm"));
                    }
                    // Files have their problems from `Files::new`; others may have several.
                    if !field.starts_with("attachment") {
                        input.error = Some(match input.error.take() {
                            Some(before) => format!("{before} {message}"),
                            None => message.clone(),
                        });
                    }
                    (format!("#{}", input.id), input.label.clone())
                }
                None => (String::new(), field.to_owned()),
            };
            self.summary.push(SummaryItem { href, label, message });
        }
    }

    fn inputs_mut(&mut self) -> impl Iterator<Item = &mut Input> {
        std::iter::once(&mut self.category)
            .chain(std::iter::once(&mut self.subcategory))
            .chain(
                self.groups
                    .iter_mut()
                    .filter(|g| !g.hidden)
                    .flat_map(|g| g.fields.iter_mut()),
            )
            .chain(self.contact.iter_mut())
            .chain(self.problem.iter_mut())
            .chain(std::iter::once(&mut self.urgent))
    }
}

#[derive(Deserialize)]
pub struct FormQuery {
    lang: Option<String>,
    category: Option<String>,
}

pub async fn show(State(state): State<WebState>, Query(q): Query<FormQuery>, headers: HeaderMap) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let request = NewRequest {
        category: q.category.unwrap_or_default(),
        ..NewRequest::default()
    };
    let page = FormPage::new(&state.app.catalog, &prefs, &request, &[], Vec::new());
    html(StatusCode::OK, &page, &prefs)
}

/// What the form sends besides the request itself.
#[derive(Debug, Default)]
struct Controls {
    csrf: Option<String>,
    use_email: Option<String>,
    use_phone: Option<String>,
    kept: Vec<String>,
    /// The no-script "show this category's questions" button.
    update: bool,
}

pub async fn send(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let posted = Posted::read(request, &state).await;
    let mut new_request = NewRequest::default();
    let mut controls = Controls::default();
    for (name, value) in &posted.texts {
        match name.as_str() {
            "csrf" => controls.csrf = Some(value.clone()),
            "use_email" => controls.use_email = Some(value.clone()),
            "use_phone" => controls.use_phone = Some(value.clone()),
            "kept" => controls.kept.push(value.clone()),
            "update" => controls.update = true,
            _ => set_field(&mut new_request, name, value.clone()),
        }
    }
    let prefs = Prefs::read(&headers, new_request.language.as_deref()).on_site(&state.app.settings.public_url);
    let catalog = &state.app.catalog;
    let again = |request: &NewRequest, status: StatusCode, banner: Option<&str>, problems: &[Problem], kept| {
        let mut page = FormPage::new(catalog, &prefs, request, problems, kept);
        page.banner = banner.map(|id| prefs.t.msg(id));
        html(status, &page, &prefs)
    };
    if let Some(failure) = posted.failure {
        return match failure {
            Failure::TooLarge => again(
                &new_request,
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("form-too-large"),
                &[],
                Vec::new(),
            ),
            Failure::Unreadable => again(
                &new_request,
                StatusCode::BAD_REQUEST,
                Some("form-unreadable"),
                &[],
                Vec::new(),
            ),
        };
    }
    if !prefs.csrf_ok(controls.csrf.as_deref()) {
        return again(
            &new_request,
            StatusCode::FORBIDDEN,
            Some("form-expired"),
            &[],
            Vec::new(),
        );
    }
    // Counted before anything is stored: "show the questions" with new files keeps them, so it
    // counts as a submit; without files it stores nothing and is not counted.
    let counted = !controls.update || !posted.files.is_empty();
    if counted && state.admit(Limit::Intake, peer.ip(), &headers).is_err() {
        return again(
            &new_request,
            StatusCode::TOO_MANY_REQUESTS,
            Some("form-rate-limited"),
            &[],
            Vec::new(),
        );
    }
    let kept = restore(&state, &prefs, &controls.kept).await;
    let uploads: Vec<_> = kept.into_iter().chain(posted.files).collect();
    if controls.update {
        let kept = keep(&state, &prefs, &uploads, &[]).await;
        return again(&new_request, StatusCode::OK, None, &[], kept);
    }
    if let Some(email) = controls.use_email {
        new_request.email = email;
    }
    if let Some(phone) = controls.use_phone {
        new_request.phone = phone;
    }
    new_request.attachments = uploads;
    if !posted.not_utf8.is_empty() {
        // Not sent on: the domain's other problems are shown beside the unreadable fields'.
        let mut problems = validate(catalog, new_request.clone()).err().unwrap_or_default();
        problems.extend(not_utf8_problems(&posted.not_utf8));
        let kept = keep(&state, &prefs, &new_request.attachments, &problems).await;
        return again(&new_request, StatusCode::UNPROCESSABLE_ENTITY, None, &problems, kept);
    }
    let outcome = submit(&state.app, new_request.clone(), Via::Web).await;
    state.metrics.intake(&outcome);
    match outcome {
        Ok(Submitted::Created { case, token, .. }) => see_other(&format!("/confirmation/{case}?t={}", token.as_str())),
        // The link to that case went to its address by mail: this browser does not get it.
        Ok(Submitted::Merged { case }) => see_other(&format!("/merged/{case}")),
        Err(Error::Invalid(problems)) => {
            let kept = keep(&state, &prefs, &new_request.attachments, &problems).await;
            again(&new_request, StatusCode::UNPROCESSABLE_ENTITY, None, &problems, kept)
        }
        Err(Error::Store(e)) if e.is_unavailable() => {
            tracing::warn!(error = %e, "store unavailable");
            let kept = keep(&state, &prefs, &new_request.attachments, &[]).await;
            again(
                &new_request,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("form-unavailable"),
                &[],
                kept,
            )
        }
        Err(e) => {
            let id = super::request_id(&headers);
            tracing::error!(error = %e, request_id = %id, "the form could not be submitted");
            let kept = keep(&state, &prefs, &new_request.attachments, &[]).await;
            let mut page = FormPage::new(catalog, &prefs, &new_request, &[], kept);
            page.banner = Some(prefs.t.with("error-page", "request_id", id));
            html(StatusCode::INTERNAL_SERVER_ERROR, &page, &prefs)
        }
    }
}
