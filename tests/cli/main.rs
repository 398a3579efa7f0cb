//! Integration tests: the real `spotctl` binary against the stateful fake service in
//! `tests/support/`, each test with its own fake and its own temporary config directory.
//! One test binary for all of them (faster to build and link).

#[path = "../support/mod.rs"]
mod support;

mod common;

mod accounts;
// Attacks on the store and the login as another local user sees them: Unix modes, owners,
// symlinks, FIFOs (Windows has none of these to test).
mod api_params;
#[cfg(unix)]
mod attack;
mod catalog;
mod csv;
mod docs;
mod edges;
mod engine_batch;
mod faults;
mod get;
mod hostile;
mod load;
mod login;
mod newcomer;
mod options;
mod pipelines;
mod security;
mod speed;
// The store under stress relies on Unix: modes, `kill -9`, `/dev/full`, read-only directories.
#[cfg(unix)]
mod store;
mod structure;
mod tracks;
mod transport;
