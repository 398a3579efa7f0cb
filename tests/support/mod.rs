//! Test support shared by spotctl's integration tests and `examples/fake_spotify.rs`: a
//! stateful fake of Spotify and Kakao (`fake`). Each user compiles only the parts it needs,
//! hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod fake;
pub mod proxy;

/// Whether `cargo run`/`cargo test` set `var` for the program it started (describing that
/// target). A cargo started from there must not inherit these: build scripts watch some of them
/// (ring: `CARGO_MANIFEST_DIR`), and inheriting them rebuilds half the dependency tree.
pub fn is_cargo_run_var(var: &str) -> bool {
    var.starts_with("CARGO_PKG_")
        || matches!(
            var,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
        )
}
