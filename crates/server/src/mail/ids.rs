//! Our Message-IDs and bounce addresses (SPEC §5), written and read here only. Each names a case
//! and one of its events and carries a MAC over both made with a server secret, so a reply or a
//! bounce is threaded by them only when that part verifies: knowing a case number is not enough to
//! post into a case or to mark its customer undeliverable.
//!
//! `<wa0000000013.confirmation.3f…c1@desk.example>` is a Message-ID; the envelope sender of the
//! same mail is `bounce+wa0000000013.confirmation.3f…c1@desk.example`.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sportello_domain::case_number::{CaseNumber, CasePrefix};
use sportello_domain::evidence::hex;
use subtle::ConstantTimeEq;

/// Bytes of MAC kept: 96 bits, far beyond guessing by sending mail.
const TAG_BYTES: usize = 12;
const BOUNCE_PREFIX: &str = "bounce+";

/// The bounce address that goes with one of our Message-IDs: the same parts, under `bounce+`.
pub fn bounce_address_of(message_id: &str) -> Option<String> {
    let (local, domain) = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .rsplit_once('@')?;
    Some(format!("{BOUNCE_PREFIX}{local}@{domain}"))
}

/// Makes and checks the identifiers of the mail this desk sends. Cheap to clone.
#[derive(Clone)]
pub struct MailIds {
    /// HMAC-SHA256 with its key already absorbed: cloned for each tag, which saves two of the four
    /// compressions a keyed HMAC takes (a twentieth of an intake's instructions).
    keyed: Arc<Hmac<Sha256>>,
    /// The support address's domain, lower case: the right-hand side of every identifier.
    domain: String,
}

impl std::fmt::Debug for MailIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailIds")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// What one of our identifiers names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub case: CaseNumber,
    pub event: String,
}

impl MailIds {
    pub fn new(secret: [u8; 32], support_address: &str) -> MailIds {
        let domain = support_address.rsplit('@').next().unwrap_or("localhost");
        // HMAC pads a key shorter than its block with zeros: padded here, the MAC is the same.
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&secret);
        let keyed =
            <Hmac<Sha256> as hmac::digest::KeyInit>::new(hmac::digest::generic_array::GenericArray::from_slice(&key));
        MailIds {
            keyed: Arc::new(keyed),
            domain: domain.to_ascii_lowercase(),
        }
    }

    /// `event` tells a case's mails apart: `confirmation`, `merged-…`; letters, digits and `-`.
    pub fn message_id(&self, case: &CaseNumber, event: &str) -> String {
        format!("<{}@{}>", self.local(case, event), self.domain)
    }

    /// The envelope sender of the same mail: where bounces of it come back.
    pub fn bounce_address(&self, case: &CaseNumber, event: &str) -> String {
        format!("{BOUNCE_PREFIX}{}@{}", self.local(case, event), self.domain)
    }

    /// What a Message-ID or bounce address names, when it is one of ours and its MAC verifies.
    /// Angle brackets and case do not matter (mail systems drop the one and may fold the other).
    pub fn named(&self, text: &str, prefix: &CasePrefix) -> Option<Named> {
        let text = text
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase();
        let (local, domain) = text.rsplit_once('@')?;
        if domain != self.domain {
            return None;
        }
        let local = local.strip_prefix(BOUNCE_PREFIX).unwrap_or(local);
        let mut parts = local.split('.');
        let (case, event, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let case = prefix.parse(case).ok()?;
        let expected = self.tag(&case, event);
        bool::from(expected.as_bytes().ct_eq(tag.as_bytes())).then(|| Named {
            case,
            event: event.to_owned(),
        })
    }

    fn local(&self, case: &CaseNumber, event: &str) -> String {
        format!(
            "{}.{event}.{}",
            case.as_str().to_ascii_lowercase(),
            self.tag(case, event)
        )
    }

    /// HMAC-SHA256 over the case and the event, first [`TAG_BYTES`] in lower-case hex.
    fn tag(&self, case: &CaseNumber, event: &str) -> String {
        let mut mac = Hmac::<Sha256>::clone(&self.keyed);
        mac.update(case.as_str().to_ascii_lowercase().as_bytes());
        mac.update(b".");
        mac.update(event.as_bytes());
        hex(&mac.finalize().into_bytes()[..TAG_BYTES])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids() -> MailIds {
        MailIds::new([7; 32], "Support@Sportello.test")
    }

    fn case(n: u64) -> CaseNumber {
        CasePrefix::default().number(n).unwrap()
    }

    #[test]
    fn our_identifiers_name_their_case_and_event() {
        let (ids, prefix) = (ids(), CasePrefix::default());
        let id = ids.message_id(&case(1), "confirmation");
        assert!(
            id.starts_with("<wa0000000013.confirmation.") && id.ends_with("@sportello.test>"),
            "{id}"
        );
        let named = ids.named(&id, &prefix).unwrap();
        assert_eq!((named.case, named.event.as_str()), (case(1), "confirmation"));
        // Without brackets, in other case, as a bounce address: the same.
        assert!(ids.named(&id[1..id.len() - 1].to_ascii_uppercase(), &prefix).is_some());
        let bounce = ids.bounce_address(&case(1), "confirmation");
        assert!(bounce.starts_with("bounce+wa0000000013.confirmation."), "{bounce}");
        assert_eq!(bounce_address_of(&id).as_deref(), Some(bounce.as_str()));
        assert_eq!(ids.named(&bounce, &prefix).unwrap().case, case(1));
    }

    #[test]
    fn a_forged_or_foreign_identifier_names_nothing() {
        let (ids, prefix) = (ids(), CasePrefix::default());
        let genuine = ids.message_id(&case(1), "confirmation");
        for forged in [
            // What the desk wrote before the MAC: anyone who knows the number could write it.
            "<wa0000000013.confirmation@sportello.test>".to_owned(),
            genuine.replace("wa0000000013", &case(2).as_str().to_ascii_lowercase()),
            genuine.replace("confirmation", "merged-1"),
            genuine.replace("@sportello.test", "@elsewhere.test"),
            genuine.replace(".confirmation.", ".confirmation.00."),
            MailIds::new([8; 32], "support@sportello.test").message_id(&case(1), "confirmation"),
        ] {
            assert_eq!(ids.named(&forged, &prefix), None, "{forged}");
        }
    }

    /// The pre-keyed MAC is HMAC-SHA256 with the secret as its key, as any implementation makes it.
    #[test]
    fn the_tag_is_the_standard_hmac_of_case_and_event() {
        let mut mac = <Hmac<Sha256> as hmac::Mac>::new_from_slice(&[7; 32]).unwrap();
        mac.update(b"wa0000000013.confirmation");
        let expected = hex(&mac.finalize().into_bytes()[..TAG_BYTES]);
        assert_eq!(ids().tag(&case(1), "confirmation"), expected);
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic_and_only_ours_verify(text in "\\PC{0,80}") {
            prop_assert!(ids().named(&text, &CasePrefix::default()).is_none());
        }

        #[test]
        fn every_case_and_event_round_trips(n in 1u64..999_999_999, event in "[a-z0-9-]{1,20}") {
            let ids = ids();
            let named = ids.named(&ids.message_id(&case(n), &event), &CasePrefix::default());
            prop_assert_eq!(named, Some(Named { case: case(n), event }));
        }
    }
}
