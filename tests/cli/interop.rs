//! The interoperability suite: spotctl against panva's `oidc-provider` (OpenID Certified), a
//! real authorization server written by others, from `tests/interop/oidc/server.mjs`: one node
//! process per test binary (the broker), and in it a provider of its own for each test, on a
//! loopback port of its own. The test plays the browser: the provider's own login and
//! consent pages, then the redirect to spotctl's callback.
//!
//! Without `node` the suite is skipped with a printed reason; `SPOTCTL_REQUIRE_INTEROP=1` (set
//! by `.ci/run`) turns a skip into a failure, so CI cannot pass without it.

use crate::common::*;
use crate::login::{Login, start_login};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/oidc")
}

/// Whether the suite can run: node is there and the lockfile's packages are installed
/// (`npm ci`, once per test binary, when they are not).
fn setup() -> &'static Result<(), String> {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    SETUP.get_or_init(|| {
        if Command::new("node").arg("--version").output().is_err() {
            return Err("node is not installed (apt-get install nodejs npm)".into());
        }
        let dir = suite_dir();
        if !dir.join("node_modules/oidc-provider").is_dir() {
            // Node is here, so a failing install is a failure, never a skip.
            let st = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("npm runs (node is installed, npm must be too)");
            assert!(st.success(), "npm ci in {} failed", dir.display());
        }
        Ok(())
    })
}

/// The node process that starts a provider per test (`server.mjs --broker`), started by the
/// first test that needs it. It exits with the test binary: its stdin is this process's pipe.
struct Broker {
    _child: Child,
    port: u16,
}

fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(|| {
        let mut child = Command::new("node")
            .arg(suite_dir().join("server.mjs"))
            .arg("--broker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining: a write to a closed pipe would end the server.
            let _ = std::io::copy(&mut r, &mut std::io::sink());
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("oidc-provider printed its readiness line");
        let port: u16 = line
            .trim()
            .strip_prefix("READY port=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected readiness line {line:?}"));
        Broker {
            _child: child,
            port,
        }
    })
}

/// One oidc-provider of its own (its clients, switches, counters and port), closed when this
/// is dropped.
pub struct Oidc {
    port: u16,
    pub issuer: String,
}

impl Drop for Oidc {
    fn drop(&mut self) {
        let _ = http_request(
            "POST",
            &format!("http://127.0.0.1:{}/_stop/{}", broker().port, self.port),
            &[],
            Some(""),
        );
    }
}

impl Oidc {
    /// Starts a provider with `config` (clients and switches, see server.mjs); None (after
    /// printing why) when node is absent and interop is not required.
    pub fn start(config: Value) -> Option<Oidc> {
        if let Err(why) = setup() {
            if std::env::var("SPOTCTL_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!("SPOTCTL_REQUIRE_INTEROP=1 but the interop suite cannot run: {why}");
            }
            eprintln!("interop test skipped: {why}");
            return None;
        }
        let (st, _, text) = http_request(
            "POST",
            &format!("http://127.0.0.1:{}/_spawn", broker().port),
            &[("content-type", "application/json")],
            Some(&config.to_string()),
        );
        assert_eq!(st, 200, "the broker started no provider: {text}");
        let port = serde_json::from_str::<Value>(&text).unwrap()["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("no port in {text}"));
        Some(Oidc {
            port,
            issuer: format!("http://127.0.0.1:{port}"),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// How many requests `METHOD /path` got.
    pub fn count(&self, what: &str) -> u64 {
        let (_, _, body) = http_get(&self.url("/_test/stats"));
        let v: Value = serde_json::from_str(&body).unwrap();
        v.get(what).and_then(Value::as_u64).unwrap_or(0)
    }

    /// When each POST /token arrived (milliseconds since the server started).
    pub fn token_times(&self) -> Vec<u64> {
        let (_, _, body) = http_get(&self.url("/_test/stats"));
        let v: Value = serde_json::from_str(&body).unwrap();
        v["token_times"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    }

    /// RFC 7662 introspection of `token`, as the client `id`/`secret`.
    pub fn introspect(&self, id: &str, secret: &str, token: &str) -> Value {
        let body = form(&[
            ("token", token),
            ("client_id", id),
            ("client_secret", secret),
        ]);
        let (st, _, text) = http_request(
            "POST",
            &self.url("/token/introspection"),
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(&body),
        );
        assert_eq!(st, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A browser with a cookie jar, driving oidc-provider's dev login and consent pages.
pub struct Browser {
    origin: String,
    cookies: Vec<(String, String)>,
    /// Say no at the first interaction page (its abort link: `access_denied`).
    pub deny: bool,
}

impl Browser {
    pub fn new(oidc: &Oidc) -> Browser {
        Browser {
            origin: oidc.issuer.clone(),
            cookies: Vec::new(),
            deny: false,
        }
    }

    fn request(&mut self, method: &str, url: &str, body: Option<&str>) -> (u16, String, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = Vec::new();
        if !cookie.is_empty() {
            headers.push(("cookie", cookie.as_str()));
        }
        if body.is_some() {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let (st, h, text) = http_request(method, url, &headers, body);
        assert_ne!(st, 0, "{method} {url}: {text}");
        let mut location = String::new();
        for (k, v) in h {
            if k == "set-cookie"
                && let Some((name, value)) = v.split(';').next().and_then(|c| c.split_once('='))
            {
                self.cookies.retain(|(n, _)| n != name);
                self.cookies.push((name.to_string(), value.to_string()));
            } else if k == "location" {
                location = v;
            }
        }
        let location = if location.starts_with('/') {
            format!("{}{location}", self.origin)
        } else {
            location
        };
        (st, location, text)
    }

    /// Follows `url` through login and consent until the provider sends the browser away from
    /// itself: returns that address (spotctl's callback, not yet visited), or the last page.
    pub fn authorize(&mut self, url: &str) -> Result<String, String> {
        let (mut method, mut url, mut body) = ("GET", url.to_string(), None::<String>);
        for _ in 0..20 {
            let (st, location, text) = self.request(method, &url, body.as_deref());
            if (300..400).contains(&st) {
                if !location.starts_with(&self.origin) {
                    return Ok(location);
                }
                if self.deny && location.contains("/interaction/") {
                    (method, url, body) = ("GET", format!("{location}/abort"), None);
                } else {
                    (method, url, body) = ("GET", location, None);
                }
                continue;
            }
            match (st, next_form(&text)) {
                (200, Some((action, mut fields, device))) => {
                    if device && self.deny {
                        fields.push(("abort".into(), "yes".into()));
                    }
                    let pairs: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    let action = if action.starts_with('/') {
                        format!("{}{action}", self.origin)
                    } else {
                        action
                    };
                    (method, url, body) = ("POST", action, Some(form(&pairs)));
                }
                _ => {
                    return Err(format!(
                        "{st}: {}",
                        text.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        Err("too many steps".into())
    }

    /// The whole browser part of a login: authorize, then visit the callback.
    pub fn approve(&mut self, auth_url: &str) {
        let back = self
            .authorize(auth_url)
            .expect("the provider redirects back");
        let (st, _, body) = http_get(&back);
        assert_eq!(st, 200, "{back}: {body}");
    }
}

/// The first form of a page: its action and the fields a person would send (hidden inputs as
/// they are; a login form gets a user name and password).
#[allow(clippy::type_complexity)]
fn next_form(html: &str) -> Option<(String, Vec<(String, String)>, bool)> {
    let start = html.find("<form")?;
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let f = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let i = tag.find(&key)? + key.len();
        let j = tag[i..].find('"')? + i;
        Some(tag[i..j].replace("&amp;", "&"))
    };
    let action = attr(&f[..f.find('>')?], "action")?;
    let mut fields = Vec::new();
    let mut device_form = false;
    for part in f.split("<input").skip(1) {
        let tag = &part[..part.find('>').unwrap_or(part.len())];
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        if name == "user_code" {
            device_form = true;
        }
        let value = match name.as_str() {
            "login" => "alice".to_string(),
            "password" => "pw".to_string(),
            _ => attr(tag, "value").unwrap_or_default(),
        };
        fields.push((name, value));
    }
    Some((action, fields, device_form))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A confidential web client of the provider.
fn client(id: &str, secret: &str, method: &str, redirect: &str) -> Value {
    json!({
        "client_id": id,
        "client_secret": secret,
        "token_endpoint_auth_method": method,
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials",
                        "urn:ietf:params:oauth:grant-type:device_code"],
        "response_types": ["code"],
        "scope": "openid offline_access api:read",
    })
}

/// A test's world: the provider, spotctl's config dir, a secret file.
struct World {
    t: T,
    oidc: Oidc,
}

impl World {
    fn new(config: Value) -> Option<World> {
        let oidc = Oidc::start(config)?;
        Some(World { t: T::new(), oidc })
    }

    fn secret_file(&self, secret: &str) -> String {
        let p = self.t.dir.path().join("client-secret");
        std::fs::write(&p, secret).unwrap();
        p.display().to_string()
    }

    /// `spotctl login` against the provider's endpoints given by flags (no discovery).
    fn start(&self, args: &[&str]) -> Login {
        let auth = self.oidc.url("/auth");
        let token = self.oidc.url("/token");
        let mut all = vec![
            "--provider",
            "custom",
            "--auth-url",
            &auth,
            "--token-url",
            &token,
        ];
        all.extend_from_slice(args);
        start_login(&self.t, &all, &[("SPOTIFY_CLIENT_SECRET", "")])
    }

    fn stored(&self, name: &str) -> Value {
        read_json(&self.t.account_path(name))
    }
}

/// Runs a whole login (`args` after the endpoints) with the browser saying yes; returns
/// spotctl's exit code and stderr.
fn login(w: &World, args: &[&str]) -> (i32, String) {
    let mut l = w.start(args);
    let url = l.url();
    Browser::new(&w.oidc).approve(&url);
    l.finish()
}

macro_rules! world {
    ($cfg:expr) => {
        match World::new($cfg) {
            Some(w) => w,
            None => return,
        }
    };
}

// ---- Bugs 1–4 ----

#[test]
fn basic_auth_with_a_secret_holding_plus_slash_equals_percent() {
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let secret = "s3cr+t/with=odd%chars";
    let w = world!(json!({"clients": [client("app1", secret, "client_secret_basic", &redirect)]}));
    let file = w.secret_file(secret);
    let (code, err) = login(
        &w,
        &[
            "-a",
            "alice",
            "--client-id",
            "app1",
            "--client-secret-file",
            &file,
            "--client-auth",
            "basic",
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid api:read",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let acc = w.stored("alice");
    assert!(acc["refresh_token"].is_string(), "{acc}");
    // The refresh authenticates the same way.
    let o = w.t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
}

#[test]
fn a_redirect_uri_without_a_path_is_sent_exactly() {
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}");
    let w =
        world!(json!({"clients": [client("app2", "secret-2", "client_secret_basic", &redirect)]}));
    let file = w.secret_file("secret-2");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "bob",
            "--client-id",
            "app2",
            "--client-secret-file",
            &file,
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid",
            "--wait",
            "20",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("must be exactly: {redirect}\n")),
        "{err}"
    );
    assert_eq!(w.stored("bob")["redirect_uri"], redirect);
}

#[test]
fn invalid_client_advice_names_the_secret_file() {
    let w = world!(
        json!({"clients": [client("app3", "right", "client_secret_basic", "http://127.0.0.1:1/cb")]})
    );
    let file = w.secret_file("wrong");
    let token = w.oidc.url("/token");
    let o = w.t.run(&[
        "login",
        "--client-credentials",
        "-a",
        "app3",
        "--provider",
        "custom",
        "--token-url",
        &token,
        "--client-id",
        "app3",
        "--client-secret-file",
        &file,
    ]);
    assert_code(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(
        err.contains(&format!("--client-secret-file {file}")),
        "{err}"
    );
    assert!(!err.contains("SPOTIFY_CLIENT"), "{err}");
}

// ---- The grants ----

/// A web client on a fresh loopback port, its secret in a file: (world, redirect, secret file).
fn web_world(id: &str, secret: &str, method: &str, cfg: Value) -> Option<(World, String, String)> {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let mut c = client(id, secret, method, &redirect);
    if method == "none" {
        c.as_object_mut().unwrap().remove("client_secret");
        c["grant_types"] = json!(["authorization_code", "refresh_token"]);
    }
    let mut cfg = cfg;
    cfg["clients"] = json!([c]);
    let w = World::new(cfg)?;
    let file = w.secret_file(secret);
    Some((w, redirect, file))
}

macro_rules! web_world {
    ($id:expr, $secret:expr, $method:expr) => {
        web_world!($id, $secret, $method, json!({}))
    };
    ($id:expr, $secret:expr, $method:expr, $cfg:expr) => {
        match web_world($id, $secret, $method, $cfg) {
            Some(w) => w,
            None => return,
        }
    };
}

#[test]
fn auth_code_with_the_secret_in_the_body() {
    let (w, redirect, file) = web_world!("post1", "post-secret", "client_secret_post");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "p",
            "--client-id",
            "post1",
            "--client-secret-file",
            &file,
            "--client-auth",
            "body",
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid api:read",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let acc = w.stored("p");
    let at = acc["access_token"].as_str().unwrap();
    assert_eq!(
        w.oidc.introspect("post1", "post-secret", at)["active"],
        true
    );
    assert_code(&w.t.run(&["refresh", "-a", "p"]), 0);
}

#[test]
fn auth_code_with_pkce_for_a_public_client() {
    let (w, redirect, _) = web_world!("public1", "", "none");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "pub",
            "--client-id",
            "public1",
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let acc = w.stored("pub");
    assert!(acc.get("client_secret").is_none());
    assert!(acc["refresh_token"].is_string(), "{acc}");
    assert_code(&w.t.run(&["refresh", "-a", "pub"]), 0);
}

#[test]
fn refresh_with_rotation_keeps_the_newest_refresh_token() {
    let (w, redirect, file) = web_world!("rot1", "rot-secret", "client_secret_basic");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "r",
            "--client-id",
            "rot1",
            "--client-secret-file",
            &file,
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid api:read",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut seen = vec![w.stored("r")["refresh_token"].as_str().unwrap().to_string()];
    for _ in 0..3 {
        let o = w.t.run(&["refresh", "-a", "r"]);
        assert_code(&o, 0);
        let rt = w.stored("r")["refresh_token"].as_str().unwrap().to_string();
        assert!(!seen.contains(&rt), "rotated on every use");
        seen.push(rt);
    }
}

#[test]
fn twenty_concurrent_token_calls_on_an_expired_account_make_one_refresh() {
    let (w, redirect, file) = web_world!("conc1", "conc-secret", "client_secret_basic");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "c",
            "--client-id",
            "conc1",
            "--client-secret-file",
            &file,
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid api:read",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let path = w.t.account_path("c");
    let mut acc = read_json(&path);
    acc["expires_at"] = json!(now() - 10);
    write_account(&path, &acc);
    let before = w.oidc.count("POST /token");
    let kids: Vec<_> = (0..20)
        .map(|_| {
            let mut c = w.t.std_cmd();
            c.args(["token", "-a", "c"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for k in kids {
        let o = k.wait_with_output().unwrap();
        assert_code(&o, 0);
        tokens.insert(stdout(&o).trim().to_string());
    }
    assert_eq!(
        w.oidc.count("POST /token") - before,
        1,
        "one refresh for twenty calls"
    );
    assert_eq!(tokens.len(), 1, "everyone got the refreshed token");
    let at = tokens.into_iter().next().unwrap();
    assert_eq!(
        w.oidc.introspect("conc1", "conc-secret", &at)["active"],
        true
    );
    // The grant is intact: the rotated refresh token still works.
    assert_code(&w.t.run(&["refresh", "-a", "c"]), 0);
}

// ---- Error answers and their exit codes ----

#[test]
fn a_revoked_refresh_token_is_invalid_grant_exit_3() {
    let (w, redirect, file) = web_world!("ig1", "ig-secret", "client_secret_basic");
    let (code, err) = login(
        &w,
        &[
            "-a",
            "g",
            "--client-id",
            "ig1",
            "--client-secret-file",
            &file,
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rt = w.stored("g")["refresh_token"].as_str().unwrap().to_string();
    let body = form(&[
        ("token", &rt),
        ("client_id", "ig1"),
        ("client_secret", "ig-secret"),
    ]);
    let (st, _, text) = http_request(
        "POST",
        &w.oidc.url("/token/revocation"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&body),
    );
    assert_eq!(st, 200, "{text}");
    let o = w.t.run(&["refresh", "-a", "g"]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("invalid_grant"), "{}", stderr(&o));
    assert!(stderr(&o).contains("spotctl login -a g"), "{}", stderr(&o));
}

#[test]
fn a_denied_login_is_access_denied_exit_3() {
    let (w, redirect, file) = web_world!("deny1", "deny-secret", "client_secret_basic");
    let mut l = w.start(&[
        "-a",
        "d",
        "--client-id",
        "deny1",
        "--client-secret-file",
        &file,
        "--redirect-uri",
        &redirect,
        "--scope",
        "openid",
    ]);
    let url = l.url();
    let mut b = Browser::new(&w.oidc);
    b.deny = true;
    b.approve(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("denied in the browser (access_denied"),
        "{err}"
    );
    assert!(!w.t.account_path("d").exists());
}

#[test]
fn client_credentials_send_the_scope_and_an_unknown_scope_is_invalid_scope() {
    let w = world!(
        json!({"clients": [client("cc1", "cc-secret", "client_secret_basic", "http://127.0.0.1:1/cb")]})
    );
    let file = w.secret_file("cc-secret");
    let token = w.oidc.url("/token");
    let cc = |name: &str, scope: &str| {
        w.t.run(&[
            "login",
            "--client-credentials",
            "-a",
            name,
            "--provider",
            "custom",
            "--token-url",
            &token,
            "--client-id",
            "cc1",
            "--client-secret-file",
            &file,
            "--scope",
            scope,
        ])
    };
    let o = cc("app", "api:read");
    assert_code(&o, 0);
    let acc = w.stored("app");
    assert_eq!(acc["scopes"], json!(["api:read"]), "{acc}");
    let at = acc["access_token"].as_str().unwrap();
    assert_eq!(
        w.oidc.introspect("cc1", "cc-secret", at)["scope"],
        "api:read"
    );
    // A refresh of an app account asks for the same scope again.
    assert_code(&w.t.run(&["refresh", "-a", "app"]), 0);
    assert_eq!(w.stored("app")["scopes"], json!(["api:read"]));
    // A scope the provider knows but this client may not have.
    let o = cc("bad", "api:write");
    assert_code(&o, 3);
    assert!(stderr(&o).contains("invalid_scope"), "{}", stderr(&o));
}

// ---- Discovery, iss, PKCE with a secret ----

impl World {
    /// `spotctl login --issuer` (discovery fills every endpoint).
    fn start_discovered(&self, args: &[&str]) -> Login {
        let mut all = vec!["--issuer", self.oidc.issuer.as_str()];
        all.extend_from_slice(args);
        start_login(&self.t, &all, &[("SPOTIFY_CLIENT_SECRET", "")])
    }
}

#[test]
fn discovery_fills_the_endpoints_and_stores_the_issuer() {
    let (w, redirect, file) = web_world!("disc1", "disc-secret", "client_secret_basic");
    let mut l = w.start_discovered(&[
        "-a",
        "d",
        "--client-id",
        "disc1",
        "--client-secret-file",
        &file,
        "--redirect-uri",
        &redirect,
        "--scope",
        "openid",
    ]);
    let url = l.url();
    assert!(url.starts_with(&w.oidc.url("/auth?")), "{url}");
    // The metadata lists S256: PKCE goes together with the secret.
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    Browser::new(&w.oidc).approve(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    let acc = w.stored("d");
    assert_eq!(acc["issuer"], w.oidc.issuer);
    assert_eq!(acc["token_url"], w.oidc.url("/token"));
    assert_eq!(acc["revocation_url"], w.oidc.url("/token/revocation"));
    assert_eq!(acc["device_url"], w.oidc.url("/device/auth"));
    assert_eq!(acc["api_base"], "", "token-only: no --api-base needed");
    assert_code(&w.t.run(&["refresh", "-a", "d"]), 0);
    let o = w.t.run(&["api", "/me", "-a", "d"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no API base"), "{}", stderr(&o));
}

#[test]
fn discovery_refuses_metadata_naming_another_issuer() {
    let w = world!(json!({"clients": []}));
    // The same server under another spelling of its address: its metadata names the other.
    let asked = w.oidc.issuer.replace("127.0.0.1", "localhost");
    let o = w.t.run(&[
        "login",
        "--issuer",
        &asked,
        "--client-id",
        "x",
        "--no-browser",
        "-a",
        "e",
    ]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("RFC 8414"), "{}", stderr(&o));
    assert!(!w.t.account_path("e").exists());
}

#[test]
fn a_wrong_or_missing_iss_is_refused_and_the_login_goes_on() {
    let (w, redirect, file) = web_world!("iss1", "iss-secret", "client_secret_basic");
    let mut l = w.start_discovered(&[
        "-a",
        "i",
        "--client-id",
        "iss1",
        "--client-secret-file",
        &file,
        "--redirect-uri",
        &redirect,
        "--scope",
        "openid",
    ]);
    let url = l.url();
    let back = Browser::new(&w.oidc).authorize(&url).unwrap();
    let real_iss = format!(
        "iss={}",
        form(&[("x", &w.oidc.issuer)]).trim_start_matches("x=")
    );
    assert!(back.contains(&real_iss), "oidc-provider sends iss: {back}");
    let forged = back.replace(&real_iss, "iss=http%3A%2F%2Fevil.example");
    let (st, _, _) = http_get(&forged);
    assert_eq!(st, 400, "a forged iss is refused like a wrong state");
    let missing = back
        .replace(&format!("&{real_iss}"), "")
        .replace(&format!("{real_iss}&"), "");
    assert!(!missing.contains("iss="), "{missing}");
    let (st, _, _) = http_get(&missing);
    assert_eq!(
        st, 400,
        "the server promised iss: an answer without it is refused"
    );
    let (st, _, body) = http_get(&back);
    assert_eq!(st, 200, "{body}");
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrong `state`, `iss` or Host"), "{err}");
}

#[test]
fn pkce_together_with_a_secret() {
    let (w, redirect, file) = web_world!("pk1", "pk-secret", "client_secret_basic");
    let mut l = w.start(&[
        "-a",
        "k",
        "--client-id",
        "pk1",
        "--client-secret-file",
        &file,
        "--redirect-uri",
        &redirect,
        "--scope",
        "openid",
        "--pkce",
    ]);
    let url = l.url();
    assert!(url.contains("code_challenge="), "{url}");
    Browser::new(&w.oidc).approve(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.stored("k")["pkce"], true);
}

// ---- Revocation on logout, a refused refresh token remembered ----

fn discovered_login(w: &World, name: &str, id: &str, file: &str, redirect: &str) {
    let mut l = w.start_discovered(&[
        "-a",
        name,
        "--client-id",
        id,
        "--client-secret-file",
        file,
        "--redirect-uri",
        redirect,
        "--scope",
        "openid",
    ]);
    let url = l.url();
    Browser::new(&w.oidc).approve(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
}

#[test]
fn logout_revokes_both_tokens_and_no_revoke_keeps_them() {
    let (w, redirect, file) = web_world!("rv1", "rv-secret", "client_secret_basic");
    discovered_login(&w, "a", "rv1", &file, &redirect);
    let acc = w.stored("a");
    let (at, rt) = (
        acc["access_token"].as_str().unwrap(),
        acc["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(w.oidc.introspect("rv1", "rv-secret", rt)["active"], true);
    let o = w.t.run(&["logout", "-a", "a"]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "spotctl: logged out a\n");
    assert!(!w.t.account_path("a").exists());
    assert_eq!(w.oidc.introspect("rv1", "rv-secret", rt)["active"], false);
    assert_eq!(w.oidc.introspect("rv1", "rv-secret", at)["active"], false);
    assert_eq!(w.oidc.count("POST /token/revocation"), 2);

    discovered_login(&w, "b", "rv1", &file, &redirect);
    let rt = w.stored("b")["refresh_token"].as_str().unwrap().to_string();
    assert_code(&w.t.run(&["logout", "-a", "b", "--no-revoke"]), 0);
    assert_eq!(w.oidc.introspect("rv1", "rv-secret", &rt)["active"], true);
    assert_eq!(w.oidc.count("POST /token/revocation"), 2);
}

#[test]
fn a_failed_revocation_is_one_warning_and_the_file_is_still_deleted() {
    let (w, redirect, file) = web_world!("rv2", "rv2-secret", "client_secret_basic");
    discovered_login(&w, "a", "rv2", &file, &redirect);
    let path = w.t.account_path("a");
    let mut acc = read_json(&path);
    acc["revocation_url"] = json!(w.oidc.url("/no-such-endpoint"));
    write_account(&path, &acc);
    let o = w.t.run(&["logout", "-a", "a"]);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.starts_with("spotctl: warning: a: could not revoke"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(!path.exists());
    assert!(!err.contains(acc["refresh_token"].as_str().unwrap()));
}

#[test]
fn a_refused_refresh_token_is_remembered_until_the_next_login() {
    let (w, redirect, file) = web_world!("rf1", "rf-secret", "client_secret_basic");
    discovered_login(&w, "r", "rf1", &file, &redirect);
    let rt = w.stored("r")["refresh_token"].as_str().unwrap().to_string();
    let body = form(&[
        ("token", &rt),
        ("client_id", "rf1"),
        ("client_secret", "rf-secret"),
    ]);
    http_request(
        "POST",
        &w.oidc.url("/token/revocation"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&body),
    );
    let o = w.t.run(&["refresh", "-a", "r"]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("the refresh token was refused (invalid_grant"),
        "{}",
        stderr(&o)
    );
    let asked = w.oidc.count("POST /token");
    for args in [&["refresh", "-a", "r"][..], &["token", "-a", "r"][..]] {
        let path = w.t.account_path("r");
        let mut acc = read_json(&path);
        acc["expires_at"] = json!(now() - 5);
        write_account(&path, &acc);
        let o = w.t.run(args);
        assert_code(&o, 3);
        assert!(stderr(&o).contains("needs a new login"), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
    }
    assert_eq!(w.oidc.count("POST /token"), asked, "not asked again");
    let o = w.t.run(&["accounts", "-o", "tsv"]);
    assert!(stdout(&o).contains("login needed"), "{}", stdout(&o));
    discovered_login(&w, "r", "rf1", &file, &redirect);
    assert_code(&w.t.run(&["refresh", "-a", "r"]), 0);
}

#[test]
fn a_login_without_a_refresh_token_is_said_at_once_and_shown_in_accounts() {
    let (w, redirect, file) = web_world!(
        "nrt1",
        "nrt-secret",
        "client_secret_basic",
        json!({"refreshTokens": false})
    );
    let (code, err) = login(
        &w,
        &[
            "-a",
            "n",
            "--client-id",
            "nrt1",
            "--client-secret-file",
            &file,
            "--redirect-uri",
            &redirect,
            "--scope",
            "openid",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The token lives 1 h from when the server issued it: a second later it is "59m" (a loaded
    // machine took that long between the two).
    assert!(
        ["in 1h", "in 59m"].iter().any(|when| err.contains(&format!(
            "warning: this account will need a new login {when}: the provider sent no refresh token; it may need prompt=consent / offline_access / access_type=offline"
        ))),
        "{err}"
    );
    let o = w.t.run(&["accounts", "-o", "tsv"]);
    assert!(stdout(&o).contains("(no refresh token)"), "{}", stdout(&o));
}

// ---- Device login (RFC 8628) ----

/// Waits for `spotctl login --device` to print the address with the code filled in.
fn device_url(l: &mut Login) -> String {
    loop {
        let line = l
            .lines
            .recv_timeout(Duration::from_secs(20))
            .expect("spotctl printed the device login address");
        l.seen.push(line.clone());
        if let Some(rest) = line.strip_prefix("spotctl: or open ") {
            return rest
                .trim_end_matches(" (the code is filled in)")
                .to_string();
        }
    }
}

fn start_device(w: &World, name: &str, id: &str, file: &str) -> Login {
    w.start_discovered(&[
        "--device",
        "-a",
        name,
        "--client-id",
        id,
        "--client-secret-file",
        file,
        "--scope",
        "openid api:read",
    ])
}

#[test]
fn device_login_prints_the_code_and_polls_until_approved() {
    // The server asks for a poll every second (`interval`, RFC 8628 §3.2): spotctl keeps to it.
    let (w, _, file) = web_world!(
        "dev1",
        "dev-secret",
        "client_secret_basic",
        json!({"deviceInterval": 1})
    );
    let mut l = start_device(&w, "tv", "dev1", &file);
    let url = device_url(&mut l);
    assert!(url.starts_with(&w.oidc.url("/device?user_code=")), "{url}");
    // Let spotctl poll while the user has not finished (authorization_pending): the first poll
    // is the event, not a sleep that hopes it came.
    wait_for_polls(&w, 1);
    let page = Browser::new(&w.oidc).authorize(&url).unwrap_err();
    assert!(page.contains("Sign-in Success"), "{page}");
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    let times = w.oidc.token_times();
    assert!(
        times.len() >= 2 && (900..3_000).contains(&(times[1] - times[0])),
        "polls 1 s apart: {times:?}"
    );
    assert!(err.contains("enter the code: "), "{err}");
    let acc = w.stored("tv");
    assert!(acc["refresh_token"].is_string(), "{acc}");
    assert!(acc.get("redirect_uri").is_none(), "{acc}");
    assert!(w.oidc.count("POST /token") >= 2, "polled while pending");
    assert_code(&w.t.run(&["refresh", "-a", "tv"]), 0);
}

/// Waits (up to 30 s) until the server has had `n` token requests; their times.
fn wait_for_polls(w: &World, n: usize) -> Vec<u64> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let times = w.oidc.token_times();
        if times.len() >= n || std::time::Instant::now() > deadline {
            assert!(times.len() >= n, "{n} polls expected: {times:?}");
            return times;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn device_login_denied_is_exit_3() {
    let (w, _, file) = web_world!(
        "dev2",
        "dev-secret",
        "client_secret_basic",
        json!({"deviceInterval": 1})
    );
    let mut l = start_device(&w, "tv", "dev2", &file);
    let url = device_url(&mut l);
    let mut b = Browser::new(&w.oidc);
    b.deny = true;
    let _ = b.authorize(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("denied on the other device (access_denied"),
        "{err}"
    );
    assert!(!w.t.account_path("tv").exists());
}

#[test]
fn device_login_expires_with_exit_3() {
    let (w, _, file) = web_world!(
        "dev3",
        "dev-secret",
        "client_secret_basic",
        json!({"deviceCodeTtl": 2, "deviceInterval": 1})
    );
    let mut l = start_device(&w, "tv", "dev3", &file);
    let _ = device_url(&mut l);
    let (code, err) = l.finish();
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("expired"), "{err}");
}

#[cfg(unix)]
#[test]
fn device_login_ends_cleanly_on_ctrl_c() {
    let (w, _, file) = web_world!("dev4", "dev-secret", "client_secret_basic");
    let mut l = start_device(&w, "tv", "dev4", &file);
    let _ = device_url(&mut l);
    let pid = l.child.id() as i32;
    // SAFETY: signalling the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let (code, err) = l.finish();
    assert_eq!(code, 130, "{err}");
    assert!(
        err.contains("login interrupted; nothing was stored"),
        "{err}"
    );
    assert!(!w.t.account_path("tv").exists());
}

#[test]
fn device_login_backs_off_five_seconds_after_slow_down() {
    let (w, _, file) = web_world!(
        "dev5",
        "dev-secret",
        "client_secret_basic",
        json!({"slowDownPolls": 1, "deviceInterval": 1})
    );
    let mut l = start_device(&w, "tv", "dev5", &file);
    let _ = device_url(&mut l);
    // The first poll (at the 1 s interval) gets slow_down; the next one comes 1 + 5 s later
    // (RFC 8628 §3.5: the 5 s are the standard's, so this test cannot take less than 6 s).
    let times = wait_for_polls(&w, 2);
    let _ = l.child.kill();
    let gap = times[1] - times[0];
    assert!(
        (5_900..8_000).contains(&gap),
        "interval 1 s + 5 s after slow_down: {gap} ms"
    );
}

#[test]
fn a_token_param_reaches_the_server_rfc_8707_resource() {
    let w = world!(json!({
        "resourceServer": "https://api.example.com",
        "clients": [client("res1", "res-secret", "client_secret_basic", "http://127.0.0.1:1/cb")],
    }));
    let file = w.secret_file("res-secret");
    let token = w.oidc.url("/token");
    let cc = |name: &str, resource: &str| {
        let param = format!("resource={resource}");
        w.t.run(&[
            "login",
            "--client-credentials",
            "-a",
            name,
            "--provider",
            "custom",
            "--token-url",
            &token,
            "--client-id",
            "res1",
            "--client-secret-file",
            &file,
            "--scope",
            "api:read",
            "--token-param",
            &param,
        ])
    };
    // A resource the server does not know is refused: the parameter reached it.
    let o = cc("other", "https://other.example.com");
    assert_code(&o, 3);
    assert!(stderr(&o).contains("invalid_target"), "{}", stderr(&o));
    assert_code(&cc("res", "https://api.example.com"), 0);
    assert_eq!(
        w.stored("res")["token_params"],
        json!([["resource", "https://api.example.com"]])
    );
    // Every refresh sends it again (an unknown one stored would now fail the refresh).
    assert_code(&w.t.run(&["refresh", "-a", "res"]), 0);
    let path = w.t.account_path("res");
    let mut acc = read_json(&path);
    acc["token_params"] = json!([["resource", "https://other.example.com"]]);
    write_account(&path, &acc);
    let o = w.t.run(&["refresh", "-a", "res"]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("invalid_target"), "{}", stderr(&o));
}

#[test]
fn logging_in_again_discovers_again_from_the_stored_issuer() {
    let (w, redirect, file) = web_world!("again1", "again-secret", "client_secret_basic");
    discovered_login(&w, "a", "again1", &file, &redirect);
    let before = w.oidc.count("GET /.well-known/oauth-authorization-server");
    // `spotctl login -a a` alone, as the invalid_grant advice says.
    let mut l = start_login(&w.t, &["-a", "a"], &[("SPOTIFY_CLIENT_SECRET", "")]);
    let url = l.url();
    assert!(url.starts_with(&w.oidc.url("/auth?")), "{url}");
    Browser::new(&w.oidc).approve(&url);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        w.oidc.count("GET /.well-known/oauth-authorization-server"),
        before + 1
    );
    assert_eq!(w.stored("a")["issuer"], w.oidc.issuer);
}

#[test]
fn discovery_falls_back_to_the_openid_configuration() {
    let (w, redirect, file) = web_world!(
        "oidc1",
        "oidc-secret",
        "client_secret_basic",
        json!({"openidOnly": true})
    );
    discovered_login(&w, "o", "oidc1", &file, &redirect);
    assert_eq!(
        w.oidc.count("GET /.well-known/oauth-authorization-server"),
        1
    );
    assert_eq!(w.oidc.count("GET /.well-known/openid-configuration"), 1);
    assert_eq!(w.stored("o")["issuer"], w.oidc.issuer);
}
