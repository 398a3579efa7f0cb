//! `--rate N/s|N/m` (`SPOTCTL_RATE`): a cap on request *starts* for the whole run, so a long crawl
//! stays under an app's quota (Spotify counts calls in a rolling 30 s window and may answer a
//! crawl that runs into it with a wait of hours) instead of discovering it through a 429.
//!
//! It is a token bucket holding one token (GCRA with no burst): request starts are spaced at
//! least `1/N` seconds (or `60/N`) apart, whichever task asks, counted from the previous
//! actual start (a process that was not scheduled for a while does not start every overdue
//! request at once). With no burst, any window of
//! length W holds at most `ceil(W·N)` starts, so a cap just under a quota never exceeds it.
//! Every Web API attempt counts, retries included. Token requests do not: they are not delayed
//! and take no slot, because a refresh runs under the account lock, which must never wait
//! behind queued API starts (the README and `--help` say the same). 429s are still honoured on
//! top (the pause in `http/gate.rs`). [`crate::api::http::Http`] calls [`Limiter::wait`] after
//! taking a concurrency permit, so queued requests cannot bunch up behind it, and checks the
//! pause again once the slot is granted: a 429 that came while a request waited for its slot
//! holds it back too.
//!
//! Hand-written rather than the `governor` crate: with a burst of one it is a single
//! "last start" instant behind a mutex; governor would add its own clock (quanta) and timer
//! (futures-timer) beside tokio's and a dozen crates for those few lines.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// A parsed `--rate`: `count` starts per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// curl's syntax: `N/s`, `N/m` (also `N/h`, `N/d`, and `N/5s`-style multiples); a bare `N`
    /// means per second.
    pub fn parse(raw: &str) -> Result<Rate> {
        let bad = || {
            Error::usage(format!(
                "--rate \"{}\" is not a rate; use N/s or N/m, e.g. 10/s or 150/m",
                crate::api::ids::shown(raw)
            ))
        };
        let t = raw.trim();
        let (n, unit) = t.split_once('/').unwrap_or((t, "s"));
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        let unit = unit.trim();
        let digits = unit.bytes().take_while(u8::is_ascii_digit).count();
        let mult: u64 = if digits == 0 {
            1
        } else {
            unit[..digits].parse().map_err(|_| bad())?
        };
        let secs: u64 = match &unit[digits..] {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(bad()),
        };
        if count == 0 || mult == 0 {
            return Err(Error::usage(format!(
                "--rate \"{}\": the rate must be above zero",
                crate::api::ids::shown(raw)
            )));
        }
        Ok(Rate {
            count,
            per: Duration::from_secs(secs.saturating_mul(mult)),
        })
    }

    /// The least time between two request starts.
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.per.as_secs() {
            1 => write!(f, "{}/s", self.count),
            60 => write!(f, "{}/m", self.count),
            s => write!(f, "{}/{s}s", self.count),
        }
    }
}

pub struct Limiter {
    rate: Rate,
    interval: Duration,
    /// When the last request started (its slot granted), held while the next waits for its
    /// own: waiters queue in order (tokio's mutex is fair), and each slot is counted from the
    /// previous *actual* start, so starts that woke late together are still an interval apart.
    last: tokio::sync::Mutex<Option<Instant>>,
    /// Whether `-v` was already told that the cap is what limits the run.
    told: AtomicBool,
}

impl Limiter {
    pub fn new(rate: Rate) -> Limiter {
        Limiter {
            rate,
            interval: rate.interval(),
            last: tokio::sync::Mutex::new(None),
            told: AtomicBool::new(false),
        }
    }

    /// Waits for the next start slot: an interval after the previous start. A caller that is
    /// cancelled while waiting starts nothing and takes no slot; the next waiter's slot is
    /// still counted from the last start, so the cap errs on the slow side, never the fast one.
    pub async fn wait(&self) {
        let mut last = self.last.lock().await;
        let now = Instant::now();
        let at = last.map_or(now, |l| (l + self.interval).max(now));
        if at > now {
            if !self.told.swap(true, Ordering::AcqRel) {
                tracing::info!(
                    "--rate {}: the rate cap is what limits this run (requests start {:.0} ms apart)",
                    self.rate,
                    self.interval.as_secs_f64() * 1000.0
                );
            }
            tokio::time::sleep_until(at).await;
        }
        *last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_like_curl() {
        let r = |s| Rate::parse(s).unwrap();
        assert_eq!(r("10/s").interval(), Duration::from_millis(100));
        assert_eq!(r("150/m").interval(), Duration::from_millis(400));
        assert_eq!(r("3/h").interval(), Duration::from_secs(1200));
        assert_eq!(r("5").interval(), Duration::from_millis(200));
        assert_eq!(r("10/2s").interval(), Duration::from_millis(200));
        assert_eq!(r(" 2/min ").to_string(), "2/m");
        for bad in ["", "0/s", "x/s", "10/y", "-1/s", "10/0s", "1.5/s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_interval() {
        let l = std::sync::Arc::new(Limiter::new(Rate::parse("4/s").unwrap()));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                l.wait().await;
                Instant::now() - t0
            }));
        }
        let mut at: Vec<Duration> = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        let ms: Vec<u128> = at.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, vec![0, 250, 500, 750, 1000]);
    }

    /// A process that was not scheduled for a while (a loaded machine, a stopped terminal) must
    /// not start every request whose slot passed meanwhile at once: starts stay an interval
    /// apart from the previous *actual* start, not from its planned slot.
    #[test]
    fn starts_that_woke_late_together_are_still_spaced() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let ms = rt.block_on(async {
            let l = std::sync::Arc::new(Limiter::new(Rate::parse("10/s").unwrap()));
            let t0 = std::time::Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..4 {
                let l = l.clone();
                tasks.push(tokio::spawn(async move {
                    l.wait().await;
                    t0.elapsed().as_millis()
                }));
            }
            // Once the first has started, the runtime is blocked for 350 ms: the next three
            // slots (100, 200, 300 ms) all pass meanwhile.
            tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                std::thread::sleep(Duration::from_millis(350));
            });
            let mut ms = Vec::new();
            for t in tasks {
                ms.push(t.await.unwrap());
            }
            ms.sort();
            ms
        });
        for w in ms.windows(2) {
            assert!(w[1] - w[0] >= 95, "starts at {ms:?} ms");
        }
    }
}
