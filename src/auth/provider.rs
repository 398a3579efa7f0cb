//! Providers as data: one row per provider of its endpoints and quirks, read by the login, the
//! refresh and logout. A new provider is a new row, not branches spread through `auth/`.
//! Every endpoint of a row can be overridden at login (`--auth-url`, `--token-url`,
//! `--api-base`, `--device-url`) while its quirks stay.

use crate::store::{ClientAuth, Provider};

/// How `logout` ends a login at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Nothing to call (Spotify has no revocation endpoint).
    None,
    /// RFC 7009 at this URL.
    Rfc7009(&'static str),
    /// Kakao's logout (facts §6.6: `POST /v1/user/logout` with the access token; never unlink,
    /// which would disconnect the app from the user's Kakao account).
    KakaoLogout(&'static str),
}

/// Who logged in: `GET api_base + path`, the id and display name at these JSON pointers.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub path: &'static str,
    pub id: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub provider: Provider,
    /// `{tenant}` is replaced by `--tenant` (Microsoft).
    pub auth_url: Option<&'static str>,
    pub token_url: Option<&'static str>,
    pub api_base: Option<&'static str>,
    pub device_url: Option<&'static str>,
    pub revocation: Revocation,
    /// How a known secret is sent.
    pub client_auth: ClientAuth,
    pub scope_separator: &'static str,
    /// Always sent with the authorize request (Google: no refresh token without them).
    pub auth_params: &'static [(&'static str, &'static str)],
    /// Always asked for, and never reported as missing (Microsoft's `offline_access`).
    pub added_scopes: &'static [&'static str],
    /// PKCE together with the client secret is documented as accepted.
    pub pkce_with_secret: bool,
    pub who: Option<Who>,
    /// `localhost` in a redirect URI is refused by the provider (Spotify, since 2025).
    pub refuses_localhost: bool,
    /// A default for `--tenant`.
    pub tenant: Option<&'static str>,
}

const NONE: Preset = Preset {
    provider: Provider::Custom,
    auth_url: None,
    token_url: None,
    api_base: None,
    device_url: None,
    revocation: Revocation::None,
    client_auth: ClientAuth::Basic,
    scope_separator: " ",
    auth_params: &[],
    added_scopes: &[],
    pkce_with_secret: false,
    who: None,
    refuses_localhost: false,
    tenant: None,
};

pub const PRESETS: &[Preset] = &[
    Preset {
        provider: Provider::Spotify,
        auth_url: Some("https://accounts.spotify.com/authorize"),
        token_url: Some("https://accounts.spotify.com/api/token"),
        api_base: Some("https://api.spotify.com/v1"),
        // The dialog always asks, so a second person can log in on the same browser.
        auth_params: &[("show_dialog", "true")],
        who: Some(Who {
            path: "/me",
            id: "/id",
            name: "/display_name",
        }),
        refuses_localhost: true,
        ..NONE
    },
    Preset {
        provider: Provider::Kakao,
        auth_url: Some("https://kauth.kakao.com/oauth/authorize"),
        token_url: Some("https://kauth.kakao.com/oauth/token"),
        api_base: Some("https://kapi.kakao.com"),
        revocation: Revocation::KakaoLogout("/v1/user/logout"),
        client_auth: ClientAuth::Body,
        scope_separator: ",",
        who: Some(Who {
            path: "/v2/user/me",
            id: "/id",
            name: "/properties/nickname",
        }),
        ..NONE
    },
    Preset {
        provider: Provider::Google,
        auth_url: Some("https://accounts.google.com/o/oauth2/v2/auth"),
        token_url: Some("https://oauth2.googleapis.com/token"),
        api_base: Some("https://www.googleapis.com"),
        device_url: Some("https://oauth2.googleapis.com/device/code"),
        revocation: Revocation::Rfc7009("https://oauth2.googleapis.com/revoke"),
        client_auth: ClientAuth::Body,
        auth_params: &[("access_type", "offline"), ("prompt", "consent")],
        pkce_with_secret: true,
        ..NONE
    },
    Preset {
        provider: Provider::Microsoft,
        auth_url: Some("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
        token_url: Some("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
        api_base: Some("https://graph.microsoft.com/v1.0"),
        device_url: Some("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"),
        client_auth: ClientAuth::Body,
        added_scopes: &["offline_access"],
        pkce_with_secret: true,
        tenant: Some("common"),
        ..NONE
    },
    Preset {
        provider: Provider::Github,
        auth_url: Some("https://github.com/login/oauth/authorize"),
        token_url: Some("https://github.com/login/oauth/access_token"),
        api_base: Some("https://api.github.com"),
        device_url: Some("https://github.com/login/device/code"),
        client_auth: ClientAuth::Body,
        pkce_with_secret: true,
        who: Some(Who {
            path: "/user",
            id: "/login",
            name: "/name",
        }),
        ..NONE
    },
    NONE,
];

pub fn preset(p: Provider) -> &'static Preset {
    PRESETS
        .iter()
        .find(|r| r.provider == p)
        .unwrap_or(&PRESETS[PRESETS.len() - 1])
}

impl Preset {
    /// An endpoint of the row with `{tenant}` filled in.
    pub fn url(&self, u: Option<&'static str>, tenant: Option<&str>) -> Option<String> {
        let t = tenant.or(self.tenant).unwrap_or("common");
        u.map(|u| u.replace("{tenant}", t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_has_one_row() {
        for p in [
            Provider::Spotify,
            Provider::Kakao,
            Provider::Google,
            Provider::Microsoft,
            Provider::Github,
            Provider::Custom,
        ] {
            assert_eq!(PRESETS.iter().filter(|r| r.provider == p).count(), 1);
            assert_eq!(preset(p).provider, p);
        }
        // The app account and the environment's defaults name the same Spotify hosts.
        let sp = preset(Provider::Spotify);
        assert_eq!(sp.api_base, Some(crate::context::DEFAULT_API_BASE));
        assert_eq!(
            sp.token_url.unwrap(),
            format!("{}/api/token", crate::context::DEFAULT_ACCOUNTS_BASE)
        );
        let ms = preset(Provider::Microsoft);
        assert_eq!(
            ms.url(ms.token_url, Some("contoso")).unwrap(),
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
        );
        assert_eq!(
            ms.url(ms.auth_url, None).unwrap(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
        );
    }
}
