//! `spotctl token`: print a valid access token (refreshed first, under the account lock, if it
//! expires within 60 s). stdout gets the token and nothing else; on failure, nothing at all.
//! With a fresh cached token this reads one file and does no network and no HTTP-client setup.

use crate::cli::TokenArgs;
use crate::context::Ctx;
use crate::error::Result;
use crate::store::now;
use std::io::Write;
use std::sync::Arc;

pub async fn run(ctx: Arc<Ctx>, args: TokenArgs) -> Result<()> {
    if ctx.output_explicit {
        return Err(crate::error::Error::usage(
            "`token` prints the token: use --header or --json instead of -o",
        ));
    }
    let session = crate::auth::named_session(ctx.clone()).await?;
    let acc = session.account().await;
    let token = acc.access_token.expose();
    let text = if args.header {
        format!("Authorization: Bearer {token}\n")
    } else if args.json {
        let v = serde_json::json!({
            "account": session.name(),
            "access_token": token,
            "token_type": acc.token_type,
            "expires_at": acc.expires_at,
            "expires_in": acc.expires_at.saturating_sub(now()).max(0),
            "scopes": acc.scopes,
        });
        // Scopes are what the token endpoint said: escaped for a terminal, bytes for a pipe.
        let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
        format!("{}\n", crate::sanitize::json_for(v.to_string(), tty))
    } else {
        format!("{token}\n")
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
