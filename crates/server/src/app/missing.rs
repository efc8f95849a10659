//! What a case still lacks (SPEC §7's "request information", a canned reply's
//! `{missing_fields}`): its category's recommended fields, and the phone and device a case opened
//! by mail waits for, named in the customer's language.

use super::App;

/// The missing parts of `c`, in its customer's language.
pub fn missing_fields(app: &App, c: &crate::store::Case) -> Vec<String> {
    let lang = crate::i18n::Lang::negotiate([c.language.as_str()]);
    let code = lang.code();
    let mut missing: Vec<String> = Vec::new();
    if c.phone.is_none() {
        missing.push(lang.message("mail-missing-phone", &[]));
    }
    if c.device.is_none() {
        missing.push(lang.message("mail-missing-device", &[]));
    }
    if let Some(category) = app.catalog.category(&c.category) {
        for id in category.missing_recommended(&c.fields) {
            if let Some(field) = category.field(&id) {
                missing.push(field.label.get(&code).to_owned());
            }
        }
    }
    missing
}
