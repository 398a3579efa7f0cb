//! What a listing that stopped part-way tells the user: where it got to, and how to go on
//! (`--offset N`, or the `next` link for `api --paginate`, never one that carries credentials).

use crate::error::Error;

/// Where a stopped run got to, so the user can resume without refetching (or skipping) items.
/// `next`: the account and the link to continue from, for listings resumed by URL
/// ([`Resume::NextUrl`]).
pub(super) fn resume_hint(
    e: Error,
    offset: u64,
    label: &str,
    (idx, n): (usize, usize),
    next: Option<(&str, &str)>,
) -> Error {
    let hint = if let Some((account, next)) = next {
        let at = if n > 1 {
            format!(
                "{label} at offset {offset} (listing {} of {n}; the listings after it were not read)",
                idx + 1
            )
        } else {
            format!("offset {offset}")
        };
        // Printed whole (cut, it would not work); a parsed URL is percent-encoded, so the
        // service's text cannot smuggle control characters onto the terminal. A link carrying
        // credentials (`access_token=`, as some APIs' links do) is never printed.
        match url::Url::parse(next) {
            Ok(u)
                if crate::api::http::Request::get(u.clone())
                    .log_line()
                    .contains("(redacted)") =>
            {
                format!(
                    "stopped at {at}; the next link carries credentials, so it is not shown: run the listing again"
                )
            }
            // The account it ran as: without `-a`, the hint would read another account's data.
            Ok(u) => format!(
                "stopped at {at}; continue with `spotctl -a {} api --paginate '{u}'`",
                crate::api::ids::shown(account)
            ),
            Err(_) => format!(
                "stopped at {at}; the service's next link is not a URL: {}",
                crate::api::ids::shown(next)
            ),
        }
    } else if n == 0 {
        // A batch (`stream_batch`): the batch's stop line says which listing and what was left.
        if offset == 0 {
            return e;
        }
        format!("stopped at offset {offset}")
    } else if n > 1 {
        format!(
            "stopped at {label} (listing {} of {n}) at offset {offset}; the listings after it were not read",
            idx + 1
        )
    } else if offset > 0 {
        format!("stopped at offset {offset}; rerun with --offset {offset} to resume")
    } else {
        return e;
    };
    match e {
        Error::RateLimited(m) => Error::RateLimited(format!("{m} ({hint})")),
        Error::Network(m) => Error::Network(format!("{m} ({hint})")),
        Error::ServerFailed(m) => Error::ServerFailed(format!("{m} ({hint})")),
        Error::Malformed(m) => Error::Malformed(format!("{m} ({hint})")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_hints_give_the_next_link_but_never_one_with_credentials() {
        let e = || Error::network("GET /v1/x: 503");
        let hint =
            |next: &str| resume_hint(e(), 20, "/x", (0, 1), Some(("alice", next))).to_string();
        assert_eq!(
            hint("https://api.example/v1/x?offset=20&limit=10"),
            "GET /v1/x: 503 (stopped at offset 20; continue with `spotctl -a alice api --paginate 'https://api.example/v1/x?offset=20&limit=10'`)"
        );
        let h = hint("https://api.example/v1/x?after=abc&access_token=SECRET1");
        assert!(!h.contains("SECRET1"), "{h}");
        assert!(h.contains("carries credentials"), "{h}");
        assert_eq!(
            resume_hint(e(), 20, "artist A", (0, 1), None).to_string(),
            "GET /v1/x: 503 (stopped at offset 20; rerun with --offset 20 to resume)"
        );
    }
}
