//! The small picture of a screenshot the desk shows (SPEC §7): made once from the pixels, in a job.
//! Only what [`inspect`] accepted is decoded, so no file over 5 MiB or 50 megapixels ever reaches
//! the decoder, and the decoder's own limits hold it to that if a header lied.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::evidence::{inspect, EvidenceError, MAX_PIXELS};

/// The longer side of a thumbnail, in pixels: sharp on a high-density screen at 160 CSS pixels.
pub const SIDE: u32 = 320;
const QUALITY: u8 = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbnailError {
    /// Not accepted evidence (never decoded).
    #[error("not an accepted screenshot: {0}")]
    Refused(EvidenceError),
    #[error("the pixels could not be decoded: {0}")]
    Decode(String),
}

/// A JPEG at most [`SIDE`] pixels on its longer side, the picture upright (EXIF orientation
/// applied), a GIF by its first frame. Never larger than the original.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    inspect(bytes).map_err(ThumbnailError::Refused)?;
    let decode = |e: image::ImageError| ThumbnailError::Decode(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Decode(e.to_string()))?;
    let mut limits = Limits::default();
    // RGBA at the pixel limit, plus the decoder's working rows.
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode)?;
    let orientation = decoder.orientation().map_err(decode)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(decode)?;
    picture.apply_orientation(orientation);
    let small = if picture.width().max(picture.height()) > SIDE {
        picture.thumbnail(SIDE, SIDE)
    } else {
        picture
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&small.to_rgb8())
        .map_err(decode)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn testdata(name: &str) -> Vec<u8> {
        let path = format!("{}/../../../shared/testdata/images/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn size_of(jpeg: &[u8]) -> (u32, u32) {
        let picture = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).unwrap();
        (picture.width(), picture.height())
    }

    #[test]
    fn real_screenshots_and_photos_shrink_to_fit_keeping_their_shape() {
        for (name, expected) in [
            ("large-png-3840x2160-exoplanet.png", (320, 180)),
            ("jpeg-exif-lightroom-canon-2000x1072.jpg", (320, 172)),
        ] {
            let bytes = testdata(name);
            let small = thumbnail(&bytes).unwrap();
            assert_eq!(size_of(&small), expected, "{name}");
            assert!(small.len() < bytes.len() / 10, "{name}: {} bytes", small.len());
        }
    }

    #[test]
    fn files_the_intake_refuses_are_never_decoded() {
        for (name, refused) in [
            ("png-ihdr-huge-dimensions-42b.png", EvidenceError::TooLarge),
            ("gif-dimension-bomb.gif", EvidenceError::TooLarge),
            ("png-truncated-640x480.png", EvidenceError::Corrupt),
            ("webp-hopper-128.webp", EvidenceError::Type),
        ] {
            let got = thumbnail(&testdata(name));
            assert!(
                matches!(&got, Err(ThumbnailError::Refused(e)) if *e == refused),
                "{name}: {got:?}"
            );
        }
    }

    /// A PNG of `w`×`h` with a gradient, so that scaling has something to keep.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn a_thumbnail_fits_the_side_and_keeps_the_aspect(w in 720u32..2400, h in 720u32..2400) {
            let (tw, th) = size_of(&thumbnail(&png(w, h)).unwrap());
            prop_assert_eq!(tw.max(th), SIDE);
            let (want, got) = (f64::from(w) / f64::from(h), f64::from(tw) / f64::from(th));
            // Rounding to whole pixels moves the ratio by at most one pixel's worth.
            prop_assert!((want - got).abs() <= want / f64::from(tw.min(th)) * 1.01, "{w}x{h} -> {tw}x{th}");
        }
    }
}
