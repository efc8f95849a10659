//! `mail ingest` (SPEC §5) on both backends: replies thread into their case, strangers and closed
//! cases get a case of their own, new mail opens a case waiting for what it lacks, bounces are
//! remembered, and every message of the shared corpus is handled without an error.

use bytes::Bytes;
use sportello::app::ingest::{ingest, Ingested};
use sportello::store::{Case, TicketId};
use sportello_domain::case::Status;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::contact::email::Email;
use sportello_domain::triage::Priority;

use crate::helpers::{backends, complete, read, TestApp};

async fn stored(app: &TestApp, number: &CaseNumber) -> Case {
    let id = TicketId::of(number).unwrap();
    app.app.store.case(id).await.unwrap().unwrap()
}

fn reply(from: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Bytes {
    let threading = in_reply_to
        .map(|id| format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n"))
        .unwrap_or_default();
    Bytes::from(format!(
        "From: {from}\r\nTo: support@sportello.test\r\nSubject: {subject}\r\nMessage-ID: <{:x}@mail.test>\r\n{threading}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand::random::<u64>()
    ))
}

#[tokio::test]
async fn a_reply_to_our_mail_joins_its_case_raises_it_once_and_loses_the_quote() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(200)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let our_id = app.our_message_id(&case, "confirmation");
        // A colleague in Cc answers: the reference is enough, whoever sends it.
        let text = "Aggiungo: il pagamento è del 20 novembre alle 14:30.\r\n\r\nIl giorno lun 30 nov 2026 alle 20:00 Support ha scritto:\r\n> Ciao";
        let first = ingest(
            &app.app,
            reply(
                "collega@azienda.it",
                &format!("Re: [{case}] Abbiamo ricevuto"),
                Some(&our_id),
                text,
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            first,
            Ingested::Joined {
                case: case.parse_case(),
                raised_to: Some(Priority::High)
            },
            "{}",
            app.backend
        );
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(shown["priority"], "high");
        assert!(
            shown["first_response_due"].as_str().unwrap() < created["first_response_due"].as_str().unwrap(),
            "{shown}"
        );
        let messages = shown["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(
            messages[0]["body"],
            "Aggiungo: il pagamento è del 20 novembre alle 14:30."
        );
        // The colleague is named on the message, and never becomes the case's customer.
        assert_eq!(messages[0]["sender"], "collega@azienda.it");
        assert_eq!(
            stored(&app, &case.parse_case()).await.email.as_str(),
            "cliente200@gmail.com"
        );
        // At most once in 24 hours.
        let second = ingest(
            &app.app,
            reply("cliente200@gmail.com", "Re: ancora", Some(&our_id), "Ancora nulla."),
        )
        .await
        .unwrap();
        assert_eq!(
            second,
            Ingested::Joined {
                case: case.parse_case(),
                raised_to: None
            }
        );
    }
}

#[tokio::test]
async fn replies_arriving_together_raise_the_priority_once() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(202)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let our_id = app.our_message_id(&case, "confirmation");
        let replies: Vec<_> = (0..8)
            .map(|i| {
                let app = app.app.clone();
                let raw = reply(
                    "cliente202@gmail.com",
                    "Re: sollecito",
                    Some(&our_id),
                    &format!("Sollecito {i}."),
                );
                tokio::spawn(async move { ingest(&app, raw).await.unwrap() })
            })
            .collect();
        let mut raised = 0;
        for r in replies {
            if let Ingested::Joined { raised_to: Some(_), .. } = r.await.unwrap() {
                raised += 1;
            }
        }
        assert_eq!(raised, 1, "{}", app.backend);
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(
            (shown["priority"].as_str(), shown["messages"].as_array().unwrap().len()),
            (Some("high"), 8)
        );
    }
}

#[tokio::test]
async fn a_case_number_in_the_subject_counts_only_from_the_cases_contact() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(201)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let stranger = ingest(
            &app.app,
            reply(
                "stranger@example.org",
                &format!("{number} refund"),
                None,
                "Give me the refund for this case, I am the owner now.",
            ),
        )
        .await
        .unwrap();
        // A case of the stranger's own, linked to the one quoted; the quoted case is untouched.
        let Ingested::Opened { case: theirs, about } = stranger else {
            panic!("{}: {stranger:?}", app.backend)
        };
        assert_eq!(about, Some(number.parse_case()));
        let theirs = stored(&app, &theirs).await;
        assert_eq!(theirs.email.as_str(), "stranger@example.org");
        assert_eq!(theirs.related_to, Some(stored(&app, &number.parse_case()).await.id));
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert!(shown["messages"].as_array().unwrap().is_empty(), "{shown}");

        let spaced = format!("Re: info sul caso {} {}", &number[..6], &number[6..]);
        let own = ingest(
            &app.app,
            reply("Cliente201@Gmail.com", &spaced.replace(' ', "-"), None, "Ecco le info."),
        )
        .await
        .unwrap();
        assert!(matches!(own, Ingested::Joined { .. }), "{}: {own:?}", app.backend);
        let mut wrong_digit = number.clone();
        let last = wrong_digit.pop().unwrap();
        wrong_digit.push(if last == '0' { '1' } else { '0' });
        let typo = ingest(
            &app.app,
            reply(
                "cliente201@gmail.com",
                &wrong_digit,
                None,
                "Ecco altre informazioni sul mio caso.",
            ),
        )
        .await
        .unwrap();
        assert!(
            matches!(typo, Ingested::Opened { about: None, .. }),
            "a wrong check digit names no case: {typo:?}"
        );
        assert!(app.app.store.mail_aside(10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn new_mail_opens_a_case_that_asks_for_what_mail_cannot_give() {
    for app in backends().await {
        let raw = Bytes::from(
            "From: Mario Rossi <mario.rossi@libero.it>\r\nTo: support@sportello.test\r\n\
             Subject: L'app si chiude da sola\r\nContent-Language: it\r\nMessage-ID: <m1@libero.it>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             Da ieri l'app si chiude appena apro una chat di gruppo. La mia carta 4111 1111 1111 1111 non c'entra.\r\n",
        );
        let opened = ingest(&app.app, raw).await.unwrap();
        let Ingested::Opened {
            case: number,
            about: None,
        } = opened
        else {
            panic!("{}: {opened:?}", app.backend)
        };
        let t = stored(&app, &number).await;
        assert_eq!(
            (
                t.status.as_str(),
                t.category.as_str(),
                t.subcategory.as_str(),
                t.channel.as_str()
            ),
            ("needs_info", "technical", "crash", "email"),
            "{}",
            app.backend
        );
        assert_eq!((t.phone, t.device), (None, None));
        assert_eq!((t.name.as_deref(), t.language.as_str()), (Some("Mario Rossi"), "it"));
        assert!(
            t.description.starts_with("L'app si chiude da sola\n\nDa ieri"),
            "{}",
            t.description
        );
        assert!(
            !t.description.contains("4111 1111 1111 1111"),
            "masked: {}",
            t.description
        );
        // The confirmation asks for the phone and the device.
        let payloads = app.app.store.outbox_payloads().await.unwrap();
        let confirmation: serde_json::Value = serde_json::from_str(payloads.last().unwrap()).unwrap();
        assert_eq!(confirmation["to"], "mario.rossi@libero.it");
        let missing = confirmation["missing"].as_array().unwrap();
        assert_eq!(&missing[..2], ["phone", "device"]);

        // A second mail the same day adds to that case instead of opening another.
        let again = ingest(
            &app.app,
            reply(
                "mario.rossi@libero.it",
                "Ancora",
                None,
                "Succede anche con le chat singole, sempre dopo pochi secondi.",
            ),
        )
        .await
        .unwrap();
        assert_eq!(again, Ingested::Merged(number.clone()), "{}", app.backend);
        assert_eq!(app.tickets().await, 1);
    }
}

#[tokio::test]
async fn a_reply_to_a_closed_case_opens_a_new_one_about_it() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(203)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let old = stored(&app, &number.parse_case()).await;
        close(&app, &old).await;
        let our_id = app.our_message_id(&number, "confirmation");
        let outcome = ingest(
            &app.app,
            reply(
                "cliente203@gmail.com",
                "Re: rimborso",
                Some(&our_id),
                "Il rimborso non è mai arrivato, riapro.",
            ),
        )
        .await
        .unwrap();
        let Ingested::Opened { case: new, about } = outcome else {
            panic!("{}: {outcome:?}", app.backend)
        };
        assert_eq!(about, Some(number.parse_case()));
        assert_eq!(stored(&app, &new).await.related_to, Some(old.id));
        assert_eq!(stored(&app, &number.parse_case()).await.status, Status::Closed);
    }
}

/// A case opened by mail waits for the phone and device; the same person's request from the form
/// within the day joins it and brings them, and the case leaves `needs_info`.
#[tokio::test]
async fn a_form_request_completes_the_case_its_mail_opened() {
    for app in backends().await {
        let raw = reply(
            "mario.verdi@gmail.com",
            "L'app si chiude",
            None,
            "Da ieri l'app si chiude appena apro una chat di gruppo, anche dopo il riavvio.",
        );
        let Ingested::Opened { case, .. } = ingest(&app.app, raw).await.unwrap() else {
            panic!("{}: opened nothing", app.backend)
        };
        assert_eq!(stored(&app, &case).await.status, Status::NeedsInfo);
        let request = serde_json::json!({
            "category": "technical", "subcategory": "crash", "email": "mario.verdi@gmail.com",
            "phone": "+39 345 222 3333", "device": "Galaxy S23, Android 14",
            "description": "Vi avevo scritto per e-mail: l'app si chiude appena apro una chat di gruppo.",
        });
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 200, "{}: {body}", app.backend);
        assert_eq!(body["merged_into"], case.to_string());
        let after = stored(&app, &case).await;
        assert_eq!(after.status, Status::New, "{}", app.backend);
        assert_eq!(after.phone.as_ref().map(|p| p.as_str()), Some("+393452223333"));
        assert_eq!(after.device.as_deref(), Some("Galaxy S23, Android 14"));
    }
}

/// Closes a case (resolved, then closed) as the desk will.
async fn close(app: &TestApp, case: &Case) {
    let calendar = sportello_domain::calendar::Calendar::always();
    let now = app.app.clock.now();
    let resolved = case.timers().moved(Status::Resolved, now, &calendar);
    let closed = resolved.moved(Status::Closed, now, &calendar);
    let mut tx = app.app.store.begin_write().await.unwrap();
    assert!(tx.move_status(case.id, case.status, &closed, now).await.unwrap());
    tx.commit().await.unwrap();
}

/// SPEC §5: our Message-IDs carry a MAC. One forged from a case number alone (what the desk wrote
/// before: `<wa….confirmation@domain>`) threads nothing: the stranger gets a case of their own and
/// the customer's status page never shows the stranger's words under "You".
#[tokio::test]
async fn a_forged_message_id_does_not_let_a_stranger_into_a_case() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(205)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let genuine = app.our_message_id(&case, "confirmation");
        let forged = [
            format!("{}.confirmation@sportello.test", case.to_lowercase()),
            genuine.replace(".confirmation.", ".confirmation.0"),
            format!("{}.confirmation.{}@sportello.test", case.to_lowercase(), "0".repeat(24)),
        ];
        for (i, id) in forged.iter().enumerate() {
            let stranger = format!("stranger{i}@example.org");
            let outcome = ingest(
                &app.app,
                reply(
                    &stranger,
                    "Re: your request",
                    Some(id),
                    "Please send the code to this number.",
                ),
            )
            .await
            .unwrap();
            assert!(
                matches!(outcome, Ingested::Opened { about: None, .. }),
                "{}: {id}: {outcome:?}",
                app.backend
            );
        }
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert!(
            shown["messages"].as_array().unwrap().is_empty(),
            "{}: {shown}",
            app.backend
        );
        // The genuine one threads, whoever sends it.
        let joined = ingest(
            &app.app,
            reply(
                "collega@azienda.it",
                "Re: your request",
                Some(&genuine),
                "Aggiungo un dettaglio.",
            ),
        )
        .await
        .unwrap();
        assert!(matches!(joined, Ingested::Joined { .. }), "{joined:?}");
    }
}

#[tokio::test]
async fn attachments_by_mail_pass_the_forms_rules_and_the_rest_are_kept_as_files() {
    use sportello_domain::access::{Role, Scope};
    for app in backends().await {
        crate::desk::agent(&app, "ada@desk.test", Role::Agent, &[]).await;
        let token = crate::desk::token(&app, "ada@desk.test", Scope::Read).await;
        let (_, created) = read(app.post_json(&complete(204)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let our_id = app.our_message_id(&number, "confirmation");
        let png = crate::helpers::image("large-png-3840x2160-exoplanet.png");
        let small = crate::helpers::image("screenshot-935x534-firefox.png");
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
        let sheet = b"\xD0\xCF\x11\xE0 a spreadsheet's bytes".to_vec();
        let part = |media: &str, name: Option<&str>, bytes: &[u8]| {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            let disposition = name.map_or_else(|| "attachment".to_owned(), |n| format!("attachment; filename=\"{n}\""));
            format!(
                "--B\r\nContent-Type: {media}\r\nContent-Disposition: {disposition}\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                lines.join("\r\n")
            )
        };
        let raw = format!(
            "From: cliente204@gmail.com\r\nTo: support@sportello.test\r\nSubject: Re: screenshot\r\n\
             In-Reply-To: <{our_id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
             --B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEcco gli screenshot e l'estratto conto.\r\n{}{}{}{}--B--\r\n",
            part("image/png", Some("schermata.png"), &png),
            part("image/png", Some("piccola.png"), &small),
            part("application/pdf", Some("estratto.pdf"), &pdf),
            part("application/vnd.ms-excel", None, &sheet),
        );
        let joined = ingest(&app.app, Bytes::from(raw)).await.unwrap();
        assert!(matches!(joined, Ingested::Joined { .. }), "{}: {joined:?}", app.backend);
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(shown["messages"][0]["body"], "Ecco gli screenshot e l'estratto conto.");
        let id = stored(&app, &number.parse_case()).await.id;
        assert_eq!(
            app.app.store.attachments(id, &[]).await.unwrap().len(),
            1,
            "the screenshot"
        );

        // The others are files: listed with their message, the nameless one named from its type.
        let (_, detail) = crate::desk::api_get(&app, &token, &format!("/api/v1/tickets/{number}")).await;
        let files: Vec<(String, String, i64)> = detail["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["filename"].as_str().unwrap().to_owned(),
                    f["media_type"].as_str().unwrap().to_owned(),
                    f["byte_len"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                ("piccola.png".to_owned(), "image/png".to_owned(), small.len() as i64),
                (
                    "estratto.pdf".to_owned(),
                    "application/pdf".to_owned(),
                    pdf.len() as i64
                ),
                (
                    "attachment-4.xls".to_owned(),
                    "application/vnd.ms-excel".to_owned(),
                    sheet.len() as i64
                ),
            ],
            "{}",
            app.backend
        );
        assert!(detail["files"][1]["message"].as_str().unwrap().starts_with("message-"));

        // On the desk: listed, and a sandboxed download of the very bytes sent.
        let desk = crate::desk::signed_in(&app, "ada@desk.test").await;
        let page = desk.fetch(&format!("/desk/cases/{number}")).await.text().await.unwrap();
        let records = app.app.store.mail_files(id).await.unwrap();
        let href = format!("/desk/cases/{number}/mail-files/{}", records[1].id);
        assert!(page.contains(&href) && page.contains("estratto.pdf"), "{page}");
        let got = desk.fetch(&href).await;
        assert_eq!(got.status(), 200);
        let header = |name: &str| got.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-disposition"), "attachment; filename=\"estratto.pdf\"");
        assert!(header("content-security-policy").starts_with("sandbox"));
        assert_eq!(got.bytes().await.unwrap().as_ref(), &pdf[..]);
        // Another case's file is no file of this one.
        let other = case_with_a_file(&app).await;
        let elsewhere = app.app.store.mail_files(other).await.unwrap()[0].id;
        let wrong = desk
            .fetch(&format!("/desk/cases/{number}/mail-files/{elsewhere}"))
            .await;
        assert_eq!(wrong.status(), 404);
    }
}

/// A case opened by a mail carrying a PDF; its id.
async fn case_with_a_file(app: &TestApp) -> TicketId {
    let raw = "From: nuovo@example.it\r\nTo: support@sportello.test\r\nSubject: Fattura\r\nMIME-Version: 1.0\r\n\
               Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n\
               Allego la fattura del pagamento non riuscito.\r\n--B\r\nContent-Type: application/pdf; name=\"fattura.pdf\"\r\n\
               Content-Disposition: attachment; filename=\"fattura.pdf\"\r\n\r\n%PDF-1.4 fattura\r\n--B--\r\n";
    match ingest(&app.app, Bytes::from(raw)).await.unwrap() {
        Ingested::Opened { case, .. } => TicketId::of(&case).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn eml(name: &str) -> Bytes {
    Bytes::from(
        std::fs::read(format!(
            "{}/../../../shared/testdata/email/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
}

/// A DSN for our confirmation of `case` to `to`, as a receiving server sends it back: the status
/// part names the recipient, the returned headers name our Message-ID.
fn dsn(to: &str, message_id: &str) -> Bytes {
    Bytes::from(format!(
        "From: MAILER-DAEMON@mx.gmail.test\r\nTo: support@sportello.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <{:x}@mx.gmail.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
         --R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.gmail.test\r\n\r\n\
         Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
         --R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@sportello.test\r\nTo: {to}\r\n\
         Message-ID: <{message_id}>\r\nSubject: We have received your request\r\n\r\n--R--\r\n",
        rand::random::<u64>()
    ))
}

#[tokio::test]
async fn a_bounce_of_our_mail_marks_its_address_and_automatic_mail_is_ignored() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(206)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let address = Email::parse("cliente206@gmail.com").unwrap();
        let bounced = ingest(
            &app.app,
            dsn(address.as_str(), &app.our_message_id(&case, "confirmation")),
        )
        .await
        .unwrap();
        assert_eq!(
            bounced,
            Ingested::Bounce {
                case: case.parse_case(),
                address: address.clone()
            },
            "{}",
            app.backend
        );
        assert!(
            app.app.store.is_undeliverable(&address).await.unwrap(),
            "{}",
            app.backend
        );
        assert!(matches!(
            ingest(&app.app, eml("autoreply-rfc3834-exim.eml")).await.unwrap(),
            Ingested::Ignored(_)
        ));
    }
}

/// SPEC §5: a bounce counts only when it names one of our mails, and only for its recipient. A
/// real bounce of someone else's mail, one naming our mail with a forged MAC, one that names
/// another customer as failed, and a person's mail with `X-Failed-Recipients` mark nobody.
#[tokio::test]
async fn a_forged_bounce_marks_nobody_undeliverable() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(207)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let victim = Email::parse("cliente207@gmail.com").unwrap();
        let forged_id = format!("{}.confirmation.{}@sportello.test", case.to_lowercase(), "a".repeat(24));
        let genuine = app.our_message_id(&case, "confirmation");
        let x_failed = Bytes::from(format!(
            "From: prankster@example.org\r\nTo: support@sportello.test\r\nSubject: hello\r\n\
             X-Failed-Recipients: {victim}\r\nMessage-ID: <p1@example.org>\r\n\r\nhello\r\n"
        ));
        for (what, raw) in [
            ("someone else's bounce", eml("dsn-postfix.eml")),
            ("a forged MAC", dsn(victim.as_str(), &forged_id)),
            ("another address under our mail", dsn("other@gmail.com", &genuine)),
            ("X-Failed-Recipients", x_failed),
        ] {
            let outcome = ingest(&app.app, raw).await.unwrap();
            assert!(
                matches!(outcome, Ingested::KeptAside(_)),
                "{}: {what}: {outcome:?}",
                app.backend
            );
        }
        for address in [victim, Email::parse("r@p351355.pool.example.ne.jp").unwrap()] {
            assert!(
                !app.app.store.is_undeliverable(&address).await.unwrap(),
                "{}: {address}",
                app.backend
            );
        }
    }
}

#[tokio::test]
async fn every_message_of_the_corpus_is_handled_without_an_error() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/email");
    for app in backends().await {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let outcome = ingest(&app.app, Bytes::from(std::fs::read(&path).unwrap())).await;
            assert!(outcome.is_ok(), "{}: {}: {outcome:?}", app.backend, path.display());
            // A person's mail is never lost in a corner: it opens or joins a case.
            if let Ok(Ingested::KeptAside(why)) = &outcome {
                assert!(
                    why.contains("no sender") || why.contains("not a mail") || why.contains("names none of our mails"),
                    "{}: kept aside: {why}",
                    path.display()
                );
            }
        }
    }
}

trait ParseCase {
    fn parse_case(&self) -> sportello_domain::case_number::CaseNumber;
}

impl ParseCase for String {
    fn parse_case(&self) -> sportello_domain::case_number::CaseNumber {
        sportello_domain::case_number::CasePrefix::default()
            .parse(self)
            .unwrap()
    }
}

#[tokio::test]
async fn what_the_timeline_cuts_from_a_mail_stays_one_click_away() {
    use sportello_domain::access::Role;
    for app in backends().await {
        crate::desk::agent(&app, "ada@desk.test", Role::Admin, &[]).await;
        let (_, created) = read(app.post_json(&complete(205)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let our_id = app.our_message_id(&number, "confirmation");
        let text = "Il pagamento era di 12 euro.\r\n\r\nIl giorno lun 30 nov 2026 alle 20:00 Support ha scritto:\r\n> Abbiamo ricevuto la tua richiesta\r\n";
        let joined = ingest(
            &app.app,
            reply("cliente205@gmail.com", "Re: richiesta", Some(&our_id), text),
        )
        .await
        .unwrap();
        assert!(matches!(joined, Ingested::Joined { .. }), "{joined:?}");
        let id = stored(&app, &number.parse_case()).await.id;
        let message = app.app.store.messages(id).await.unwrap()[0].id.get();
        let desk = crate::desk::signed_in(&app, "ada@desk.test").await;
        let page = desk.fetch(&format!("/desk/cases/{number}")).await.text().await.unwrap();
        let whole = format!("/desk/cases/{number}/mail/{message}");
        assert!(page.contains(&whole), "a link to the whole mail");
        assert!(
            !page.contains("Abbiamo ricevuto la tua richiesta"),
            "the quote is cut on the timeline"
        );
        let got = desk.fetch(&whole).await;
        assert_eq!(got.status(), 200);
        let body = got.text().await.unwrap();
        assert!(body.contains("Il pagamento era di 12 euro."), "{body}");
        assert!(
            body.contains("&#62; Abbiamo ricevuto la tua richiesta"),
            "and what was cut, as text: {body}"
        );

        // The case was opened by the form: no mail to show; another case's message is not this one's.
        assert_eq!(
            desk.fetch(&format!("/desk/cases/{number}/mail/request")).await.status(),
            404
        );
        let other = case_with_a_file(&app).await;
        let other_number = other.number(app.app.catalog.case_prefix()).unwrap();
        assert_eq!(
            desk.fetch(&format!("/desk/cases/{other_number}/mail/request"))
                .await
                .status(),
            200
        );
        assert_eq!(
            desk.fetch(&format!("/desk/cases/{other_number}/mail/{message}"))
                .await
                .status(),
            404
        );
    }
}
