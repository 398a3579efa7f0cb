//! `spotctl api PATH`: an authenticated raw call, like `gh api`, with the same retries, 401
//! handling and error messages as the catalog commands. POST/PUT/PATCH/DELETE are not retried
//! after the request may have reached the server.

use crate::api::client::Api;
use crate::api::http::Body;
use crate::api::paginate::{self, Listing, Resume, Source};
use crate::auth::session::Session;
use crate::cli::ApiArgs;
use crate::commands::catalog;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::OutputFormat;
use crate::output::Shape;
use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;

const MAX_BODY: u64 = 16 << 20;

fn read_source(spec: &str, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    // One byte more than allowed tells "exactly the limit" from "cut at the limit".
    if spec == "-" {
        std::io::stdin()
            .take(MAX_BODY + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::usage(format!("{what}: reading stdin: {e}")))?;
    } else if let Some(path) = spec.strip_prefix('@') {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BODY + 1).read_to_end(&mut buf))
            .map_err(|e| Error::usage(format!("{what}: cannot read {path}: {e}")))?;
    } else {
        buf = spec.as_bytes().to_vec();
    }
    if buf.len() as u64 > MAX_BODY {
        return Err(Error::usage(format!(
            "{what}: {} is larger than 16 MiB, more than a request body may be; send less",
            if spec == "-" {
                "stdin"
            } else {
                spec.trim_start_matches('@')
            }
        )));
    }
    Ok(buf)
}

fn body(args: &ApiArgs) -> Result<Body> {
    if let Some(d) = &args.data {
        let bytes = read_source(d, "--data")?;
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| Error::usage(format!("--data is not valid JSON: {e}")))?;
        return Ok(Body::Json(bytes));
    }
    if args.form.is_empty() {
        return Ok(Body::Empty);
    }
    let mut fields = Vec::new();
    for f in &args.form {
        let (k, v) = f.split_once('=').ok_or_else(|| {
            Error::usage(format!(
                "--form \"{}\": expected key=value or key=@file",
                crate::api::ids::shown(f)
            ))
        })?;
        let v = if v.starts_with('@') {
            String::from_utf8(read_source(v, &format!("--form {k}"))?)
                .map_err(|_| Error::usage(format!("--form {k}: the file is not UTF-8 text")))?
        } else {
            v.to_string()
        };
        fields.push((k.to_string(), v));
    }
    Ok(Body::Form(fields))
}

/// `path` relative to the API base: a path that already starts with the base's own path
/// (`/v1/me` under `https://api.spotify.com/v1`, as copied from Spotify's documentation) is
/// taken as meant, not sent as `/v1/v1/me`.
fn under_base<'a>(base: &url::Url, path: &'a str) -> &'a str {
    let prefix = base.path().trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && (rest.is_empty() || rest.starts_with(['/', '?'])) => {
            rest
        }
        _ => path,
    }
}

/// `--param k=v`s, in order (URL-encoded when the URL is built).
fn params(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Error::usage(format!(
                "--param \"{}\": expected key=value",
                crate::api::ids::shown(p)
            ))),
        })
        .collect()
}

/// A path about the user's own data (`/me`, `/me/…`), which an app account cannot read.
fn is_user_path(path: &str) -> bool {
    let rel = url::Url::parse(path)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| path.to_string());
    let rel = rel.strip_prefix("/v1").unwrap_or(&rel);
    let rel = rel.split(['?', '#']).next().unwrap_or("");
    rel == "/me" || rel.starts_with("/me/")
}

/// The URL `path` names under the account's API base: a full URL must be on the base's origin.
fn target(api: &Api, path: &str, is_url: bool) -> Result<url::Url> {
    if !is_url {
        return api.url(under_base(api.base(), path));
    }
    let shown = crate::api::ids::shown(path);
    let u = url::Url::parse(path).map_err(|e| Error::usage(format!("{shown}: {e}")))?;
    api.check_origin(&u).map_err(|_| {
        Error::usage(format!(
            "{shown} is not under the account's API base {}",
            api.base()
        ))
    })?;
    Ok(u)
}

pub async fn run(ctx: Arc<Ctx>, args: ApiArgs) -> Result<()> {
    let method =
        reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
            Error::usage(format!(
                "-X \"{}\" is not an HTTP method",
                crate::api::ids::shown(&args.method)
            ))
        })?;
    if args.paginate && method != reqwest::Method::GET {
        return Err(Error::usage("--paginate works with GET only"));
    }
    if ctx.output_explicit && matches!(ctx.output, OutputFormat::Table | OutputFormat::Tsv) {
        return Err(Error::usage(
            "`api` prints JSON: use -o json or -o jsonl (with --paginate), and jq for columns",
        ));
    }
    let body = body(&args)?;
    if args.path.len() > crate::api::http::MAX_URL - 512 {
        return Err(Error::usage(format!(
            "PATH is {} bytes, more than a request can carry (\"{}\"); shorten it",
            args.path.len(),
            crate::api::ids::shown(&args.path)
        )));
    }
    let is_url = args.path.starts_with("https://") || args.path.starts_with("http://");
    if !is_url && !args.path.starts_with('/') {
        return Err(Error::usage(format!(
            "PATH must start with / (relative to the account's API base), e.g. /me; got \"{}\"",
            crate::api::ids::shown(&args.path)
        )));
    }
    // The target is checked against the account's API base before anything is sent: opening
    // the session may refresh the token.
    if let Some(acc) = ctx.store.load(ctx.account_name())? {
        let probe = Api {
            http: ctx.http()?,
            session: Session::from_account(ctx.clone(), ctx.account_name(), acc)?,
        };
        target(&probe, &args.path, is_url)?;
    }
    let params = params(&args.param)?;
    // Catalog paths work through the app account, by the catalog commands' rule; a user's own
    // data needs the account named (or `default`).
    let session = if is_user_path(&args.path) {
        crate::auth::named_session(ctx.clone()).await?
    } else {
        crate::auth::catalog_session(ctx.clone()).await?
    };
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    let mut url = target(&api, &args.path, is_url)?;
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(&params);
    }
    crate::commands::catalog::notice_waits(&ctx, &api, None);

    if args.paginate {
        // Asked as given: an explicit `limit=` is the user's, never lowered or retried at 10.
        let first = api.get_body(url.clone()).await?;
        // The page is the body itself or, for search, one paging object per type.
        let keys: Vec<Option<String>> = if first.is_page() {
            vec![None]
        } else {
            first.page_keys().into_iter().map(Some).collect()
        };
        if keys.is_empty() {
            // Not a listing: the request was sent and answered, so print the answer (as `gh
            // api --paginate` does) rather than call it a usage error after the fact.
            tracing::warn!(
                "--paginate: {} is not a listing (no `items`); printed the response as it is",
                crate::api::ids::shown(&args.path)
            );
            let text = crate::sanitize::json_for(
                crate::output::one_line(first.text().trim()).into_owned(),
                std::io::stdout().is_terminal(),
            );
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}")?;
            out.flush()?;
            return Ok(());
        }
        let offset_cap = url
            .path()
            .ends_with("/search")
            .then_some(crate::commands::search::OFFSET_CAP);
        let mut listings = Vec::new();
        for key in keys {
            listings.push(Listing {
                first: Source::Page(first.page(key.as_deref())?),
                max_items: None,
                offset_cap,
                label: key
                    .clone()
                    .unwrap_or_else(|| crate::api::ids::shown(&args.path)),
                resume: Resume::NextUrl,
                parent: None,
                unwrap: &[],
                key,
            });
        }
        let names = listings.iter().map(|l| l.label.clone()).collect();
        let stream = paginate::stream(api.clone(), listings);
        let labels = catalog::Labels {
            names,
            dedupe: false,
            check_complete: false,
            with_parent: false,
        };
        return catalog::write(&ctx, &api, stream, Shape::Raw, labels).await;
    }

    let (_, raw) = api.call_raw(method, url, body).await?;
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(());
    }
    // A 2xx is success whatever its body: one that is not JSON is printed as it came, never
    // reported as a failure (that would invite sending a POST twice).
    let json = std::str::from_utf8(&raw)
        .ok()
        .filter(|t| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok());
    let Some(json) = json else {
        let mut out = std::io::stdout().lock();
        // Bytes as sent to a pipe; on a terminal, nothing that could drive it.
        if out.is_terminal() {
            out.write_all(crate::sanitize::text(&String::from_utf8_lossy(&raw)).as_bytes())?;
        } else {
            out.write_all(&raw)?;
        }
        if !raw.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        return Ok(());
    };
    // Pretty for people (a terminal, or -o json), one line for pipes and -o jsonl; either way
    // every token as the service sent it (numbers and escapes are never rewritten), and no
    // tree of the body is built.
    let pretty = match (ctx.output_explicit, ctx.output) {
        (true, OutputFormat::Json) => true,
        (true, _) => false,
        (false, _) => std::io::stdout().is_terminal(),
    };
    let text = if pretty {
        crate::output::pretty(json).into()
    } else {
        crate::output::one_line(json.trim())
    };
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        writeln!(
            out,
            "{}",
            crate::sanitize::json_for(text.into_owned(), true)
        )?;
    } else {
        // A pipe gets the text as it is, without a copy of an 8 MiB body.
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    Ok(())
}
