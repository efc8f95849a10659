//! Webhooks out (SPEC §9): which events an endpoint may hear of, how a delivery is signed, and
//! which addresses a delivery must never reach. Pure: the server resolves names and sends.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What an event is about; an endpoint subscribes to some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "case.created")]
    CaseCreated,
    #[serde(rename = "case.updated")]
    CaseUpdated,
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "sla.breached")]
    SlaBreached,
    #[serde(rename = "alert.device_spike")]
    DeviceSpike,
    /// "Send a test event": only to the endpoint asked for, never subscribed to.
    #[serde(rename = "ping")]
    Ping,
}

text_enum!(EventKind, "webhook event", {
    CaseCreated => "case.created",
    CaseUpdated => "case.updated",
    MessageCreated => "message.created",
    SlaBreached => "sla.breached",
    DeviceSpike => "alert.device_spike",
    Ping => "ping",
});

impl EventKind {
    /// The events an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventKind; 5] = [
        EventKind::CaseCreated,
        EventKind::CaseUpdated,
        EventKind::MessageCreated,
        EventKind::SlaBreached,
        EventKind::DeviceSpike,
    ];
}

/// The `Sportello-Signature` header of a delivery sent at `t` (Unix seconds):
/// `t=UNIX,v1=HEX(HMAC-SHA256(secret, "t.body"))`. The time is signed with the body, so a receiver
/// that refuses old times cannot be fed a recorded delivery again.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        unreachable!("HMAC accepts every key length")
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    format!("t={t},v1={hex}")
}

/// Why an address is no place to send a delivery to: it reaches this machine, its network, or
/// the cloud's instance metadata, not a service on the internet (SSRF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    Loopback,
    Private,
    LinkLocal,
    /// Cloud metadata services that sit outside the ranges above (e.g. Alibaba's 100.100.100.200,
    /// AWS's fd00:ec2::254 is private already).
    Metadata,
    /// Addresses no one serves from: unspecified, broadcast, multicast, documentation, reserved.
    NotRoutable,
}

impl Internal {
    pub fn as_str(self) -> &'static str {
        match self {
            Internal::Loopback => "loopback",
            Internal::Private => "private",
            Internal::LinkLocal => "link-local",
            Internal::Metadata => "cloud metadata",
            Internal::NotRoutable => "not routable",
        }
    }
}

/// Why `ip` is refused as a delivery target, or None for an address on the internet. An IPv6
/// address that embeds an IPv4 one (mapped, NAT64) is judged by the IPv4 address it reaches.
pub fn internal(ip: IpAddr) -> Option<Internal> {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> Option<Internal> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some(Internal::Loopback)
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // RFC 1918 and the carrier-grade NAT range RFC 6598 (not the internet either).
        if ip == Ipv4Addr::new(100, 100, 100, 200) {
            Some(Internal::Metadata)
        } else {
            Some(Internal::Private)
        }
    } else if ip.is_link_local() {
        // 169.254.0.0/16, where AWS, GCP and Azure answer 169.254.169.254.
        Some(Internal::LinkLocal)
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
    {
        Some(Internal::NotRoutable)
    } else {
        None
    }
}

fn internal_v6(ip: Ipv6Addr) -> Option<Internal> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some(Internal::Loopback)
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        // Unique local fc00::/7 (AWS's metadata fd00:ec2::254 among them), old site-local fec0::/10.
        Some(Internal::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(Internal::LinkLocal)
    } else if ip.is_unspecified() || ip.is_multicast() || first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some(Internal::NotRoutable)
    } else {
        None
    }
}

/// The IPv4 address an IPv6 one stands for: `::ffff:a.b.c.d`, `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0];
    let compatible = s[..6] == [0, 0, 0, 0, 0, 0] && !tail.is_unspecified() && tail != Ipv4Addr::new(0, 0, 0, 1);
    (nat64 || compatible).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Computed apart from this code: python3 -c "import hmac,hashlib;
        // print(hmac.new(b'whsec_test', b'1764633600.{\"id\":\"evt_1\"}', hashlib.sha256).hexdigest())"
        assert_eq!(
            signature(b"whsec_test", 1_764_633_600, br#"{"id":"evt_1"}"#),
            "t=1764633600,v1=fa5bcb43f4afb49edb3ba50bfc5e3e7f2e8a1507416ce98c6c54eb322109893d"
        );
    }

    #[test]
    fn event_names_read_back() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
        }
        assert!("case.deleted".parse::<EventKind>().is_err());
        assert!(!EventKind::SUBSCRIBABLE.contains(&EventKind::Ping));
    }

    #[test]
    fn internal_addresses_are_named() {
        let cases = [
            ("127.0.0.1", Some(Internal::Loopback)),
            ("127.9.9.9", Some(Internal::Loopback)),
            ("::1", Some(Internal::Loopback)),
            ("::ffff:127.0.0.1", Some(Internal::Loopback)),
            ("64:ff9b::10.0.0.1", Some(Internal::Private)),
            ("10.1.2.3", Some(Internal::Private)),
            ("172.16.0.1", Some(Internal::Private)),
            ("192.168.1.1", Some(Internal::Private)),
            ("100.64.0.1", Some(Internal::Private)),
            ("100.100.100.200", Some(Internal::Metadata)),
            ("169.254.169.254", Some(Internal::LinkLocal)),
            ("fe80::1", Some(Internal::LinkLocal)),
            ("fd00:ec2::254", Some(Internal::Private)),
            ("0.0.0.0", Some(Internal::NotRoutable)),
            ("::", Some(Internal::NotRoutable)),
            ("255.255.255.255", Some(Internal::NotRoutable)),
            ("224.0.0.1", Some(Internal::NotRoutable)),
            ("192.0.2.7", Some(Internal::NotRoutable)),
            ("2001:db8::1", Some(Internal::NotRoutable)),
            ("93.184.215.14", None),
            ("8.8.8.8", None),
            ("100.128.0.1", None),
            ("2606:4700:4700::1111", None),
        ];
        for (ip, want) in cases {
            assert_eq!(internal(ip.parse().unwrap()), want, "{ip}");
        }
    }

    proptest! {
        #[test]
        fn a_mapped_address_is_judged_as_the_one_it_maps(a: u8, b: u8, c: u8, d: u8) {
            let v4 = Ipv4Addr::new(a, b, c, d);
            prop_assert_eq!(internal(IpAddr::V6(v4.to_ipv6_mapped())), internal(IpAddr::V4(v4)));
        }

        #[test]
        fn every_ten_slash_eight_address_is_private(b: u8, c: u8, d: u8) {
            prop_assert_eq!(internal(IpAddr::V4(Ipv4Addr::new(10, b, c, d))), Some(Internal::Private));
        }

        #[test]
        fn signatures_differ_when_time_or_body_do(t in 0i64..4_000_000_000, body in ".{0,40}", other in ".{0,40}") {
            let a = signature(b"k", t, body.as_bytes());
            let head = format!("t={t},v1=");
            prop_assert!(a.starts_with(&head));
            prop_assert_eq!(a.len(), head.len() + 64);
            if body != other {
                prop_assert_ne!(&a, &signature(b"k", t, other.as_bytes()));
            }
            prop_assert_ne!(&a, &signature(b"k", t + 1, body.as_bytes()));
        }
    }
}
