//! Batches (SPEC §1 "Batches"): what `albums` over several artists and `refresh --all` share.
//!
//! A batch keeps going past a failing item: each failure is one `spotctl:` line naming the item
//! (and its stdin line), the other items are completed, and the run ends with a summary line
//! ("2 of 31 artists failed") and the exit code of the first failure. `--fail-fast` stops at the
//! first failure instead. A rate limit beyond the cap (exit 5) or the network gone (exit 6: no
//! connection, DNS or TLS, no answer at all) stops the whole batch at once: every later item
//! would fail the same way, and going on would only dig the rate-limit hole deeper. An item
//! the service answered with a 5xx (after the retries) or a redirect, or with something broken
//! (not JSON, over the size cap, a looping `next`), is exit 6 too, but only that item's
//! failure: Spotify has artists whose albums answer 500 every time. A refused login when one
//! account serves every item (`albums`) stops the batch too (`refresh --all` goes on to the
//! next account). The stop line says where the batch stopped, so it can resume; the fetch
//! engine applies the same rule ([`Batch::stop_rule`]) the moment the failure arrives, so
//! nothing after it is requested.

use crate::api::paginate::batch::StopRule;
use crate::error::{Error, Result, code};
use std::sync::Arc;

/// A failure every later item would share: the service out of reach or out of quota (unless
/// the caller decides that, `own`), or a refused login when one account serves every item.
fn stops(e: &Error, shared_account: bool, own: bool) -> bool {
    (!own && e.stops_a_batch()) || (shared_account && e.exit_code() == code::AUTH)
}

pub struct Batch {
    /// "artist" / "artists".
    noun: (&'static str, &'static str),
    fail_fast: bool,
    /// One account serves every item (`albums`): when it is refused (exit 3), so is the rest.
    shared_account: bool,
    /// The caller decides what a rate limit or a dead network stops (`refresh --all`: only the
    /// accounts of the same token endpoint).
    own_stops: bool,
    done: usize,
    failed: usize,
    first_code: Option<u8>,
}

impl Batch {
    pub fn new(noun: (&'static str, &'static str), fail_fast: bool) -> Batch {
        Batch {
            noun,
            fail_fast,
            shared_account: false,
            own_stops: false,
            done: 0,
            failed: 0,
            first_code: None,
        }
    }

    /// Every item uses the same account: an authentication failure (exit 3) stops the batch.
    pub fn sharing_one_account(mut self) -> Batch {
        self.shared_account = true;
        self
    }

    /// Exit 5 and 6 do not stop the batch: the caller skips what they concern.
    pub fn with_own_stops(mut self) -> Batch {
        self.own_stops = true;
        self
    }

    /// One item completed.
    pub fn ok(&mut self) {
        self.done += 1;
    }

    /// Items failed so far.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Items seen so far, failed or not.
    pub fn seen(&self) -> usize {
        self.done + self.failed
    }

    fn noun(&self, n: usize) -> &'static str {
        if n == 1 { self.noun.0 } else { self.noun.1 }
    }

    /// Whether a failure with `e` stops the batch: the rule [`Batch::fail`] applies, handed
    /// to the fetch engine so the stop happens as the failure arrives (no later item starts).
    pub fn stop_rule(&self) -> StopRule {
        let (fail_fast, shared, own) = (self.fail_fast, self.shared_account, self.own_stops);
        Arc::new(move |e: &Error| fail_fast || stops(e, shared, own))
    }

    /// Reports one failed item (`item`: "artist ID (stdin line 3)", "alice"). Ok when the batch
    /// goes on; Err (already reported) when it must stop here.
    pub fn fail(&mut self, item: &str, e: Error) -> Result<()> {
        let c = e.exit_code();
        let same_for_all = stops(&e, self.shared_account, self.own_stops);
        self.failed += 1;
        self.first_code.get_or_insert(c);
        match e {
            // Already on stderr (or nothing to say): counts, without a second line.
            Error::Reported(_) | Error::BrokenPipe => {}
            // Items and messages may carry what a server or a file said.
            e => eprintln!(
                "spotctl: {}",
                crate::sanitize::line(&format!("{item}: {e}"))
            ),
        }
        let why = if same_for_all {
            "the rest would fail the same way"
        } else if self.fail_fast {
            "--fail-fast"
        } else {
            return Ok(());
        };
        eprintln!(
            "spotctl: stopped at {item} ({why}); the {} after it were skipped; {}",
            self.noun.1,
            self.tally()
        );
        Err(Error::Reported(self.first_code.unwrap_or(c)))
    }

    fn tally(&self) -> String {
        let n = self.seen();
        format!("{} of {n} {} failed", self.failed, self.noun(n))
    }

    /// Ends the batch: the summary line when something failed, and the first failure's code.
    pub fn finish(self) -> Result<()> {
        match self.first_code {
            None => Ok(()),
            Some(c) => {
                eprintln!("spotctl: {}", self.tally());
                Err(Error::Reported(c))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_on_past_failures_and_keeps_the_first_code() {
        let mut b = Batch::new(("artist", "artists"), false);
        b.ok();
        assert!(b.fail("artist X", Error::usage("bad")).is_ok());
        assert!(
            b.fail(
                "artist Y",
                Error::Api {
                    method: "GET".into(),
                    path: "/v1/x".into(),
                    status: 404,
                    message: "Not found".into()
                }
            )
            .is_ok()
        );
        b.ok();
        assert_eq!(b.seen(), 4);
        assert_eq!(b.tally(), "2 of 4 artists failed");
        assert!(matches!(b.finish(), Err(Error::Reported(2))));
    }

    #[test]
    fn rate_limit_network_and_fail_fast_stop() {
        let mut b = Batch::new(("artist", "artists"), false);
        assert!(matches!(
            b.fail("a", Error::RateLimited("x".into())),
            Err(Error::Reported(5))
        ));
        let mut b = Batch::new(("account", "accounts"), false);
        assert!(b.fail("a", Error::store("x")).is_ok());
        assert!(matches!(
            b.fail("b", Error::network("x")),
            Err(Error::Reported(7))
        ));
        let mut b = Batch::new(("artist", "artists"), true);
        assert!(b.fail("a", Error::usage("x")).is_err());
        assert!(Batch::new(("a", "b"), false).finish().is_ok());
    }
}
