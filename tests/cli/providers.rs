//! Providers as data (issue 19) against the fake: what is specific to Spotify and Kakao, and
//! the OAuth details every provider shares (client authentication, Accept, redirect URIs).

use crate::common::*;
use crate::login::login_ok;

#[test]
fn spotify_hex_secrets_go_into_basic_auth_byte_for_byte() {
    let t = T::new();
    login_ok(&t, "alice", &["--scope", "user-library-read"], &[]);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let tok = t.hits("/api/token");
    assert_eq!(tok.len(), 2);
    for r in &tok {
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, Some(want.as_str()));
        let accept = r
            .headers
            .iter()
            .find(|(k, _)| k == "accept")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            accept,
            Some("application/json"),
            "token requests ask for JSON"
        );
    }
}
