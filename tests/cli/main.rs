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
mod engine_memory;
mod faults;
// The README walked as a newcomer would (issue 21); Unix shells, links and `man`.
#[cfg(unix)]
mod first_steps;
mod get;
mod hostile;
// spotctl against panva's oidc-provider (node), started per test on a loopback port.
mod interop;
mod load;
mod login;
mod newcomer;
mod options;
mod pipelines;
mod providers;
mod security;
// Round 3 of the local-user and hostile-network attacks: two users via `setpriv`, /proc, modes.
#[cfg(unix)]
mod security3;
mod speed;
// The store under stress relies on Unix: modes, `kill -9`, `/dev/full`, read-only directories.
mod engine_transport;
#[cfg(unix)]
mod store;
mod structure;
mod tracks;
mod transport;
