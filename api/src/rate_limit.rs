//! Per-client rate limiting: a token bucket per client address, from `governor`. Not per
//! bearer token: an unchecked token would let a client mint fresh buckets at will, and checking
//! it would cost a database read before the limit could protect anything. IPv6 clients are
//! keyed by their /64 (one subscriber's whole allocation: rotating addresses within it buys no
//! new bucket). Loopback clients are limited like any other unless exempted: behind a local
//! reverse proxy every request comes from loopback, and an exemption would limit nobody.
//! Over the limit a request gets HTTP 429 with `Retry-After` and a GraphQL-shaped body with the
//! code `RATE_LIMITED`.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// How many requests a client may make (declared as the server's flags).
#[derive(Clone, Copy, Debug, PartialEq, clap::Args)]
pub struct RateLimit {
    /// Requests per minute each client address may make to /graphql; 0 turns the limit off.
    /// Over it: HTTP 429 RATE_LIMITED.
    #[arg(
        long = "rate-limit-per-minute",
        env = "RATE_LIMIT_PER_MINUTE",
        default_value_t = 600,
        value_name = "REQUESTS"
    )]
    pub per_minute: u32,
    /// Requests a client may make at once above the per-minute rate.
    #[arg(long = "rate-limit-burst", env = "RATE_LIMIT_BURST", default_value_t = 100)]
    pub burst: u32,
    /// Exempt clients on the loopback interface from the rate limit (for local tools only:
    /// behind a reverse proxy on the same machine every client comes from loopback).
    #[arg(long = "rate-limit-exempt-loopback", env = "RATE_LIMIT_EXEMPT_LOOPBACK")]
    pub exempt_loopback: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

/// The address a client is limited by: IPv4 as is, IPv6 by its /64 network (IPv4-mapped
/// addresses as IPv4).
pub trait ClientKey {
    fn key(self) -> IpAddr;
}

impl ClientKey for IpAddr {
    fn key(self) -> IpAddr {
        match self {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
            },
        }
    }
}

/// Clients with a debt remembered at most.
const MAX_DEBTORS: usize = 100_000;

/// The most one request may take from its bucket after the fact.
const MAX_EXTRA: u32 = 10_000;

/// What a request costs the client's bucket beyond the one request charged up front, as
/// GitHub's API charges by what a query costs: a point per 20 ms of work and per 64 KiB read
/// or written, so a client sending the most expensive requests the server accepts gets
/// proportionally fewer of them.
pub fn extra_points(elapsed: Duration, bytes_in: usize, bytes_out: usize) -> u32 {
    let work = elapsed.as_millis() / 20;
    let bytes = (bytes_in + bytes_out) / (64 * 1024);
    u32::try_from(work + bytes as u128).unwrap_or(u32::MAX)
}

pub struct Limiter {
    buckets: DefaultKeyedRateLimiter<Option<IpAddr>>,
    exempt_loopback: bool,
    /// The time one point takes to come back.
    per_point: Duration,
    /// Points clients owe beyond what their bucket held (a bucket cannot go below empty): paid
    /// from the bucket as it refills, before any new request is let through.
    owing: std::sync::Mutex<std::collections::HashMap<Option<IpAddr>, u32>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limiter")
    }
}

impl Limiter {
    /// None when the limit is off.
    pub fn new(limit: RateLimit) -> Option<Self> {
        let per_minute = NonZeroU32::new(limit.per_minute)?;
        let burst = NonZeroU32::new(limit.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Some(Self {
            buckets: governor::RateLimiter::keyed(quota),
            exempt_loopback: limit.exempt_loopback,
            per_point: Duration::from_secs(60) / per_minute.get(),
            owing: Default::default(),
        })
    }

    /// Takes one request from the client's bucket: Ok, or how long to wait.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let client = client.map(ClientKey::key);
        if self.exempt_loopback && client.is_some_and(|ip| ip.is_loopback()) {
            return Ok(());
        }
        {
            let mut owing = self.owing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(owed) = owing.get_mut(&client) {
                while *owed > 0 && self.buckets.check_key(&client).is_ok() {
                    *owed -= 1;
                }
                if *owed > 0 {
                    return Err(self.per_point * *owed);
                }
                owing.remove(&client);
            }
        }
        self.buckets.check_key(&client).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Takes `extra` more from the client's bucket after a request turned out to cost more than
    /// one (as much as is left: the next request then waits). Loopback is exempt as above.
    pub fn charge_extra(&self, client: Option<IpAddr>, extra: u32) {
        let client = client.map(ClientKey::key);
        if self.exempt_loopback && client.is_some_and(|ip| ip.is_loopback()) {
            return;
        }
        let extra = extra.min(MAX_EXTRA);
        let mut taken = 0;
        while taken < extra && self.buckets.check_key(&client).is_ok() {
            taken += 1;
        }
        let owed = extra - taken;
        if owed > 0 {
            let mut owing = self.owing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // A bounded book: past it, new debts are forgiven rather than grow the map.
            if owing.len() >= MAX_DEBTORS && !owing.contains_key(&client) {
                return;
            }
            let debt = owing.entry(client).or_default();
            *debt = debt.saturating_add(owed).min(MAX_EXTRA);
        }
    }

    /// Forgets clients whose buckets are full again, so the map does not grow forever.
    pub fn forget_idle(&self) {
        // Debts stay until paid: a client's next request pays them.
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_bucket_and_loopback_is_limited_unless_exempt() {
        let limiter = Limiter::new(RateLimit { per_minute: 1, burst: 2, exempt_loopback: false }).unwrap();
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(limiter.check(Some(remote)).is_ok());
        assert!(limiter.check(Some(remote)).is_ok());
        let wait = limiter.check(Some(remote)).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limiter.check(Some("203.0.113.8".parse().unwrap())).is_ok(), "another client has its own bucket");
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!((0..10).filter(|_| limiter.check(Some(local)).is_ok()).count(), 2);
        let exempting = Limiter::new(RateLimit { per_minute: 1, burst: 2, exempt_loopback: true }).unwrap();
        assert!((0..10).all(|_| exempting.check(Some(local)).is_ok()));
        assert!(Limiter::new(RateLimit { per_minute: 0, ..RateLimit::default() }).is_none());
    }

    #[test]
    fn expensive_requests_take_more_of_the_bucket() {
        assert_eq!(extra_points(Duration::from_millis(5), 300, 2_000), 0, "a search costs one request");
        assert_eq!(extra_points(Duration::from_millis(100), 0, 0), 5);
        assert_eq!(extra_points(Duration::from_millis(1), 7_000_000, 100), 106);
        let limiter = Limiter::new(RateLimit { per_minute: 1, burst: 10, exempt_loopback: false }).unwrap();
        let client = Some("203.0.113.7".parse().unwrap());
        assert!(limiter.check(client).is_ok());
        limiter.charge_extra(client, 5);
        assert_eq!((0..10).filter(|_| limiter.check(client).is_ok()).count(), 4, "10 - 1 - 5 left");
        // A debt larger than what is left is served as a wait: 100 points at one a minute.
        limiter.charge_extra(client, 100);
        let wait = limiter.check(client).unwrap_err();
        assert!(wait > Duration::from_secs(99 * 60), "{wait:?}");
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let limiter = Limiter::new(RateLimit { per_minute: 1, burst: 2, exempt_loopback: false }).unwrap();
        let within = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:1234:5678:9abc:def0"];
        let passed = within.iter().filter(|a| limiter.check(Some(a.parse().unwrap())).is_ok()).count();
        assert_eq!(passed, 2, "three addresses of one /64 share a bucket of two");
        assert!(limiter.check(Some("2001:db8:1:3::1".parse().unwrap())).is_ok(), "the next /64 is another client");
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(mapped.key(), "203.0.113.9".parse::<IpAddr>().unwrap());
    }
}
