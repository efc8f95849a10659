//! The device field read as a model and an OS major version (SPEC §11's device-spike alert):
//! "iphone14 ios 17.2", "iPhone 14 Pro Max, iOS 17" and "SM-S911B Android 14" become
//! ("iPhone 14", "iOS 17"), ("iPhone 14 Pro Max", "iOS 17") and ("Galaxy S23", "Android 14").
//! Model codes are looked up in a table kept as data (`data/device_models.toml`); names written
//! the usual way are read by pattern. A brand alone ("Samsung", "iPhone") names no model.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::text::compile;

/// A device as the alert counts it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Device {
    pub model: String,
    /// "Android 14", "iOS 17"; None when the text does not say.
    pub os: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    models: HashMap<String, String>,
}

static MODELS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    // Checked by a test: the table parses and every key is in the compared form.
    toml::from_str::<Table>(include_str!("../data/device_models.toml")).map_or_else(|_| HashMap::new(), |t| t.models)
});

static OS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\b(ipados|ios|android|harmonyos)\s*(?:os\s*)?v?(\d{1,2})(?:[.,]\d+)*\b"));
static IPHONE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)\biphone\s*(\d{1,2}|se|xr|xs|x)\b\s*(pro\s*max|promax|pro|plus|mini|max)?"));
static GALAXY: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)\b(?:samsung\s*)?(?:galaxy\s*)?(s|a|m|note|z\s*flip|z\s*fold)\s*(\d{1,2})\b\s*(ultra|plus|\+|fe)?")
});
static PIXEL: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)\bpixel\s*(\d{1,2})\s*(pro\s*xl|pro|xl|a)?\b"));

/// Words that name a maker or a system, not a model.
const BRANDS: &[&str] = &[
    "android",
    "apple",
    "google",
    "huawei",
    "ios",
    "iphone",
    "mobile",
    "motorola",
    "nokia",
    "oneplus",
    "oppo",
    "phone",
    "realme",
    "samsung",
    "smartphone",
    "xiaomi",
    "galaxy",
    "pixel",
    "redmi",
    "cellulare",
    "telefono",
];

/// The compared form of a code: lower case, letters and digits only.
fn compact(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn title(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The device a text names, or None when it names no model.
pub fn read(text: &str) -> Option<Device> {
    let os = OS.captures(text).map(|c| {
        let name = match c[1].to_ascii_lowercase().as_str() {
            "ios" => "iOS",
            "ipados" => "iPadOS",
            "harmonyos" => "HarmonyOS",
            _ => "Android",
        };
        format!("{name} {}", c[2].trim_start_matches('0'))
    });
    let rest = OS.replace_all(text, " ");
    let model = model(&rest)?;
    Some(Device { model, os })
}

fn model(text: &str) -> Option<String> {
    // A code from the table, alone or split by a separator ("SM-S911B", "SM S911B").
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate() {
        let one = compact(word);
        let two = words.get(i + 1).map(|next| format!("{one}{}", compact(next)));
        for key in [Some(one), two].into_iter().flatten() {
            if let Some(name) = MODELS.get(&key) {
                return Some(name.clone());
            }
        }
    }
    if let Some(c) = IPHONE.captures(text) {
        let number = c[1].to_ascii_uppercase();
        let number = if number == "SE" || number.starts_with('X') {
            number
        } else {
            c[1].to_owned()
        };
        let variant = c.get(2).map(|v| match compact(v.as_str()).as_str() {
            "promax" => " Pro Max".to_owned(),
            other => format!(" {}", title(other)),
        });
        return Some(format!("iPhone {number}{}", variant.unwrap_or_default()));
    }
    if let Some(c) = PIXEL.captures(text) {
        let variant = c.get(2).map(|v| match compact(v.as_str()).as_str() {
            "proxl" => " Pro XL".to_owned(),
            "xl" => " XL".to_owned(),
            "a" => "a".to_owned(),
            other => format!(" {}", title(other)),
        });
        return Some(format!("Pixel {}{}", &c[1], variant.unwrap_or_default()));
    }
    let lower = text.to_lowercase();
    if lower.contains("galaxy") || lower.contains("samsung") {
        if let Some(c) = GALAXY.captures(text) {
            let series = match compact(&c[1]).as_str() {
                "note" => "Note ".to_owned(),
                "zflip" => "Z Flip".to_owned(),
                "zfold" => "Z Fold".to_owned(),
                letter => letter.to_uppercase(),
            };
            let variant = c.get(3).map(|v| match v.as_str().to_lowercase().as_str() {
                "+" | "plus" => "+".to_owned(),
                "fe" => " FE".to_owned(),
                other => format!(" {}", title(other)),
            });
            return Some(format!("Galaxy {series}{}{}", &c[2], variant.unwrap_or_default()));
        }
    }
    // Anything else, as written: the first few words, each capitalised, once a word that is
    // not a brand is among them ("Huawei P30 Lite", "Redmi Note 11").
    let kept: Vec<String> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(4)
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                w.to_uppercase()
            } else {
                title(&w.to_lowercase())
            }
        })
        .collect();
    let names_a_model = kept.iter().any(|w| !BRANDS.contains(&w.to_lowercase().as_str()));
    (names_a_model && !kept.is_empty()).then(|| kept.join(" "))
}

/// The alert's name for a device: "Galaxy S23 / Android 14".
pub fn label(device: &Device) -> String {
    match &device.os {
        Some(os) => format!("{} / {os}", device.model),
        None => device.model.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn device(model: &str, os: Option<&str>) -> Option<Device> {
        Some(Device {
            model: model.to_owned(),
            os: os.map(str::to_owned),
        })
    }

    #[test]
    fn the_ways_people_write_one_phone_read_as_one_device() {
        for text in [
            "iPhone 14 iOS 17",
            "iphone14 ios17",
            "IPHONE 14, iOS 17.2.1",
            "Apple iPhone 14 (iOS 17)",
        ] {
            assert_eq!(read(text), device("iPhone 14", Some("iOS 17")), "{text}");
        }
        for text in [
            "Samsung Galaxy S23, Android 14",
            "SM-S911B Android 14",
            "sm s911b android 14",
            "galaxy s23 android14",
        ] {
            assert_eq!(read(text), device("Galaxy S23", Some("Android 14")), "{text}");
        }
    }

    #[test]
    fn variants_are_models_of_their_own() {
        assert_eq!(
            read("iPhone 14 Pro Max iOS 17"),
            device("iPhone 14 Pro Max", Some("iOS 17"))
        );
        assert_eq!(read("iphone 14 pro"), device("iPhone 14 Pro", None));
        assert_eq!(read("iPhone SE"), device("iPhone SE", None));
        assert_eq!(
            read("Samsung Galaxy S23 Ultra Android 13"),
            device("Galaxy S23 Ultra", Some("Android 13"))
        );
        assert_eq!(read("SM-S918B"), device("Galaxy S23 Ultra", None));
        assert_eq!(
            read("Samsung S23+ android 14"),
            device("Galaxy S23+", Some("Android 14"))
        );
        assert_eq!(
            read("Google Pixel 7 Pro, Android 13"),
            device("Pixel 7 Pro", Some("Android 13"))
        );
        assert_eq!(read("pixel 7a"), device("Pixel 7a", None));
    }

    #[test]
    fn other_makers_keep_their_own_words() {
        assert_eq!(
            read("Huawei P30 lite Android 10"),
            device("Huawei P30 Lite", Some("Android 10"))
        );
        assert_eq!(read("Redmi Note 11"), device("Redmi Note 11", None));
    }

    #[test]
    fn a_brand_alone_names_no_model() {
        for text in [
            "Samsung",
            "iPhone",
            "Android",
            "android 14",
            "Apple",
            "",
            "  ",
            "smartphone samsung",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }

    #[test]
    fn the_table_reads_and_its_keys_are_in_the_compared_form() {
        let table: Table = toml::from_str(include_str!("../data/device_models.toml")).unwrap();
        assert!(table.models.len() >= 10);
        for key in table.models.keys() {
            assert_eq!(&compact(key), key);
        }
        assert_eq!(MODELS.len(), table.models.len());
    }

    #[test]
    fn the_label_joins_model_and_system() {
        assert_eq!(label(&read("SM-S911B Android 14").unwrap()), "Galaxy S23 / Android 14");
        assert_eq!(label(&read("Galaxy S23").unwrap()), "Galaxy S23");
    }

    proptest! {
        #[test]
        fn reading_never_panics_and_is_stable(text in "\\PC{0,60}") {
            let first = read(&text);
            prop_assert_eq!(&first, &read(&text));
            if let Some(d) = first {
                prop_assert!(!d.model.trim().is_empty());
            }
        }
    }
}
