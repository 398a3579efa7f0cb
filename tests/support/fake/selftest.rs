//! The fake's own tests: it must be right before spotctl's tests can trust it. They speak HTTP
//! to a running fake, as spotctl does, and run with `cargo test --example fake_spotify`.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::fake::{
    ARTIST_57, ARTIST_1000, ARTIST_EMPTY, AuthorizeBehavior, CLIENT_ID, CLIENT_SECRET, FakeSpotify,
    Fault, FaultKind, KAKAO_CLIENT_ID, Mode, RefreshBehavior, http_get, http_request,
};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn get(url: &str, token: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = http_request("GET", url, &[("authorization", &auth)], None);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn basic() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    )
}

/// POST to the Spotify token endpoint with a form body (and Basic auth when `basic_auth`).
fn token_post(fake: &FakeSpotify, form: &str, basic_auth: bool) -> (u16, Value) {
    let url = format!("{}/api/token", fake.accounts_base());
    let auth = basic();
    let mut headers = vec![FORM];
    if basic_auth {
        headers.push(("authorization", &auth));
    }
    let (status, _, body) = http_request("POST", &url, &headers, Some(form));
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn query_value(url: &str, key: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn authorize_url(fake: &FakeSpotify, redirect: &str, extra: &str) -> String {
    format!(
        "{}/authorize?client_id={CLIENT_ID}&response_type=code&redirect_uri={}&state=xyz{extra}",
        fake.accounts_base(),
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    )
}

#[test]
fn artist_albums_follow_next_links_to_the_last_page() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let first = format!("{}/artists/{ARTIST_57}/albums", fake.api_base());
    let (status, page) = get(&first, &token);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["limit"], 5, "Dev2026 default page size");
    assert_eq!(page["total"], 57);
    assert_eq!(
        page["next"],
        format!(
            "{}/artists/{ARTIST_57}/albums?offset=5&limit=5",
            fake.api_base()
        )
    );
    assert_eq!(page["previous"], Value::Null);

    let mut ids = Vec::new();
    let mut years = Vec::new();
    let mut url = first;
    let mut pages = 0;
    loop {
        let (status, page) = get(&url, &token);
        assert_eq!(status, 200);
        pages += 1;
        for album in page["items"].as_array().unwrap() {
            ids.push(album["id"].as_str().unwrap().to_string());
            years.push(album["release_date"].as_str().unwrap()[..4].to_string());
            assert!(album.get("album_group").is_none(), "removed in Dev2026");
        }
        match page["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 12);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 57);
    assert!(ids.iter().all(|id| id.len() == 22));
    assert!(years.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Filters are carried over to `next`, and change `total`.
    let url = format!(
        "{}/artists/{ARTIST_57}/albums?include_groups=album,single&market=US&limit=10",
        fake.api_base()
    );
    let (_, page) = get(&url, &token);
    let total = page["total"].as_u64().unwrap();
    assert!(total > 10 && total < 57, "{total}");
    assert_eq!(
        page["next"],
        format!(
            "{}/artists/{ARTIST_57}/albums?offset=10&limit=10&include_groups=album,single&market=US",
            fake.api_base()
        )
    );

    let (_, page) = get(
        &format!("{}/artists/{ARTIST_EMPTY}/albums", fake.api_base()),
        &token,
    );
    assert_eq!(
        (page["total"].as_u64(), page["next"].is_null()),
        (Some(0), true)
    );
}

#[test]
fn limits_fields_and_endpoints_depend_on_the_mode() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let albums = format!("{}/artists/{ARTIST_1000}/albums", fake.api_base());
    for bad in ["11", "0", "abc", "-1"] {
        let (status, body) = get(&format!("{albums}?limit={bad}"), &token);
        assert_eq!(status, 400, "limit={bad}");
        assert_eq!(
            body,
            serde_json::json!({"error": {"status": 400, "message": "Invalid limit"}})
        );
    }
    assert_eq!(get(&format!("{albums}?limit=10"), &token).0, 200);
    let (status, body) = get(&format!("{albums}?market=us"), &token);
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("Invalid market code"))
    );
    let bad_id = format!("{}/artists/not-an-id/albums", fake.api_base());
    assert_eq!(
        get(&bad_id, &token).1["error"]["message"],
        "Invalid base62 id"
    );
    let unknown = format!("{}/artists/{}/albums", fake.api_base(), "Z".repeat(22));
    assert_eq!(get(&unknown, &token).0, 404);
    let several = format!("{}/albums?ids=x", fake.api_base());
    assert_eq!(
        get(&several, &token),
        (
            403,
            serde_json::json!({"error": {"status": 403, "message": "Forbidden"}})
        )
    );

    fake.set_mode(Mode::DevLegacy);
    let (status, page) = get(&format!("{albums}?limit=50"), &token);
    assert_eq!((status, page["items"].as_array().unwrap().len()), (200, 50));
    assert!(
        page["items"][0]["album_group"].is_string(),
        "kept in DevLegacy"
    );
    let markets = format!("{}/markets", fake.api_base());
    assert_eq!(get(&markets, &token).0, 403);

    fake.set_mode(Mode::Extended);
    let (_, page) = get(&albums, &token);
    assert_eq!(page["limit"], 20);
    assert_eq!(page["total"], 1000);
    assert_eq!(page["items"][0]["name"], "Big Catalog Album 0001");
    assert!(page["items"][0]["available_markets"].is_array());
    assert_eq!(get(&markets, &token).0, 200);
    let artist = format!("{}/artists/{ARTIST_57}", fake.api_base());
    assert!(get(&artist, &token).1["popularity"].is_number());
    fake.set_mode(Mode::Dev2026);
    let (_, artist) = get(&artist, &token);
    assert_eq!(artist["name"], "태연 TAEYEON");
    assert!(artist.get("popularity").is_none() && artist.get("followers").is_none());
}

#[test]
fn search_pages_by_type_with_query_links_and_an_offset_cap() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let base = fake.api_base();
    let (status, body) = get(
        &format!("{base}/search?q=taeyeon&type=artist,album&limit=3"),
        &token,
    );
    assert_eq!(status, 200, "{body}");
    let artists = &body["artists"];
    assert_eq!(artists["total"], 26);
    assert_eq!(
        artists["next"],
        format!("{base}/search?query=taeyeon&type=artist&offset=3&limit=3")
    );
    assert!(body["albums"]["total"].as_u64().unwrap() > 3);
    assert!(body.get("tracks").is_none(), "only requested types appear");

    // `query=` is accepted too, and `next` goes null at offset + limit = 1000.
    let (_, body) = get(
        &format!("{base}/search?query=love&type=track&offset=990&limit=10"),
        &token,
    );
    assert_eq!(body["tracks"]["total"], 1200);
    assert_eq!(body["tracks"]["next"], Value::Null);
    let (status, body) = get(
        &format!("{base}/search?q=love&type=track&offset=991&limit=10"),
        &token,
    );
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("Invalid offset"))
    );
    let (_, body) = get(
        &format!("{base}/search?q=big%20catalog&type=album&market=KR"),
        &token,
    );
    assert_eq!(
        body["albums"]["next"],
        format!("{base}/search?query=big%20catalog&type=album&offset=5&limit=5&market=KR")
    );

    let (status, body) = get(&format!("{base}/search?q=x&type=song"), &token);
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("Bad search type field"))
    );
    let (status, body) = get(&format!("{base}/search?type=artist"), &token);
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("No search query"))
    );
    let (_, body) = get(&format!("{base}/search?q=x&type=playlist,show"), &token);
    assert_eq!(
        (
            body["playlists"]["total"].as_u64(),
            body["shows"]["total"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

#[test]
fn api_needs_a_valid_bearer_token() {
    let fake = FakeSpotify::start();
    let url = format!("{}/artists/{ARTIST_57}", fake.api_base());
    let (status, _, body) = http_get(&url);
    assert_eq!(status, 401);
    assert!(body.contains("No token provided"), "{body}");
    let (status, headers, _) = http_request("GET", &url, &[("authorization", "Bearer nope")], None);
    assert_eq!(status, 401);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "www-authenticate" && v.contains("invalid_token"))
    );

    let token = fake.issue_app_token();
    assert_eq!(get(&url, &token).0, 200);
    fake.inject(Fault::new("/artists/", FaultKind::ExpireTokens));
    assert_eq!(get(&url, &token).0, 401, "ExpireTokens fault");
    let token = fake.issue_app_token();
    assert_eq!(get(&url, &token).0, 200);
    fake.expire_access_tokens();
    assert_eq!(get(&url, &token).0, 401);
    fake.set_token_ttl_secs(0);
    assert_eq!(get(&url, &fake.issue_app_token()).0, 401, "dead on arrival");
}

#[test]
fn user_endpoints_need_a_user_token_and_scopes() {
    let fake = FakeSpotify::start();
    let base = fake.api_base();
    let app = fake.issue_app_token();
    assert_eq!(get(&format!("{base}/me"), &app).0, 403);

    let alice = fake.issue_user_tokens("alice", "user-library-read playlist-modify-private", false);
    let (status, me) = get(&format!("{base}/me"), &alice.access_token);
    assert_eq!((status, me["display_name"].as_str()), (200, Some("Alice")));
    assert!(me["account_id"].is_string() && me.get("email").is_none());

    let (status, page) = get(&format!("{base}/me/tracks"), &alice.access_token);
    assert_eq!((status, page["total"].as_u64()), (200, Some(23)));
    assert!(
        page["items"][0]["added_at"].is_string() && page["items"][0]["track"]["id"].is_string()
    );

    let auth = format!("Bearer {}", alice.access_token);
    let (status, _, body) = http_request(
        "POST",
        &format!("{base}/me/playlists"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(r#"{"name":"새 플레이리스트 🎧","public":false}"#),
    );
    assert_eq!(status, 201, "{body}");
    let playlist: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (playlist["name"].as_str(), playlist["public"].as_bool()),
        (Some("새 플레이리스트 🎧"), Some(false))
    );
    let (status, _, _) = http_request(
        "PUT",
        &format!("{base}/me/library?uris=spotify:track:{}", "A".repeat(22)),
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(status, 403, "needs user-library-modify");

    let bob = fake.issue_user_tokens("bob", "", false);
    assert_eq!(
        get(&format!("{base}/me/tracks"), &bob.access_token).1["error"]["message"],
        "Insufficient client scope"
    );
}

#[test]
fn a_fault_with_a_query_hits_only_that_page_whatever_arrives_first() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let page = |offset: u32| {
        format!(
            "{}/artists/{ARTIST_57}/albums?offset={offset}&limit=10",
            fake.api_base()
        )
    };
    fake.inject(
        Fault::new("/albums", FaultKind::Status(503))
            .query("offset", "20")
            .times(usize::MAX),
    );
    // Later pages first, then the named one twice, then an earlier one.
    let statuses: Vec<u16> = [40, 30, 20, 20, 10]
        .into_iter()
        .map(|o| get(&page(o), &token).0)
        .collect();
    assert_eq!(statuses, [200, 200, 503, 503, 200]);
}

#[test]
fn rate_limit_fault_sends_retry_after_then_lets_requests_through() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let url = format!("{}/artists/{ARTIST_57}/albums", fake.api_base());
    let auth = format!("Bearer {token}");
    fake.inject(
        Fault::new(
            "/albums",
            FaultKind::TooMany {
                retry_after: Some("2".into()),
                quota: false,
            },
        )
        .skip(1)
        .times(2),
    );
    fake.inject(Fault::new(
        "/albums",
        FaultKind::TooMany {
            retry_after: None,
            quota: true,
        },
    ));
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (status, headers, body) = http_request("GET", &url, &[("authorization", &auth)], None);
        let retry_after = headers
            .iter()
            .find(|(k, _)| k == "retry-after")
            .map(|(_, v)| v.clone());
        seen.push((status, retry_after, body.contains("QUOTA_EXCEEDED")));
    }
    assert_eq!(
        seen,
        vec![
            (200, None, false),
            (429, Some("2".into()), false),
            (429, Some("2".into()), false),
            (429, None, true),
            (200, None, false),
        ]
    );
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 429, 429, 429, 200]);
}

/// Whether an I/O `ConnectionReset` is somewhere in the error's chain.
fn is_reset(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionReset
        {
            return true;
        }
        source = e.source();
    }
    false
}

#[test]
fn reset_faults_break_the_tcp_connection() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let url = format!("{}/artists/{ARTIST_57}/albums", fake.api_base());
    fake.inject(Fault::new("/albums", FaultKind::ResetBeforeStatus));
    fake.inject(Fault::new("/albums", FaultKind::ResetMidBody));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        crate::support::fake::install_crypto_provider();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let err = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_err();
        assert!(is_reset(&err), "a reset, not a response: {err:?}");

        let resp = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("headers arrive");
        assert_eq!(resp.status(), 200);
        let announced = resp.content_length().expect("Content-Length");
        assert!(announced > 100);
        let err = resp.bytes().await.expect_err("the body never completes");
        assert!(is_reset(&err), "{err:?}");

        let resp = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.bytes().await.unwrap();
        assert!(serde_json::from_slice::<Value>(&body).is_ok());
    });
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [0, 200, 200]);
    assert_eq!(fake.connections(), 3, "each reset costs a connection");
}

#[test]
fn other_faults_mangle_or_replace_responses() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let url = format!("{}/artists/{ARTIST_1000}/albums?limit=10", fake.api_base());
    let auth = format!("Bearer {token}");
    let call = || http_request("GET", &url, &[("authorization", &auth)], None);

    fake.inject(Fault::new("/albums", FaultKind::TruncatedJson));
    let (status, _, body) = call();
    assert_eq!(status, 200);
    assert!(body.len() > 100 && serde_json::from_str::<Value>(&body).is_err());

    fake.inject(Fault::new("/albums", FaultKind::Html(502)));
    let (status, headers, body) = call();
    assert_eq!(status, 502);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/html"))
    );
    assert!(body.contains("502 Bad Gateway"));

    fake.inject(Fault::new(
        "/albums",
        FaultKind::Redirect("http://127.0.0.1:1/elsewhere".into()),
    ));
    let (status, headers, _) = call();
    assert_eq!(status, 302);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "location" && v == "http://127.0.0.1:1/elsewhere")
    );

    fake.inject(Fault::new("/albums", FaultKind::EmptyPageWithNext));
    fake.inject(Fault::new("/albums", FaultKind::TotalChanges(-3)));
    let (_, _, body) = call();
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    assert!(page["next"].is_string());
    assert_eq!(page["total"], 997, "modifiers combine");

    fake.inject(Fault::new("/api/token", FaultKind::Status(503)));
    let (status, body) = token_post(&fake, "grant_type=client_credentials", true);
    assert_eq!((status, body), (503, Value::Null), "text/plain, not JSON");
    let (status, _, body) = call();
    assert_eq!(status, 200, "{body}");
}

#[test]
fn page_faults_count_pages_not_refused_requests() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let url = |limit: u32| {
        format!(
            "{}/artists/{ARTIST_57}/albums?limit={limit}",
            fake.api_base()
        )
    };
    fake.inject(
        Fault::new("/albums", FaultKind::EmptyPageWithNext)
            .skip(1)
            .times(usize::MAX),
    );
    assert_eq!(get(&url(50), &token).0, 400, "Invalid limit: not a page");
    let (_, first) = get(&url(10), &token);
    assert_eq!(
        first["items"].as_array().map(Vec::len),
        Some(10),
        "skipped page"
    );
    let (_, second) = get(&url(10), &token);
    assert_eq!(second["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        second["next"],
        format!(
            "{}/artists/{ARTIST_57}/albums?offset=10&limit=10",
            fake.api_base()
        )
    );
}

#[test]
fn latency_is_added_to_every_response() {
    let fake = FakeSpotify::start();
    fake.set_latency_ms(60);
    fake.inject(Fault::new("/markets", FaultKind::Latency(100)));
    let started = Instant::now();
    http_get(&format!("{}/v1/markets", fake.accounts_base()));
    assert!(started.elapsed() >= Duration::from_millis(160));
    let r = &fake.requests()[0];
    assert!(r.done_ms - r.at_ms >= 160, "{r:?}");
}

#[test]
fn connections_are_counted_and_reused() {
    let fake = FakeSpotify::start();
    let url = format!("{}/v1/me", fake.accounts_base());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        crate::support::fake::install_crypto_provider();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        for _ in 0..3 {
            let resp = client.get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 401);
            resp.bytes().await.unwrap();
        }
    });
    assert_eq!(fake.connections(), 1, "keep-alive reuses the connection");
    http_get(&url);
    assert_eq!(fake.connections(), 2);
    let conns: Vec<u64> = fake.requests().iter().map(|r| r.conn).collect();
    assert_eq!(conns, [1, 1, 1, 2]);
    fake.clear_log();
    assert_eq!(
        (
            fake.requests().len(),
            fake.api_requests(),
            fake.connections()
        ),
        (0, 0, 2)
    );
}

#[test]
fn dropping_the_fake_does_not_wait_for_hung_requests() {
    let fake = FakeSpotify::start();
    fake.inject(Fault::new("/v1", FaultKind::Hang));
    let url = format!("{}/markets", fake.api_base());
    let client = std::thread::spawn(move || http_get(&url));
    while fake.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    drop(fake);
    assert!(started.elapsed() < Duration::from_secs(3));
    let (status, _, _) = client.join().unwrap();
    assert_eq!(status, 0, "the hung request ends with a connection error");
}

#[test]
fn client_credentials_and_token_endpoint_errors() {
    let fake = FakeSpotify::start();
    let (status, body) = token_post(&fake, "grant_type=client_credentials", true);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_u64()),
        (Some("Bearer"), Some(3600))
    );
    assert!(body["access_token"].as_str().unwrap().len() >= 40);
    assert!(body.get("refresh_token").is_none() && body.get("scope").is_none());

    let in_body = format!(
        "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    );
    assert_eq!(token_post(&fake, &in_body, false).0, 200);
    let wrong = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=nope");
    assert_eq!(
        token_post(&fake, &wrong, false),
        (
            400,
            serde_json::json!({"error": "invalid_client", "error_description": "Invalid client"})
        )
    );
    let public = format!("grant_type=client_credentials&client_id={CLIENT_ID}");
    assert_eq!(
        token_post(&fake, &public, false).1["error"],
        "invalid_client"
    );

    let url = format!("{}/api/token", fake.accounts_base());
    let auth = basic();
    let (status, _, body) = http_request(
        "POST",
        &url,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(r#"{"grant_type":"client_credentials"}"#),
    );
    assert_eq!(status, 400);
    assert!(body.contains("unsupported_grant_type"), "{body}");

    let reqs = fake.requests();
    assert_eq!(reqs[0].basic_client.as_deref(), Some(CLIENT_ID));
    assert_eq!(reqs[1].form_value("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(fake.token_requests(), 5);
}

#[test]
fn authorization_code_is_single_use_and_bound_to_its_redirect_uri() {
    let fake = FakeSpotify::start();
    let redirect = "http://127.0.0.1:8888/callback";
    let location = fake
        .authorize_location(&authorize_url(
            &fake,
            redirect,
            "&scope=user-read-private%20user-library-read",
        ))
        .unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:8888/callback?code="),
        "{location}"
    );
    assert_eq!(query_value(&location, "state").as_deref(), Some("xyz"));
    assert!(
        fake.last_authorize_params()
            .contains(&("state".into(), "xyz".into()))
    );
    let code = query_value(&location, "code").unwrap();

    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let wrong_redirect = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        enc("http://127.0.0.1:9999/callback")
    );
    assert_eq!(
        token_post(&fake, &wrong_redirect, true).1["error_description"],
        "Invalid redirect URI"
    );
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        enc(redirect)
    );
    let public = format!("{form}&client_id={CLIENT_ID}");
    assert_eq!(
        token_post(&fake, &public, false).1["error"],
        "invalid_client",
        "no secret, no PKCE"
    );
    let (status, body) = token_post(&fake, &form, true);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "user-read-private user-library-read");
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        token_post(&fake, &form, true),
        (
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "Invalid authorization code"})
        )
    );
    let (_, me) = get(
        &format!("{}/me", fake.api_base()),
        body["access_token"].as_str().unwrap(),
    );
    assert_eq!(me["id"], "alice");

    // 2026 refresh: no new refresh token, the old one keeps working.
    let refresh_form = format!("grant_type=refresh_token&refresh_token={refresh}");
    for _ in 0..2 {
        let (status, body) = token_post(&fake, &refresh_form, true);
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none());
    }
    assert_eq!(
        token_post(&fake, &refresh_form, false).1["error"],
        "invalid_client"
    );
    fake.age_refresh_tokens(200);
    assert_eq!(
        token_post(&fake, &refresh_form, true).1["error"],
        "invalid_grant",
        "6 months"
    );
    let bogus = token_post(&fake, "grant_type=refresh_token&refresh_token=nope", true);
    assert_eq!(bogus.1["error_description"], "Invalid refresh token");
    assert_eq!(
        token_post(&fake, "code=1", true).1["error"],
        "unsupported_grant_type"
    );
}

#[test]
fn pkce_requires_the_matching_verifier() {
    let fake = FakeSpotify::start();
    fake.set_refresh_behavior(RefreshBehavior::Rotating);
    let verifier = "a".repeat(43) + "-._~0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:43123/callback"; // registered without a port
    let extra = format!("&code_challenge_method=S256&code_challenge={challenge}");
    let location = fake
        .authorize_location(&authorize_url(&fake, redirect, &extra))
        .unwrap();
    let code = query_value(&location, "code").unwrap();
    let enc = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>();
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={enc}&client_id={CLIENT_ID}"
    );

    let wrong = token_post(
        &fake,
        &format!("{form}&code_verifier={}", "b".repeat(43)),
        false,
    );
    assert_eq!(wrong.1["error_description"], "code_verifier was incorrect");
    assert_eq!(
        token_post(&fake, &form, true).1["error_description"],
        "code_verifier was incorrect",
        "even with a secret"
    );
    let (status, body) = token_post(&fake, &format!("{form}&code_verifier={verifier}"), false);
    assert_eq!(status, 200, "{body}");

    // Rotating (pre-2026 PKCE): each refresh returns a new token and revokes the old one.
    let first = body["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: &str| {
        token_post(
            &fake,
            &format!("grant_type=refresh_token&refresh_token={rt}&client_id={CLIENT_ID}"),
            false,
        )
    };
    let (status, body) = refresh(&first);
    assert_eq!(status, 200, "{body}");
    let second = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(
        refresh(&first).1["error_description"],
        "Refresh token revoked"
    );
    fake.set_refresh_behavior(RefreshBehavior::Expired);
    assert_eq!(refresh(&second).1["error"], "invalid_grant");
}

#[test]
fn authorize_checks_client_redirect_uri_and_consent() {
    let fake = FakeSpotify::start();
    let page = |url: &str| fake.authorize_location(url).unwrap_err();
    let (status, body) = page(&authorize_url(&fake, "http://localhost:8888/callback", ""));
    assert_eq!(status, 400);
    assert!(
        body.contains("INVALID_CLIENT: Insecure redirect URI"),
        "{body}"
    );
    let (_, body) = page(&authorize_url(&fake, "http://127.0.0.1:8888/other", ""));
    assert!(
        body.contains("INVALID_CLIENT: Invalid redirect URI"),
        "{body}"
    );
    let bad_client =
        authorize_url(&fake, "http://127.0.0.1:8888/callback", "").replace(CLIENT_ID, "nope");
    assert!(
        page(&bad_client)
            .1
            .contains("INVALID_CLIENT: Invalid client")
    );

    fake.register_redirect_uri("https://example.com/cb");
    let loc = fake
        .authorize_location(&authorize_url(
            &fake,
            "https://example.com/cb",
            "&code_challenge=x&code_challenge_method=plain",
        ))
        .unwrap();
    assert_eq!(
        query_value(&loc, "error").as_deref(),
        Some("invalid_request")
    );

    fake.set_authorize_behavior(AuthorizeBehavior::Deny);
    let loc = fake
        .authorize_location(&authorize_url(&fake, "https://example.com/cb", ""))
        .unwrap();
    assert_eq!(loc, "https://example.com/cb?error=access_denied&state=xyz");
}

#[test]
fn kakao_login_refresh_and_message() {
    let fake = FakeSpotify::start();
    let auth = fake.kakao_auth_base();
    let redirect = "http://localhost:5000/kakao";
    let url = format!(
        "{auth}/oauth/authorize?client_id={KAKAO_CLIENT_ID}&response_type=code&redirect_uri={redirect}&scope=talk_message&state=s1"
    );
    let location = fake.authorize_location(&url).unwrap();
    let code = query_value(&location, "code").unwrap();
    assert_eq!(query_value(&location, "state").as_deref(), Some("s1"));

    let post = |form: &str| {
        let (status, _, body) =
            http_request("POST", &format!("{auth}/oauth/token"), &[FORM], Some(form));
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
        )
    };
    let exchange = format!(
        "grant_type=authorization_code&client_id={KAKAO_CLIENT_ID}&redirect_uri={redirect}&code={code}"
    );
    let (status, tokens) = post(&exchange);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (tokens["token_type"].as_str(), tokens["scope"].as_str()),
        (Some("bearer"), Some("talk_message profile_nickname"))
    );
    assert_eq!(post(&exchange).1["error_code"], "KOE320");

    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: &str| {
        post(&format!(
            "grant_type=refresh_token&client_id={KAKAO_CLIENT_ID}&refresh_token={rt}"
        ))
    };
    let (status, body) = refresh(&refresh_token);
    assert!(
        status == 200 && body.get("refresh_token").is_none(),
        "{body}"
    );
    fake.kakao_age_refresh_tokens(31);
    let (_, body) = refresh(&refresh_token);
    assert_eq!(
        body["refresh_token_expires_in"], 5_183_999,
        "renewed in its last month"
    );
    assert_eq!(
        refresh(&refresh_token).1["error_code"],
        "KOE322",
        "the old one is gone"
    );

    let api = fake.kakao_api_base();
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let (status, _, me) = http_request(
        "GET",
        &format!("{api}/v2/user/me"),
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(status, 200);
    assert!(me.contains("카카오 사용자"));
    let send = format!("{api}/v2/api/talk/memo/default/send");
    let (status, _, body) = http_request(
        "POST",
        &send,
        &[("authorization", &bearer), FORM],
        Some("template_object=%7B%22object_type%22%3A%22text%22%7D"),
    );
    assert_eq!((status, body.as_str()), (200, r#"{"result_code":0}"#));
    assert_eq!(fake.kakao_memos(), [r#"{"object_type":"text"}"#]);
    let (status, _, _) = http_request("POST", &send, &[("authorization", &bearer), FORM], Some(""));
    assert_eq!(status, 400);
    let (status, _, body) = http_request("POST", &send, &[("authorization", "Bearer nope")], None);
    assert_eq!((status, body.contains("-401")), (401, true));
    assert_eq!(fake.token_requests(), 5);
}

#[test]
fn added_artists_get_stable_valid_ids_and_many_albums() {
    let fake = FakeSpotify::start_with(Mode::Extended);
    let started = Instant::now();
    let id = fake.add_artist("Prolific", 10_000);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(id.len(), 22);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_ne!(
        fake.add_artist("Prolific", 1),
        id,
        "a second artist of that name"
    );
    let other = FakeSpotify::start();
    assert_eq!(other.add_artist("Prolific", 3), id, "deterministic");

    let token = fake.issue_app_token();
    let (_, page) = get(
        &format!(
            "{}/artists/{id}/albums?offset=9990&limit=50",
            fake.api_base()
        ),
        &token,
    );
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().map(Vec::len)
        ),
        (Some(10_000), Some(10))
    );
    assert_eq!(page["items"][9]["name"], "Prolific Album 10000");
    assert!(page["next"].is_null());
}

#[test]
fn real_shapes_and_hostile_modes_are_served_as_documented() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let albums = |q: &str| {
        get(
            &format!("{}/artists/{ARTIST_57}/albums?limit=10{q}", fake.api_base()),
            &token,
        )
        .1
    };
    let search = |q: &str| {
        get(
            &format!("{}/search?q=Big%20Catalog&limit=10{q}", fake.api_base()),
            &token,
        )
        .1
    };

    fake.inject(Fault::new("/albums", FaultKind::NullItems(3)));
    let page = albums("");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "positions kept");
    assert!(items[..3].iter().all(Value::is_null) && items[3].is_object());
    assert_eq!(page["offset"], 0);

    fake.inject(Fault::new(
        "/search",
        FaultKind::ItemsNull("playlist".into()),
    ));
    let both = search("&type=album,playlist");
    assert!(both["playlists"]["items"].is_null());
    assert_eq!(both["albums"]["items"].as_array().map(Vec::len), Some(10));

    fake.inject(Fault::new("/albums", FaultKind::LoopingNext(0)));
    let page = albums("&offset=20");
    assert_eq!(
        page["next"],
        format!(
            "{}/artists/{ARTIST_57}/albums?offset=0&limit=10",
            fake.api_base()
        )
    );
    fake.inject(Fault::new("/albums", FaultKind::SelfNext));
    assert_eq!(albums("&offset=20")["next"], albums("&offset=20")["href"]);
    fake.inject(Fault::new("/albums", FaultKind::NextOnLastPage));
    assert!(
        albums("&offset=50")["next"].is_string(),
        "57 albums: 50 is the last page"
    );
    assert!(albums("&offset=50")["next"].is_null(), "one-shot");

    fake.inject(Fault::new("/search", FaultKind::LocaleNext));
    assert_eq!(
        search("&type=album")["albums"]["next"],
        format!(
            "{}/search?offset=10&limit=10&query=Big%20Catalog&type=album&locale=en-US,en;q%3D0.9",
            fake.api_base()
        )
    );

    fake.inject(Fault::new(
        "/albums",
        FaultKind::Raw {
            status: 429,
            headers: vec![("retry-after".into(), "0".into())],
            body: String::new(),
        },
    ));
    let url = format!("{}/artists/{ARTIST_57}/albums", fake.api_base());
    let auth = format!("Bearer {token}");
    let (status, headers, body) = http_request("GET", &url, &[("authorization", &auth)], None);
    assert_eq!((status, body.as_str()), (429, ""));
    assert!(headers.iter().any(|(k, v)| k == "retry-after" && v == "0"));

    fake.inject(Fault::new("/albums", FaultKind::EchoAuthorization(400)));
    let (status, _, body) = http_request("GET", &url, &[("authorization", &auth)], None);
    assert_eq!(status, 400);
    assert!(
        body.contains(&format!(
            "credential {token}; got Authorization: Bearer {token}"
        )),
        "{body}"
    );

    fake.set_display_name("alice", None);
    let user = fake.issue_user_tokens("alice", "", false);
    let (_, me) = get(&format!("{}/me", fake.api_base()), &user.access_token);
    assert!(me["display_name"].is_null());
}

#[test]
fn endless_and_huge_declared_bodies_never_end() {
    // Its own reqwest client needs the provider even when no other test ran first in this
    // process (nextest runs each test in a process of its own).
    crate::support::fake::install_crypto_provider();
    let fake = FakeSpotify::start();
    let url = format!("{}/artists/{ARTIST_57}/albums", fake.api_base());
    fake.inject(Fault::new("/albums", FaultKind::HugeDeclaredBody));
    fake.inject(Fault::new("/albums", FaultKind::EndlessBody));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.content_length(), Some(1_000_000_000_000));
        let mut resp = client.get(&url).send().await.unwrap();
        let mut read = 0usize;
        while read < (4 << 20) {
            read += resp.chunk().await.unwrap().expect("never ends").len();
        }
    });
}

#[test]
fn quota_mode_refuses_past_n_per_window_with_the_time_until_it_frees() {
    let fake = FakeSpotify::start();
    fake.set_quota(3, Duration::from_secs(2));
    let token = fake.issue_app_token();
    let url = format!("{}/artists/{ARTIST_57}/albums?limit=1", fake.api_base());
    for _ in 0..3 {
        assert_eq!(get(&url, &token).0, 200);
    }
    let (status, _, _) = http_request(
        "GET",
        &url,
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(status, 429);
    let log = fake.requests();
    let refused = log.last().unwrap();
    assert_eq!(refused.status, 429);
    // The window frees 2 s after the first start: Retry-After says so, rounded up.
    let (_, headers, _) = http_request(
        "GET",
        &url,
        &[("authorization", &format!("Bearer {token}"))],
        None,
    );
    let retry_after: u64 = headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .map(|(_, v)| v.parse().unwrap())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(get(&url, &token).0, 200, "the window moved on");
    // The token endpoint is not counted.
    assert!(
        fake.requests()
            .iter()
            .filter(|r| r.status == 429)
            .all(|r| r.path.starts_with("/v1/"))
    );
}
