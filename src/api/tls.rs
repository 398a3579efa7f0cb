//! Which certificates spotctl trusts, what a certificate failure tells the user, and which proxy a
//! failed connection went through (SPEC §3 "TLS").
//!
//! - The operating system's verifier (rustls-platform-verifier through reqwest): the system
//!   store on Windows and macOS, the distribution's bundle on Linux.
//! - Plus every certificate in `SSL_CERT_FILE` (a PEM bundle) and in the PEM files of the
//!   directories in `SSL_CERT_DIR`: the way to trust a company proxy's CA. On Linux these two
//!   variables replace the distribution's bundle, as they do for OpenSSL and curl; on Windows
//!   and macOS they are added to the system store.
//! - A certificate the chain cannot be built to is not retried: exit 6 naming the host and how to
//!   trust a CA.
//! - A network error names the proxy the request went through, if any (reqwest's own matcher
//!   decides), so a wrong `HTTPS_PROXY` is not mistaken for Spotify being down.
//! - Loopback destinations (`http://127.0.0.1:…` token endpoints and APIs) never go through a
//!   proxy, whatever `NO_PROXY` says ([`is_loopback`], [`builder`]).
//! - `SSL_CERT_FILE` is read only when it is a regular file of at most 16 MiB.
//!
//! ring is the crypto provider (installed once per process here): it is what rustls used before
//! the move to reqwest 0.13 and cross-compiles for Windows with MinGW alone.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Whether `url` is on this machine (127.0.0.0/8, [::1], `localhost`): such requests never go
/// through a proxy, whatever `NO_PROXY` says — a proxy would see a plain-http form with a
/// refresh token and a client secret, and could answer in the server's name.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// A client builder with the trust settings below; `direct`: no proxy at all (for loopback
/// destinations, [`is_loopback`]), else the environment's and the system's proxies.
pub fn builder(direct: bool) -> Result<reqwest::ClientBuilder> {
    let b = reqwest::Client::builder();
    configure(if direct { b.no_proxy() } else { b })
}

/// Applies the trust settings above to a client under construction.
pub fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    // Fails only if a provider is already installed, which is then the one reqwest uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let extra = extra_roots(
        std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()),
        std::env::var_os("SSL_CERT_DIR").filter(|v| !v.is_empty()),
    )?;
    if extra.is_empty() {
        return Ok(builder);
    }
    tracing::debug!("trusting {} extra CA certificate(s)", extra.len());
    Ok(builder.tls_certs_merge(extra))
}

/// The certificates of `SSL_CERT_FILE` and `SSL_CERT_DIR`. A file that is set but unreadable or
/// holds no certificate is an error: silently trusting less than the user asked for would only
/// turn into a puzzling certificate error later.
fn extra_roots(
    file: Option<std::ffi::OsString>,
    dirs: Option<std::ffi::OsString>,
) -> Result<Vec<reqwest::Certificate>> {
    let mut certs = Vec::new();
    if let Some(file) = file {
        let path = PathBuf::from(file);
        let found = pem_certificates(&path).map_err(|why| {
            Error::usage(format!(
                "SSL_CERT_FILE={}: {why}; point it at a PEM file of CA certificates, or unset it",
                path.display()
            ))
        })?;
        certs.extend(found);
    }
    if let Some(dirs) = dirs {
        let before = certs.len();
        for dir in std::env::split_paths(&dirs) {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                Error::usage(format!(
                    "SSL_CERT_DIR={}: cannot read the directory: {e}; point it at a directory of PEM CA certificates, or unset it",
                    dir.display()
                ))
            })?;
            // Directories like /etc/ssl/certs also hold other files: take what parses.
            for entry in entries.flatten() {
                if let Ok(found) = pem_certificates(&entry.path()) {
                    certs.extend(found);
                }
            }
        }
        if certs.len() == before {
            return Err(Error::usage(format!(
                "SSL_CERT_DIR={}: no PEM certificate in it; point it at a directory of PEM CA certificates, or unset it",
                std::path::Path::new(&dirs).display()
            )));
        }
    }
    Ok(certs)
}

/// Largest CA bundle read: Mozilla's whole store is about 220 KB.
const CA_FILE_CAP: u64 = 16 << 20;

fn pem_certificates(path: &Path) -> std::result::Result<Vec<reqwest::Certificate>, String> {
    let bytes = crate::hardening::read_named_file(path, CA_FILE_CAP)?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|_| "it is not a PEM certificate bundle".to_string())?;
    if certs.is_empty() {
        return Err("it holds no PEM certificate".into());
    }
    Ok(certs)
}

/// The TLS error behind a failed request when the server's certificate was refused (unknown
/// issuer, wrong name, expired…), as rustls words it.
pub fn certificate_error(e: &reqwest::Error) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(why) = refused(err) {
            return Some(why);
        }
        cur = err.source();
    }
    None
}

/// `err` itself, or the error an `io::Error` wraps (hyper-util wraps tokio-rustls' `io::Error`
/// in another one, and an `io::Error`'s `source()` skips what it wraps).
fn refused(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        )
        .then(|| tls.to_string());
    }
    let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    refused(inner)
}

/// "api.spotify.com", or "api.spotify.com, through the proxy proxy.corp:3128" when a proxy
/// setting (`HTTPS_PROXY`… or, on Windows and macOS, the system's) applies to `url`: a refused
/// connection is then the proxy's. Never the proxy's user name or password.
pub fn host_and_proxy(url: &url::Url, host: String) -> String {
    if is_loopback(url) {
        return host;
    }
    let proxy = url
        .as_str()
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| hyper_util::client::proxy::matcher::Matcher::from_system().intercept(&uri))
        .and_then(|i| {
            let p = i.uri();
            let h = p.host()?;
            Some(match p.port_u16() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            })
        });
    match proxy {
        Some(p) => format!("{host}, through the proxy {p}"),
        None => host,
    }
}

/// Building the client fails only when TLS cannot be set up: no CA certificate at all (a minimal
/// container without the system's bundle), or one that rustls refuses as a trust anchor.
pub fn setup_failed(e: &reqwest::Error) -> Error {
    let mut root: &dyn std::error::Error = e;
    while let Some(s) = root.source() {
        root = s;
    }
    Error::network(format!(
        "cannot set up TLS ({root}): check SSL_CERT_FILE and SSL_CERT_DIR, or install the system's CA certificates (Debian, Ubuntu: the ca-certificates package)"
    ))
}

/// The exit-6 message for a refused certificate.
pub fn untrusted(label: &str, host: &str, why: &str) -> Error {
    Error::network(format!(
        "{label}: the TLS certificate of {host} is not trusted ({why}); if a company proxy or firewall inspects TLS, set SSL_CERT_FILE to its CA certificate (PEM) and try again"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_no_extra_roots_and_bad_files_are_named() {
        assert!(extra_roots(None, None).unwrap().is_empty());
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope.pem");
        let e = extra_roots(Some(missing.clone().into()), None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("SSL_CERT_FILE="), "{e}");
        assert!(e.to_string().contains("nope.pem"), "{e}");
        let junk = tmp.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = extra_roots(Some(junk.into()), None).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let e = extra_roots(None, Some(missing.into())).unwrap_err();
        assert!(e.to_string().starts_with("SSL_CERT_DIR="), "{e}");
        // A directory of unrelated files trusts nothing: on Linux it would replace the system's
        // bundle with nothing.
        let e = extra_roots(None, Some(tmp.path().into())).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate in it"), "{e}");
    }
}
