//! Global options turned into ready-made values (ripgrep's habit: parse once, then the core
//! never sees clap): where accounts live, which endpoints to use, the retry policy, the output
//! format, and the one HTTP client of the run (built lazily, so `spotctl token` with a fresh
//! cached token never pays for it).

use crate::api::http::{Http, RetryPolicy};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::env::{check_base, env};
use crate::error::{Error, Result};
use crate::store::Store;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
    http: OnceLock<Arc<Http>>,
}

impl Ctx {
    pub fn new(g: &GlobalArgs) -> Result<Ctx> {
        let config_dir = match &g.config_dir {
            Some(d) => d.clone(),
            None => dirs::config_dir()
                .ok_or_else(|| {
                    Error::store(
                        "cannot find your config directory; set SPOTCTL_CONFIG_DIR or --config-dir",
                    )
                })?
                .join("spotctl"),
        };
        // An empty SPOTCTL_ACCOUNT counts as unset, like the other variables; `-a ''` is a
        // usage error like any other invalid name (not a silent "default").
        let empty_env = std::env::var_os("SPOTCTL_ACCOUNT").is_some_and(|v| v.is_empty());
        let account = g.account.clone().filter(|a| !(a.is_empty() && empty_env));
        if let Some(a) = &account {
            crate::store::validate_name(a)?;
        }
        let api_base_env = env("SPOTCTL_API_BASE")
            .map(|v| check_base(&v, "SPOTCTL_API_BASE"))
            .transpose()?;
        let accounts_base_env = env("SPOTCTL_ACCOUNTS_BASE")
            .map(|v| check_base(&v, "SPOTCTL_ACCOUNTS_BASE"))
            .transpose()?;
        let output = g.output.unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Jsonl
        });
        // Hidden knob for the test suite: the first backoff step (default 500 ms).
        let base_backoff = env("SPOTCTL_RETRY_BASE_MS")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(500));
        Ok(Ctx {
            store: Store::new(&config_dir),
            account,
            output,
            output_explicit: g.output.is_some(),
            verbose: g.verbose,
            quiet: g.quiet,
            concurrency: g.concurrency as usize,
            rate: g
                .rate
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(crate::api::rate::Rate::parse)
                .transpose()?,
            policy: RetryPolicy {
                max_retries: g.max_retries,
                max_retry_wait: Duration::from_secs(g.max_retry_wait),
                base_backoff,
                timeout: Duration::from_secs(g.timeout),
            },
            api_base_env,
            accounts_base_env,
            http: OnceLock::new(),
        })
    }

    /// The run's HTTP client, built on first use.
    pub fn http(&self) -> Result<Arc<Http>> {
        if let Some(h) = self.http.get() {
            return Ok(h.clone());
        }
        let h = Arc::new(Http::new(self.policy.clone(), self.concurrency)?.with_rate(self.rate));
        Ok(self.http.get_or_init(|| h).clone())
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
