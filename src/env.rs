//! The environment, read the same way everywhere: a variable set to an empty string counts as
//! unset, `SPOTIFY_*` falls back to spotipy's `SPOTIPY_*`, and a base URL from anywhere (a
//! variable, a flag, a stored account) must be one a token may be sent to.

use crate::error::{Error, Result};

/// Reads an environment variable, treating empty as unset.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `SPOTIFY_X`, falling back to spotipy's `SPOTIPY_X`.
pub fn spotify_env(suffix: &str) -> Option<String> {
    env(&format!("SPOTIFY_{suffix}")).or_else(|| env(&format!("SPOTIPY_{suffix}")))
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A base URL tokens may be sent to: `https`, or plain `http` only on loopback. A token is never
/// sent in clear text over the network.
pub fn check_base(raw: &str, what: &str) -> Result<url::Url> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        Error::usage(format!(
            "{what}: \"{}\" is not a URL: {e}",
            crate::api::ids::shown(raw)
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(Error::usage(format!(
                "{what}: refusing plain-http {} — tokens would cross the network in clear text; use https (http is allowed only for 127.0.0.1, [::1] and localhost)",
                url.origin().ascii_serialization()
            )));
        }
        s => {
            return Err(Error::usage(format!(
                "{what}: unsupported scheme \"{s}\"; use https"
            )));
        }
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::usage(format!(
            "{what}: \"{}\" has no host",
            crate::api::ids::shown(raw)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "{what}: credentials in the URL are not allowed"
        )));
    }
    Ok(url)
}
