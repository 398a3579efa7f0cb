//! Test support shared by spotctl's integration tests and `examples/fake_spotify.rs`: a
//! stateful fake of Spotify and Kakao (`fake`). Each user compiles only the parts it needs,
//! hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod fake;
pub mod proxy;
