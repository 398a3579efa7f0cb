//! The account file's format (version 1): what an account holds (provider, grant, client,
//! tokens, who logged in, what was learned about the service), and reading it back without ever
//! guessing: a file that does not parse, is too large, comes from a newer spotctl or holds a
//! control character in a credential is exit 7 naming the file.

use crate::error::{Error, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The account file format version this build writes and understands.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Spotify,
    Kakao,
    Google,
    Microsoft,
    Github,
    Custom,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Spotify => "spotify",
            Provider::Kakao => "kakao",
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::Github => "github",
            Provider::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    AuthorizationCode,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// HTTP Basic `client_id:client_secret`.
    Basic,
    /// `client_id` (and `client_secret` when there is one) in the form body; also used by PKCE.
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// What spotctl learned about the service for this account, so the next run starts right.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The largest page size the service accepted (50, or 10 for Development Mode apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_limit: Option<u32>,
    /// When `page_limit` was learned (unix seconds); after a week it is probed again, so an
    /// app moved to extended quota gets its 50 back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_limit_at: Option<i64>,
    /// The largest page size of the other listings (`album_tracks`, `playlist_items`,
    /// `show_episodes`, `audiobook_chapters`), each with when it was learned; probed again
    /// after a week too.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub page_limits: std::collections::BTreeMap<String, LearnedLimit>,
    /// When the batch endpoints (`/albums?ids=`…) answered 403 (Development Mode; unix
    /// seconds): `get` asks one object at a time until a week has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_forbidden_at: Option<i64>,
}

/// A page size learned for one kind of listing, and when (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedLimit {
    pub limit: u32,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub version: u32,
    pub provider: Provider,
    pub grant: Grant,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    pub token_url: String,
    pub api_base: String,
    pub client_auth: ClientAuth,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub access_token: Secret,
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    pub updated_at: i64,
    #[serde(default)]
    pub learned: Learned,
    /// What a provider-neutral OAuth2 login brought (issue 19): all optional, so files written
    /// before it read the same.
    #[serde(flatten)]
    pub oauth: OAuthExtras,
}

/// The parts of an account that only some providers have: discovery's issuer and endpoints,
/// stored request parameters, and what spotctl remembers between runs about the login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthExtras {
    /// Where the client id and secret came from at login ("the client id (--client-id) and
    /// secret (--client-secret-file /path)"), for the `invalid_client` advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_from: Option<String>,
    /// The issuer found by discovery (RFC 8414), checked against `iss` in the callback
    /// (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// RFC 7009 revocation endpoint, used by `logout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
    /// RFC 8628 device authorization endpoint, for `login --device` again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_url: Option<String>,
    /// Extra authorize request parameters (`--auth-param k=v`), sent again by a re-login.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_params: Vec<(String, String)>,
    /// Extra token request parameters (`--token-param k=v`), sent by every refresh.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_params: Vec<(String, String)>,
    /// PKCE together with the client secret (`--pkce`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pkce: bool,
    /// When the provider refused the refresh token (`invalid_grant`): `token` and `refresh`
    /// say "login needed" without asking again, until the next login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_refused_at: Option<i64>,
    /// When the "refresh token expires soon" warning was last given (at most once a day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned_at: Option<i64>,
}

fn bearer() -> String {
    "Bearer".to_string()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses an account file's bytes. Never guesses: anything unexpected is exit 7 naming the file.
pub fn parse_account(bytes: &[u8], path: &Path) -> Result<Account> {
    let corrupt = |why: String| {
        // Offer the previous version only when there is one (the first save keeps none).
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        let bak = Path::new(&bak);
        let restore = if bak.is_file() {
            format!(", restore the previous version {} over it", bak.display())
        } else {
            String::new()
        };
        Error::store(format!(
            "account file {} is corrupt ({why}); it was left untouched: fix it{restore}, or delete it and log in again",
            path.display()
        ))
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) if v > u64::from(VERSION) => {
            return Err(Error::store(format!(
                "account file {} was written by a newer spotctl (format version {v}, this one understands {VERSION}); upgrade spotctl — the file was left untouched",
                path.display()
            )));
        }
        _ => return Err(corrupt("no valid \"version\" field".into())),
    }
    let account: Account = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
    if let Some(field) = field_with_control_characters(&account) {
        return Err(corrupt(format!("\"{field}\" holds control characters")));
    }
    Ok(account)
}

/// A credential with a control character (CR/LF…) would be printed into a header by `token
/// --header` and sent in one: a hand-edited or planted file, never a provider's answer (those
/// are checked on receipt).
fn field_with_control_characters(a: &Account) -> Option<&'static str> {
    let bad = |s: &str| s.chars().any(char::is_control);
    [
        ("access_token", Some(a.access_token.expose())),
        ("token_type", Some(a.token_type.as_str())),
        (
            "refresh_token",
            a.refresh_token.as_ref().map(Secret::expose),
        ),
        (
            "client_secret",
            a.client_secret.as_ref().map(Secret::expose),
        ),
    ]
    .into_iter()
    .find_map(|(field, v)| v.is_some_and(bad).then_some(field))
}

pub(super) mod io_limits {
    //! Account files are small; refuse to read a huge one into memory.
    use crate::error::{Error, Result};
    use std::io::Read;
    use std::path::Path;

    pub const MAX: u64 = 1 << 20;

    pub fn read_to_end_limited(file: std::fs::File, path: &Path) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        file.take(MAX + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        if buf.len() as u64 > MAX {
            return Err(Error::store(format!(
                "account file {} is larger than 1 MiB; it was left untouched",
                path.display()
            )));
        }
        Ok(buf)
    }
}
