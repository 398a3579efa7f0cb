//! The request pipeline shared by every endpoint: read the request once, log it, let the injected
//! faults decide, route it to the Spotify/Kakao handlers, add latency, log the outcome. Also the
//! small response builders every handler uses.
//!
//! Routing is by hand in one fallback handler rather than with axum routes: every request,
//! including unknown paths, must go through the same log/fault/latency steps, and handlers stay
//! plain synchronous functions over the locked state.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt as _;
use serde_json::Value;
use tokio::sync::watch;

use super::net::{ConnInfo, CountingListener};
use super::state::{Plan, Shared};
use super::tls::TlsListener;
use super::{FaultKind, Req, accounts, kakao, web_api};

/// Request bodies larger than this are cut off (the fake only ever needs small forms and JSON).
const MAX_BODY: usize = 1 << 20;
/// After shutdown is asked for, in-flight requests get this long before the runtime is dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// Client credentials in an `Authorization: Basic` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Basic {
    Absent,
    /// Present but not base64 of `id:secret`.
    Malformed,
    Present {
        id: String,
        secret: String,
    },
}

/// One request, read and parsed once.
pub(crate) struct Incoming {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Decoded `application/x-www-form-urlencoded` body; empty for any other content type.
    pub form: Vec<(String, String)>,
    pub bearer: Option<String>,
    pub basic: Basic,
}

impl Incoming {
    fn parse(parts: &axum::http::request::Parts, body: Bytes) -> Incoming {
        let query = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let is_form = header_str(&parts.headers, header::CONTENT_TYPE)
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| {
                ct.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let form = if is_form {
            url::form_urlencoded::parse(&body).into_owned().collect()
        } else {
            Vec::new()
        };
        let auth = header_str(&parts.headers, header::AUTHORIZATION).unwrap_or("");
        let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
        let bearer = scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| rest.trim().to_string());
        let basic = if !scheme.eq_ignore_ascii_case("basic") {
            Basic::Absent
        } else {
            STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|s| {
                    s.split_once(':').map(|(id, secret)| Basic::Present {
                        id: id.to_string(),
                        secret: secret.to_string(),
                    })
                })
                .unwrap_or(Basic::Malformed)
        };
        Incoming {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query,
            headers: parts.headers.clone(),
            body,
            form,
            bearer,
            basic,
        }
    }

    /// First value of a query parameter.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        first(&self.query, key)
    }

    /// First value of a form field.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        first(&self.form, key)
    }
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Serves until `shutdown` turns true (or its sender is dropped), then gives in-flight requests
/// [`SHUTDOWN_GRACE`] to finish and returns even if some did not.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let shutdown = shared.shutdown.clone();
    let listener = CountingListener::new(listener, shared.connections.clone());
    let app = Router::new()
        .fallback(entry)
        .with_state(shared)
        .into_make_service_with_connect_info::<ConnInfo>();
    // Plain HTTP/1.1, or TLS where ALPN picks HTTP/2 or HTTP/1.1.
    let server_shutdown = shutdown.clone();
    let server = async move {
        match tls {
            None => {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped(server_shutdown))
                    .await;
            }
            Some(config) => {
                let listener = TlsListener::new(listener, config);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped(server_shutdown))
                    .await;
            }
        }
    };
    tokio::select! {
        _ = server => {}
        _ = async {
            stopped(shutdown).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
}

/// Resolves once the fake is shutting down.
pub(crate) async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn entry(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let inc = Incoming::parse(&parts, body);

    let (seq, plan, latency) = {
        let mut st = shared.lock();
        let basic_client = match &inc.basic {
            Basic::Present { id, .. } => Some(id.clone()),
            _ => None,
        };
        let seq = st.log_arrival(Req {
            method: inc.method.clone(),
            path: inc.path.clone(),
            query: parts.uri.query().unwrap_or("").to_string(),
            at_ms: shared.elapsed_ms(),
            done_ms: 0,
            status: 0,
            bearer: inc.bearer.clone(),
            basic_client,
            form: inc.form.clone(),
            conn: conn.id,
            body: String::from_utf8_lossy(&inc.body).into_owned(),
            headers: inc
                .headers
                .iter()
                .map(|(k, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (k.as_str().to_string(), v)
                })
                .collect(),
            seq: 0,
            version: format!("{:?}", parts.version),
        });
        let mut plan = st.plan(&inc.method, &inc.path, &inc.query);
        if plan.terminal.is_none()
            && let Some(secs) = st.over_quota(&inc.path, shared.elapsed_ms())
        {
            plan.terminal = Some(FaultKind::TooMany {
                retry_after: Some(secs.to_string()),
                quota: false,
            });
        }
        let latency = st.latency_ms.saturating_add(plan.extra_latency_ms);
        (seq, plan, latency)
    };

    let (response, logged_status) = respond(&shared, &conn, &inc, plan, latency).await;
    shared
        .lock()
        .log_done(seq, logged_status, shared.elapsed_ms());
    response
}

/// Builds the response a fault (or the normal handler) calls for. Returns it with the status to
/// log: 0 when no status line reaches the client.
async fn respond(
    shared: &Shared,
    conn: &ConnInfo,
    inc: &Incoming,
    plan: Plan,
    latency_ms: u64,
) -> (Response, u16) {
    if let Some(FaultKind::Hang) = plan.terminal {
        stopped(shared.shutdown.clone()).await;
        conn.kill.kill();
        return (empty(500), 0);
    }
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let token_endpoint = inc.path == "/api/token" || inc.path.starts_with("/kakao/oauth/");
    let response = match plan.terminal {
        None => route(shared, inc),
        Some(FaultKind::TooMany { retry_after, quota }) => {
            let body = if quota {
                serde_json::json!({"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}})
            } else {
                serde_json::json!({"error": {"status": 429, "message": "API rate limit exceeded"}})
            };
            let mut r = json(429, &body);
            if let Some(secs) = retry_after {
                set_header(&mut r, header::RETRY_AFTER, &secs);
            }
            r
        }
        Some(FaultKind::Status(code)) if token_endpoint && code >= 500 => {
            // The Accounts service fails like a plain web server (facts §1.5: non-JSON 503).
            text(code, "text/plain; charset=utf-8", reason(code))
        }
        Some(FaultKind::Status(code)) => web_api_error(code, reason(code)),
        Some(FaultKind::Html(code)) => {
            let title = format!("{} {}", code, reason(code));
            let page = format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            text(code, "text/html", &page)
        }
        Some(FaultKind::Text(code, body)) => text(code, "text/plain; charset=utf-8", &body),
        Some(FaultKind::Redirect(location)) => redirect(302, &location),
        Some(FaultKind::ResetBeforeStatus) => {
            conn.kill.kill();
            return (empty(500), 0);
        }
        Some(FaultKind::TruncatedJson) => {
            let normal = route(shared, inc);
            let body = to_bytes(normal.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let half = body.slice(..body.len() / 2);
            let mut r = Response::new(Body::from(half));
            set_header(
                &mut r,
                header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            );
            r
        }
        Some(FaultKind::ResetMidBody) => {
            let normal = route(shared, inc);
            let status = normal.status().as_u16();
            return (cut_mid_body(normal, conn).await, status);
        }
        Some(FaultKind::Raw {
            status,
            headers,
            body,
        }) => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = status_code(status);
            for (k, v) in &headers {
                if let Ok(name) = HeaderName::from_bytes(k.as_bytes()) {
                    set_header(&mut r, name, v);
                }
            }
            r
        }
        Some(FaultKind::EchoAuthorization(code)) => {
            let sent = header_str(&inc.headers, header::AUTHORIZATION).unwrap_or("");
            // Bare, then with its scheme (as a debug page listing credentials would).
            let bare = sent.split_once(' ').map_or(sent, |(_, v)| v);
            web_api_error(
                code,
                &format!("credential {bare}; got Authorization: {sent}"),
            )
        }
        Some(FaultKind::EndlessBody) => {
            let chunk = Bytes::from(
                "{\"id\":\"0123456789abcdefghijkl\",\"name\":\"endless\"},".repeat(256),
            );
            let head = futures::stream::iter([Ok::<Bytes, io::Error>(Bytes::from_static(
                b"{\"items\":[",
            ))]);
            let body = head.chain(futures::stream::repeat_with(move || Ok(chunk.clone())));
            let mut r = Response::new(Body::from_stream(body));
            set_header(
                &mut r,
                header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            );
            r
        }
        Some(FaultKind::HugeDeclaredBody) => {
            let body = futures::stream::iter([Ok::<Bytes, io::Error>(Bytes::from_static(
                b"{\"items\":[",
            ))])
            .chain(futures::stream::once(async {
                // Then nothing: the client must decide from the header alone.
                tokio::time::sleep(Duration::from_secs(30)).await;
                Err(io::Error::other("never finished"))
            }));
            let mut r = Response::new(Body::from_stream(body));
            set_header(
                &mut r,
                header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            );
            r.headers_mut().insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(1_000_000_000_000u64),
            );
            r
        }
        Some(FaultKind::EndlessListing) => {
            let at = |k| inc.param(k).and_then(|v| v.parse::<usize>().ok());
            let start = at("cursor").or_else(|| at("offset")).unwrap_or(0);
            let limit = at("limit").unwrap_or(20);
            // Written out directly: 100,000 items of json! values cost the tests seconds.
            let items: Vec<String> = (start..start + limit)
                .map(|n| {
                    format!(
                        r#"{{"id":"{n:022}","name":"Endless Album {n}","type":"album","release_date":"2026-01-01"}}"#
                    )
                })
                .collect();
            let next = format!(
                "{}{}?cursor={}&limit={limit}",
                shared.api_base().trim_end_matches("/v1"),
                inc.path,
                start + limit
            );
            let body = format!(
                r#"{{"items":[{}],"next":{},"offset":{start},"limit":{limit}}}"#,
                items.join(","),
                serde_json::Value::from(next)
            );
            text(200, "application/json; charset=utf-8", &body)
        }
        // Modifiers never end up as the terminal fault (see `State::plan`); Hang was handled.
        Some(_) => route(shared, inc),
    };
    let status = response.status().as_u16();
    (response, status)
}

/// Keeps the status, headers and full Content-Length of `normal`, sends half its body, then
/// kills the connection: the client sees a response whose body never completes.
async fn cut_mid_body(normal: Response, conn: &ConnInfo) -> Response {
    let (mut parts, body) = normal.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let len = body.len();
    let first = body.slice(..len / 2);
    let kill = conn.kill.clone();
    let chunks = futures::stream::iter([Ok::<Bytes, io::Error>(first)]).chain(
        futures::stream::once(async move {
            // Let hyper flush the headers and the first half before the socket dies.
            tokio::time::sleep(Duration::from_millis(30)).await;
            kill.kill();
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected ResetMidBody",
            ))
        }),
    );
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// Sends a request to its handler.
fn route(shared: &Shared, inc: &Incoming) -> Response {
    let path = inc.path.as_str();
    if path == "/v1" || path.starts_with("/v1/") {
        return web_api::handle(shared, inc);
    }
    if path.starts_with("/kakao/") {
        return kakao::handle(shared, inc);
    }
    match (inc.method.as_str(), path) {
        ("GET", "/authorize") => accounts::authorize(shared, inc),
        ("POST", "/api/token") => accounts::token(shared, inc),
        (_, "/authorize" | "/api/token") => web_api_error(405, "Method not allowed"),
        _ => web_api_error(404, "Service not found"),
    }
}

// ---- response builders ----

pub(crate) fn json(status: u16, value: &Value) -> Response {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status_code(status);
    set_header(
        &mut r,
        header::CONTENT_TYPE,
        "application/json; charset=utf-8",
    );
    r
}

pub(crate) fn text(status: u16, content_type: &str, body: &str) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status_code(status);
    set_header(&mut r, header::CONTENT_TYPE, content_type);
    r
}

pub(crate) fn empty(status: u16) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status_code(status);
    r
}

/// The Web API's error shape: `{"error":{"status":N,"message":"..."}}`.
pub(crate) fn web_api_error(status: u16, message: &str) -> Response {
    json(
        status,
        &serde_json::json!({"error": {"status": status, "message": message}}),
    )
}

/// A 3xx to `location`.
pub(crate) fn redirect(status: u16, location: &str) -> Response {
    let mut r = empty(status);
    set_header(&mut r, header::LOCATION, location);
    r
}

/// Sends the browser back to the app: `redirect_uri?pairs…&state=…` (state echoed if given).
pub(crate) fn redirect_back(
    status: u16,
    redirect_uri: &str,
    state: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    let mut location = with_query(redirect_uri, pairs);
    if let Some(s) = state {
        location = with_query(&location, &[("state", s)]);
    }
    redirect(status, &location)
}

/// Sets a header from a string a test (or a request) chose; an unusable value is left out
/// rather than panicking.
pub(crate) fn set_header(r: &mut Response, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn reason(status: u16) -> &'static str {
    status_code(status).canonical_reason().unwrap_or("Error")
}

/// Percent-encodes a query value as Spotify's links do (space = `%20`), leaving RFC 3986
/// unreserved characters and those in `keep` alone.
pub(crate) fn encode(value: &str, keep: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base?k=v&k=v` (or `&` if `base` already has a query), values percent-encoded.
pub(crate) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(&encode(k, ""));
        out.push('=');
        out.push_str(&encode(v, ""));
        sep = '&';
    }
    out
}
