//! Per-client limits (SPEC §3.4): at most N requests in any window of PERIOD. Each client's last
//! N request times are kept, so the figure holds exactly; a token bucket (what this was) lets a
//! burst of N through and then one more every PERIOD/N — about twice the figure over a period.
//!
//! A client is its address, an IPv6 one by its /64 (the whole of one subscriber's allocation: a
//! host picks any of its 2^64 addresses), and behind a trusted proxy the address the proxy says it
//! forwards for. Counters live in this process: several instances each hold their own.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::config::RateLimit;

/// Whom a limit counts: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            // An IPv4 address in IPv6 clothing is that IPv4 address.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    ClientKey(IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
                }
            },
        }
    }
}

/// The client a request comes from: the peer, unless the peer is a trusted proxy — then the
/// nearest address in `X-Forwarded-For` that is not one of the trusted proxies (the right-most
/// one a trusted proxy added; what a client wrote itself further left is not believed).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let parts: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for part in parts.iter().rev() {
        match part.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return ip,
            // Past what a trusted proxy wrote: nothing further left can be believed.
            Err(_) => break,
        }
    }
    peer
}

/// One limit, for every client.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    /// Each client's admitted request times within the last period, oldest first.
    clients: Mutex<HashMap<ClientKey, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `client` at `now`: admitted, or refused with how long until one more
    /// would be. A refused request does not count.
    pub fn check(&self, client: ClientKey, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let times = clients.entry(client).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.limit.period)
        {
            times.pop_front();
        }
        if times.len() < self.limit.requests as usize {
            times.push_back(now);
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        Err(self.limit.period.saturating_sub(now.saturating_duration_since(oldest)))
    }

    /// Drops clients with nothing left in the window, so memory follows the active clients.
    pub fn forget_quiet(&self, now: Instant) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.saturating_duration_since(*t) < self.limit.period)
        });
        clients.shrink_to_fit();
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ten_per_ten_minutes() -> Limiter {
        Limiter::new(RateLimit {
            requests: 10,
            period: Duration::from_secs(600),
        })
    }

    fn ip(text: &str) -> ClientKey {
        ClientKey::of(text.parse().unwrap())
    }

    #[test]
    fn ten_in_ten_minutes_means_ten_in_any_ten_minutes() {
        let limiter = ten_per_ten_minutes();
        let start = Instant::now();
        let client = ip("192.0.2.1");
        for i in 0..10 {
            assert!(limiter.check(client, start + Duration::from_secs(i)).is_ok(), "{i}");
        }
        let refused = limiter.check(client, start + Duration::from_secs(10));
        assert_eq!(
            refused,
            Err(Duration::from_secs(590)),
            "until the first one leaves the window"
        );
        // A token bucket let one more in a minute after the 11th was refused; a window does not.
        assert!(limiter.check(client, start + Duration::from_secs(70)).is_err());
        assert!(limiter.check(client, start + Duration::from_secs(599)).is_err());
        assert!(limiter.check(client, start + Duration::from_secs(600)).is_ok());
        assert!(
            limiter.check(ip("192.0.2.2"), start).is_ok(),
            "another client has its own"
        );
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client_whatever_address_it_picks() {
        let limiter = ten_per_ten_minutes();
        let now = Instant::now();
        for i in 0..10 {
            assert!(limiter.check(ip(&format!("2001:db8:1:2::{i:x}")), now).is_ok());
        }
        assert!(
            limiter.check(ip("2001:db8:1:2:ffff:1:2:3"), now).is_err(),
            "the same /64"
        );
        assert!(limiter.check(ip("2001:db8:1:3::1"), now).is_ok(), "the next /64");
        assert_eq!(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
    }

    #[test]
    fn quiet_clients_are_forgotten() {
        let limiter = ten_per_ten_minutes();
        let now = Instant::now();
        limiter.check(ip("192.0.2.1"), now).unwrap();
        limiter.check(ip("192.0.2.2"), now + Duration::from_secs(300)).unwrap();
        limiter.forget_quiet(now + Duration::from_secs(650));
        assert_eq!(limiter.clients(), 1);
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.1.1.1".parse().unwrap(),
        );
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        // The right-most address a trusted proxy did not add: what the client wrote before it is
        // not believed.
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        assert_eq!(
            client_ip(stranger, &headers, &trusted),
            stranger,
            "a client cannot name itself"
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_ip(proxy, &headers, &[]), proxy, "no proxy trusted by default");
        let mut garbage = HeaderMap::new();
        garbage.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(proxy, &garbage, &trusted), proxy);
    }

    proptest! {
        /// Whatever the arrival times, no window of one period ever holds more admitted requests
        /// than the limit, and a request is refused only when it would break that.
        #[test]
        fn no_window_admits_more_than_the_limit(gaps in proptest::collection::vec(0u64..200, 1..80), n in 1u32..6) {
            let period = Duration::from_secs(100);
            let limiter = Limiter::new(RateLimit { requests: n, period });
            let start = Instant::now();
            let client = ip("192.0.2.1");
            let mut at = start;
            let mut admitted: Vec<Instant> = Vec::new();
            for gap in gaps {
                at += Duration::from_secs(gap);
                let in_window = admitted.iter().filter(|t| at.duration_since(**t) < period).count();
                let ok = limiter.check(client, at).is_ok();
                prop_assert_eq!(ok, in_window < n as usize);
                if ok {
                    admitted.push(at);
                }
            }
        }
    }
}
