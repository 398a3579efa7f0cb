//! The real transport: TLS with a CA made at test time and trusted through `SSL_CERT_FILE`,
//! HTTP/2 chosen by ALPN, company proxies (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), and the
//! message for a certificate nobody told spotctl to trust.

use crate::common::*;
use crate::support::proxy::{PROXIED_HOST, TestProxy};

/// A fake serving HTTPS with a certificate from a fresh test CA, and that CA in `ca.pem`.
fn https(alpn: Alpn) -> (T, std::path::PathBuf) {
    let ca = TestCa::new();
    let t = T {
        fake: FakeSpotify::start_https(Mode::Dev2026, &ca, alpn),
        dir: tempfile::tempdir().expect("temp dir"),
    };
    let pem = t.dir.path().join("ca.pem");
    std::fs::write(&pem, ca.ca_pem()).expect("write the CA");
    (t, pem)
}

/// Largest number of Web API requests the fake was serving at the same moment.
fn most_in_flight(reqs: &[Req]) -> usize {
    reqs.iter()
        .map(|r| {
            reqs.iter()
                .filter(|o| o.at_ms <= r.at_ms && r.at_ms < o.done_ms)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn albums_57(t: &T, ssl_cert_file: Option<&std::path::Path>, format: &str) -> std::process::Output {
    let mut c = t.cmd();
    if let Some(f) = ssl_cert_file {
        c.env("SSL_CERT_FILE", f);
    }
    c.args([
        "albums",
        "--artist",
        ARTIST_57,
        "-o",
        format,
        "--concurrency",
        "4",
    ])
    .output()
    .expect("spotctl runs")
}

#[test]
fn https_through_ssl_cert_file_speaks_http2_with_several_streams_on_one_connection() {
    let (t, ca) = https(Alpn::H2AndHttp11);
    t.fake.set_latency_ms(40);
    let o = albums_57(&t, Some(&ca), "tsv");
    assert_code(&o, 0);
    let api: Vec<Req> = t
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/"))
        .collect();
    assert!(api.len() >= 4, "{} API requests", api.len());
    let versions: std::collections::BTreeSet<_> = t
        .fake
        .requests()
        .iter()
        .map(|r| r.version.clone())
        .collect();
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), ["HTTP/2.0"]);
    // Token and pages: one TLS connection for the whole run, pages as concurrent streams on it.
    assert_eq!(t.fake.connections(), 1, "TCP connections");
    let conns: std::collections::BTreeSet<u64> = t.fake.requests().iter().map(|r| r.conn).collect();
    assert_eq!(conns.len(), 1);
    let streams = most_in_flight(&api);
    assert!(streams >= 3, "at most {streams} requests in flight at once");
    eprintln!(
        "HTTP/2: {} requests ({} pages) on {} connection, up to {streams} streams at once",
        t.fake.requests().len(),
        api.len(),
        t.fake.connections()
    );

    // The same listing over plain HTTP/1.1: the same bytes.
    let plain = T::new();
    let o1 = albums_57(&plain, None, "tsv");
    assert_code(&o1, 0);
    assert!(
        plain
            .fake
            .requests()
            .iter()
            .all(|r| r.version == "HTTP/1.1")
    );
    eprintln!(
        "HTTP/1.1: the same listing on {} connections",
        plain.fake.connections()
    );
    assert!(!o.stdout.is_empty());
    assert_eq!(
        o.stdout, o1.stdout,
        "tsv over HTTP/2 and TLS = over HTTP/1.1"
    );
    // jsonl passes Spotify's objects through, links included: equal but for the base URL.
    let j2 = stdout(&albums_57(&t, Some(&ca), "jsonl"));
    let j1 = stdout(&albums_57(&plain, None, "jsonl"));
    assert_eq!(
        j2.replace(&t.fake.api_base(), "BASE"),
        j1.replace(&plain.fake.api_base(), "BASE")
    );
}

#[test]
fn a_server_offering_only_http11_over_tls_gets_http11() {
    let (t, ca) = https(Alpn::Http11);
    let o = albums_57(&t, Some(&ca), "tsv");
    assert_code(&o, 0);
    assert!(t.fake.requests().iter().all(|r| r.version == "HTTP/1.1"));
    let plain = T::new();
    assert_eq!(o.stdout, albums_57(&plain, None, "tsv").stdout);
}

#[test]
fn a_ca_directory_in_ssl_cert_dir_is_trusted_too() {
    let (t, ca) = https(Alpn::H2AndHttp11);
    let dir = t.dir.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&ca, dir.join("company-ca.pem")).unwrap();
    std::fs::write(dir.join("README"), "not a certificate\n").unwrap();
    let o = t
        .cmd()
        .env("SSL_CERT_DIR", &dir)
        .args(["albums", "--artist", ARTIST_57, "-o", "tsv", "--limit", "3"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 3);
}

#[test]
fn an_untrusted_certificate_is_exit_6_naming_the_host_and_ssl_cert_file_at_once() {
    let (t, _ca) = https(Alpn::H2AndHttp11);
    let o = albums_57(&t, None, "tsv");
    assert_code(&o, 6);
    let host = format!("127.0.0.1:{}", t.fake.port());
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: POST /api/token: the TLS certificate of {host} is not trusted (invalid peer certificate: UnknownIssuer); if a company proxy or firewall inspects TLS, set SSL_CERT_FILE to its CA certificate (PEM) and try again\n"
        )
    );
    assert!(o.stdout.is_empty());
    // Not retried: retrying will not make the certificate trusted.
    assert_eq!(t.fake.connections(), 1, "TLS handshakes attempted");
    assert!(t.fake.requests().is_empty());
}

#[test]
fn a_bad_ssl_cert_file_is_a_usage_error_naming_it() {
    let t = T::new();
    let missing = t.dir.path().join("missing-ca.pem");
    let o = albums_57(&t, Some(&missing), "tsv");
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o).lines().collect::<Vec<_>>(),
        [format!(
            "spotctl: SSL_CERT_FILE={}: cannot read it: No such file or directory (os error 2); point it at a PEM file of CA certificates, or unset it",
            missing.display()
        )]
    );
    assert!(t.fake.requests().is_empty());
}

/// The fake named [`PROXIED_HOST`] (which only the test proxy resolves), for tests of proxies:
/// a loopback address never goes through one.
fn through_proxied_host(t: &T, c: &mut assert_cmd::Command) {
    let named = |base: String| base.replace("127.0.0.1", PROXIED_HOST);
    c.env("SPOTCTL_API_BASE", named(t.fake.api_base()))
        .env("SPOTCTL_ACCOUNTS_BASE", named(t.fake.accounts_base()));
}

#[test]
fn https_proxy_carries_the_connection_and_no_proxy_bypasses_it() {
    let (t, ca) = https(Alpn::H2AndHttp11);
    let proxy = TestProxy::start();
    // One page: the fake's `next` links name 127.0.0.1, another host than the one asked.
    let artist = t.fake.add_artist("Proxied", 5);
    let run = |no_proxy: Option<&str>| {
        let mut c = t.cmd();
        through_proxied_host(&t, &mut c);
        c.env("SSL_CERT_FILE", &ca).env("HTTPS_PROXY", proxy.url());
        if let Some(n) = no_proxy {
            c.env("NO_PROXY", n);
        }
        c.args([
            "--max-retries",
            "0",
            "albums",
            "--artist",
            &artist,
            "-o",
            "tsv",
        ])
        .output()
        .unwrap()
    };
    let o = run(None);
    assert_code(&o, 0);
    let target = format!("CONNECT {PROXIED_HOST}:{} HTTP/1.1", t.fake.port());
    assert_eq!(
        proxy.seen(),
        std::slice::from_ref(&target),
        "one tunnel for the whole run"
    );
    // Through the tunnel it is still TLS and HTTP/2 to the server.
    assert!(t.fake.requests().iter().all(|r| r.version == "HTTP/2.0"));

    // NO_PROXY: straight to the name, which only the proxy could resolve.
    let o2 = run(Some(&format!("example.org,{PROXIED_HOST}")));
    assert_code(&o2, 6);
    assert!(stderr(&o2).contains(PROXIED_HOST), "{}", stderr(&o2));
    assert_eq!(proxy.seen(), [target], "NO_PROXY: no new tunnel");
}

#[test]
fn http_proxy_never_carries_plain_http_to_loopback() {
    let t = T::new();
    let proxy = TestProxy::start();
    let o = t
        .cmd()
        .env("HTTP_PROXY", proxy.url())
        .args(["albums", "--artist", ARTIST_57, "-o", "tsv", "--limit", "3"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    // The form with the client secret and the token would cross the proxy in clear text.
    assert_eq!(proxy.seen(), Vec::<String>::new());
}

#[test]
fn a_proxy_that_cannot_be_reached_is_named_without_its_password() {
    let (t, ca) = https(Alpn::H2AndHttp11);
    // A port nobody listens on any more.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = t.cmd();
    through_proxied_host(&t, &mut c);
    let o = c
        .env("SSL_CERT_FILE", &ca)
        .env(
            "HTTPS_PROXY",
            format!("http://bob:PROXY-PASSWORD@127.0.0.1:{dead}"),
        )
        .args(["--max-retries", "0", "albums", "--artist", ARTIST_57])
        .output()
        .unwrap();
    assert_code(&o, 6);
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: POST /api/token: could not connect: Connection refused (os error 111) ({PROXIED_HOST}:{}, through the proxy 127.0.0.1:{dead}) (after 0 retries)\n",
            t.fake.port()
        )
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn a_ca_file_that_tls_cannot_use_is_exit_6_saying_what_to_check() {
    let t = T::new();
    // PEM armour around bytes that are no certificate: read fine, refused as a trust anchor.
    let bad = t.dir.path().join("bad-ca.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let o = albums_57(&t, Some(&bad), "tsv");
    assert_code(&o, 6);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("spotctl: cannot set up TLS ("), "{err}");
    assert!(
        err.ends_with("): check SSL_CERT_FILE and SSL_CERT_DIR, or install the system's CA certificates (Debian, Ubuntu: the ca-certificates package)\n"),
        "{err}"
    );
    assert!(t.fake.requests().is_empty());
}
