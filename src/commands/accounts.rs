//! `spotctl accounts`: who is logged in, with which grant and scopes, and when tokens expire.
//! Never prints a secret: the table and the JSON are built from an explicit list of fields.

use crate::context::Ctx;
use crate::duration::{human, rfc3339};
use crate::error::{Error, Result};
use crate::output::OutputFormat;
use crate::store::{Account, now};
use std::io::Write;
use unicode_width::UnicodeWidthStr;

fn expiry(at: i64) -> String {
    let left = at.saturating_sub(now());
    if left <= 0 {
        "expired".into()
    } else {
        format!("in {}", human(left))
    }
}

/// When the user must log in again: now when the provider refused the refresh token; when
/// the access token expires when the login brought no refresh token; when the refresh token's
/// lifetime ends (Spotify: 6 months after login). `when` formats an instant.
fn relogin_with(a: &Account, when: impl Fn(i64) -> String) -> String {
    if a.oauth.refresh_refused_at.is_some() {
        return "login needed".into();
    }
    if a.grant == crate::store::Grant::AuthorizationCode && a.refresh_token.is_none() {
        return format!("{} (no refresh token)", when(a.expires_at));
    }
    a.refresh_token_expires_at
        .filter(|_| a.refresh_token.is_some())
        .map(when)
        .unwrap_or_else(|| "-".into())
}

fn relogin(a: &Account) -> String {
    relogin_with(a, expiry)
}

/// Widest a NAME or USER cell gets in the table; longer ones lose their middle (`app-<32 hex>`
/// stays recognisable by both ends).
const CELL_MAX: usize = 20;
/// The table fits this many columns: SCOPES gets what the other columns leave.
const TABLE_WIDTH: usize = 100;

/// `s` in at most `max` screen columns, its middle replaced by `…`.
fn middle(s: &str, max: usize) -> String {
    if s.width() <= max || max < 3 {
        return s.to_string();
    }
    let room = max - 1;
    let (head_max, tail_max) = (room - room / 2, room / 2);
    let mut head = String::new();
    for c in s.chars() {
        if head.width() + c.to_string().width() > head_max {
            break;
        }
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    for c in s.chars().rev() {
        let w: usize = tail.iter().map(|c| c.to_string().width()).sum();
        if w + c.to_string().width() > tail_max {
            break;
        }
        tail.push(c);
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// As many whole scopes as fit in `max` columns, then how many more (`a b +3`).
fn fit_scopes(scopes: &[String], max: usize) -> String {
    let all = scopes.join(" ");
    if all.width() <= max {
        return all;
    }
    let mut shown = String::new();
    for (i, s) in scopes.iter().enumerate() {
        let more = format!(" +{}", scopes.len() - i - 1);
        let next = if shown.is_empty() {
            s.clone()
        } else {
            format!("{shown} {s}")
        };
        let rest = if i + 1 == scopes.len() { "" } else { &more };
        if next.width() + rest.width() > max {
            let more = format!(" +{}", scopes.len() - i);
            if shown.is_empty() {
                return format!("{}{more}", middle(s, max.saturating_sub(more.len()).max(3)));
            }
            return format!("{shown}{more}");
        }
        shown = next;
    }
    shown
}

/// The table says "user" or "app"; tsv and json keep the grant's name.
fn grant_short(a: &Account) -> &'static str {
    match a.grant {
        crate::store::Grant::AuthorizationCode => "user",
        crate::store::Grant::ClientCredentials => "app",
    }
}

fn summary(name: &str, a: &Account) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "provider": a.provider.as_str(),
        "grant": a.grant.as_str(),
        "client_id": a.client_id,
        "user": a.user.as_ref().map(|u| serde_json::json!({"id": u.id, "display_name": u.display_name})),
        "scopes": a.scopes,
        "expires_at": rfc3339(a.expires_at),
        "has_refresh_token": a.refresh_token.is_some(),
        "login_needed": a.oauth.refresh_refused_at.is_some(),
        "refresh_token_expires_at": a.refresh_token_expires_at.map(rfc3339),
        "authorized_at": a.authorized_at.map(rfc3339),
        "api_base": a.api_base,
    })
}

pub fn run(ctx: &Ctx) -> Result<()> {
    let list = ctx.store.list()?;
    let mut out = std::io::stdout().lock();
    let mut bad = 0;
    match ctx.output {
        OutputFormat::Json | OutputFormat::Jsonl => {
            let mut items = Vec::new();
            for (name, acc) in &list {
                match acc {
                    Ok(a) => items.push(summary(name, a)),
                    Err(e) => {
                        bad += 1;
                        // The parse error quotes what the file holds.
                        eprintln!("spotctl: {}", crate::sanitize::line(&e.to_string()));
                    }
                }
            }
            // Account files hold what servers said (user ids, names, scopes): escaped for a
            // terminal, byte for byte in a pipe.
            let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
            let safe = |v: serde_json::Value| crate::sanitize::json_for(v.to_string(), tty);
            if ctx.output == OutputFormat::Json {
                writeln!(out, "{}", safe(serde_json::Value::Array(items)))?;
            } else {
                for i in items {
                    writeln!(out, "{}", safe(i))?;
                }
            }
        }
        OutputFormat::Table | OutputFormat::Tsv | OutputFormat::Csv => {
            let csv = ctx.output == OutputFormat::Csv;
            let tsv = csv || ctx.output == OutputFormat::Tsv;
            let mut rows: Vec<[String; 7]> = Vec::new();
            let mut scopes: Vec<Vec<String>> = Vec::new();
            if csv {
                rows.push(
                    [
                        "name",
                        "provider",
                        "grant",
                        "user",
                        "expires_at",
                        "refresh_token_expires_at",
                        "scopes",
                    ]
                    .map(String::from),
                );
            }
            if !tsv {
                rows.push(
                    [
                        "NAME", "PROVIDER", "GRANT", "USER", "EXPIRES", "RELOGIN", "SCOPES",
                    ]
                    .map(String::from),
                );
            }
            for (name, acc) in &list {
                match acc {
                    Ok(a) => {
                        let user = a
                            .user
                            .as_ref()
                            .map(|u| match &u.display_name {
                                Some(d) => format!("{} ({d})", u.id),
                                None => u.id.clone(),
                            })
                            .unwrap_or_else(|| "-".into());
                        // Scripts get full values and timestamps; people get a table that
                        // fits the screen (SCOPES is fitted below, once widths are known).
                        rows.push(if tsv {
                            [
                                name.clone(),
                                a.provider.as_str().into(),
                                a.grant.as_str().into(),
                                user,
                                rfc3339(a.expires_at),
                                relogin_with(a, rfc3339),
                                if a.scopes.is_empty() {
                                    "-".into()
                                } else {
                                    a.scopes.join(" ")
                                },
                            ]
                        } else {
                            [
                                middle(name, CELL_MAX),
                                a.provider.as_str().into(),
                                grant_short(a).into(),
                                middle(&user, CELL_MAX),
                                expiry(a.expires_at),
                                relogin(a),
                                String::new(),
                            ]
                        });
                        // Sanitised here: the table fills SCOPES after the cells are cleaned.
                        scopes.push(a.scopes.iter().map(|s| crate::sanitize::cell(s)).collect());
                    }
                    Err(e) => {
                        bad += 1;
                        // The parse error quotes what the file holds.
                        eprintln!("spotctl: {}", crate::sanitize::line(&e.to_string()));
                    }
                }
            }
            if rows.len() <= usize::from(!tsv || csv) && bad == 0 && !ctx.quiet {
                eprintln!(
                    "spotctl: no accounts yet; run `spotctl login` (accounts live in {})",
                    ctx.store.dir().display()
                );
            }
            // Server-provided text (user id, display name, scopes): no controls in a cell.
            for c in rows.iter_mut().flatten() {
                *c = crate::sanitize::cell(c);
            }
            let widths: Vec<usize> = (0..6)
                .map(|i| rows.iter().map(|r| r[i].width()).max().unwrap_or(0))
                .collect();
            if !tsv {
                let room = TABLE_WIDTH
                    .saturating_sub(widths.iter().map(|w| w + 2).sum::<usize>())
                    .max(12);
                for (r, sc) in rows.iter_mut().skip(1).zip(&scopes) {
                    r[6] = if sc.is_empty() {
                        "-".into()
                    } else {
                        fit_scopes(sc, room)
                    };
                }
            }
            for r in &rows {
                if csv {
                    out.write_all(crate::output::csv_record(r).as_bytes())?;
                    continue;
                }
                let line = if tsv {
                    r.join("\t")
                } else {
                    let mut s = String::new();
                    for (i, c) in r.iter().enumerate() {
                        if i < 6 {
                            // Pad by screen width: Korean names take two columns a character.
                            s.push_str(c);
                            s.push_str(&" ".repeat(widths[i] - c.width() + 2));
                        } else {
                            s.push_str(c);
                        }
                    }
                    s
                };
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    out.flush()?;
    if bad > 0 {
        return Err(Error::Reported(crate::error::code::STORE));
    }
    Ok(())
}
