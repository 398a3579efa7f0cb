//! The run's context, a bag of plain values: where accounts live, which endpoints to use, the
//! retry policy, the output format, and the one HTTP client of the run (built lazily, so
//! `spotctl token` with a fresh cached token never pays for it). It knows nothing of the command
//! line: `cli/global.rs` fills it from the global flags (ripgrep's habit: parse once, then the
//! core never sees clap).

use crate::api::http::{Http, RetryPolicy};
use crate::error::Result;
use crate::output::OutputFormat;
use crate::store::Store;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

pub const DEFAULT_API_BASE: &str = "https://api.spotify.com/v1";
pub const DEFAULT_ACCOUNTS_BASE: &str = "https://accounts.spotify.com";
pub const DEFAULT_ACCOUNT: &str = "default";

pub struct Ctx {
    pub store: Store,
    /// `-a` / `SPOTCTL_ACCOUNT`, when given.
    pub account: Option<String>,
    pub output: OutputFormat,
    /// Whether `-o` was given (commands that print only JSON or a token refuse table/tsv).
    pub output_explicit: bool,
    pub verbose: u8,
    pub quiet: bool,
    pub concurrency: usize,
    /// `--rate` / `SPOTCTL_RATE`, validated.
    pub rate: Option<crate::api::rate::Rate>,
    pub policy: RetryPolicy,
    /// `SPOTCTL_API_BASE`, validated (https or loopback).
    pub api_base_env: Option<url::Url>,
    /// `SPOTCTL_ACCOUNTS_BASE`, validated.
    pub accounts_base_env: Option<url::Url>,
    /// Empty until [`Ctx::http`] is first called.
    pub http: LazyHttp,
    /// Where 429 pauses are shared with other processes of the app, once a session knows the
    /// app ([`Ctx::share_pauses`]).
    pub pauses: OnceLock<crate::store::pause::PauseFile>,
}

/// The run's HTTP client, built on first use by [`Ctx::http`].
#[derive(Default)]
pub struct LazyHttp(OnceLock<Arc<Http>>);

impl Ctx {
    /// The run's HTTP client, built on first use.
    pub fn http(&self) -> Result<Arc<Http>> {
        if let Some(h) = self.http.0.get() {
            return Ok(h.clone());
        }
        let h = Arc::new(Http::new(self.policy.clone(), self.concurrency)?.with_rate(self.rate));
        let h = self.http.0.get_or_init(|| h).clone();
        if let Some(f) = self.pauses.get() {
            h.share_pauses(f.clone());
        }
        Ok(h)
    }

    /// Shares 429 pauses through `file` (the app's pause file), without building the HTTP
    /// client for it: `spotctl token` with a cached token never pays for one.
    pub fn share_pauses(&self, file: crate::store::pause::PauseFile) {
        let file = self.pauses.get_or_init(|| file);
        if let Some(h) = self.http.0.get() {
            h.share_pauses(file.clone());
        }
    }

    pub fn api_base(&self) -> url::Url {
        self.api_base_env
            .clone()
            .unwrap_or_else(|| url::Url::parse(DEFAULT_API_BASE).expect("constant URL parses"))
    }

    pub fn accounts_base(&self) -> url::Url {
        self.accounts_base_env
            .clone()
            .unwrap_or_else(|| url::Url::parse(DEFAULT_ACCOUNTS_BASE).expect("constant URL parses"))
    }

    /// The account name to use for commands that need an existing account.
    pub fn account_name(&self) -> &str {
        self.account.as_deref().unwrap_or(DEFAULT_ACCOUNT)
    }

    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}
