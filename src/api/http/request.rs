//! What goes through the choke point: a [`Request`] (method, URL, credentials, body, whether it
//! may be sent again), its [`Response`], the body caps, and what of them may be logged (the
//! label and `-vv` line: never headers or bodies, credential-looking query values masked).

use crate::secret::Secret;
use reqwest::header::HeaderMap;

/// Largest Web API response body read: a page of 50 full albums is ~150 KB and the largest
/// real objects (a playlist with 100 tracks) under 1 MB; 8 MiB is far above any of them yet
/// keeps a hostile server from costing more than concurrency × 8 MiB.
pub const API_BODY_CAP: usize = 8 << 20;
/// Largest token endpoint response read: real ones are under 2 KB (Kakao's with an id_token).
pub const TOKEN_BODY_CAP: usize = 64 << 10;
/// Longest URL sent. Common servers and proxies refuse request lines above 8–16 KB; the HTTP
/// stack cannot send more than 64 KB at all.
pub const MAX_URL: usize = 16 << 10;

#[derive(Clone)]
pub enum Body {
    Empty,
    /// Form fields; values may be secrets (refresh tokens, codes, client secrets).
    Form(Vec<(String, String)>),
    Json(Vec<u8>),
}

/// Field names and sizes only: a form carries refresh tokens, codes and secrets.
impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Form(fields) => {
                let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "Form({keys:?})")
            }
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
        }
    }
}

/// Whether a request may be sent again after it might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// GET and friends: retry on any network error.
    Safe,
    /// POST/PUT/PATCH/DELETE: retry only when the request provably never left (connect errors)
    /// or the server said it failed (5xx, 429).
    OnlyIfNotSent,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub bearer: Option<Secret>,
    pub basic: Option<(String, Secret)>,
    pub body: Body,
    pub replay: Replay,
}

impl Request {
    pub fn get(url: url::Url) -> Request {
        Request {
            method: reqwest::Method::GET,
            url,
            bearer: None,
            basic: None,
            body: Body::Empty,
            replay: Replay::Safe,
        }
    }

    /// "GET /v1/artists/…/albums": what error messages and logs show. No query string (it may
    /// carry user input that is noise in a one-line error), never credentials.
    pub fn label(&self) -> String {
        format!(
            "{} {}",
            self.method,
            crate::sanitize::cut_middle(self.url.path(), 200)
        )
    }

    /// Requests with a bearer token are Web API calls; the token endpoint never gets one.
    pub(super) fn body_cap(&self) -> usize {
        if self.bearer.is_some() {
            API_BODY_CAP
        } else {
            TOKEN_BODY_CAP
        }
    }

    /// The host a request goes to, for network errors ("could not connect … (api.spotify.com)").
    pub fn host(&self) -> String {
        match (self.url.host_str(), self.url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => self.url.as_str().to_string(),
        }
    }

    /// The `-vv` line: the label with the query (offsets, page sizes, search terms). Spotify's
    /// queries carry no credentials, but other APIs' `next` links may (`access_token=`,
    /// `X-Amz-Security-Token=`, `apiKey=`): values of parameters whose name looks like a
    /// credential are masked, by pattern rather than a fixed list.
    pub fn log_line(&self) -> String {
        if self.url.query().is_none() {
            return self.label();
        }
        let pairs: Vec<String> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                if looks_like_credential(&k) {
                    format!("{k}=(redacted)")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        format!("{} {}?{}", self.method, self.url.path(), pairs.join("&"))
    }
}

/// A query parameter name that may carry a credential: it contains token, secret, code, key,
/// signature, password/passwd, credential or auth, or is `sig`/`pw` (any case, any separator).
fn looks_like_credential(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const PARTS: &[&str] = &[
        "token",
        "secret",
        "code",
        "key",
        "signature",
        "password",
        "passwd",
        "credential",
        "auth",
        "session",
    ];
    PARTS.iter().any(|p| n.contains(p)) || matches!(n.as_str(), "sig" | "pw" | "pwd")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_mask_credentials_in_queries() {
        let r = Request::get(
            url::Url::parse(
                "https://graph.example/v1/x?after=abc&access_token=SECRET1&limit=10&Key=SECRET2",
            )
            .unwrap(),
        );
        let l = r.log_line();
        assert_eq!(
            l,
            "GET /v1/x?after=abc&access_token=(redacted)&limit=10&Key=(redacted)"
        );
    }

    #[test]
    fn credential_looking_names_are_found_by_pattern() {
        for n in [
            "oauth_token",
            "id_token",
            "X-Amz-Security-Token",
            "accessToken",
            "client_secret",
            "apiKey",
            "Signature",
            "sig",
            "passWord",
            "code",
            "code_verifier",
            "X-Goog-Credential",
        ] {
            assert!(looks_like_credential(n), "{n}");
        }
        for n in [
            "offset",
            "limit",
            "q",
            "query",
            "type",
            "market",
            "locale",
            "include_groups",
            "after",
        ] {
            assert!(!looks_like_credential(n), "{n}");
        }
    }

    #[test]
    fn request_debug_shows_no_secret() {
        let mut r = Request::get(url::Url::parse("https://accounts.example/api/token").unwrap());
        r.bearer = Some(Secret::new("BEARER-SECRET-1"));
        r.basic = Some(("id".into(), Secret::new("CLIENT-SECRET-2")));
        r.body = Body::Form(vec![("refresh_token".into(), "REFRESH-SECRET-3".into())]);
        let d = format!("{r:?}");
        for s in ["BEARER-SECRET-1", "CLIENT-SECRET-2", "REFRESH-SECRET-3"] {
            assert!(!d.contains(s), "{d}");
        }
        assert!(d.contains("refresh_token"));
    }
}
