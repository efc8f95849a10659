//! Screenshots as evidence (SPEC §3.1): what a file is, read from its bytes — never its name — and
//! without decoding a pixel. Headers are walked by hand so that nothing is allocated in proportion
//! to what a hostile file *declares*: a 42-byte PNG claiming 4 billion columns costs 42 bytes.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::problem::ProblemCode;

/// SPEC §3.1: 5 MiB.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// SPEC §3.1: declared dimensions over 50 megapixels are refused.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The seed's 720p: the shorter side of a readable screenshot.
pub const MIN_SHORT_SIDE: u32 = 720;
/// The seed's screen recordings converted to GIF last under 30 seconds.
pub const MAX_GIF_MILLIS: u64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Gif,
}

impl ImageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpeg",
            ImageKind::Png => "png",
            ImageKind::Gif => "gif",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Gif => "image/gif",
        }
    }
}

/// Everything the desk needs to know about one accepted image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    pub byte_len: usize,
    /// Total display time of an animated GIF.
    pub gif_millis: Option<u64>,
    /// The EXIF `Software` tag, when it names an image editor (SPEC §3.2 `attachment_edited`).
    pub editor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("over 5 MiB, 50 megapixels or 30 seconds")]
    TooLarge,
    #[error("not a JPEG, PNG or GIF image")]
    Type,
    #[error("the shorter side is under 720 pixels")]
    Resolution,
    #[error("the image header cannot be read")]
    Corrupt,
}

impl EvidenceError {
    pub fn code(self) -> ProblemCode {
        match self {
            EvidenceError::TooLarge => ProblemCode::AttachmentTooLarge,
            EvidenceError::Type => ProblemCode::AttachmentType,
            EvidenceError::Resolution => ProblemCode::AttachmentResolution,
            EvidenceError::Corrupt => ProblemCode::AttachmentCorrupt,
        }
    }
}

/// Checks one uploaded file: size, type by magic bytes, header, dimensions, GIF duration, editor.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, EvidenceError> {
    if bytes.len() > MAX_BYTES {
        return Err(EvidenceError::TooLarge);
    }
    let header = match bytes {
        [0xFF, 0xD8, 0xFF, ..] => jpeg(bytes)?,
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => png(bytes)?,
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => gif(bytes)?,
        _ => return Err(EvidenceError::Type),
    };
    let (width, height) = (header.width, header.height);
    if width == 0 || height == 0 {
        return Err(EvidenceError::Corrupt);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(EvidenceError::TooLarge);
    }
    if header.gif_millis.is_some_and(|ms| ms > MAX_GIF_MILLIS) {
        return Err(EvidenceError::TooLarge);
    }
    if width.min(height) < MIN_SHORT_SIDE {
        return Err(EvidenceError::Resolution);
    }
    let editor = header.exif.and_then(exif_software).filter(|s| names_an_editor(s));
    Ok(Inspection {
        kind: header.kind,
        width,
        height,
        byte_len: bytes.len(),
        gif_millis: header.gif_millis,
        editor,
    })
}

/// What a header walk found.
struct Header<'a> {
    kind: ImageKind,
    width: u32,
    height: u32,
    gif_millis: Option<u64>,
    /// The TIFF structure of an EXIF block, borrowed from the file.
    exif: Option<&'a [u8]>,
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Walks JPEG segments up to the first start-of-frame, noting an EXIF APP1 on the way.
fn jpeg(b: &[u8]) -> Result<Header<'_>, EvidenceError> {
    let corrupt = EvidenceError::Corrupt;
    let mut exif = None;
    let mut i = 2;
    loop {
        if *b.get(i).ok_or(corrupt)? != 0xFF {
            return Err(corrupt);
        }
        let marker = *b.get(i + 1).ok_or(corrupt)?;
        match marker {
            0xFF => i += 1, // fill byte
            0x01 | 0xD0..=0xD8 => i += 2,
            // End of image or start of scan before any frame header: no dimensions to read.
            0xD9 | 0xDA => return Err(corrupt),
            _ => {
                let len = be16(b, i + 2).ok_or(corrupt)? as usize;
                let segment = b.get(i + 4..i + 2 + len).filter(|_| len >= 2).ok_or(corrupt)?;
                match marker {
                    0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                        let height = be16(segment, 1).ok_or(corrupt)?;
                        let width = be16(segment, 3).ok_or(corrupt)?;
                        return Ok(Header {
                            kind: ImageKind::Jpeg,
                            width,
                            height,
                            gif_millis: None,
                            exif,
                        });
                    }
                    0xE1 if exif.is_none() => exif = segment.strip_prefix(b"Exif\0\0"),
                    _ => {}
                }
                i += 2 + len;
            }
        }
    }
}

/// Reads IHDR, which PNG requires first, and an `eXIf` chunk if one comes before the image data.
fn png(b: &[u8]) -> Result<Header<'_>, EvidenceError> {
    let corrupt = EvidenceError::Corrupt;
    if be32(b, 8) != Some(13) || b.get(12..16) != Some(b"IHDR") {
        return Err(corrupt);
    }
    let width = be32(b, 16).ok_or(corrupt)?;
    let height = be32(b, 20).ok_or(corrupt)?;
    let mut exif = None;
    let mut at = 33; // signature, IHDR length, type, 13 bytes of data, CRC
    while let (Some(len), Some(kind)) = (be32(b, at), b.get(at + 4..at + 8)) {
        let Some(data) = b.get(at + 8..(at + 8).saturating_add(len as usize)) else {
            break;
        };
        match kind {
            b"eXIf" => {
                exif = Some(data);
                break;
            }
            b"IDAT" | b"IEND" => break,
            _ => at = at + 12 + data.len(),
        }
    }
    Ok(Header {
        kind: ImageKind::Png,
        width,
        height,
        gif_millis: None,
        exif,
    })
}

/// Walks the GIF block structure to its trailer, adding up frame delays; pixel data is skipped.
fn gif(b: &[u8]) -> Result<Header<'_>, EvidenceError> {
    let corrupt = EvidenceError::Corrupt;
    let width = u32::from(le16(b, 6).ok_or(corrupt)?);
    let height = u32::from(le16(b, 8).ok_or(corrupt)?);
    let packed = *b.get(10).ok_or(corrupt)?;
    let mut i = 13 + color_table_len(packed);
    let mut centis: u64 = 0;
    loop {
        match *b.get(i).ok_or(corrupt)? {
            0x3B => break,
            0x21 => {
                let label = *b.get(i + 1).ok_or(corrupt)?;
                if label == 0xF9 {
                    // Browsers show frames of 0 or 1 hundredths as 10: count what people see.
                    let delay = u64::from(le16(b, i + 4).ok_or(corrupt)?);
                    centis += if delay < 2 { 10 } else { delay };
                }
                i = skip_sub_blocks(b, i + 2)?;
            }
            0x2C => {
                // A decoder allocates by frame, not by screen: a frame's declared size counts too.
                let frame_w = u64::from(le16(b, i + 5).ok_or(corrupt)?);
                let frame_h = u64::from(le16(b, i + 7).ok_or(corrupt)?);
                if frame_w * frame_h > MAX_PIXELS {
                    return Err(EvidenceError::TooLarge);
                }
                let packed = *b.get(i + 9).ok_or(corrupt)?;
                i += 10 + color_table_len(packed) + 1; // descriptor, local colours, LZW code size
                i = skip_sub_blocks(b, i)?;
            }
            _ => return Err(corrupt),
        }
    }
    Ok(Header {
        kind: ImageKind::Gif,
        width,
        height,
        gif_millis: Some(centis * 10),
        exif: None,
    })
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// The index just past a chain of data sub-blocks starting at `i`.
fn skip_sub_blocks(b: &[u8], mut i: usize) -> Result<usize, EvidenceError> {
    loop {
        let len = *b.get(i).ok_or(EvidenceError::Corrupt)? as usize;
        i += 1 + len;
        if len == 0 {
            return Ok(i);
        }
    }
}

/// The EXIF `Software` tag of a TIFF structure; a damaged block just has none.
fn exif_software(tiff: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Software, exif::In::PRIMARY)?;
    match &field.value {
        exif::Value::Ascii(parts) => parts
            .first()
            .map(|p| String::from_utf8_lossy(p).trim_end_matches('\0').trim().to_owned()),
        _ => None,
    }
}

/// Programs that change what a screenshot shows; camera and phone firmware are not among them.
const EDITORS: [&str; 17] = [
    "photoshop",
    "lightroom",
    "gimp",
    "snapseed",
    "picsart",
    "pixelmator",
    "affinity photo",
    "paint.net",
    "canva",
    "facetune",
    "vsco",
    "photopea",
    "krita",
    "corel",
    "luminar",
    "airbrush",
    "photo editor",
];

fn names_an_editor(software: &str) -> bool {
    let lower = software.to_lowercase();
    EDITORS.iter().any(|e| lower.contains(e))
}

/// SHA-256 of a blob: its address in the blob store and how repeats are recognised.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in self.0 {
            hex.push(char::from(DIGITS[usize::from(b >> 4)]));
            hex.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        hex
    }

    pub fn from_hex(hex: &str) -> Option<ContentHash> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ContentHash(out))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

pub fn content_hash(bytes: &[u8]) -> ContentHash {
    ContentHash(Sha256::digest(bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn image(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../../shared/testdata/images/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// A GIF89a with one frame per delay (hundredths of a second); pixel data is a token.
    pub(crate) fn gif_of(width: u16, height: u16, delays: &[u16]) -> Vec<u8> {
        let mut g = b"GIF89a".to_vec();
        g.extend(width.to_le_bytes());
        g.extend(height.to_le_bytes());
        g.extend([0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
        for delay in delays {
            g.extend([0x21, 0xf9, 4, 0]);
            g.extend(delay.to_le_bytes());
            g.extend([0, 0, 0x2c, 0, 0, 0, 0]);
            g.extend(width.to_le_bytes());
            g.extend(height.to_le_bytes());
            g.extend([0, 2, 2, 0x44, 0x01, 0]);
        }
        g.push(0x3b);
        g
    }

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        p.extend(b"IHDR");
        p.extend(width.to_be_bytes());
        p.extend(height.to_be_bytes());
        p.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        p
    }

    #[test]
    fn real_images_get_their_expected_outcome() {
        type Outcome = Result<(u32, u32), EvidenceError>;
        let cases: [(&str, Outcome); 12] = [
            ("large-png-3840x2160-exoplanet.png", Ok((3840, 2160))),
            ("jpeg-exif-lightroom-canon-2000x1072.jpg", Ok((2000, 1072))),
            ("screenshot-935x534-firefox.png", Err(EvidenceError::Resolution)),
            ("gif-hopper-128.gif", Err(EvidenceError::Resolution)),
            ("jpeg-exif-software-photoshop.jpg", Err(EvidenceError::Resolution)),
            ("jpeg-exif-gps.jpg", Err(EvidenceError::Resolution)),
            ("jpeg-exif-orientation-2.jpg", Err(EvidenceError::Resolution)),
            // The header is intact; the missing pixels are never read.
            ("png-truncated-640x480.png", Err(EvidenceError::Resolution)),
            // A 1×1 image whose text chunks inflate to megabytes: too small, and never inflated.
            ("png-decompression-bomb-ztxt.png", Err(EvidenceError::Resolution)),
            // Declared dimensions far over 50 megapixels: refused for what they declare.
            ("png-ihdr-huge-dimensions-42b.png", Err(EvidenceError::TooLarge)),
            ("gif-dimension-bomb.gif", Err(EvidenceError::TooLarge)),
            ("webp-hopper-128.webp", Err(EvidenceError::Type)),
        ];
        for (name, expected) in cases {
            let got = inspect(&image(name)).map(|i| (i.width, i.height));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn editors_are_named_from_exif() {
        let lightroom = inspect(&image("jpeg-exif-lightroom-canon-2000x1072.jpg")).unwrap();
        assert!(
            lightroom.editor.as_deref().unwrap().contains("Lightroom"),
            "{lightroom:?}"
        );
        assert_eq!(lightroom.kind, ImageKind::Jpeg);
        let photoshop_bytes = image("jpeg-exif-software-photoshop.jpg");
        let photoshop = jpeg(&photoshop_bytes).unwrap();
        assert!(photoshop.exif.and_then(exif_software).unwrap().contains("Photoshop"));
        assert_eq!(
            inspect(&image("large-png-3840x2160-exoplanet.png")).unwrap().editor,
            None
        );
        assert!(!names_an_editor("iPhone 14 Pro 17.1"));
        assert!(!names_an_editor("Android SP1A.210812.016"));
        assert!(names_an_editor("GIMP 2.10.34"));
    }

    #[test]
    fn gif_duration_is_the_sum_of_its_delays() {
        let ok = inspect(&gif_of(1280, 720, &[50, 50, 50])).unwrap();
        assert_eq!((ok.kind, ok.gif_millis), (ImageKind::Gif, Some(1500)));
        assert_eq!(inspect(&gif_of(1280, 720, &[3000])).unwrap().gif_millis, Some(30_000));
        assert_eq!(
            inspect(&gif_of(1280, 720, &[1000, 1000, 1100])),
            Err(EvidenceError::TooLarge)
        );
        // Zero delays are shown at 10 per second: 400 of them last 40 s.
        assert_eq!(inspect(&gif_of(1280, 720, &[0; 400])), Err(EvidenceError::TooLarge));
        let mut truncated = gif_of(1280, 720, &[50]);
        truncated.truncate(truncated.len() - 3);
        assert_eq!(inspect(&truncated), Err(EvidenceError::Corrupt));
    }

    #[test]
    fn dimensions_are_checked_without_decoding() {
        assert_eq!(inspect(&png_of(100_000, 100_000)), Err(EvidenceError::TooLarge));
        assert_eq!(inspect(&png_of(u32::MAX, u32::MAX)), Err(EvidenceError::TooLarge));
        assert_eq!(inspect(&png_of(0, 1080)), Err(EvidenceError::Corrupt));
        assert_eq!(inspect(&png_of(1280, 719)), Err(EvidenceError::Resolution));
        assert_eq!(inspect(&png_of(720, 1280)).map(|i| i.height), Ok(1280));
        // Exactly 50 megapixels is allowed; one more row is not.
        assert!(inspect(&png_of(10_000, 5_000)).is_ok());
        assert_eq!(inspect(&png_of(10_000, 5_001)), Err(EvidenceError::TooLarge));
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
        jpeg.extend(100_000u32.to_be_bytes()[2..].iter().chain(&60_000u16.to_be_bytes()));
        jpeg.extend([0; 10]);
        assert_eq!(inspect(&jpeg), Err(EvidenceError::TooLarge));
    }

    #[test]
    fn size_and_type_come_before_anything_else() {
        let mut big = png_of(1920, 1080);
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(inspect(&big), Err(EvidenceError::TooLarge));
        let mut exactly = png_of(1920, 1080);
        exactly.resize(MAX_BYTES, 0);
        assert!(inspect(&exactly).is_ok());
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(4096, 0);
        assert_eq!(inspect(&elf), Err(EvidenceError::Type));
        assert_eq!(inspect(b"%PDF-1.7"), Err(EvidenceError::Type));
        assert_eq!(inspect(b""), Err(EvidenceError::Type));
        assert_eq!(inspect(&[0xFF, 0xD8, 0xFF]), Err(EvidenceError::Corrupt));
        assert_eq!(inspect(&[0xFF, 0xD8, 0xFF, 0xD9]), Err(EvidenceError::Corrupt));
        assert_eq!(inspect(b"GIF89a"), Err(EvidenceError::Corrupt));
    }

    #[test]
    fn content_hash_matches_the_sha256_test_vector() {
        // FIPS 180-2 example: SHA-256("abc").
        let h = content_hash(b"abc");
        assert_eq!(
            h.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(ContentHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(ContentHash::from_hex("zz"), None);
    }

    const NAMES: [&str; 12] = [
        "large-png-3840x2160-exoplanet.png",
        "jpeg-exif-lightroom-canon-2000x1072.jpg",
        "screenshot-935x534-firefox.png",
        "gif-hopper-128.gif",
        "jpeg-exif-software-photoshop.jpg",
        "jpeg-exif-gps.jpg",
        "jpeg-exif-orientation-2.jpg",
        "png-truncated-640x480.png",
        "png-decompression-bomb-ztxt.png",
        "png-ihdr-huge-dimensions-42b.png",
        "gif-dimension-bomb.gif",
        "webp-hopper-128.webp",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = inspect(&bytes);
        }

        #[test]
        fn headers_with_random_tails_never_panic(
            magic in prop_oneof![Just(&b"\xFF\xD8\xFF"[..]), Just(&b"\x89PNG\r\n\x1a\n"[..]), Just(&b"GIF89a"[..])],
            tail in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut bytes = magic.to_vec();
            bytes.extend(tail);
            let _ = inspect(&bytes);
        }

        #[test]
        fn mutated_and_truncated_real_images_never_panic(
            which in 0..NAMES.len(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = image(NAMES[which]);
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let len = cut.index(bytes.len() + 1);
            bytes.truncate(len);
            let _ = inspect(&bytes);
        }
    }
}
