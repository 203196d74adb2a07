//! A time limit for long computations: their loops check it and give up with `TimedOut`, so
//! one request cannot hold a core for minutes.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Deadline(Option<Instant>);

/// The computation passed its deadline and stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut;

impl Deadline {
    /// No limit.
    pub fn none() -> Self {
        Self(None)
    }

    pub fn after(limit: Duration) -> Self {
        Self(Instant::now().checked_add(limit))
    }

    pub fn at(when: Instant) -> Self {
        Self(Some(when))
    }

    /// Time left before the deadline; None without one.
    pub fn remaining(&self) -> Option<Duration> {
        self.0.map(|at| at.saturating_duration_since(Instant::now()))
    }

    pub fn check(&self) -> Result<(), TimedOut> {
        match self.0 {
            Some(at) if Instant::now() >= at => Err(TimedOut),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_pass() {
        assert_eq!(Deadline::none().check(), Ok(()));
        assert_eq!(Deadline::after(Duration::from_secs(60)).check(), Ok(()));
        assert_eq!(Deadline::after(Duration::ZERO).check(), Err(TimedOut));
    }
}
