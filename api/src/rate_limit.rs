//! Per-client rate limiting: a token bucket per client address, from `governor`. Not per
//! bearer token: an unchecked token would let a client mint fresh buckets at will, and checking
//! it would cost a database read before the limit could protect anything. Loopback clients are
//! exempt unless configured otherwise, so local tools, tests and benchmarks are never throttled.
//! Over the limit a request gets HTTP 429 with `Retry-After` and a GraphQL-shaped body with the
//! code `RATE_LIMITED`.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// How many requests a client may make.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per minute; 0 turns limiting off.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// Whether loopback clients are limited too.
    pub limit_loopback: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per_minute: 600, burst: 100, limit_loopback: false }
    }
}

pub struct Limiter {
    buckets: DefaultKeyedRateLimiter<String>,
    limit_loopback: bool,
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
        Some(Self { buckets: governor::RateLimiter::keyed(quota), limit_loopback: limit.limit_loopback })
    }

    /// Takes one request from the client's bucket: Ok, or how long to wait.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        if !self.limit_loopback && client.is_some_and(|ip| ip.is_loopback()) {
            return Ok(());
        }
        let key = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        self.buckets.check_key(&key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients whose buckets are full again, so the map does not grow forever.
    pub fn forget_idle(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_bucket_and_loopback_is_exempt() {
        let limiter = Limiter::new(RateLimit { per_minute: 1, burst: 2, limit_loopback: false }).unwrap();
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(limiter.check(Some(remote)).is_ok());
        assert!(limiter.check(Some(remote)).is_ok());
        let wait = limiter.check(Some(remote)).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limiter.check(Some("203.0.113.8".parse().unwrap())).is_ok(), "another client has its own bucket");
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!((0..10).all(|_| limiter.check(Some(local)).is_ok()));
        assert!(Limiter::new(RateLimit { per_minute: 0, ..RateLimit::default() }).is_none());
    }
}
