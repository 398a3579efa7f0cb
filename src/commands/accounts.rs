//! `spotctl accounts`: who is logged in, with which grant and scopes, and when tokens expire.
//! Never prints a secret: the table and the JSON are built from an explicit list of fields.

use crate::cli::OutputFormat;
use crate::context::Ctx;
use crate::duration::human;
use crate::error::{Error, Result};
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

/// When the user must log in again: when the refresh token's lifetime ends (Spotify: 6 months
/// after login).
fn relogin(a: &Account) -> String {
    a.refresh_token_expires_at
        .filter(|_| a.refresh_token.is_some())
        .map(expiry)
        .unwrap_or_else(|| "-".into())
}

fn summary(name: &str, a: &Account) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "provider": a.provider.as_str(),
        "grant": a.grant.as_str(),
        "client_id": a.client_id,
        "user": a.user.as_ref().map(|u| serde_json::json!({"id": u.id, "display_name": u.display_name})),
        "scopes": a.scopes,
        "expires_at": a.expires_at,
        "has_refresh_token": a.refresh_token.is_some(),
        "refresh_token_expires_at": a.refresh_token_expires_at,
        "authorized_at": a.authorized_at,
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
                        eprintln!("spotctl: {e}");
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
        OutputFormat::Table | OutputFormat::Tsv => {
            let tsv = ctx.output == OutputFormat::Tsv;
            let mut rows: Vec<[String; 7]> = Vec::new();
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
                    Ok(a) => rows.push([
                        name.clone(),
                        a.provider.as_str().into(),
                        a.grant.as_str().into(),
                        a.user
                            .as_ref()
                            .map(|u| match &u.display_name {
                                Some(d) => format!("{} ({d})", u.id),
                                None => u.id.clone(),
                            })
                            .unwrap_or_else(|| "-".into()),
                        expiry(a.expires_at),
                        relogin(a),
                        if a.scopes.is_empty() {
                            "-".into()
                        } else {
                            a.scopes.join(" ")
                        },
                    ]),
                    Err(e) => {
                        bad += 1;
                        eprintln!("spotctl: {e}");
                    }
                }
            }
            if rows.len() <= usize::from(!tsv) && !ctx.quiet {
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
            for r in &rows {
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
