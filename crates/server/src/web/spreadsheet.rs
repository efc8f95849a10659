//! CSV for spreadsheets: what the desk's and the API's downloads share.

/// A cell as a spreadsheet will not run it: text that starts like a formula gets a leading `'`
/// (OWASP's advice against CSV injection).
pub(crate) fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}
