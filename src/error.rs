//! The one error type of spotctl and the exit code each kind maps to (SPEC §1 "Exit status").
//!
//! Every message is written for a person reading one line on stderr: what failed and what to do.
//! Messages never contain a token, a secret, an authorization code or a PKCE verifier; the
//! places that build them only ever see redacted values (see `secret.rs`).

use std::fmt;

/// Exit codes, as documented in the README and SPEC §1.
pub mod code {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const AUTH: u8 = 3;
    pub const API: u8 = 4;
    pub const RATE_LIMIT: u8 = 5;
    pub const NETWORK: u8 = 6;
    pub const STORE: u8 = 7;
}

// Clone: one failed batch request is the failure of each input it carried (`get`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Bad flag, malformed ID/URI/URL, bad account name: caught before any network call.
    #[error("{0}")]
    Usage(String),
    /// No such account, not logged in, `invalid_grant`, `invalid_client`, denied, state mismatch, timeout.
    #[error("{0}")]
    Auth(String),
    /// The service refused the request (4xx other than 401/429).
    #[error("{method} {path}: {status} {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    /// Rate limited beyond `--max-retries` / `--max-retry-wait`, or quota exhausted.
    #[error("{0}")]
    RateLimited(String),
    /// Network error, timeout, 5xx after retries: the service cannot be reached.
    #[error("{0}")]
    Network(String),
    /// The service answered this request with an error it did not get past: a 5xx after the
    /// retries, or a redirect. Exit 6 like `Network`, but an answer: the network is there, so a
    /// batch of catalog items goes on to its next item (Spotify has artists whose albums answer
    /// 500 every time). For a token endpoint it is still the origin gone ([`Error::is_service_wide`]).
    #[error("{0}")]
    ServerFailed(String),
    /// The service answered this request with something broken (not JSON, a body over the cap,
    /// not a page, a `next` link that loops or leaves the host): exit 6 like `Network`, but
    /// about this request only, so a batch goes on to its next item.
    #[error("{0}")]
    Malformed(String),
    /// Local store: unreadable/corrupt account file, permissions, lock; and writing the output
    /// (a full disk).
    #[error("{0}")]
    Store(String),
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
    /// Already reported on stderr (e.g. per account by `refresh --all`); exit with this code.
    #[error("")]
    Reported(u8),
    /// stdout was closed by the reader (`| head -1`): not a failure.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => code::USAGE,
            Error::Auth(_) => code::AUTH,
            Error::Api { .. } => code::API,
            Error::RateLimited(_) => code::RATE_LIMIT,
            Error::Network(_) | Error::ServerFailed(_) | Error::Malformed(_) => code::NETWORK,
            Error::Store(_) => code::STORE,
            Error::Internal(_) => code::INTERNAL,
            Error::Reported(c) => *c,
            Error::BrokenPipe => code::OK,
        }
    }

    pub fn malformed(msg: impl fmt::Display) -> Self {
        Error::Malformed(msg.to_string())
    }

    /// The service is out of reach or out of quota: every later request of the run would fail
    /// the same way (a batch stops; a broken answer to one request does not count).
    pub fn is_service_wide(&self) -> bool {
        matches!(
            self,
            Error::Network(_) | Error::RateLimited(_) | Error::ServerFailed(_)
        )
    }

    /// Every later item of a catalog batch would fail the same way: the service out of reach
    /// (no connection, DNS, TLS: no answer at all) or out of quota. An item answered 5xx is that
    /// item's failure only.
    /// A bug (exit 1) stops it too.
    pub fn stops_a_batch(&self) -> bool {
        matches!(
            self,
            Error::Network(_) | Error::RateLimited(_) | Error::Internal(_)
        )
    }

    pub fn server_failed(msg: impl fmt::Display) -> Self {
        Error::ServerFailed(msg.to_string())
    }

    pub fn usage(msg: impl fmt::Display) -> Self {
        Error::Usage(msg.to_string())
    }
    pub fn auth(msg: impl fmt::Display) -> Self {
        Error::Auth(msg.to_string())
    }
    pub fn network(msg: impl fmt::Display) -> Self {
        Error::Network(msg.to_string())
    }
    pub fn store(msg: impl fmt::Display) -> Self {
        Error::Store(msg.to_string())
    }
}

/// Writing to stdout failed: a closed pipe ends quietly; anything else (a full disk, an I/O
/// error) is a local I/O failure, exit 7 like the store's, not a bug in spotctl.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Store(format!("cannot write the output: {e}"))
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
