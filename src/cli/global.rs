//! The global flags turned into the run's [`Ctx`]: the config directory, the account name,
//! endpoints from the environment (checked: https or loopback only), the output format (table
//! on a terminal, jsonl otherwise), `--rate` and the retry policy. Done once, before any
//! command runs, so a bad value is a usage error before anything is sent.

use super::GlobalArgs;
use crate::api::http::RetryPolicy;
use crate::context::{Ctx, LazyHttp};
use crate::env::{check_base, env};
use crate::error::{Error, Result};
use crate::output::OutputFormat;
use crate::store::Store;
use std::io::IsTerminal;
use std::time::Duration;

/// The run's context from the global flags (and the variables clap does not read itself).
pub fn context(g: &GlobalArgs) -> Result<Ctx> {
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
        http: LazyHttp::default(),
        pauses: Default::default(),
    })
}
