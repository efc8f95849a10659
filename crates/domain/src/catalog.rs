//! The catalog: categories, sub-categories, their fields, service-level targets and calendars,
//! read from TOML (SPEC §2). The seed's catalog is built in; operators may load their own.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::Duration;
use serde::Deserialize;
use toml::Spanned;

use crate::calendar::{Calendar, CalendarSpec};
use crate::case_number::CasePrefix;
use crate::formats::FieldFormat;

/// The seed's desk, as shipped (`catalog/default.toml`).
pub const BUILTIN_TOML: &str = include_str!("../catalog/default.toml");

/// The fields every request has; a catalog field may not reuse these names.
pub const STANDARD_FIELDS: [&str; 11] = [
    "category",
    "subcategory",
    "email",
    "phone",
    "description",
    "device",
    "name",
    "country",
    "language",
    "urgent",
    "email_confirmed",
];

/// A text in several languages, keyed by BCP 47 primary language (`it`, `en`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// The text in `language`, else English, else any language the catalog gave.
    pub fn get(&self, language: &str) -> &str {
        self.0
            .get(language)
            .or_else(|| self.0.get("en"))
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }
}

/// How long a case may wait, on its calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Duration,
    pub resolution: Duration,
}

impl Targets {
    /// Both targets multiplied by `factor`, to the second.
    pub fn scaled(self, factor: f64) -> Targets {
        let scale = |d: Duration| Duration::seconds((d.num_seconds() as f64 * factor).round() as i64);
        Targets {
            first_response: scale(self.first_response),
            resolution: scale(self.resolution),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Recommended,
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub id: String,
    pub label: Labels,
    pub hint: Option<Labels>,
    pub requirement: Requirement,
    pub format: Option<FieldFormat>,
}

#[derive(Debug, Clone)]
pub struct Subcategory {
    pub id: String,
    pub label: Labels,
    /// Replaces the category's targets when set (`banned`: 24 h / 120 h).
    pub targets: Option<Targets>,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub label: Labels,
    /// The calendar's name in the catalog (`support_days`, `always`).
    pub clock: String,
    pub calendar: Calendar,
    pub urgent_allowed: bool,
    pub targets: Targets,
    pub subcategories: Vec<Subcategory>,
    pub fields: Vec<FieldSpec>,
}

impl Category {
    pub fn subcategory(&self, id: &str) -> Option<&Subcategory> {
        self.subcategories.iter().find(|s| s.id == id)
    }

    pub fn field(&self, id: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The recommended fields that `given` has no value for, in catalog order (SPEC §3.2).
    pub fn missing_recommended<V>(&self, given: &std::collections::BTreeMap<String, V>) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.requirement == Requirement::Recommended && !given.contains_key(&f.id))
            .map(|f| f.id.clone())
            .collect()
    }
}

/// The knobs of SPEC §4 that are *default* rather than law.
#[derive(Debug, Clone)]
pub struct TriagePolicy {
    pub high_factor: f64,
    pub low_factor: f64,
    pub strike_factor: f64,
    pub strike_window: Duration,
    /// SPEC §10: a verified organisation's cases (the seed: 4 h instead of 6 h).
    pub verified_factor: f64,
    /// SPEC §10: an unverified organisation's cases (the seed: 40 % longer).
    pub unverified_factor: f64,
    pub merge_window: Duration,
    pub urgent: Targets,
    pub urgent_calendar: Calendar,
}

/// A whole, checked catalog. Only [`Catalog::from_toml`] makes one.
#[derive(Debug, Clone)]
pub struct Catalog {
    case_prefix: CasePrefix,
    triage: TriagePolicy,
    categories: Vec<Category>,
}

impl Catalog {
    /// The seed's catalog.
    pub fn builtin() -> Catalog {
        #[allow(clippy::expect_used)] // proven by the test `builtin_catalog_is_valid`
        Catalog::from_toml(BUILTIN_TOML).expect("the built-in catalog is valid")
    }

    pub fn case_prefix(&self) -> &CasePrefix {
        &self.case_prefix
    }

    pub fn triage(&self) -> &TriagePolicy {
        &self.triage
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Parses and checks a catalog, reporting every problem with its position.
    pub fn from_toml(source: &str) -> Result<Catalog, Vec<CatalogError>> {
        let raw: RawCatalog = toml::from_str(source).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            vec![CatalogError::at(source, at, e.message().trim())]
        })?;
        let mut check = Checker {
            source,
            errors: Vec::new(),
        };
        let catalog = check.catalog(raw);
        match catalog {
            Some(catalog) if check.errors.is_empty() => Ok(catalog),
            _ => Err(check.errors),
        }
    }
}

/// One mistake in a catalog file, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl CatalogError {
    fn at(source: &str, offset: usize, message: impl Into<String>) -> Self {
        let before = source.get(..offset.min(source.len())).unwrap_or(source);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    case_prefix: Spanned<String>,
    #[serde(default)]
    triage: RawTriage,
    calendars: BTreeMap<String, Spanned<CalendarSpec>>,
    categories: Vec<Spanned<RawCategory>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTriage {
    high_factor: Spanned<f64>,
    low_factor: Spanned<f64>,
    strike_factor: Spanned<f64>,
    strike_days: Spanned<f64>,
    verified_factor: Spanned<f64>,
    unverified_factor: Spanned<f64>,
    merge_hours: Spanned<f64>,
    urgent_first_response_hours: Spanned<f64>,
    urgent_resolution_hours: Spanned<f64>,
    urgent_clock: Spanned<String>,
}

impl Default for RawTriage {
    fn default() -> Self {
        let n = |v: f64| Spanned::new(0..0, v);
        Self {
            high_factor: n(0.75),
            low_factor: n(1.5),
            strike_factor: n(1.2),
            strike_days: n(30.0),
            verified_factor: n(0.67),
            unverified_factor: n(1.4),
            merge_hours: n(24.0),
            urgent_first_response_hours: n(6.0),
            urgent_resolution_hours: n(12.0),
            urgent_clock: Spanned::new(0..0, "always".to_owned()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    label: Labels,
    clock: Spanned<String>,
    #[serde(default)]
    urgent_allowed: bool,
    first_response_hours: Spanned<f64>,
    resolution_hours: Spanned<f64>,
    subcategories: Vec<RawSubcategory>,
    #[serde(default)]
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubcategory {
    id: Spanned<String>,
    label: Labels,
    first_response_hours: Option<Spanned<f64>>,
    resolution_hours: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: Spanned<String>,
    label: Labels,
    hint: Option<Labels>,
    requirement: Requirement,
    format: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
}

/// Walks the raw catalog once, collecting every mistake instead of stopping at the first.
struct Checker<'s> {
    source: &'s str,
    errors: Vec<CatalogError>,
}

impl Checker<'_> {
    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.errors.push(CatalogError::at(self.source, offset, message));
    }

    fn catalog(&mut self, raw: RawCatalog) -> Option<Catalog> {
        let case_prefix = match CasePrefix::new(raw.case_prefix.get_ref()) {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(raw.case_prefix.span().start, e.to_string());
                None
            }
        };
        let mut calendars = BTreeMap::new();
        for (name, spec) in &raw.calendars {
            match Calendar::from_spec(spec.get_ref()) {
                Ok(c) => {
                    calendars.insert(name.clone(), c);
                }
                Err(e) => self.error(spec.span().start, format!("calendar `{name}`: {e}")),
            }
        }
        let triage = self.triage(&raw.triage, &calendars);
        if raw.categories.is_empty() {
            self.error(0, "the catalog has no categories");
        }
        let mut seen = BTreeSet::new();
        let categories: Vec<Category> = raw
            .categories
            .into_iter()
            .filter_map(|c| {
                let start = c.span().start;
                let c = c.into_inner();
                if !seen.insert(c.id.get_ref().clone()) {
                    self.error(
                        c.id.span().start,
                        format!("category `{}` is defined twice", c.id.get_ref()),
                    );
                }
                self.category(c, start, &calendars)
            })
            .collect();
        Some(Catalog {
            case_prefix: case_prefix?,
            triage: triage?,
            categories,
        })
    }

    fn triage(&mut self, raw: &RawTriage, calendars: &BTreeMap<String, Calendar>) -> Option<TriagePolicy> {
        let high_factor = self.positive(&raw.high_factor, "high_factor");
        let low_factor = self.positive(&raw.low_factor, "low_factor");
        let strike_factor = self.positive(&raw.strike_factor, "strike_factor");
        let verified_factor = self.positive(&raw.verified_factor, "verified_factor");
        let unverified_factor = self.positive(&raw.unverified_factor, "unverified_factor");
        let strike_days = self.positive(&raw.strike_days, "strike_days");
        let merge_hours = self.positive(&raw.merge_hours, "merge_hours");
        let urgent = self.targets(&raw.urgent_first_response_hours, &raw.urgent_resolution_hours);
        let urgent_calendar = self.calendar(&raw.urgent_clock, calendars);
        Some(TriagePolicy {
            high_factor: high_factor?,
            low_factor: low_factor?,
            strike_factor: strike_factor?,
            verified_factor: verified_factor?,
            unverified_factor: unverified_factor?,
            strike_window: hours(strike_days? * 24.0),
            merge_window: hours(merge_hours?),
            urgent: urgent?,
            urgent_calendar: urgent_calendar?,
        })
    }

    fn category(&mut self, raw: RawCategory, start: usize, calendars: &BTreeMap<String, Calendar>) -> Option<Category> {
        let id = self.identifier(&raw.id);
        let calendar = self.calendar(&raw.clock, calendars);
        let targets = self.targets(&raw.first_response_hours, &raw.resolution_hours);
        if raw.subcategories.is_empty() {
            self.error(start, format!("category `{}` has no sub-categories", raw.id.get_ref()));
        }
        let mut seen = BTreeSet::new();
        let subcategories: Vec<Subcategory> = raw
            .subcategories
            .into_iter()
            .filter_map(|s| {
                if !seen.insert(s.id.get_ref().clone()) {
                    self.error(
                        s.id.span().start,
                        format!("sub-category `{}` is defined twice", s.id.get_ref()),
                    );
                }
                let id = self.identifier(&s.id);
                let targets = match (&s.first_response_hours, &s.resolution_hours) {
                    (None, None) => None,
                    (Some(f), Some(r)) => Some(self.targets(f, r)?),
                    _ => {
                        self.error(
                            s.id.span().start,
                            "give both first_response_hours and resolution_hours, or neither",
                        );
                        return None;
                    }
                };
                Some(Subcategory {
                    id: id?,
                    label: s.label,
                    targets,
                })
            })
            .collect();
        let mut seen = BTreeSet::new();
        let fields: Vec<FieldSpec> = raw
            .fields
            .into_iter()
            .filter_map(|f| {
                if !seen.insert(f.id.get_ref().clone()) {
                    self.error(
                        f.id.span().start,
                        format!("field `{}` is defined twice", f.id.get_ref()),
                    );
                }
                self.field(f)
            })
            .collect();
        Some(Category {
            id: id?,
            label: raw.label,
            clock: raw.clock.into_inner(),
            calendar: calendar?,
            urgent_allowed: raw.urgent_allowed,
            targets: targets?,
            subcategories,
            fields,
        })
    }

    fn field(&mut self, raw: RawField) -> Option<FieldSpec> {
        let id = self.identifier(&raw.id);
        if STANDARD_FIELDS.contains(&raw.id.get_ref().as_str()) {
            self.error(
                raw.id.span().start,
                format!("`{}` is a standard field of every request", raw.id.get_ref()),
            );
        }
        let format = match (&raw.format, &raw.pattern) {
            (Some(_), Some(p)) => {
                self.error(p.span().start, "give `format` or `pattern`, not both");
                return None;
            }
            (None, Some(p)) => match FieldFormat::pattern(p.get_ref()) {
                Ok(f) => Some(f),
                Err(e) => {
                    self.error(p.span().start, format!("the pattern does not compile: {e}"));
                    return None;
                }
            },
            (Some(f), None) => Some(self.format(f, raw.host.as_ref())?),
            (None, None) => None,
        };
        if let (Some(host), false) = (&raw.host, matches!(format, Some(FieldFormat::Url { .. }))) {
            self.error(host.span().start, "`host` only goes with format = \"url\"");
        }
        Some(FieldSpec {
            id: id?,
            label: raw.label,
            hint: raw.hint,
            requirement: raw.requirement,
            format,
        })
    }

    fn format(&mut self, name: &Spanned<String>, host: Option<&Spanned<String>>) -> Option<FieldFormat> {
        Some(match name.get_ref().as_str() {
            "email" => FieldFormat::Email,
            "e164" => FieldFormat::E164,
            "date_time" => FieldFormat::DateTime,
            "ip" => FieldFormat::Ip,
            "money" => FieldFormat::Money,
            "url" => FieldFormat::Url {
                host: host.map(|h| h.get_ref().to_ascii_lowercase()),
            },
            other => {
                self.error(
                    name.span().start,
                    format!("unknown format `{other}` (email, e164, date_time, ip, money, url, or a `pattern`)"),
                );
                return None;
            }
        })
    }

    fn identifier(&mut self, id: &Spanned<String>) -> Option<String> {
        let text = id.get_ref();
        let ok = text.len() <= 64
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Some(text.clone())
        } else {
            self.error(
                id.span().start,
                format!("`{text}` is not an identifier (lower-case letters, digits, _)"),
            );
            None
        }
    }

    fn calendar(&mut self, name: &Spanned<String>, calendars: &BTreeMap<String, Calendar>) -> Option<Calendar> {
        let found = calendars.get(name.get_ref()).cloned();
        if found.is_none() {
            self.error(name.span().start, format!("no calendar named `{}`", name.get_ref()));
        }
        found
    }

    fn targets(&mut self, first: &Spanned<f64>, resolution: &Spanned<f64>) -> Option<Targets> {
        let f = self.positive(first, "first_response_hours");
        let r = self.positive(resolution, "resolution_hours");
        let (f, r) = (f?, r?);
        if r < f {
            self.error(
                resolution.span().start,
                "resolution_hours is shorter than first_response_hours",
            );
        }
        Some(Targets {
            first_response: hours(f),
            resolution: hours(r),
        })
    }

    fn positive(&mut self, value: &Spanned<f64>, name: &str) -> Option<f64> {
        let v = *value.get_ref();
        // A year of hours is far beyond any sensible target; the bound keeps arithmetic exact.
        if v.is_finite() && v > 0.0 && v <= 24.0 * 366.0 {
            Some(v)
        } else {
            self.error(
                value.span().start,
                format!("{name} must be a number above 0 and at most 8784"),
            );
            None
        }
    }
}

fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid() {
        let catalog = Catalog::from_toml(BUILTIN_TOML).unwrap();
        assert_eq!(catalog.case_prefix().as_str(), "WA");
    }

    #[test]
    fn builtin_catalog_has_the_seeds_six_categories_and_their_subcategories() {
        let catalog = Catalog::builtin();
        let ids: Vec<_> = catalog.categories().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["account", "messages", "payments", "security", "groups", "technical"]
        );
        for c in catalog.categories() {
            assert_eq!(c.subcategories.len(), 3, "{}", c.id);
            assert!(!c.label.get("it").is_empty() && !c.label.get("en").is_empty());
        }
        let subs = |id: &str| -> Vec<String> {
            catalog
                .category(id)
                .unwrap()
                .subcategories
                .iter()
                .map(|s| s.id.clone())
                .collect()
        };
        assert_eq!(subs("account"), ["cannot_log_in", "banned", "phone_change"]);
        assert_eq!(
            subs("security"),
            ["account_stolen", "suspicious_activity", "support_scam"]
        );
    }

    #[test]
    fn builtin_targets_clocks_and_urgency_follow_spec_section_2() {
        let catalog = Catalog::builtin();
        let h = |n: i64| Duration::hours(n);
        let expect = [
            ("account", 12, 36, "support_days", false),
            ("messages", 24, 48, "support_days", false),
            ("payments", 24, 72, "support_days", true),
            ("security", 6, 24, "always", true),
            ("groups", 24, 48, "support_days", false),
            ("technical", 24, 72, "support_days", false),
        ];
        for (id, first, resolution, clock, urgent) in expect {
            let c = catalog.category(id).unwrap();
            assert_eq!(
                c.targets,
                Targets {
                    first_response: h(first),
                    resolution: h(resolution)
                },
                "{id}"
            );
            assert_eq!(c.clock, clock, "{id}");
            assert_eq!(c.urgent_allowed, urgent, "{id}");
        }
        let banned = catalog.category("account").unwrap().subcategory("banned").unwrap();
        assert_eq!(
            banned.targets,
            Some(Targets {
                first_response: h(24),
                resolution: h(120)
            })
        );
        let t = catalog.triage();
        assert_eq!(
            t.urgent,
            Targets {
                first_response: h(6),
                resolution: h(12)
            }
        );
        assert_eq!((t.high_factor, t.low_factor, t.strike_factor), (0.75, 1.5, 1.2));
        assert_eq!(t.strike_window, Duration::days(30));
        assert_eq!(t.merge_window, h(24));
    }

    #[test]
    fn builtin_recommended_fields_have_their_formats() {
        let catalog = Catalog::builtin();
        let field = |c: &str, f: &str| catalog.category(c).unwrap().field(f).unwrap().clone();
        assert!(field("payments", "transaction_id")
            .format
            .as_ref()
            .unwrap()
            .check("WA123456789")
            .is_ok());
        assert!(field("payments", "transaction_id")
            .format
            .as_ref()
            .unwrap()
            .check("WA12345")
            .is_err());
        assert!(field("payments", "amount")
            .format
            .as_ref()
            .unwrap()
            .check("12,50 EUR")
            .is_ok());
        assert!(field("security", "last_known_ip")
            .format
            .as_ref()
            .unwrap()
            .check("2001:db8::1")
            .is_ok());
        assert!(field("groups", "group_link")
            .format
            .as_ref()
            .unwrap()
            .check("https://chat.whatsapp.com/AbC")
            .is_ok());
        assert!(field("groups", "group_link")
            .format
            .as_ref()
            .unwrap()
            .check("https://evil.example/x")
            .is_err());
        assert!(field("technical", "error_code")
            .format
            .as_ref()
            .unwrap()
            .check("WA-403")
            .is_ok());
        assert!(field("account", "ban_notice_received")
            .format
            .as_ref()
            .unwrap()
            .check("sì")
            .is_ok());
        assert!(field("messages", "contact_number")
            .format
            .as_ref()
            .unwrap()
            .check("+39 345 123 4567")
            .is_ok());
        for c in catalog.categories() {
            assert!(
                c.fields.iter().all(|f| f.requirement == Requirement::Recommended),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn labels_fall_back_to_english() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.category("payments").unwrap().label.get("it"), "Pagamenti");
        assert_eq!(catalog.category("payments").unwrap().label.get("de"), "Payments");
    }

    fn errors(src: &str) -> Vec<CatalogError> {
        Catalog::from_toml(src).unwrap_err()
    }

    const MINIMAL: &str = r#"case_prefix = "WA"
[calendars.always]
[[categories]]
id = "account"
label = { en = "Account" }
clock = "always"
first_response_hours = 12
resolution_hours = 36
[[categories.subcategories]]
id = "banned"
label = { en = "Banned" }
"#;

    #[test]
    fn a_minimal_catalog_loads_with_default_triage() {
        let catalog = Catalog::from_toml(MINIMAL).unwrap();
        assert_eq!(catalog.triage().high_factor, 0.75);
        assert!(catalog.category("account").unwrap().fields.is_empty());
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = errors("case_prefix = \"WA\"\n[calendars.always\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 2, "{e:?}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_position() {
        let src = MINIMAL.replace("clock = \"always\"", "clock = \"always\"\ncolour = \"red\"");
        let e = errors(&src);
        assert_eq!(e[0].line, 7, "{e:?}");
        assert!(e[0].message.contains("colour"), "{e:?}");
    }

    #[test]
    fn every_semantic_mistake_is_reported_at_once_with_its_line() {
        let src = MINIMAL
            .replace("clock = \"always\"", "clock = \"weekdays\"")
            .replace("first_response_hours = 12", "first_response_hours = -1")
            .replace("id = \"banned\"", "id = \"Banned!\"");
        let e = errors(&src);
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert!(
            e.iter().any(|e| e.message.contains("no calendar named `weekdays`")),
            "{e:?}"
        );
        assert!(e.iter().any(|e| e.message.contains("first_response_hours")), "{e:?}");
        assert!(e.iter().any(|e| e.message.contains("not an identifier")), "{e:?}");
        assert_eq!(lines, [6, 7, 10], "{e:?}");
    }

    #[test]
    fn bad_patterns_formats_and_duplicate_ids_are_refused() {
        let src = format!(
            "{MINIMAL}[[categories.fields]]\nid = \"x\"\nlabel = {{ en = \"X\" }}\nrequirement = \"recommended\"\npattern = \"(\"\n\
             [[categories.fields]]\nid = \"y\"\nlabel = {{ en = \"Y\" }}\nrequirement = \"required\"\nformat = \"colour\"\n\
             [[categories.fields]]\nid = \"email\"\nlabel = {{ en = \"E\" }}\nrequirement = \"required\"\n\
             [[categories.subcategories]]\nid = \"banned\"\nlabel = {{ en = \"B\" }}\n"
        );
        let e = errors(&src);
        assert!(e.iter().any(|e| e.line == 16 && e.message.contains("pattern")), "{e:?}");
        assert!(
            e.iter()
                .any(|e| e.line == 21 && e.message.contains("unknown format `colour`")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|e| e.line == 23 && e.message.contains("standard field")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|e| e.line == 27 && e.message.contains("defined twice")),
            "{e:?}"
        );
    }

    #[test]
    fn a_bad_calendar_is_reported() {
        let src = MINIMAL.replace("[calendars.always]", "[calendars.always]\ntimezone = \"Mars/Olympus\"");
        let e = errors(&src);
        assert!(e.iter().any(|e| e.message.contains("calendar `always`")), "{e:?}");
    }

    #[test]
    fn a_bad_case_prefix_is_reported() {
        let e = errors(&MINIMAL.replace("case_prefix = \"WA\"", "case_prefix = \"W-1\""));
        assert_eq!((e[0].line, e[0].column), (1, 15), "{e:?}");
    }

    #[test]
    fn targets_scale_to_the_second() {
        let t = Targets {
            first_response: Duration::hours(24),
            resolution: Duration::hours(72),
        };
        assert_eq!(t.scaled(0.75).first_response, Duration::hours(18));
        assert_eq!(
            t.scaled(1.2).resolution,
            Duration::seconds((72.0f64 * 3600.0 * 1.2).round() as i64)
        );
    }
}
