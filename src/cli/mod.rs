//! Command-line definitions (clap derive). Only types live here: doc comments become `--help`,
//! and every command carries examples in `after_help`. The global flags are turned into the
//! run's [`crate::context::Ctx`] by `global`, so the rest of the program never sees clap; clap's
//! own errors are reported by `usage`.

pub mod global;
pub mod usage;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub use crate::output::OutputFormat;

const ABOUT: &str = "OAuth2 token manager and Spotify catalog fetcher.

Log in once per account, then script catalog reads, refresh tokens from cron and hand tokens to
other tools. Catalog commands also work without logging in when SPOTIFY_CLIENT_ID and
SPOTIFY_CLIENT_SECRET are set (an app-only account is created and cached).";

const EXIT_CODES: &str = "Exit status:
  0 success   1 internal error   2 usage error (bad flag or ID; nothing was sent)
  3 authentication (no such account, log in again, wrong client id/secret, denied, timeout)
  4 the service refused the request   5 rate limited beyond --max-retries/--max-retry-wait
  6 network error, timeout, 5xx after retries, invalid response   7 local store or output I/O error

Environment:
  SPOTCTL_ACCOUNT, SPOTCTL_CONFIG_DIR, SPOTCTL_LOG (tracing filter, e.g. debug)
  SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET, SPOTIFY_REDIRECT_URI (SPOTIPY_* accepted too)
  SPOTCTL_API_BASE (default https://api.spotify.com/v1)
  SPOTCTL_ACCOUNTS_BASE (default https://accounts.spotify.com)
  SPOTCTL_KAKAO_AUTH_BASE, SPOTCTL_KAKAO_API_BASE (default https://kauth.kakao.com, https://kapi.kakao.com)
  SSL_CERT_FILE, SSL_CERT_DIR (extra CA certificates, e.g. a company proxy's, PEM)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY (proxies, as curl reads them)

Examples:
  spotctl search taeyeon --type artist --limit 3
  spotctl albums --artist 3qNVuliS40BLgXGxhdBdqu | jq -r .name
  spotctl login -a alice --scope user-library-read
  curl -H \"$(spotctl token --header -a alice)\" https://api.spotify.com/v1/me";

/// A count of at least 1 (`--limit`), with a message a person can read.
fn positive(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".into()),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

#[derive(Debug, Parser)]
#[command(name = "spotctl", version, about = ABOUT, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Account (token set) to use [default: "default"]
    #[arg(
        short = 'a',
        long,
        global = true,
        env = "SPOTCTL_ACCOUNT",
        value_name = "NAME"
    )]
    pub account: Option<String>,

    /// Output format [default: table on a terminal, jsonl otherwise]
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// More logs on stderr; -vv adds one line per HTTP request (secrets redacted)
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Errors only
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Requests in flight at once for the whole run (halved after a 429)
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64), value_name = "N")]
    pub concurrency: u32,

    /// At most N Web API request starts per second or minute for the run (N/s, N/m; curl's syntax; token requests are neither counted nor delayed); 429s are still honoured [default: no cap]
    #[arg(long, global = true, env = "SPOTCTL_RATE", value_name = "N/s|N/m")]
    pub rate: Option<String>,

    /// Where accounts live [default: <user config dir>/spotctl]
    #[arg(long, global = true, env = "SPOTCTL_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// Per-request timeout in seconds
    #[arg(long, global = true, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECS")]
    pub timeout: u64,

    /// Retries per request for 429, 5xx and network errors
    #[arg(long, global = true, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=100), value_name = "N")]
    pub max_retries: u32,

    /// Largest single wait honoured; a longer Retry-After fails at once (exit 5) and says when to retry, and so does every request queued behind it, or run by another spotctl process of the same app, until then
    #[arg(long, global = true, default_value_t = 120, value_parser = clap::value_parser!(u64).range(0..=86_400), value_name = "SECS")]
    pub max_retry_wait: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and store an account (authorization code with PKCE or secret, or --client-credentials)
    #[command(after_help = LOGIN_HELP)]
    Login(LoginArgs),
    /// Refresh access tokens now (made for cron: quiet unless something fails)
    #[command(after_help = "Examples:
  spotctl refresh -a alice
  spotctl refresh --all --if-expires-within 40m      # crontab: */30 * * * *")]
    Refresh(RefreshArgs),
    /// Print a valid access token (refreshing first if it expires within 60 s)
    #[command(after_help = "Nothing is printed on stdout when it fails.

Examples:
  spotctl token -a alice
  curl -H \"$(spotctl token --header -a alice)\" https://api.spotify.com/v1/me
  spotctl token --json | jq .expires_at")]
    Token(TokenArgs),
    /// List stored accounts (never prints secrets)
    #[command(
        after_help = "Columns (tsv, csv): name, provider, grant, user, expires_at, refresh_token_expires_at, scopes.\n\nExamples:\n  spotctl accounts\n  spotctl accounts -o json | jq -r '.[].name'"
    )]
    Accounts,
    /// Delete an account's stored tokens
    #[command(
        after_help = "Revokes the tokens at the provider first where the account has a revocation endpoint
(RFC 7009: from --issuer discovery, or Google's; Kakao's logout); a failed revocation is a
warning and the account is deleted anyway.

Examples:\n  spotctl logout -a bob\n  spotctl logout -a corp --no-revoke\n  spotctl logout --all          # asks first\n  spotctl logout --all --yes    # in a script"
    )]
    Logout(LogoutArgs),
    /// Search the catalog
    #[command(
        after_help = "Columns (tsv, csv, table): type, id, name (csv has a header row and CRLF line ends).

Examples:
  spotctl search taeyeon --type artist --limit 3
  spotctl search taeyeon --type artist,album -o jsonl | jq -r .name
  spotctl search 'love' --type track --limit 200 -o tsv"
    )]
    Search(SearchArgs),
    /// Every album of one or more artists, all pages
    #[command(
        after_help = "ARTIST is a Spotify ID, a spotify:artist:ID URI or an open.spotify.com/artist/ID link.
Artists may be positional, repeated --artist, comma lists, or - (one per line from stdin, fetched
as the lines arrive; a line may also be a JSON object printed by spotctl -o jsonl, such as
`search --type artist` prints). Output is in input order; an artist given twice is fetched once.
A failing artist is reported (with its stdin line) and the others are completed; the exit code
is the first failure's, after a summary line. A rate limit beyond the cap or the network gone
stops at once.

Columns (tsv, csv, table): id, release_date, album_type, total_tracks, name; with --with-parent
the artist's ID comes first (csv header: parent_id), and JSON objects start with
\"_parent\":\"ID\". csv has a header row and CRLF line ends (RFC 4180).

Examples:
  spotctl albums 3qNVuliS40BLgXGxhdBdqu -o tsv
  spotctl albums --artist 3qNVuliS40BLgXGxhdBdqu,5BigCatalogArtistAAAAA -o tsv
  spotctl albums --artist 'https://open.spotify.com/artist/3qNVuliS40BLgXGxhdBdqu?si=abc'
  spotctl albums --artist spotify:artist:3qNVuliS40BLgXGxhdBdqu | jq -r .name
  printf '%s\\n' ID1 ID2 | spotctl albums --artist - -o jsonl
  spotctl search 태연 --type artist --limit 1 | spotctl albums - --with-parent -o csv"
    )]
    Albums(AlbumsArgs),
    /// Every track of albums, item of playlists, episode of shows, chapter of audiobooks
    #[command(after_help = TRACKS_HELP)]
    Tracks(TracksArgs),
    /// The full object for each input (artist, album, track, show, episode, audiobook, playlist)
    #[command(after_help = GET_HELP)]
    Get(GetArgs),
    /// Authenticated raw API call, like `gh api`
    #[command(
        after_help = "PATH is relative to the account's API base (https://api.spotify.com/v1 for Spotify).
Catalog paths (anything but /me…) work without a login, through the app account of
SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET, by the catalog commands' rule. A 403 from an endpoint
that Development Mode removed in 2026 says so and names the replacement.

Examples:
  spotctl api /search --param q=태연 --param type=artist --param limit=1
  spotctl api /artists/3qNVuliS40BLgXGxhdBdqu
  spotctl api /me -a alice
  spotctl api /me/tracks -a alice --paginate | jq -r .track.name
  spotctl api -X POST /me/playlists -a alice --data '{\"name\":\"Mix\"}'
  spotctl api -a kakao -X POST /v2/api/talk/memo/default/send --form template_object=@msg.json"
    )]
    Api(ApiArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:
  spotctl completions zsh > ~/.zfunc/_spotctl
  spotctl completions bash > /etc/bash_completion.d/spotctl")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): every command, option and example
    #[command(after_help = "Examples:
  spotctl man | man -l -
  spotctl man > ~/.local/share/man/man1/spotctl.1")]
    Man,
}

const TRACKS_HELP: &str =
    "INPUT is an album (an ID, spotify:album:ID or an open.spotify.com/album/ID link), a playlist
(spotify:playlist:ID or its link: /playlists/ID/items), a show (spotify:show:ID or its link:
its episodes) or an audiobook (spotify:audiobook:ID: its chapters); a bare ID is an album. Inputs may be positional, repeated --album, comma lists, or
- (one per line from stdin, fetched as the lines arrive). A stdin line may also be a JSON object
printed by spotctl -o jsonl (its uri, or type and id, says what it is), so `albums` pipes into
`tracks`. Output is in input order; an input given twice is fetched once. A failing input is
reported (with its stdin line) and the others are completed; the exit code is the first
failure's, after a summary line. A rate limit beyond the cap or the network gone stops at once.
A playlist entry is printed as the track or episode it holds (its `item`, or `track` in older
answers), as sent; an entry no longer available (`\"item\": null`) is skipped with a warning,
and a local file is printed as Spotify describes it (its id is null).

Columns (tsv, csv, table): id, type, disc_number, track_number, duration_ms, name; with
--with-parent the input's ID comes first (csv header: parent_id), and JSON objects start with
\"_parent\":\"ID\". csv has a header row and CRLF line ends (RFC 4180).

Examples:
  spotctl tracks 2noRn2Aes5aoNVsU6iWThc -o tsv
  spotctl tracks spotify:playlist:37i9dQZF1DXcBWIGoYBM5M -a alice
  spotctl tracks 'https://open.spotify.com/show/4rOoJ6Egrf8K2IrywzwOMk?si=x' --limit 10
  spotctl albums 3qNVuliS40BLgXGxhdBdqu | spotctl tracks - --with-parent -o csv > tracks.csv
  spotctl search 태연 --type artist --limit 1 | spotctl albums - | spotctl tracks - -o csv";

const GET_HELP: &str =
    "INPUT is a URI (spotify:album:ID), an open.spotify.com link, an ID with --type, or a JSON
object printed by spotctl -o jsonl (its uri, or type and id, says what it is); - reads one per
line from stdin, as the lines arrive. One output object per input, in input order.

Albums, tracks and artists are asked for through the batch endpoints (/albums?ids= 20 at a
time, /tracks?ids= and /artists?ids= 50) where the app may use them; Development Mode apps get
403 there, and then every object is asked for on its own (/albums/ID), remembered in the account
so the next run starts that way. A missing object (404, or null in a batch answer) is that
input's failure line; the others are printed; the exit code is the first failure's.

Columns (tsv, csv, table): type, id, name (csv has a header row and CRLF line ends).

Examples:
  spotctl get spotify:album:2noRn2Aes5aoNVsU6iWThc
  spotctl get --type artist 3qNVuliS40BLgXGxhdBdqu -o json
  spotctl albums 3qNVuliS40BLgXGxhdBdqu | spotctl get - | jq -r '.label // .name'
  spotctl tracks 2noRn2Aes5aoNVsU6iWThc | spotctl get - -o csv";

const LOGIN_HELP: &str =
    "The client secret is never taken on the command line (other users can read argv):
set SPOTIFY_CLIENT_SECRET or use --client-secret-file. Without a secret, PKCE is used.
Register the redirect URI http://127.0.0.1:8888/callback in your app's dashboard
(https://developer.spotify.com/dashboard); Spotify refuses `localhost`.

Examples:
  spotctl login -a alice --scope user-library-read
  spotctl login -a bob --scope 'user-read-email user-read-private'
  spotctl login -a cronbox --no-browser          # over SSH: paste the redirected URL back
  spotctl login --client-credentials -a myapp    # app-only token, no user
  spotctl login --provider kakao -a kakao --client-id REST_KEY --scope talk_message
  spotctl login -a corp --issuer https://sso.example.com --client-id ID --client-secret-file ~/.s
  spotctl login --provider google -a me --client-id ID --client-secret-file ~/.google-secret \\
      --redirect-uri http://127.0.0.1/callback --scope 'openid email'
  spotctl login --provider microsoft --tenant contoso.onmicrosoft.com -a work --client-id ID
  spotctl login --provider github --device -a gh --client-id Iv1.0123456789abcdef
  spotctl login --client-credentials -a api --issuer https://tenant.auth0.com/ --client-id ID \\
      --client-secret-file ~/.s --token-param audience=https://api.example.com";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// App-only account (client credentials grant); no browser, no user
    #[arg(long)]
    pub client_credentials: bool,
    /// App client id [default: the account's, else $SPOTIFY_CLIENT_ID for Spotify]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret from this file [default: the account's, else $SPOTIFY_CLIENT_SECRET
    /// when the client id is $SPOTIFY_CLIENT_ID]
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
    /// Redirect URI registered for the app [default: the account's, else $SPOTIFY_REDIRECT_URI for
    /// Spotify, else http://127.0.0.1:8888/callback]
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Scopes to request (space or comma separated; repeatable) [default: the account's]
    #[arg(long, value_name = "SCOPES")]
    pub scope: Vec<String>,
    /// Print the URL instead of opening a browser, and read the redirected URL from stdin even
    /// when it is not a terminal (without this flag stdin is read only from a terminal, or when
    /// the redirect URI is not on this machine)
    #[arg(long)]
    pub no_browser: bool,
    /// Give up waiting for the browser after this many seconds
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub wait: u64,
    /// OAuth2 provider [default: the account's when logging in again, else spotify]
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Authorization endpoint (custom provider, or to override a provider's default)
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Token endpoint (custom provider, or to override a provider's default)
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// API base URL for `spotctl api` (custom provider, or to override a provider's default)
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// How the client authenticates at the token endpoint (custom provider)
    #[arg(long, value_enum, value_name = "HOW")]
    pub client_auth: Option<ClientAuthArg>,
    /// Read the endpoints from the issuer's metadata (RFC 8414 / OpenID discovery); its
    /// `issuer` must equal URL, and the callback's `iss` is checked (RFC 9207)
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Microsoft tenant (id or domain) [default: common]
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,
    /// Extra authorize request parameter (repeatable), stored for the next login
    #[arg(long, value_name = "K=V")]
    pub auth_param: Vec<String>,
    /// Extra token request parameter, e.g. audience=… or resource=… (repeatable), stored and
    /// sent by every refresh
    #[arg(long, value_name = "K=V")]
    pub token_param: Vec<String>,
    /// Send PKCE together with the client secret [default: on for google, microsoft, github and
    /// discovery listing S256]
    #[arg(long)]
    pub pkce: bool,
    /// Device login (RFC 8628): print a code to enter on another device; no browser, no callback
    #[arg(long, conflicts_with = "client_credentials")]
    pub device: bool,
    /// Device authorization endpoint (for --device; from discovery or the provider otherwise)
    #[arg(long, value_name = "URL")]
    pub device_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    Spotify,
    Kakao,
    /// Google (access_type=offline, prompt=consent, revocation, device flow)
    Google,
    /// Microsoft Entra ID (--tenant, default common; offline_access added)
    Microsoft,
    /// GitHub OAuth apps (device flow; bad_refresh_token means log in again)
    Github,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientAuthArg {
    /// HTTP Basic authentication header
    Basic,
    /// client_id (and client_secret) in the form body
    Body,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Refresh every account (goes on past failures; exits with the first failure's code)
    #[arg(long)]
    pub all: bool,
    /// Skip accounts whose token is valid for longer than this (e.g. 40m, 2h, 90s)
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse)]
    pub if_expires_within: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Print `Authorization: Bearer <token>`
    #[arg(long, conflicts_with = "json")]
    pub header: bool,
    /// Print token, type, expiry and scopes as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Delete every account (asks first on a terminal; needs --yes otherwise)
    #[arg(long)]
    pub all: bool,
    /// Do not ask before `--all` deletes every account
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Delete the stored tokens without revoking them at the provider first
    #[arg(long)]
    pub no_revoke: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search for (Spotify field filters like `artist:` and `year:` work)
    pub query: String,
    /// Item types, comma separated: artist, album, track, playlist, show, episode, audiobook
    #[arg(long = "type", default_value = "artist", value_name = "TYPES")]
    pub types: String,
    /// Items wanted per type (pages are followed until this many)
    #[arg(long, default_value_t = 20, value_parser = positive, value_name = "N")]
    pub limit: u64,
    /// Skip this many items
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub offset: u64,
    /// ISO 3166-1 alpha-2 country code, e.g. KR
    #[arg(long, value_name = "CC")]
    pub market: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("artist_list").required(true).multiple(true).args(["artists", "artist"])))]
pub struct AlbumsArgs {
    /// Artist IDs, spotify:artist:ID URIs or open.spotify.com links (comma lists too); `-` reads one per line from stdin
    #[arg(value_name = "ARTIST", value_delimiter = ',')]
    pub artists: Vec<String>,
    /// The same as a positional ARTIST (repeatable, comma lists too; `-` for stdin)
    #[arg(long, value_name = "ARTIST", value_delimiter = ',')]
    pub artist: Vec<String>,
    /// Only these groups, comma separated: album, single, appears_on, compilation
    #[arg(long, value_name = "GROUPS")]
    pub include_groups: Option<String>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// What every batch of listings (`albums`, `tracks`) takes.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Stop at the first failing input instead of going on with the others
    #[arg(long)]
    pub fail_fast: bool,
    /// ISO 3166-1 alpha-2 country code, e.g. KR
    #[arg(long, value_name = "CC")]
    pub market: Option<String>,
    /// At most this many items of each input (albums of an artist, tracks of an album)
    #[arg(long, value_parser = positive, value_name = "N")]
    pub limit: Option<u64>,
    /// Skip this many items of each input (to resume a listing that stopped part-way)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub offset: u64,
    /// Start each tsv/csv/table row with its input's ID (the artist of an album, the album,
    /// playlist or show of a track); JSON objects carry it as `"_parent"`
    #[arg(long)]
    pub with_parent: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("track_inputs").required(true).multiple(true).args(["inputs", "album"])))]
pub struct TracksArgs {
    /// Albums, playlists, shows or audiobooks: IDs (albums), URIs, open.spotify.com links or spotctl JSON objects (comma lists too); `-` reads one per line from stdin
    #[arg(value_name = "INPUT", value_delimiter = ',')]
    pub inputs: Vec<String>,
    /// The same as a positional INPUT (repeatable, comma lists too; `-` for stdin)
    #[arg(long, value_name = "ALBUM", value_delimiter = ',')]
    pub album: Vec<String>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `--type`: what a bare ID is.
fn kind(s: &str) -> Result<crate::api::ids::Kind, String> {
    crate::api::ids::Kind::parse(s.trim()).ok_or_else(|| {
        "choose from artist, album, track, show, episode, audiobook, playlist".to_string()
    })
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// URIs, open.spotify.com links, IDs (with --type) or spotctl JSON objects (comma lists too); `-` reads one per line from stdin
    #[arg(value_name = "INPUT", value_delimiter = ',', required = true)]
    pub inputs: Vec<String>,
    /// What a bare ID is: artist, album, track, show, episode, audiobook, playlist
    #[arg(long = "type", value_name = "TYPE", value_parser = kind)]
    pub kind: Option<crate::api::ids::Kind>,
    /// ISO 3166-1 alpha-2 country code, e.g. KR
    #[arg(long, value_name = "CC")]
    pub market: Option<String>,
    /// Stop at the first failing input instead of going on with the others
    #[arg(long)]
    pub fail_fast: bool,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Path relative to the account's API base, e.g. /me or /artists/ID
    pub path: String,
    /// HTTP method
    #[arg(short = 'X', long, default_value = "GET", value_name = "METHOD")]
    pub method: String,
    /// JSON request body: a string, @file, or - for stdin (at most 16 MiB)
    #[arg(long, value_name = "JSON", conflicts_with = "form")]
    pub data: Option<String>,
    /// Form field k=v or k=@file (repeatable, a file at most 16 MiB); sends
    /// application/x-www-form-urlencoded
    #[arg(long, value_name = "K=V")]
    pub form: Vec<String>,
    /// Follow `next` links and print every item (jsonl)
    #[arg(long)]
    pub paginate: bool,
    /// Query parameter k=v (repeatable), URL-encoded for you: --param q=태연 --param type=artist
    #[arg(long, value_name = "K=V")]
    pub param: Vec<String>,
}
