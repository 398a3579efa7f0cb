//! A stateful fake of Spotify (Accounts service + Web API) and Kakao (OAuth + message API) for
//! spotctl's integration tests, and for trying spotctl offline (`examples/fake_spotify.rs`).
//!
//! This file is the public face tests are written against: [`FakeSpotify`] (start, configure,
//! inspect, stop on drop), [`Fault`]s to inject, the request log ([`Req`]) and two tiny blocking
//! HTTP helpers. The behaviour lives in the submodules: `server` (request pipeline), `web_api`,
//! `accounts`, `kakao`, `catalog` (data and JSON shapes), `state` (what is remembered), `net`
//! (connection counting and resets). `/work/shared/spotify-api-facts.md` is the reference for
//! every status code and body.
//!
//! The server runs on 127.0.0.1 in its own OS thread with a current-thread tokio runtime, so
//! plain synchronous `#[test]`s can run the real `spotctl` binary against it.

mod accounts;
mod catalog;
mod kakao;
mod library;
mod net;
mod server;
mod state;
mod tls;
mod web_api;

#[allow(unused_imports)] // each user of `support` needs a different part
pub use library::{ALICE_PLAYLIST, AUDIOBOOK, BOB_PLAYLIST, README_SHOW, SHOW_3, SHOW_57};
pub use tls::{Alpn, TestCa};

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use state::Shared;

pub const CLIENT_ID: &str = "0123456789abcdef0123456789abcdef";
pub const CLIENT_SECRET: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
/// "태연 TAEYEON": 57 albums of all four groups, names mixing Hangul, Latin and emoji.
pub const ARTIST_57: &str = "3qNVuliS40BLgXGxhdBdqu";
/// "Big Catalog": 1000 albums "Big Catalog Album 0001".."Big Catalog Album 1000".
pub const ARTIST_1000: &str = "5BigCatalogArtistAAAAA";
/// "Nobody": no albums at all.
pub const ARTIST_EMPTY: &str = "0NoAlbumsArtistAAAAAAA";
/// "README Sample Album" (12 tracks, by "README Sample"): the album id the README's examples
/// use (a real album's id on Spotify), so they work against the fake too.
pub const README_ALBUM: &str = "2noRn2Aes5aoNVsU6iWThc";
/// Kakao REST API key; the Kakao app has no client secret unless
/// [`FakeSpotify::kakao_require_secret`] is called.
pub const KAKAO_CLIENT_ID: &str = "kakaorestapikey0123456789abcdef0";

/// Which kind of Spotify app the fake pretends the client is (facts §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Extended quota: everything works, page size max 50 / default 20.
    Extended,
    /// A Development Mode app created before Feb 2026: removed endpoints answer 403, but
    /// fields and the 50/20 page size are kept.
    DevLegacy,
    /// A Development Mode app under the 2026 rules: removed endpoints and fields, page size
    /// max 10 / default 5 on search and artist albums.
    Dev2026,
}

impl Mode {
    /// The `--mode` spelling: `extended`, `dev-legacy` or `dev-2026`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Extended => "extended",
            Mode::DevLegacy => "dev-legacy",
            Mode::Dev2026 => "dev-2026",
        }
    }

    /// Parses `extended`, `dev-legacy` or `dev-2026`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "extended" => Some(Mode::Extended),
            "dev-legacy" => Some(Mode::DevLegacy),
            "dev-2026" => Some(Mode::Dev2026),
            _ => None,
        }
    }
}

/// What `grant_type=refresh_token` does (facts §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshBehavior {
    /// Since mid-2026: no `refresh_token` in the response; the old one stays valid until 6
    /// months after the user's authorization.
    None2026,
    /// Before 2026 (PKCE): a new refresh token every time, the old one revoked.
    Rotating,
    /// Every refresh fails with 400 `invalid_grant`.
    Expired,
}

impl RefreshBehavior {
    /// Parses `none`, `rotating` or `expired`.
    pub fn parse(s: &str) -> Option<RefreshBehavior> {
        match s {
            "none" => Some(RefreshBehavior::None2026),
            "rotating" => Some(RefreshBehavior::Rotating),
            "expired" => Some(RefreshBehavior::Expired),
            _ => None,
        }
    }
}

/// What the user "clicks" on the consent page (Spotify and Kakao).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeBehavior {
    Approve { user_id: String },
    Deny,
}

/// Tokens as a token endpoint would return them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub scope: String,
}

/// One request as the fake saw it.
#[derive(Clone, Debug, Default)]
pub struct Req {
    pub method: String,
    pub path: String,
    /// Raw query string, as sent.
    pub query: String,
    /// Milliseconds since the fake started, at arrival.
    pub at_ms: u64,
    /// Milliseconds since the fake started, when the response was handed over (0 while pending).
    pub done_ms: u64,
    /// Status sent; 0 when none was (pending, `Hang`, `ResetBeforeStatus`).
    pub status: u16,
    pub bearer: Option<String>,
    /// Client id from an `Authorization: Basic` header.
    pub basic_client: Option<String>,
    /// Decoded `application/x-www-form-urlencoded` body (secrets included: it is a test log).
    pub form: Vec<(String, String)>,
    /// Which TCP connection (1-based, in accept order) carried the request.
    pub conn: u64,
    /// Raw body (lossy UTF-8), e.g. to check a JSON body arrived intact.
    pub body: String,
    /// Request headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Arrival order, 1-based; unique for the fake's life (survives `clear_log`).
    pub seq: u64,
    /// "HTTP/1.1" or "HTTP/2.0".
    pub version: String,
}

impl Req {
    /// The first value of a query parameter, decoded.
    pub fn param(&self, key: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    /// The first value of a form field.
    pub fn form_value(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A misbehaviour to inject: the first `skip` requests whose path contains `path_contains`
/// (and whose method is `method`, and whose query has the parameter `query`, if set) pass; the
/// next `times` get `kind`. A `query` names one page whatever order concurrent pages arrive in.
///
/// Faults are tried in injection order. `Latency` and `ExpireTokens` affect every matching
/// request and combine with anything else. The kinds that replace the response take turns: a
/// request is counted only by the first matching one not yet used up (during its `skip` the
/// request passes untouched), so `inject(a)` then `inject(b)` on one path hit consecutive
/// requests. `EmptyPageWithNext` and `TotalChanges` count listing pages, not requests: an
/// error answer (e.g. `400 Invalid limit` to a page-size probe) does not use up their `skip`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub path_contains: String,
    pub method: Option<String>,
    /// A query parameter (name, value) the request must carry, e.g. `offset=150`.
    pub query: Option<(String, String)>,
    pub skip: usize,
    pub times: usize,
    pub kind: FaultKind,
}

impl Fault {
    /// Applies once to the next matching request, any method.
    pub fn new(path_contains: &str, kind: FaultKind) -> Fault {
        Fault {
            path_contains: path_contains.to_string(),
            method: None,
            query: None,
            skip: 0,
            times: 1,
            kind,
        }
    }

    pub fn skip(mut self, n: usize) -> Self {
        self.skip = n;
        self
    }

    /// `usize::MAX` = forever.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_string());
        self
    }

    /// Only requests whose query has `name=value`.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query = Some((name.to_string(), value.to_string()));
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with an optional `Retry-After` (sent verbatim); `quota` adds
    /// `"reason":"QUOTA_EXCEEDED"` (facts §5).
    TooMany {
        retry_after: Option<String>,
        quota: bool,
    },
    /// That status with the Web API error body; on the token endpoints a 5xx is a text/plain
    /// reason phrase, as the Accounts service sends in an outage.
    Status(u16),
    /// Close the TCP connection (RST) without writing any response.
    ResetBeforeStatus,
    /// Status, headers and full Content-Length, half the body, then RST.
    ResetMidBody,
    /// 200, `application/json`, consistent Content-Length, the normal body cut in half.
    TruncatedJson,
    /// A proxy's HTML error page with this status.
    Html(u16),
    /// This status with this `text/plain` body (an API that answers a POST with `201 Created`
    /// and no JSON).
    Text(u16, String),
    /// Never answer; the connection is reset when the fake stops.
    Hang,
    /// 302 to this location.
    Redirect(String),
    /// Expire every access token, then handle the request normally (so it gets 401).
    ExpireTokens,
    /// A listing page with `items: []` and a non-null `next`.
    EmptyPageWithNext,
    /// A paging response without `total` (a listing that does not announce its size, like a
    /// cursor-paged one), so a client has to follow `next` one page at a time.
    NoTotal,
    /// Serve the page's items from this many places earlier (the listing shifted while it was
    /// read), so items repeat across pages.
    ShiftBack(usize),
    /// A `next` link pointing at another host (`https://elsewhere.example`), which must never
    /// receive the token.
    ForeignNext,
    /// Handle normally but report `total` changed by this much.
    TotalChanges(i64),
    /// Add this many milliseconds before answering.
    Latency(u64),
    // ---- real shapes recorded from Spotify (facts §9) and hostile servers ----
    /// A listing page whose first `n` items are `null` (Spotify's search does this; `n` at least
    /// the page size makes a whole page of nulls). Positions are kept: `offset`/`next` unchanged.
    NullItems(usize),
    /// Search only: the paging object of this type (`playlist`) says `"items": null`.
    ItemsNull(String),
    /// Exactly this response: status, headers (sent as given, e.g. a lowercase `retry-after`,
    /// or none at all) and body (empty, plain text, HTML, pretty-printed JSON, escape
    /// sequences…).
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// An error with this status whose message echoes the request's `Authorization` header
    /// (its value alone, then verbatim with the scheme), as some proxies and debug builds do:
    /// `credential B64; got Authorization: Basic B64`.
    EchoAuthorization(u16),
    /// 200 `application/json` that never ends: `{"items":[` then items forever, as fast as the
    /// client reads.
    EndlessBody,
    /// 200 declaring `Content-Length: 1 TB`, then a few bytes and nothing more.
    HugeDeclaredBody,
    /// A listing page whose `next` points at this offset (an earlier page: a loop).
    LoopingNext(usize),
    /// A page whose `next` is the same URL as the page itself (a cursor that never moves).
    SelfNext,
    /// The last page keeps a non-null `next` (a 2024 recording shows one).
    NextOnLastPage,
    /// Search only: the answer has no paging object at all for this type (`playlist`): every
    /// property of a search result is optional in the published schema.
    TypeMissing(String),
    /// A listing that never ends: each page holds `limit` new items (ids never seen before)
    /// and a `next` link with a new `cursor`, no `total` (so it is followed page by page).
    EndlessListing,
    /// A listing page whose items carry only `id` and `name` (valid per the schema).
    BareItems,
    /// A listing page whose `limit` says this, whatever was asked (a recording echoes 50 on
    /// pages of 10 where 50 is refused); `next` links keep the limit asked for.
    EchoLimit(usize),
    /// `next` links in the 2024–25 order with a `locale`:
    /// `offset&limit&query&type&market&locale=en-US,en;q%3D0.9`.
    LocaleNext,
}

/// A running fake; it stops when dropped.
pub struct FakeSpotify {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    stopped: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSpotify {
    /// Dev2026 mode, no latency, `RefreshBehavior::None2026`, logins approved as "alice".
    pub fn start() -> FakeSpotify {
        FakeSpotify::start_with(Mode::Dev2026)
    }

    pub fn start_with(mode: Mode) -> FakeSpotify {
        FakeSpotify::start_on(0, mode).expect("fake Spotify: cannot listen on 127.0.0.1")
    }

    /// Listens on `127.0.0.1:port` (0: any free port).
    pub fn start_on(port: u16, mode: Mode) -> std::io::Result<FakeSpotify> {
        FakeSpotify::start_inner(port, mode, None)
    }

    /// Serves HTTPS (every base URL is `https://`) with a certificate from `ca`, offering the
    /// protocols of `alpn`.
    pub fn start_https(mode: Mode, ca: &TestCa, alpn: Alpn) -> FakeSpotify {
        FakeSpotify::start_inner(0, mode, Some(ca.server_config(alpn)))
            .expect("fake Spotify: cannot listen on 127.0.0.1")
    }

    fn start_inner(
        port: u16,
        mode: Mode,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<FakeSpotify> {
        // Bind here, in the caller's thread, so the port is known and the socket is accepting
        // before this function returns: no start-up race for the test.
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut shared = Shared::new(port, mode, shutdown_rx);
        if tls.is_some() {
            shared.scheme = "https";
        }
        let shared = Arc::new(shared);
        let (stopped_tx, stopped) = mpsc::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-spotify-{port}"))
            .spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(server::serve(listener, server_shared, tls));
                    rt.shutdown_timeout(Duration::from_millis(200));
                }
                let _ = stopped_tx.send(());
            })?;
        Ok(FakeSpotify {
            shared,
            shutdown,
            stopped,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn api_base(&self) -> String {
        self.shared.api_base()
    }

    /// `http://127.0.0.1:PORT` (`/authorize`, `/api/token`).
    pub fn accounts_base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.shared.scheme, self.port())
    }

    /// `http://127.0.0.1:PORT/kakao` (`/oauth/authorize`, `/oauth/token`).
    pub fn kakao_auth_base(&self) -> String {
        format!("{}://127.0.0.1:{}/kakao", self.shared.scheme, self.port())
    }

    /// `http://127.0.0.1:PORT/kakao` (`/v2/user/me`, `/v2/api/talk/memo/default/send`).
    pub fn kakao_api_base(&self) -> String {
        self.kakao_auth_base()
    }

    pub fn set_mode(&self, m: Mode) {
        self.shared.lock().mode = m;
    }

    /// Added before every response.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.lock().latency_ms = ms;
    }

    /// `expires_in` of access tokens issued from now on (Spotify and Kakao); 0 makes them
    /// dead on arrival.
    pub fn set_token_ttl_secs(&self, secs: u64) {
        self.shared.lock().token_ttl = Some(secs);
    }

    pub fn set_refresh_behavior(&self, b: RefreshBehavior) {
        self.shared.lock().refresh_behavior = b;
    }

    pub fn set_authorize_behavior(&self, b: AuthorizeBehavior) {
        self.shared.lock().authorize_behavior = b;
    }

    /// Registers a redirect URI for the default app (`CLIENT_ID`). Registered from the start:
    /// `http://127.0.0.1:8888/callback` and `http://127.0.0.1/callback` (any port).
    pub fn register_redirect_uri(&self, uri: &str) {
        self.shared.lock().redirect_uris.push(uri.to_string());
    }

    /// Adds an artist with `albums` albums ("{name} Album 0001"..); returns its id, a valid
    /// 22-character base62 id derived from the name.
    pub fn add_artist(&self, name: &str, albums: usize) -> String {
        self.shared.lock().catalog.add_artist(name, albums)
    }

    /// Adds an album `name` with `tracks` tracks (by a new artist "{name} Artist"); returns the
    /// album's id. Its tracks can be listed, and looked up by id, like any other.
    pub fn add_album(&self, name: &str, tracks: u32) -> String {
        self.shared.lock().catalog.add_album(name, tracks)
    }

    /// The next logins (Spotify's consent page) approve as these users, in order; after them,
    /// [`FakeSpotify::set_authorize_behavior`]'s choice applies again (a second person logging
    /// in on the same machine).
    pub fn queue_logins(&self, users: &[&str]) {
        let mut st = self.shared.lock();
        st.login_queue.extend(users.iter().map(|u| u.to_string()));
    }

    /// Appends to playlist `id` an entry whose item is `null` (a track no longer available).
    pub fn add_gone_playlist_entry(&self, id: &str) {
        library::add_gone_entry(&mut self.shared.lock(), id);
    }

    /// `/playlists/{id}/items` answers with entries carrying `track` instead of `item`, as
    /// answers did before the 2026 rename.
    pub fn set_legacy_playlist_items(&self, on: bool) {
        self.shared.lock().library.legacy_item_key = on;
    }

    /// Sets (or, with `None`, nulls: real profiles can say `"display_name": null`) the display
    /// name `/me` reports for `user_id`.
    pub fn set_display_name(&self, user_id: &str, name: Option<&str>) {
        self.shared.lock().user(user_id).display_name = name.map(str::to_string);
    }

    /// Every access token issued so far becomes invalid (401).
    pub fn expire_access_tokens(&self) {
        self.shared.lock().expire_access_tokens();
    }

    /// Every Spotify refresh token issued so far is revoked (`invalid_grant`).
    pub fn revoke_refresh_tokens(&self) {
        for g in self.shared.lock().refresh.values_mut() {
            g.revoked = true;
        }
    }

    /// Moves the authorization time of every Spotify refresh token `days` into the past
    /// (they die 183 days after it).
    pub fn age_refresh_tokens(&self, days: u64) {
        for g in self.shared.lock().refresh.values_mut() {
            g.authorized_at = g.authorized_at.saturating_sub(days_to_secs(days));
        }
    }

    /// Every authorization code issued so far (Spotify and Kakao) expires.
    pub fn expire_auth_codes(&self) {
        let now = std::time::Instant::now();
        let mut st = self.shared.lock();
        for c in st.codes.values_mut() {
            c.expires_at = now;
        }
        for c in st.kakao.codes.values_mut() {
            c.expires_at = now;
        }
    }

    /// Quota mode (Spotify's rolling window, facts §6): at most `max` Web API requests in any
    /// `window`; one more gets a 429 whose `Retry-After` is the time until the window frees
    /// (whole seconds, rounded up). Refused requests do not count. The log's `at_ms` is each
    /// request's start time, to assert the spacing on.
    pub fn set_quota(&self, max: usize, window: Duration) {
        self.shared.lock().quota = Some(state::Quota {
            max,
            window_ms: window.as_millis() as u64,
            starts: Default::default(),
        });
    }

    pub fn inject(&self, f: Fault) {
        self.shared
            .lock()
            .faults
            .push(state::FaultSlot { fault: f, seen: 0 });
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// The request log, in arrival order.
    pub fn requests(&self) -> Vec<Req> {
        self.shared.lock().log.clone()
    }

    /// `POST /api/token` and `POST /kakao/oauth/token` requests.
    pub fn token_requests(&self) -> usize {
        self.count(|r| {
            r.method == "POST" && (r.path == "/api/token" || r.path == "/kakao/oauth/token")
        })
    }

    /// Requests under `/v1` and `/kakao/v2`.
    pub fn api_requests(&self) -> usize {
        self.count(|r| r.path.starts_with("/v1/") || r.path.starts_with("/kakao/v2/"))
    }

    fn count(&self, f: impl Fn(&Req) -> bool) -> usize {
        self.shared.lock().log.iter().filter(|r| f(r)).count()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections()
    }

    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Mints tokens as if `user_id` had logged in to the default app just now; `pkce` makes
    /// the refresh token usable with `client_id` alone (a public client).
    pub fn issue_user_tokens(&self, user_id: &str, scopes: &str, pkce: bool) -> TokenSet {
        self.shared.lock().mint_user_tokens(user_id, scopes, pkce)
    }

    /// A client-credentials access token for the default app.
    pub fn issue_app_token(&self) -> String {
        self.shared.lock().mint_access(state::Subject::App).0
    }

    /// The query parameters of the last `/authorize` (Spotify or Kakao) request.
    pub fn last_authorize_params(&self) -> Vec<(String, String)> {
        self.shared.lock().last_authorize.clone()
    }

    /// Performs a GET on `authorize_url` (a full URL, e.g. the one spotctl prints) without
    /// following redirects: `Ok(Location)` on a redirect, else `Err((status, body))`.
    pub fn authorize_location(&self, authorize_url: &str) -> Result<String, (u16, String)> {
        let (status, headers, body) = http_get(authorize_url);
        let location = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.clone());
        match location {
            Some(l) if (300..400).contains(&status) => Ok(l),
            _ => Err((status, body)),
        }
    }

    // ---- Kakao ----

    /// Turns on the Kakao app's client secret: token requests must then carry it.
    pub fn kakao_require_secret(&self, secret: &str) {
        self.shared.lock().kakao.require_secret = Some(secret.to_string());
    }

    /// Moves every Kakao refresh token's expiry `days` closer (they live ~60 days and are
    /// renewed by a refresh only in their last 30).
    pub fn kakao_age_refresh_tokens(&self, days: u64) {
        for (_, expires) in self.shared.lock().kakao.refresh.values_mut() {
            *expires = expires.saturating_sub(days_to_secs(days));
        }
    }

    /// Mints Kakao tokens as if the user had logged in with these (space-separated) scopes.
    pub fn issue_kakao_tokens(&self, scopes: &str) -> TokenSet {
        self.shared.lock().mint_kakao_tokens(scopes)
    }

    /// `template_object`s received by the "send to me" endpoint, in order.
    pub fn kakao_memos(&self) -> Vec<String> {
        self.shared.lock().kakao.memos.clone()
    }
}

fn days_to_secs(days: u64) -> i64 {
    i64::try_from(days)
        .unwrap_or(i64::MAX)
        .saturating_mul(86_400)
}

impl Drop for FakeSpotify {
    /// Asks the server to stop and waits a bounded time: in-flight requests get a grace
    /// period, hung ones are cut, and a wedged thread is left behind rather than blocking.
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        // Disconnected: the thread already ended (it could not start its runtime).
        let finished = !matches!(
            self.stopped.recv_timeout(Duration::from_secs(5)),
            Err(mpsc::RecvTimeoutError::Timeout)
        );
        if finished && let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// reqwest is built without a default crypto provider (spotctl installs ring in `api/tls.rs`):
/// clients made by tests and the fake's self-tests install the same one first.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// GET `url` without following redirects: `(status, headers, body)`. A transport error gives
/// status 0 and the error text as the body. Blocking (a throwaway runtime): call it from plain
/// `#[test]`s, not from async code.
pub fn http_get(url: &str) -> (u16, Vec<(String, String)>, String) {
    http_request("GET", url, &[], None)
}

/// Any request, like [`http_get`]; `body` is sent as is (set the content type in `headers`).
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let failed = |e: &dyn std::fmt::Display| (0, Vec::new(), e.to_string());
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return failed(&e),
    };
    rt.block_on(async {
        install_crypto_provider();
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
        {
            Ok(c) => c,
            Err(e) => return failed(&e),
        };
        let method = match reqwest::Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(e) => return failed(&e),
        };
        let mut req = client.request(method, url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return failed(&e),
        };
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_string(), v)
            })
            .collect();
        match resp.text().await {
            Ok(text) => (status, headers, text),
            Err(e) => failed(&e),
        }
    })
}
