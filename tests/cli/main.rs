//! Integration tests: the real `spotctl` binary against the stateful fake service in
//! `tests/support/`, each test with its own fake and its own temporary config directory.
//! One test binary for all of them (faster to build and link).

#[path = "../support/mod.rs"]
mod support;

mod common;

mod accounts;
mod catalog;
mod faults;
mod login;
mod options;
mod pipelines;
mod security;
mod speed;
mod store;
