//! The login's redirect target: a one-shot HTTP server (axum) on the loopback address only, and
//! [`interpret`], which reads a redirect's query. A redirected URL pasted on stdin
//! (`auth/paste.rs`) goes through the same [`interpret`], so the two ways in behave the same.
//!
//! Requests that carry neither `code` nor `error` (browsers fetch `/favicon.ico` first) get a
//! 404 and the server keeps listening. A request with a missing or wrong `state`, or a `Host`
//! that is not the loopback address and port we listen on (DNS rebinding), is forged — any web
//! page can send one with a no-cors fetch: it gets an error page and is ignored (one warning
//! line for the whole login), so it cannot end the login; only the right `state` does. The
//! page shown to the browser is static: no redirect, nothing echoed back.
//!
//! Exhaustion by another local user: headers must arrive within 3 s, at most 64 connections
//! are served at once (the oldest idle one is dropped for a new one), and the soft limit on
//! open files is raised to the hard limit.

use crate::auth::pkce::ct_eq;
use crate::error::{Error, Result};
use crate::secret::Secret;
use axum::extract::{RawQuery, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

#[derive(Debug)]
pub enum Outcome {
    Code(Secret),
    /// `error=…` from the provider (`access_denied` when the user said no).
    Denied {
        error: String,
        description: Option<String>,
    },
    StateMismatch,
}

/// RFC 9207: the `iss` an authorization response must carry (discovery's issuer), and whether
/// it must be there at all (the server advertised `authorization_response_iss_parameter_supported`).
#[derive(Debug, Clone, Default)]
pub struct IssCheck {
    pub issuer: Option<String>,
    pub required: bool,
}

/// What a redirect's query says, or None when it carries neither `code` nor `error`.
#[cfg(test)]
pub fn interpret(query: &str, expected_state: &str) -> Option<Outcome> {
    interpret_with(query, expected_state, &IssCheck::default())
}

/// [`interpret`], with `iss` checked: a wrong one, or a missing one the server promised, is
/// refused like a wrong `state` (a mix-up attack sends another server's answer here).
pub fn interpret_with(query: &str, expected_state: &str, iss_check: &IssCheck) -> Option<Outcome> {
    let mut iss = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut state = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" if code.is_none() => code = Some(v.into_owned()),
            "error" if error.is_none() => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            "state" if state.is_none() => state = Some(v.into_owned()),
            "iss" if iss.is_none() => iss = Some(v.into_owned()),
            _ => {}
        }
    }
    if code.is_none() && error.is_none() {
        return None;
    }
    if !state.as_deref().is_some_and(|s| ct_eq(s, expected_state)) {
        return Some(Outcome::StateMismatch);
    }
    let iss_ok = match (&iss, &iss_check.issuer) {
        (Some(got), Some(want)) => got == want,
        (None, _) => !iss_check.required,
        (Some(_), None) => true,
    };
    if !iss_ok {
        return Some(Outcome::StateMismatch);
    }
    Some(match (code, error) {
        (_, Some(error)) => Outcome::Denied {
            error: crate::api::ids::shown(&error),
            description: description.map(|d| crate::api::ids::shown(&d)),
        },
        (Some(code), None) if !code.is_empty() => Outcome::Code(Secret::new(code)),
        _ => Outcome::Denied {
            error: "empty code".into(),
            description: None,
        },
    })
}

struct Shared {
    path: String,
    state: String,
    iss: IssCheck,
    /// `Host` values a browser sends for our address (`127.0.0.1:PORT`, `[::1]:PORT`,
    /// `localhost:PORT`).
    hosts: Vec<String>,
    warned: AtomicBool,
    tx: Mutex<Option<mpsc::Sender<Outcome>>>,
}

pub struct Server {
    pub addr: SocketAddr,
    pub rx: mpsc::Receiver<Outcome>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

const PAGE_OK: &str = "<!doctype html><meta charset=utf-8><title>spotctl</title><p>spotctl: logged in. You can close this tab.</p>";
const PAGE_DENIED: &str = "<!doctype html><meta charset=utf-8><title>spotctl</title><p>spotctl: the login was not completed. You can close this tab.</p>";
const PAGE_STATE: &str = "<!doctype html><meta charset=utf-8><title>spotctl</title><p>spotctl: this answer does not belong to the login in progress and was refused.</p>";

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> impl IntoResponse {
    if uri.path() != shared.path {
        return (StatusCode::NOT_FOUND, Html("not found")).into_response();
    }
    let Some(outcome) = interpret_with(q.as_deref().unwrap_or(""), &shared.state, &shared.iss)
    else {
        return (StatusCode::NOT_FOUND, Html("not found")).into_response();
    };
    let host_ok = |h: &str| shared.hosts.iter().any(|a| a.eq_ignore_ascii_case(h));
    let ours = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(host_ok)
        && uri.authority().is_none_or(|a| host_ok(a.as_str()));
    if !ours || matches!(outcome, Outcome::StateMismatch) {
        // Forged (a web page's fetch, another local program): refused, and the login goes on.
        if !shared.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "spotctl: warning: ignored a request to the login callback with a wrong `state`, `iss` or Host (another page, program or server, not this login); still waiting for the real one"
            );
        }
        return (StatusCode::BAD_REQUEST, Html(PAGE_STATE)).into_response();
    }
    let page = match &outcome {
        Outcome::Code(_) => (StatusCode::OK, PAGE_OK),
        Outcome::Denied { .. } | Outcome::StateMismatch => (StatusCode::OK, PAGE_DENIED),
    };
    // One-shot: the first answer wins; later requests find the sender gone.
    let tx = shared.tx.lock().ok().and_then(|mut t| t.take());
    match tx {
        Some(tx) => {
            let _ = tx.send(outcome).await;
            (page.0, Html(page.1)).into_response()
        }
        None => (StatusCode::GONE, Html("this login is already finished")).into_response(),
    }
}

/// A request's headers must arrive within this (a browser sends them at once; a client that
/// trickles them holds a connection for nothing).
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// Connections served at once; past it, the oldest idle one (no request being answered) is
/// dropped for the new one, so idle connections from another local user cannot keep the
/// browser's redirect out.
const MAX_CONNECTIONS: usize = 64;

struct Conn {
    busy: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// Drops the oldest connection that is not answering a request (or, all busy, the oldest).
fn drop_oldest(conns: &mut std::collections::VecDeque<Conn>) {
    conns.retain(|c| !c.task.is_finished());
    let i = conns
        .iter()
        .position(|c| !c.busy.load(Ordering::Acquire))
        .unwrap_or(0);
    if let Some(c) = conns.remove(i) {
        c.task.abort();
    }
}

/// The accept loop: HTTP/1 only, one request per connection, [`HEADER_TIMEOUT`],
/// [`MAX_CONNECTIONS`].
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut conns = std::collections::VecDeque::<Conn>::new();
    loop {
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => s,
                Err(_) => {
                    // Out of file descriptors (EMFILE) or the like: make room, then go on.
                    drop_oldest(&mut conns);
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
            },
        };
        conns.retain(|c| !c.task.is_finished());
        if conns.len() >= MAX_CONNECTIONS {
            drop_oldest(&mut conns);
        }
        let busy = Arc::new(AtomicBool::new(false));
        let inner = hyper_util::service::TowerToHyperService::new(app.clone());
        let flag = busy.clone();
        // Busy from its request on: one request per connection, so it ends with its answer.
        let svc = hyper::service::service_fn(move |req| {
            flag.store(true, Ordering::Release);
            hyper::service::Service::call(&inner, req)
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .keep_alive(false)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        conns.push_back(Conn { busy, task });
    }
    // A connection answering the browser finishes its page (one request, then it closes);
    // the idle ones go.
    for c in conns {
        if !c.busy.load(Ordering::Acquire) {
            c.task.abort();
        }
    }
}

/// Binds `ip:port` (port 0: any free port) and serves `path` until an answer arrives.
pub async fn start(
    ip: IpAddr,
    port: u16,
    path: &str,
    state: &str,
    iss: IssCheck,
) -> Result<Server> {
    if !ip.is_loopback() {
        return Err(Error::Internal(
            "the callback server only listens on loopback".into(),
        ));
    }
    let listener = tokio::net::TcpListener::bind((ip, port)).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            // Nothing was sent yet: a usage error, with the way out that always works.
            let host = std::net::SocketAddr::new(ip, 0).to_string();
            let host = host.trim_end_matches(":0");
            Error::usage(format!(
                "port {port} on {ip} is already in use (another login running?); stop it, or log in with `--redirect-uri http://{host}{path}` to get a free port (register that URI, without a port, in the app's dashboard)"
            ))
        } else {
            Error::auth(format!("cannot listen on {ip}:{port} for the login callback: {e}"))
        }
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("callback address: {e}")))?;
    let (tx, rx) = mpsc::channel(1);
    let port = addr.port();
    let mut hosts = vec![addr.to_string(), format!("localhost:{port}")];
    if port == 80 {
        hosts.extend([addr.ip().to_string(), "localhost".to_string()]);
        if let IpAddr::V6(v6) = addr.ip() {
            hosts.push(format!("[{v6}]"));
        }
    }
    let shared = Arc::new(Shared {
        path: path.to_string(),
        state: state.to_string(),
        iss,
        hosts,
        warned: AtomicBool::new(false),
        tx: Mutex::new(Some(tx)),
    });
    let app = axum::Router::new().fallback(handle).with_state(shared);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    crate::hardening::raise_fd_limit();
    tokio::spawn(serve(listener, app, stop_rx));
    Ok(Server {
        addr,
        rx,
        stop: Some(stop_tx),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::paste::interpret_pasted;

    #[test]
    fn interprets_redirects() {
        let st = "s7a7e";
        assert!(
            matches!(interpret("code=abc&state=s7a7e", st), Some(Outcome::Code(c)) if c.expose() == "abc")
        );
        assert!(
            matches!(interpret("error=access_denied&state=s7a7e", st), Some(Outcome::Denied { error, .. }) if error == "access_denied")
        );
        assert!(matches!(
            interpret("code=abc&state=other", st),
            Some(Outcome::StateMismatch)
        ));
        assert!(matches!(
            interpret("code=abc", st),
            Some(Outcome::StateMismatch)
        ));
        assert!(interpret("", st).is_none());
        assert!(interpret("foo=bar&state=s7a7e", st).is_none());
        assert!(matches!(
            interpret_pasted("  http://127.0.0.1:8888/callback?code=xyz&state=s7a7e#_=_ \n", st, &IssCheck::default()),
            Some(Outcome::Code(c)) if c.expose() == "xyz"
        ));
        let iss = IssCheck {
            issuer: Some("https://as.example".into()),
            required: true,
        };
        assert!(matches!(
            interpret_with("code=a&state=s7a7e&iss=https%3A%2F%2Fas.example", st, &iss),
            Some(Outcome::Code(_))
        ));
        assert!(matches!(
            interpret_with(
                "code=a&state=s7a7e&iss=https%3A%2F%2Fevil.example",
                st,
                &iss
            ),
            Some(Outcome::StateMismatch)
        ));
        assert!(matches!(
            interpret_with("code=a&state=s7a7e", st, &iss),
            Some(Outcome::StateMismatch)
        ));
        let optional = IssCheck {
            issuer: Some("https://as.example".into()),
            required: false,
        };
        assert!(matches!(
            interpret_with("code=a&state=s7a7e", st, &optional),
            Some(Outcome::Code(_))
        ));
        assert!(matches!(
            interpret_with("code=a&state=s7a7e&iss=x", st, &optional),
            Some(Outcome::StateMismatch)
        ));
        assert!(matches!(
            interpret_pasted("code=xyz&state=s7a7e", st, &IssCheck::default()),
            Some(Outcome::Code(_))
        ));
        assert!(matches!(
            interpret_pasted(
                "'http://127.0.0.1:8888/callback?code=xyz&state=s7a7e'",
                st,
                &IssCheck::default()
            ),
            Some(Outcome::Code(_))
        ));
        assert!(matches!(
            interpret_pasted(
                "<http://127.0.0.1/callback?code=xyz&state=s7a7e>\r\n",
                st,
                &IssCheck::default()
            ),
            Some(Outcome::Code(_))
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn callback_queries_never_panic_and_never_accept_a_wrong_state(q in "\\PC{0,200}", st in "[A-Za-z0-9_-]{22}") {
            match interpret(&q, &st) {
                Some(Outcome::Code(_)) | Some(Outcome::Denied { .. }) => {
                    let ok = url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "state" && v == st.as_str());
                    proptest::prop_assert!(ok, "accepted without the right state: {}", q);
                }
                _ => {}
            }
            let _ = interpret_pasted(&q, &st, &IssCheck::default());
        }
    }
}
