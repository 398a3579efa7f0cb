//! The authenticated Web API client: adds the bearer token, turns a 401 into one token renewal
//! and one replay (shared by every concurrent request: eight workers hitting an expired token
//! cause one renewal, not eight), and turns error statuses into messages. Retries, pacing and
//! rate limits are below, in `http.rs`.

use crate::api::hints;
use crate::api::http::{Body, Http, Replay, Request};
use crate::api::page::Body as PageBody;
use crate::auth::session::Session;
use crate::error::{Error, Result};
use crate::store::Grant;
use serde_json::Value;
use std::sync::Arc;

pub struct Api {
    pub http: Arc<Http>,
    pub session: Session,
}

impl Api {
    pub fn base(&self) -> &url::Url {
        self.session.api_base()
    }

    /// `base` + `path` (which may carry a query), e.g. `/artists/ID/albums?limit=50`.
    pub fn url(&self, path_and_query: &str) -> Result<url::Url> {
        let base = self.base().as_str().trim_end_matches('/');
        let p = path_and_query.trim_start_matches('/');
        url::Url::parse(&format!("{base}/{p}")).map_err(|e| {
            Error::usage(format!(
                "invalid API path {}: {e}",
                crate::api::ids::shown(path_and_query)
            ))
        })
    }

    /// `url`'s path relative to the API base (`/v1/me/tracks` → `/me/tracks`).
    pub fn relative(&self, url: &url::Url) -> String {
        let base = self.base().path().trim_end_matches('/');
        match url.path().strip_prefix(base) {
            Some(r) if r.starts_with('/') => r.to_string(),
            _ => url.path().to_string(),
        }
    }

    /// Refuses to send the token anywhere but the API's own origin (a `next` link pointing
    /// elsewhere would otherwise receive it).
    pub fn check_origin(&self, url: &url::Url) -> Result<()> {
        if url.origin() == self.base().origin() {
            Ok(())
        } else {
            Err(Error::malformed(format!(
                "the service sent a link to another host ({}); not following it with your token",
                url.origin().ascii_serialization()
            )))
        }
    }

    /// GETs a page (or any JSON) and keeps the body as sent: items are cut out of it, never
    /// re-serialised (see `page.rs`). No page of it may hold more items than the URL's `limit`.
    pub async fn get_body(&self, url: url::Url) -> Result<PageBody> {
        let label = format!("GET {}", url.path());
        let asked = crate::api::page::query_u64(&url, "limit");
        let (status, bytes) = self
            .call_raw(reqwest::Method::GET, url, Body::Empty)
            .await?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Error::malformed(format!(
                "{label}: {status} with an empty body, not a page of items"
            )));
        }
        match PageBody::new(bytes, asked, &label) {
            Ok(b) => Ok(b),
            Err(bytes) => Err(self.not_json(&label, status, &bytes).await),
        }
    }

    /// A 2xx whose body is not JSON, quoted (without the token) in the message.
    async fn not_json(&self, label: &str, status: u16, body: &[u8]) -> Error {
        let token = self.session.token().await;
        Error::malformed(format!(
            "{label}: {status} but the body is not valid JSON: {}",
            crate::auth::token::excerpt(&redact(body, &token))
        ))
    }

    /// One authenticated call; returns a 2xx status and its body as sent (`api` prints a
    /// non-JSON success as it is).
    pub async fn call_raw(
        &self,
        method: reqwest::Method,
        url: url::Url,
        body: Body,
    ) -> Result<(u16, Vec<u8>)> {
        self.check_origin(&url)?;
        let replay = if matches!(
            method,
            reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::OPTIONS
        ) {
            Replay::Safe
        } else {
            Replay::OnlyIfNotSent
        };
        let mut token = self.session.token().await;
        let mut renewed = false;
        loop {
            let req = Request {
                method: method.clone(),
                url: url.clone(),
                bearer: Some(token.clone()),
                basic: None,
                body: body.clone(),
                replay,
            };
            let resp = self.http.send(&req).await?;
            let label = req.label();
            match resp.status {
                401 if !renewed => {
                    tracing::info!("{label}: 401, renewing the access token once");
                    token = self.session.renew(&token).await?;
                    renewed = true;
                }
                401 => {
                    let name = self.session.name();
                    let way_out = if self.session.account().await.grant == Grant::ClientCredentials
                    {
                        hints::app_only(name)
                    } else {
                        format!("run `spotctl login -a {name}`")
                    };
                    return Err(Error::auth(format!(
                        "{label}: 401 {} even with a new access token; {way_out}",
                        service_message(&redact(&resp.body, &token), 401),
                    )));
                }
                200..=299 => return Ok((resp.status, resp.body)),
                300..=399 => {
                    return Err(Error::server_failed(format!(
                        "{label}: unexpected redirect ({}); not followed",
                        resp.status
                    )));
                }
                status => {
                    // A proxy or debug page may echo the request's Authorization header.
                    let mut message = service_message(&redact(&resp.body, &token), status);
                    if status == 403 {
                        let acc = self.session.account().await;
                        let rel = self.relative(&req.url);
                        if let Some(h) =
                            hints::forbidden(self.session.name(), &acc, req.method.as_str(), &rel)
                        {
                            message = format!("{message}; {h}");
                        }
                    }
                    return Err(Error::Api {
                        method: req.method.to_string(),
                        path: req.url.path().to_string(),
                        status,
                        message,
                    });
                }
            }
        }
    }
}

/// A response body with the bearer token (and any `Bearer …`/`Basic …` value) removed,
/// before any of it is cut into a message: a proxy or debug page may echo the header.
fn redact(body: &[u8], token: &crate::secret::Secret) -> Vec<u8> {
    crate::sanitize::redact(&String::from_utf8_lossy(body), &[token.expose()]).into_bytes()
}

/// The service's own words for an error: Spotify `{"error":{"message"}}`, OAuth
/// `{"error","error_description"}`, Kakao `{"msg","code"}`, else the reason phrase (an HTML
/// page from a proxy is summarised, not dumped).
pub fn service_message(body: &[u8], status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error")
        .to_string();
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        if body.is_empty() {
            return reason;
        }
        return format!("{reason} ({})", crate::auth::token::excerpt(body));
    };
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let msg = text("/error/message")
        .or_else(|| {
            text("/error").map(|e| match text("/error_description") {
                Some(d) => format!("{e}: {d}"),
                None => e,
            })
        })
        .or_else(|| {
            text("/msg").map(|m| match v.get("code") {
                Some(c) => format!("{m} (code {c})"),
                None => m,
            })
        })
        .or_else(|| text("/message"));
    match msg {
        Some(m) => crate::api::ids::shown(&m).replace("\\\"", "\""),
        None => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::service_message;

    #[test]
    fn messages() {
        assert_eq!(
            service_message(
                br#"{"error":{"status":404,"message":"Resource not found"}}"#,
                404
            ),
            "Resource not found"
        );
        assert_eq!(
            service_message(br#"{"msg":"template_object is required","code":-2}"#, 400),
            "template_object is required (code -2)"
        );
        assert_eq!(service_message(b"", 403), "Forbidden");
        assert!(
            service_message(b"<html><body>Bad gateway</body></html>", 403)
                .starts_with("Forbidden (")
        );
    }
}
