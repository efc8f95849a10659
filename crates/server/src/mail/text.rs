//! The text an agent reads from a mail, as its writer wrote it: every text part of the body in
//! order, an alternative's plain text unless it is empty (then its HTML, as readable text), every
//! charset decoded (mail-parser with encoding_rs), and 8-bit text that declares no charset read
//! the way mail clients read it: UTF-8 if it is, else a charset another part of the message
//! declares, else a statistical guess (chardetng).

use encoding_rs::Encoding;
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

/// Width HTML is laid out at: wide enough that a paragraph stays one line (the desk wraps it), so
/// lines break where the writer broke them and a long address stays whole.
const HTML_WIDTH: usize = 10_000;

/// The body's text: the message's parts walked in order, each text part trimmed, empty ones left
/// out, joined by a blank line.
pub fn body(message: &Message<'_>) -> String {
    let mut texts = Vec::new();
    if let Some(root) = message.part(0) {
        collect(message, root, &mut texts);
    }
    texts.iter().map(|t| t.trim()).collect::<Vec<_>>().join("\n\n")
}

/// The texts of `part` and what it holds: every inline text part of a mixed, related or signed
/// multipart, in order; of an alternative, the first that has any text (its plain text, or
/// its HTML when the plain one is empty). Files are not text, whatever their type.
fn collect(message: &Message<'_>, part: &MessagePart<'_>, texts: &mut Vec<String>) {
    let attachment = part.content_disposition().is_some_and(|d| d.is_attachment());
    match &part.body {
        PartType::Multipart(children) => {
            let children = children.iter().filter_map(|id| message.part(*id));
            let alternative = part
                .content_type()
                .and_then(|ct| ct.subtype())
                .is_some_and(|s| s.eq_ignore_ascii_case("alternative"));
            if alternative {
                for child in children {
                    let mut found = Vec::new();
                    collect(message, child, &mut found);
                    if found.iter().any(|t| !t.trim().is_empty()) {
                        texts.extend(found);
                        return;
                    }
                }
            } else {
                for child in children {
                    collect(message, child, texts);
                }
            }
        }
        _ if attachment || !is_text(part) => {}
        _ => {
            if let Some(text) = text_of(message, part).filter(|t| !t.trim().is_empty()) {
                texts.push(text);
            }
        }
    }
}

/// A `text/*` part (no Content-Type is text/plain): a picture or sound that failed to decode is
/// not text, even when the parser kept its bytes as such.
fn is_text(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .is_none_or(|ct| ct.ctype().eq_ignore_ascii_case("text"))
}

fn text_of(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    match &part.body {
        PartType::Text(text) => Some(match undeclared_8bit(message, part) {
            Some(bytes) => guessed(message, bytes),
            None => text.to_string(),
        }),
        PartType::Html(html) => Some(readable(html)),
        _ => None,
    }
}

/// HTML as text: cells of a row apart, rows, headings and list items on lines of their own,
/// links kept with their address.
pub fn readable(html: &str) -> String {
    html2text::config::plain()
        .no_table_borders()
        .no_link_wrapping()
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), HTML_WIDTH)
        .map(|t| t.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// The raw bytes of a text part sent as 8-bit without a charset, when they are not UTF-8 (what
/// mail-parser read as UTF-8 with replacement characters).
fn undeclared_8bit<'m>(message: &'m Message<'_>, part: &MessagePart<'_>) -> Option<&'m [u8]> {
    if part.content_type().and_then(|ct| ct.attribute("charset")).is_some() {
        return None;
    }
    let raw = message
        .raw_message()
        .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
    std::str::from_utf8(raw).is_err().then_some(raw)
}

/// `bytes` in the first charset another part of the message declares, else the one chardetng
/// finds most likely.
pub fn guessed(message: &Message<'_>, bytes: &[u8]) -> String {
    let declared = message
        .parts
        .iter()
        .filter_map(|p| p.content_type()?.attribute("charset"))
        .find_map(|label| Encoding::for_label(label.trim().as_bytes()));
    let encoding = declared.unwrap_or_else(|| {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
        detector.feed(bytes, true);
        detector.guess(None, chardetng::Utf8Detection::Allow)
    });
    encoding.decode(bytes).0.into_owned()
}

/// A header's text when its raw bytes were 8-bit and not UTF-8 (a Shift_JIS subject sent
/// unencoded), decoded as [`guessed`] decodes a body; `parsed` (mail-parser's reading) otherwise.
pub fn header(message: &Message<'_>, name: &str, parsed: &str) -> String {
    let raw = message
        .headers()
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name));
    let Some(raw) = raw.and_then(|h| {
        message
            .raw_message()
            .get(h.offset_start as usize..h.offset_end as usize)
    }) else {
        return parsed.to_owned();
    };
    if std::str::from_utf8(raw).is_ok() {
        return parsed.to_owned();
    }
    // Unfolded as mail-parser unfolds it.
    let text = guessed(message, raw);
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
