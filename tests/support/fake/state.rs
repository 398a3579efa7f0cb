//! Everything the fake remembers between requests: settings, users, issued codes and tokens,
//! injected faults and the request log. One `std::sync::Mutex` guards it all; handlers are
//! synchronous, so it is never held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::watch;

use super::catalog::{Catalog, TrackRef};
use super::{AuthorizeBehavior, CLIENT_ID, Fault, FaultKind, Mode, RefreshBehavior, Req, TokenSet};

/// Spotify access tokens live an hour (facts §1.2); Kakao REST tokens about six hours (§6.2).
pub(crate) const SPOTIFY_TOKEN_TTL: u64 = 3600;
pub(crate) const KAKAO_TOKEN_TTL: u64 = 21_599;
/// Spotify refresh tokens die 6 months after the user authorised (facts §1.4).
pub(crate) const REFRESH_LIFETIME_SECS: i64 = 183 * 86_400;

/// State plus the few things the server needs without taking the lock.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub connections: Arc<AtomicUsize>,
    pub started: Instant,
    pub port: u16,
    /// "http", or "https" for a fake started with TLS.
    pub scheme: &'static str,
    /// Flips to `true` when the `FakeSpotify` handle is dropped; `Hang` faults wait on it.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(port: u16, mode: Mode, shutdown: watch::Receiver<bool>) -> Shared {
        Shared {
            state: Mutex::new(State::new(mode)),
            connections: Arc::new(AtomicUsize::new(0)),
            started: Instant::now(),
            port,
            scheme: "http",
            shutdown,
        }
    }

    /// A handler that panicked must not take every later test down with a poisoned lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn api_base(&self) -> String {
        format!("{}://127.0.0.1:{}/v1", self.scheme, self.port)
    }

    pub(crate) fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

pub(crate) struct User {
    /// `None`: the profile says `"display_name": null` (facts §9).
    pub display_name: Option<String>,
    /// Saved tracks, newest first, with their `added_at`.
    pub saved: Vec<(String, TrackRef)>,
}

/// Who an access token speaks for.
#[derive(Clone, Debug)]
pub(crate) enum Subject {
    App,
    User { id: String, scopes: String },
}

pub(crate) struct AccessGrant {
    pub subject: Subject,
    pub expires_at: Instant,
}

pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub user_id: String,
    pub scopes: String,
    /// Unix seconds of the user's authorization; refreshing never moves it (facts §1.4).
    pub authorized_at: i64,
    /// Issued to a PKCE (public) client: refreshing needs only `client_id`, no secret.
    pub pkce: bool,
    pub revoked: bool,
}

pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    /// Codes live 10 minutes.
    pub expires_at: Instant,
    pub used: bool,
}

/// Kakao keeps its own tokens: a Spotify token is no good at kapi and vice versa.
#[derive(Default)]
pub(crate) struct KakaoState {
    pub require_secret: Option<String>,
    pub codes: HashMap<String, AuthCode>,
    /// access token -> (scopes, expiry)
    pub access: HashMap<String, (String, Instant)>,
    /// refresh token -> (scopes, unix-seconds expiry)
    pub refresh: HashMap<String, (String, i64)>,
    pub memos: Vec<String>,
}

pub(crate) struct FaultSlot {
    pub fault: Fault,
    /// Matching requests this fault has counted so far (skipped ones included).
    pub seen: usize,
}

impl FaultSlot {
    /// Whether the request is one this fault is about and the fault is not used up yet.
    fn matches(&self, method: &str, path: &str, query: &[(String, String)]) -> bool {
        let f = &self.fault;
        f.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(f.path_contains.as_str())
            && f.query.as_ref().is_none_or(|q| query.contains(q))
            && self.seen < f.skip.saturating_add(f.times)
    }

    /// Counts a matching request; true when it is past the `skip`, i.e. the fault applies.
    fn count(&mut self) -> bool {
        self.seen += 1;
        self.seen > self.fault.skip
    }
}

impl FaultKind {
    /// Faults that change a listing page rather than the request.
    fn shapes_pages(&self) -> bool {
        matches!(
            self,
            FaultKind::EmptyPageWithNext
                | FaultKind::TotalChanges(_)
                | FaultKind::NoTotal
                | FaultKind::ShiftBack(_)
                | FaultKind::ForeignNext
                | FaultKind::NullItems(_)
                | FaultKind::ItemsNull(_)
                | FaultKind::LoopingNext(_)
                | FaultKind::SelfNext
                | FaultKind::NextOnLastPage
                | FaultKind::LocaleNext
                | FaultKind::TypeMissing(_)
                | FaultKind::BareItems
                | FaultKind::EchoLimit(_)
        )
    }
}

/// Quota mode (`FakeSpotify::set_quota`): the start times of the
/// requests the window holds.
#[derive(Debug)]
pub(crate) struct Quota {
    pub max: usize,
    pub window_ms: u64,
    pub starts: std::collections::VecDeque<u64>,
}

/// Changes to a normal response that faults ask for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tweaks {
    pub total_delta: i64,
    pub empty_page: bool,
    pub no_total: bool,
    pub shift_back: usize,
    pub foreign_next: bool,
    pub null_items: usize,
    pub items_null: Option<String>,
    pub looping_next: Option<usize>,
    pub self_next: bool,
    pub next_on_last_page: bool,
    pub locale_next: bool,
    pub type_missing: Option<String>,
    pub bare_items: bool,
    pub echo_limit: Option<usize>,
}

/// What the faults decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub extra_latency_ms: u64,
    /// The fault that replaces (or mangles) the normal response, if any.
    pub terminal: Option<FaultKind>,
}

pub(crate) struct State {
    pub mode: Mode,
    pub latency_ms: u64,
    /// `None`: each provider's real lifetime.
    pub token_ttl: Option<u64>,
    pub refresh_behavior: RefreshBehavior,
    pub authorize_behavior: AuthorizeBehavior,
    pub redirect_uris: Vec<String>,
    pub catalog: Catalog,
    pub users: BTreeMap<String, User>,
    pub access: HashMap<String, AccessGrant>,
    pub refresh: HashMap<String, RefreshGrant>,
    pub codes: HashMap<String, AuthCode>,
    pub kakao: KakaoState,
    pub faults: Vec<FaultSlot>,
    /// Quota mode: at most `max` Web API requests in any rolling `window_ms`.
    pub quota: Option<Quota>,
    pub log: Vec<Req>,
    next_seq: u64,
    pub last_authorize: Vec<(String, String)>,
    pub playlists_created: u64,
    /// Shows, episodes, an audiobook and playlists.
    pub library: super::library::Library,
    /// Users the next logins approve as, in order, before `authorize_behavior` applies again.
    pub login_queue: std::collections::VecDeque<String>,
}

impl State {
    fn new(mode: Mode) -> State {
        let mut users = BTreeMap::new();
        // Alice has 23 saved tracks: more than one page at the default limit of 20.
        let saved = (0..23)
            .map(|n| {
                let added = format!("2026-{:02}-{:02}T08:30:00Z", 6 - n / 5, 28 - n % 5 * 5);
                (added, TrackRef::Love(n))
            })
            .collect();
        users.insert(
            "alice".to_string(),
            User {
                display_name: Some("Alice".to_string()),
                saved,
            },
        );
        users.insert(
            "bob".to_string(),
            User {
                display_name: Some("Bob ✨".to_string()),
                saved: Vec::new(),
            },
        );
        let catalog = Catalog::new();
        let library = super::library::Library::new(&catalog);
        State {
            mode,
            latency_ms: 0,
            token_ttl: None,
            refresh_behavior: RefreshBehavior::None2026,
            authorize_behavior: AuthorizeBehavior::Approve {
                user_id: "alice".to_string(),
            },
            redirect_uris: vec![
                "http://127.0.0.1:8888/callback".to_string(),
                "http://127.0.0.1/callback".to_string(),
            ],
            catalog,
            users,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            kakao: KakaoState::default(),
            faults: Vec::new(),
            quota: None,
            log: Vec::new(),
            next_seq: 0,
            last_authorize: Vec::new(),
            playlists_created: 0,
            library,
            login_queue: Default::default(),
        }
    }

    /// Users other than alice and bob spring into existence on first use (any login works).
    pub(crate) fn user(&mut self, id: &str) -> &mut User {
        self.users.entry(id.to_string()).or_insert_with(|| User {
            display_name: Some(id.to_string()),
            saved: Vec::new(),
        })
    }

    pub(crate) fn spotify_ttl(&self) -> u64 {
        self.token_ttl.unwrap_or(SPOTIFY_TOKEN_TTL)
    }

    pub(crate) fn kakao_ttl(&self) -> u64 {
        self.token_ttl.unwrap_or(KAKAO_TOKEN_TTL)
    }

    /// A new Spotify access token; returns it with its `expires_in`.
    pub(crate) fn mint_access(&mut self, subject: Subject) -> (String, u64) {
        let ttl = self.spotify_ttl();
        let token = random_token("BQ", 90);
        self.access.insert(
            token.clone(),
            AccessGrant {
                subject,
                expires_at: Instant::now() + Duration::from_secs(ttl),
            },
        );
        (token, ttl)
    }

    pub(crate) fn mint_refresh(&mut self, grant: RefreshGrant) -> String {
        let token = random_token("AQ", 96);
        self.refresh.insert(token.clone(), grant);
        token
    }

    /// Access + refresh token for a user of the default app, as a finished login leaves them.
    pub(crate) fn mint_user_tokens(&mut self, user_id: &str, scopes: &str, pkce: bool) -> TokenSet {
        self.user(user_id);
        let (access_token, expires_in) = self.mint_access(Subject::User {
            id: user_id.to_string(),
            scopes: scopes.to_string(),
        });
        let refresh_token = self.mint_refresh(RefreshGrant {
            client_id: CLIENT_ID.to_string(),
            user_id: user_id.to_string(),
            scopes: scopes.to_string(),
            authorized_at: unix_now(),
            pkce,
            revoked: false,
        });
        TokenSet {
            access_token,
            refresh_token,
            expires_in,
            scope: scopes.to_string(),
        }
    }

    pub(crate) fn mint_kakao_tokens(&mut self, scopes: &str) -> TokenSet {
        let ttl = self.kakao_ttl();
        let access_token = random_token("", 40);
        self.kakao.access.insert(
            access_token.clone(),
            (
                scopes.to_string(),
                Instant::now() + Duration::from_secs(ttl),
            ),
        );
        let refresh_token = self.mint_kakao_refresh(scopes);
        TokenSet {
            access_token,
            refresh_token,
            expires_in: ttl,
            scope: scopes.to_string(),
        }
    }

    pub(crate) fn mint_kakao_refresh(&mut self, scopes: &str) -> String {
        let token = random_token("", 40);
        let expires = unix_now() + super::kakao::REFRESH_EXPIRES_IN;
        self.kakao
            .refresh
            .insert(token.clone(), (scopes.to_string(), expires));
        token
    }

    /// Every access token issued so far (Spotify and Kakao) stops working.
    pub(crate) fn expire_access_tokens(&mut self) {
        self.access.clear();
        self.kakao.access.clear();
    }

    /// Runs the injected faults over one request, in injection order. `Latency` and
    /// `ExpireTokens` count and affect every matching request. Faults that replace the response
    /// take turns: a request is counted only by the first matching one not yet used up (its
    /// `skip` lets the request through untouched), so two one-shot faults on one path hit two
    /// consecutive requests. Page faults are left to [`State::page_tweaks`].
    pub(crate) fn plan(&mut self, method: &str, path: &str, query: &[(String, String)]) -> Plan {
        let mut plan = Plan::default();
        let mut claimed = false;
        let mut expire = false;
        for slot in &mut self.faults {
            let kind = slot.fault.kind.clone();
            if kind.shapes_pages() || !slot.matches(method, path, query) {
                continue;
            }
            let modifier = matches!(kind, FaultKind::Latency(_) | FaultKind::ExpireTokens);
            if claimed && !modifier {
                continue;
            }
            claimed |= !modifier;
            if !slot.count() {
                continue;
            }
            match kind {
                FaultKind::Latency(ms) => plan.extra_latency_ms += ms,
                FaultKind::ExpireTokens => expire = true,
                terminal => plan.terminal = Some(terminal),
            }
        }
        if expire {
            self.expire_access_tokens();
        }
        plan
    }

    /// The page faults (`EmptyPageWithNext`, `TotalChanges`) for a request about to answer with
    /// a listing page. They count pages, not requests: an error such as `400 Invalid limit`
    /// (spotctl's page-size probe) does not use up their `skip`.
    pub(crate) fn page_tweaks(
        &mut self,
        method: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Tweaks {
        let mut tweaks = Tweaks::default();
        for slot in &mut self.faults {
            if !slot.fault.kind.shapes_pages()
                || !slot.matches(method, path, query)
                || !slot.count()
            {
                continue;
            }
            match &slot.fault.kind {
                FaultKind::TotalChanges(delta) => tweaks.total_delta += delta,
                FaultKind::NullItems(n) => tweaks.null_items = tweaks.null_items.max(*n),
                FaultKind::ItemsNull(t) => tweaks.items_null = Some(t.clone()),
                FaultKind::LoopingNext(o) => tweaks.looping_next = Some(*o),
                FaultKind::SelfNext => tweaks.self_next = true,
                FaultKind::NextOnLastPage => tweaks.next_on_last_page = true,
                FaultKind::LocaleNext => tweaks.locale_next = true,
                FaultKind::TypeMissing(t) => tweaks.type_missing = Some(t.clone()),
                FaultKind::BareItems => tweaks.bare_items = true,
                FaultKind::EchoLimit(n) => tweaks.echo_limit = Some(*n),
                FaultKind::NoTotal => tweaks.no_total = true,
                FaultKind::ShiftBack(n) => tweaks.shift_back += *n,
                FaultKind::ForeignNext => tweaks.foreign_next = true,
                _ => tweaks.empty_page = true,
            }
        }
        tweaks
    }

    /// Appends a request to the log and returns its sequence number.
    /// Quota mode: whether a Web API request arriving at `now_ms` fits in the rolling window.
    /// `Some(secs)`: refused, and the window frees in `secs` (rounded up: a client that waits
    /// that long gets in).
    pub(crate) fn over_quota(&mut self, path: &str, now_ms: u64) -> Option<u64> {
        let q = self.quota.as_mut()?;
        if !path.starts_with("/v1/") {
            return None;
        }
        while q.starts.front().is_some_and(|&t| t + q.window_ms <= now_ms) {
            q.starts.pop_front();
        }
        if q.starts.len() < q.max {
            q.starts.push_back(now_ms);
            return None;
        }
        let oldest = q.starts.front().copied().unwrap_or(now_ms);
        Some((oldest + q.window_ms - now_ms).div_ceil(1000).max(1))
    }

    pub(crate) fn log_arrival(&mut self, mut req: Req) -> u64 {
        self.next_seq += 1;
        req.seq = self.next_seq;
        self.log.push(req);
        self.next_seq
    }

    pub(crate) fn log_done(&mut self, seq: u64, status: u16, done_ms: u64) {
        if let Some(r) = self.log.iter_mut().rev().find(|r| r.seq == seq) {
            r.status = status;
            r.done_ms = done_ms;
        }
    }
}

/// `prefix` + base64url of `bytes` random bytes: long, unguessable, easy to grep for.
pub(crate) fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(buf))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
