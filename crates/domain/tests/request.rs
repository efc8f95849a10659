#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SPEC §3.1–§3.2 through the one entry point every channel uses, with real images.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use sportello_domain::catalog::Catalog;
use sportello_domain::problem::{ProblemCode, WarningCode};
use sportello_domain::request::{admit_attachments, validate, validate_deferring, NewRequest, Upload, ValidRequest};
use sportello_domain::triage::{triage, History, Priority};

fn image(name: &str) -> Bytes {
    let path = format!("{}/../../../shared/testdata/images/{name}", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(path).unwrap())
}

fn upload(name: &str) -> Upload {
    Upload {
        filename: name.to_owned(),
        bytes: image(name),
    }
}

fn complete() -> NewRequest {
    NewRequest {
        category: "payments".into(),
        subcategory: "refund".into(),
        email: "mario.rossi@gmail.com".into(),
        phone: "+39 345 123 4567".into(),
        description: "Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non ho ricevuto il rimborso."
            .into(),
        device: "iPhone 14, iOS 17.1".into(),
        fields: BTreeMap::from([
            ("transaction_id".to_owned(), "WA123456789".to_owned()),
            ("amount".to_owned(), "12,00 EUR".to_owned()),
        ]),
        ..NewRequest::default()
    }
}

fn codes(request: NewRequest) -> Vec<(String, ProblemCode)> {
    let catalog = Catalog::builtin();
    validate(&catalog, request)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field, p.code))
        .collect()
}

fn valid(request: NewRequest) -> ValidRequest {
    validate(&Catalog::builtin(), request).unwrap()
}

fn warning_codes(v: &ValidRequest) -> Vec<WarningCode> {
    v.warnings.iter().map(|w| w.code).collect()
}

#[test]
fn a_complete_request_is_accepted_normalised_and_without_warnings() {
    let v = valid(complete());
    assert_eq!(v.phone.unwrap().as_str(), "+393451234567");
    assert_eq!(v.email.as_str(), "mario.rossi@gmail.com");
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert!(v.missing_recommended.is_empty());
    assert!(!v.urgent_requested);
}

#[test]
fn every_missing_required_field_is_reported_at_once() {
    let got = codes(NewRequest::default());
    let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["category", "subcategory", "email", "phone", "device", "description"]
    );
    assert!(got.iter().all(|(_, c)| *c == ProblemCode::Required));
}

#[test]
fn blank_is_missing() {
    let got = codes(NewRequest {
        device: "   \t".into(),
        ..complete()
    });
    assert_eq!(got, [("device".to_owned(), ProblemCode::Required)]);
}

#[test]
fn unknown_category_and_foreign_subcategory() {
    assert_eq!(
        codes(NewRequest {
            category: "billing".into(),
            ..complete()
        }),
        [("category".into(), ProblemCode::UnknownCategory)]
    );
    // `banned` exists, but under account, not payments.
    assert_eq!(
        codes(NewRequest {
            subcategory: "banned".into(),
            ..complete()
        }),
        [("subcategory".into(), ProblemCode::UnknownSubcategory)]
    );
}

#[test]
fn a_typo_in_the_email_domain_is_refused_with_the_correction() {
    let problems = validate(
        &Catalog::builtin(),
        NewRequest {
            email: "mario@gamil.com".into(),
            ..complete()
        },
    )
    .unwrap_err();
    assert_eq!(problems[0].code, ProblemCode::EmailSuspect);
    assert_eq!(problems[0].suggestion.as_deref(), Some("mario@gmail.com"));
    // The customer insists: accepted as typed.
    let v = valid(NewRequest {
        email: "mario@gamil.com".into(),
        email_confirmed: true,
        ..complete()
    });
    assert_eq!(v.email.as_str(), "mario@gamil.com");
}

#[test]
fn an_address_that_is_not_one_is_invalid() {
    assert_eq!(
        codes(NewRequest {
            email: "mario at home".into(),
            ..complete()
        }),
        [("email".into(), ProblemCode::EmailInvalid)]
    );
}

#[test]
fn a_phone_without_country_code_gets_the_e164_suggestion() {
    let problems = validate(
        &Catalog::builtin(),
        NewRequest {
            phone: "393451234567".into(),
            ..complete()
        },
    )
    .unwrap_err();
    assert_eq!(problems[0].code, ProblemCode::PhoneMissingCountryCode);
    assert_eq!(problems[0].suggestion.as_deref(), Some("+393451234567"));
    let v = valid(NewRequest {
        phone: "345 1234567".into(),
        country: Some("it".into()),
        ..complete()
    });
    assert_eq!(
        (v.phone.unwrap().as_str(), v.country.as_deref()),
        ("+393451234567", Some("IT"))
    );
    let v = valid(NewRequest {
        phone: "0039 345 123 4567".into(),
        ..complete()
    });
    assert_eq!(v.phone.unwrap().as_str(), "+393451234567");
    assert_eq!(
        codes(NewRequest {
            phone: "+39 12".into(),
            ..complete()
        }),
        [("phone".into(), ProblemCode::PhoneInvalid)]
    );
}

#[test]
fn catalog_field_formats_are_enforced() {
    let mut r = complete();
    r.fields.insert("transaction_id".into(), "WA12345".into());
    assert_eq!(codes(r), [("transaction_id".into(), ProblemCode::FieldFormat)]);
}

#[test]
fn vague_and_overlong_descriptions_are_refused() {
    assert_eq!(
        codes(NewRequest {
            description: "non funziona".into(),
            ..complete()
        }),
        [("description".into(), ProblemCode::DescriptionTooVague)]
    );
    assert_eq!(
        codes(NewRequest {
            description: "x".repeat(10_001),
            ..complete()
        }),
        [("description".into(), ProblemCode::TooLong)]
    );
    // 10,000 characters of real text (multi-byte) are fine.
    let long = "è ".repeat(4_999) + "ok";
    assert_eq!(long.chars().count(), 10_000);
    valid(NewRequest {
        description: long,
        ..complete()
    });
    assert_eq!(
        codes(NewRequest {
            device: "d".repeat(201),
            ..complete()
        }),
        [("device".into(), ProblemCode::TooLong)]
    );
    assert_eq!(
        codes(NewRequest {
            name: Some("n".repeat(201)),
            ..complete()
        }),
        [("name".into(), ProblemCode::TooLong)]
    );
}

#[test]
fn missing_recommended_fields_warn_one_by_one_and_lower_priority() {
    let v = valid(NewRequest {
        fields: BTreeMap::new(),
        ..complete()
    });
    assert_eq!(v.missing_recommended, ["transaction_id", "amount"]);
    let fields: Vec<_> = v.warnings.iter().map(|w| (w.code, w.field.clone().unwrap())).collect();
    assert_eq!(
        fields,
        [
            (WarningCode::MissingRecommended, "transaction_id".into()),
            (WarningCode::MissingRecommended, "amount".into())
        ]
    );
    let catalog = Catalog::builtin();
    let t = triage(
        &catalog,
        catalog.category("payments").unwrap(),
        &v,
        History::default(),
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    );
    assert_eq!(t.priority, Priority::Low);
}

#[test]
fn urgency_is_honoured_where_allowed_and_earns_a_strike_elsewhere() {
    let catalog = Catalog::builtin();
    let created = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
    let v = valid(NewRequest {
        urgent: true,
        ..complete()
    });
    let t = triage(
        &catalog,
        catalog.category("payments").unwrap(),
        &v,
        History::default(),
        created,
    );
    assert_eq!((t.priority, t.strike), (Priority::Urgent, false));
    assert_eq!(t.due.first_response_due, created + chrono::Duration::hours(6));

    let messages = NewRequest {
        category: "messages".into(),
        subcategory: "delayed".into(),
        description: "URGENTE: i messaggi arrivano con ore di ritardo da tre giorni, a tutti i contatti.".into(),
        fields: BTreeMap::new(),
        ..complete()
    };
    let v = valid(messages);
    assert!(v.urgent_requested);
    assert!(warning_codes(&v).contains(&WarningCode::UrgentNotEligible));
    let t = triage(
        &catalog,
        catalog.category("messages").unwrap(),
        &v,
        History::default(),
        created,
    );
    assert!(t.strike);
    assert_ne!(t.priority, Priority::Urgent);
}

#[test]
fn a_recent_strike_stretches_the_next_case() {
    let catalog = Catalog::builtin();
    let created = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let v = valid(complete());
    let category = catalog.category("payments").unwrap();
    let plain = triage(&catalog, category, &v, History::default(), created);
    let struck = triage(
        &catalog,
        category,
        &v,
        History {
            recent_strike: true,
            ..History::default()
        },
        created,
    );
    assert!(struck.penalised && !plain.penalised);
    assert_eq!(plain.due.first_response_due - created, chrono::Duration::hours(24));
    assert_eq!(
        struck.due.first_response_due - created,
        chrono::Duration::minutes(24 * 72)
    );
}

#[test]
fn card_numbers_and_codes_are_masked_before_storage() {
    let v = valid(NewRequest {
        description: "Il pagamento con la carta 4111 1111 1111 1111 è fallito, il codice 123456 non arriva mai.".into(),
        ..complete()
    });
    assert!(!v.description.contains("4111 1111 1111 1111"));
    assert!(v.description.contains("1111"));
    assert!(!v.description.contains("123456"));
    assert!(warning_codes(&v).contains(&WarningCode::SensitiveDataMasked));
}

#[test]
fn a_scam_report_is_flagged_and_raised_to_high() {
    let v = valid(NewRequest {
        category: "security".into(),
        subcategory: "support_scam".into(),
        description: "Un tizio che diceva di essere dell'assistenza WhatsApp mi ha chiesto il codice di verifica."
            .into(),
        fields: BTreeMap::from([
            ("last_known_ip".to_owned(), "192.0.2.1".to_owned()),
            ("occurred_at".to_owned(), "2026-11-20 14:30".to_owned()),
        ]),
        ..complete()
    });
    assert!(warning_codes(&v).contains(&WarningCode::PossibleScamReport));
    let catalog = Catalog::builtin();
    let t = triage(
        &catalog,
        catalog.category("security").unwrap(),
        &v,
        History::default(),
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    );
    assert_eq!(t.priority, Priority::High);
}

#[test]
fn screenshots_are_checked_by_content() {
    let ok = valid(NewRequest {
        attachments: vec![upload("large-png-3840x2160-exoplanet.png")],
        ..complete()
    });
    assert_eq!(ok.attachments[0].inspection.width, 3840);

    let named_png = Upload {
        filename: "screenshot.png".into(),
        bytes: image("webp-hopper-128.webp"),
    };
    let cases = [
        (vec![named_png], ProblemCode::AttachmentType),
        (
            vec![upload("screenshot-935x534-firefox.png")],
            ProblemCode::AttachmentResolution,
        ),
        (
            vec![upload("png-ihdr-huge-dimensions-42b.png")],
            ProblemCode::AttachmentTooLarge,
        ),
        (
            vec![
                upload("large-png-3840x2160-exoplanet.png"),
                upload("large-png-3840x2160-exoplanet.png"),
            ],
            ProblemCode::AttachmentDuplicate,
        ),
    ];
    for (attachments, code) in cases {
        let got = codes(NewRequest {
            attachments,
            ..complete()
        });
        assert!(
            got.iter().any(|(f, c)| *c == code && f.starts_with("attachment[")),
            "{code:?}: {got:?}"
        );
    }
    let four = vec![upload("large-png-3840x2160-exoplanet.png"); 4];
    assert_eq!(
        codes(NewRequest {
            attachments: four,
            ..complete()
        }),
        [("attachment".into(), ProblemCode::AttachmentTooMany)]
    );
    let big = Upload {
        filename: "big.png".into(),
        bytes: Bytes::from(vec![0u8; 5 * 1024 * 1024 + 1]),
    };
    assert_eq!(
        codes(NewRequest {
            attachments: vec![big],
            ..complete()
        }),
        [("attachment[0]".into(), ProblemCode::AttachmentTooLarge)]
    );
}

#[test]
fn an_edited_screenshot_is_accepted_with_a_warning() {
    let v = valid(NewRequest {
        attachments: vec![upload("jpeg-exif-lightroom-canon-2000x1072.jpg")],
        ..complete()
    });
    assert!(v
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::AttachmentEdited && w.field.as_deref() == Some("attachment[0]")));
}

#[test]
fn repeated_screenshots_lower_the_priority() {
    let catalog = Catalog::builtin();
    let v = valid(complete());
    let history = History {
        repeated_attachment: true,
        ..History::default()
    };
    let t = triage(
        &catalog,
        catalog.category("payments").unwrap(),
        &v,
        history,
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    );
    assert_eq!(t.priority, Priority::Low);
    assert!(t.warnings.iter().any(|w| w.code == WarningCode::AttachmentRepeated));
}

#[test]
fn problems_in_every_area_come_back_together() {
    let mut r = NewRequest {
        email: "a@gmial.com".into(),
        phone: "3451234567".into(),
        description: "help".into(),
        attachments: vec![upload("gif-hopper-128.gif")],
        ..complete()
    };
    r.fields.insert("amount".into(), "dodici".into());
    let got: Vec<ProblemCode> = codes(r).into_iter().map(|(_, c)| c).collect();
    for code in [
        ProblemCode::EmailSuspect,
        ProblemCode::PhoneMissingCountryCode,
        ProblemCode::DescriptionTooVague,
        ProblemCode::FieldFormat,
        ProblemCode::AttachmentResolution,
    ] {
        assert!(got.contains(&code), "{code:?} missing from {got:?}");
    }
}

/// What an e-mail brings: an address and some text, no phone, no device.
fn mailed(description: &str) -> NewRequest {
    NewRequest {
        category: "technical".into(),
        subcategory: "crash".into(),
        email: "mario.rossi@gmail.com".into(),
        description: description.into(),
        ..NewRequest::default()
    }
}

#[test]
fn a_channel_that_cannot_ask_back_defers_what_it_lacks() {
    let catalog = Catalog::builtin();
    let text = "L'app si chiude appena apro la chat di gruppo, da ieri sera, anche dopo il riavvio.";
    let v = validate_deferring(&catalog, mailed(text), &["phone", "device", "description"]).unwrap();
    assert_eq!(v.needs_info, ["phone", "device"]);
    assert_eq!((v.phone, v.device), (None, None));
    assert_eq!(v.description, text);
    // A vague text is accepted, and asked to be told again.
    let v = validate_deferring(&catalog, mailed("help"), &["phone", "device", "description"]).unwrap();
    assert_eq!(v.needs_info, ["phone", "device", "description"]);
    assert_eq!(v.description, "help");
    // Only what is named may wait; everything else is still refused.
    let problems = validate_deferring(&catalog, mailed(text), &["phone"]).unwrap_err();
    assert_eq!(
        problems.iter().map(|p| (p.field.as_str(), p.code)).collect::<Vec<_>>(),
        [("device", ProblemCode::Required)]
    );
    let wrong = NewRequest {
        email: "mario@gmial.com".into(),
        ..mailed(text)
    };
    let problems = validate_deferring(&catalog, wrong, &["phone", "device", "description"]).unwrap_err();
    assert_eq!(problems[0].code, ProblemCode::EmailSuspect);
    // The category is never deferred: the channel must name one.
    let problems = validate_deferring(&catalog, NewRequest::default(), &["category", "phone"]).unwrap_err();
    assert!(problems.iter().any(|p| p.field == "category"));
    // Cards in a mailed text are masked like anywhere else.
    let v = validate_deferring(
        &catalog,
        mailed("La mia carta 4111 1111 1111 1111 è stata addebitata due volte per lo stesso acquisto."),
        &["phone", "device"],
    )
    .unwrap();
    assert!(!v.description.contains("4111 1111 1111 1111"), "{}", v.description);
}

#[test]
fn files_nobody_can_fix_are_sorted_not_refused_together() {
    // Different bytes, same picture: the PNG with bytes after its end.
    let variant = |extra: &[u8]| Upload {
        filename: format!("variant-{}.png", extra.len()),
        bytes: Bytes::from([image("large-png-3840x2160-exoplanet.png").to_vec(), extra.to_vec()].concat()),
    };
    let (admitted, warnings, refused) = admit_attachments(vec![
        upload("screenshot-935x534-firefox.png"),
        upload("large-png-3840x2160-exoplanet.png"),
        upload("large-png-3840x2160-exoplanet.png"),
        upload("jpeg-exif-lightroom-canon-2000x1072.jpg"),
        upload("webp-hopper-128.webp"),
        variant(b"\n"),
        variant(b"\n\n"),
    ]);
    let kept: Vec<&str> = admitted.iter().map(|e| e.filename.as_str()).collect();
    assert_eq!(
        kept,
        [
            "large-png-3840x2160-exoplanet.png",
            "jpeg-exif-lightroom-canon-2000x1072.jpg",
            "variant-1.png"
        ]
    );
    let why: Vec<(&str, ProblemCode)> = refused.iter().map(|(u, p)| (u.filename.as_str(), p.code)).collect();
    assert_eq!(
        why,
        [
            ("screenshot-935x534-firefox.png", ProblemCode::AttachmentResolution),
            ("large-png-3840x2160-exoplanet.png", ProblemCode::AttachmentDuplicate),
            ("webp-hopper-128.webp", ProblemCode::AttachmentType),
            ("variant-2.png", ProblemCode::AttachmentTooMany),
        ]
    );
    assert_eq!(refused[0].1.field, "attachment[0]");
    let edited: Vec<_> = warnings.iter().map(|w| (w.code, w.field.as_deref())).collect();
    assert_eq!(edited, [(WarningCode::AttachmentEdited, Some("attachment[3]"))]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn validate_never_panics_and_accepts_only_trimmed_values(
        category in "\\PC{0,20}", sub in "\\PC{0,20}", email in "\\PC{0,40}", phone in "[+0-9 ()-]{0,20}",
        description in "\\PC{0,200}", device in "\\PC{0,30}", country in proptest::option::of("\\PC{0,3}"),
        urgent: bool, confirmed: bool,
    ) {
        let catalog = Catalog::builtin();
        let r = NewRequest { category, subcategory: sub, email, phone, description, device, country, urgent,
                             email_confirmed: confirmed, ..NewRequest::default() };
        if let Ok(v) = validate(&catalog, r) {
            let device = v.device.unwrap();
            prop_assert_eq!(device.trim(), device.as_str());
            prop_assert!(v.phone.unwrap().as_str().starts_with('+'));
            prop_assert!(v.needs_info.is_empty());
            prop_assert!(catalog.category(&v.category).is_some());
        }
    }

    #[test]
    fn a_complete_request_stays_valid_whatever_its_description_says(extra in "[a-zA-Z ,.]{30,300}") {
        let r = NewRequest { description: format!("Il rimborso non arriva. {extra}"), ..complete() };
        prop_assert!(validate(&Catalog::builtin(), r).is_ok());
    }
}

mod follow_up {
    use super::*;
    use sportello_domain::request::validate_follow_up;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_short_text_is_a_fine_follow_up_but_nothing_at_all_is_not() {
        let catalog = Catalog::builtin();
        let payments = catalog.category("payments");
        let ok = validate_follow_up(payments, "  ecco lo screenshot ", &BTreeMap::new(), vec![]).unwrap();
        assert_eq!(ok.text, "ecco lo screenshot");
        let empty = validate_follow_up(payments, "   ", &fields(&[("amount", " ")]), vec![]).unwrap_err();
        assert_eq!(empty.len(), 1);
        assert_eq!(
            (empty[0].field.as_str(), empty[0].code),
            ("message", ProblemCode::Required)
        );
    }

    #[test]
    fn fields_are_checked_and_normalised_by_the_catalog_and_text_is_redacted() {
        let catalog = Catalog::builtin();
        let payments = catalog.category("payments");
        let problems = validate_follow_up(
            payments,
            &"x".repeat(10_001),
            &fields(&[("transaction_id", "WA123"), ("amount", "12,50 EUR")]),
            vec![upload("png-truncated-640x480.png")],
        )
        .unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert!(got.contains(&("message", ProblemCode::TooLong)), "{got:?}");
        assert!(got.contains(&("transaction_id", ProblemCode::FieldFormat)), "{got:?}");
        assert!(
            got.iter().any(|(f, _)| *f == "attachment[0]"),
            "the broken file is refused: {got:?}"
        );
        let ok = validate_follow_up(
            payments,
            "la carta 4111 1111 1111 1111 è stata addebitata",
            &fields(&[("transaction_id", "WA123456789"), ("unknown", "ignored")]),
            vec![upload("screenshot-935x534-firefox.png")],
        );
        // 534 px on the short side: the intake's resolution rule applies to follow-ups too.
        assert!(ok.is_err());
        let ok = validate_follow_up(
            payments,
            "la carta 4111 1111 1111 1111 è stata addebitata",
            &fields(&[("transaction_id", "WA123456789"), ("unknown", "ignored")]),
            vec![upload("large-png-3840x2160-exoplanet.png")],
        )
        .unwrap();
        assert!(!ok.text.contains("4111 1111"), "{}", ok.text);
        assert_eq!(ok.fields.keys().collect::<Vec<_>>(), ["transaction_id"]);
        assert_eq!(ok.attachments.len(), 1);
        assert!(ok.warnings.iter().any(|w| w.code == WarningCode::SensitiveDataMasked));
    }

    #[test]
    fn the_phone_and_device_a_mailed_case_waits_for_follow_the_intake_rules() {
        let catalog = Catalog::builtin();
        let technical = catalog.category("technical");
        let problems = validate_follow_up(
            technical,
            "",
            &fields(&[("phone", "345 123 4567"), ("device", &"x".repeat(201))]),
            vec![],
        )
        .unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("phone", ProblemCode::PhoneMissingCountryCode),
                ("device", ProblemCode::TooLong)
            ]
        );
        let ok = validate_follow_up(
            technical,
            "",
            &fields(&[
                ("phone", "345 123 4567"),
                ("country", "it"),
                ("device", " Pixel 8, Android 15 "),
            ]),
            vec![],
        )
        .unwrap();
        assert_eq!(ok.phone.unwrap().as_str(), "+393451234567");
        assert_eq!(ok.device.as_deref(), Some("Pixel 8, Android 15"));
        assert!(ok.fields.is_empty(), "phone and device are not catalog fields");
    }
}
