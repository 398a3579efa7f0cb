//! clap's errors in spotctl's voice: one `spotctl:` line that points at the `--help` of the
//! subcommand being used (exit 2); `--help` and `--version` print as clap prints them.

use super::Cli;
use crate::error::code;
use std::process::ExitCode;

/// clap's errors as one `spotctl:` line (exit 2); `--help` and `--version` as clap prints them.
pub fn report(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(code::USAGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    // Point at the help of the subcommand being used, as clap parsed it (not a guess from argv,
    // which may hold an option's value or bytes that are not UTF-8).
    let sub = <Cli as clap::CommandFactory>::command()
        .ignore_errors(true)
        .try_get_matches_from(std::env::args_os())
        .ok()
        .and_then(|m| m.subcommand_name().map(str::to_string));
    let help = sub.map_or_else(|| "spotctl".to_string(), |s| format!("spotctl {s}"));
    let msg = one_line(&text);
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    eprintln!("spotctl: {msg} (see `{help} --help`)");
    ExitCode::from(code::USAGE)
}

/// clap's multi-line error as one sentence: a list under a line ending in `:` joins it with
/// commas, `[possible values: …]` becomes a parenthesis, a `tip:` follows after `;`. The usage
/// block and the "For more information" line go (the message points at `--help` instead).
fn one_line(text: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut in_usage = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            in_usage = false;
            in_list = false;
            continue;
        }
        if line.starts_with("Usage:") {
            in_usage = true;
            continue;
        }
        if in_usage || line.starts_with("For more information") {
            continue;
        }
        let item = raw.starts_with(' ') && !line.starts_with("tip:");
        if out.is_empty() {
            out.push_str(line);
        } else if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push_str(" (");
            out.push_str(inner);
            out.push(')');
        } else if item && out.ends_with(':') {
            out.push(' ');
            out.push_str(line);
            in_list = true;
            continue;
        } else if item && in_list {
            out.push_str(", ");
            out.push_str(line);
            continue;
        } else {
            out.push_str("; ");
            out.push_str(line);
        }
        in_list = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn clap_errors_become_one_sentence() {
        assert_eq!(
            one_line(
                "error: the following required arguments were not provided:\n  <QUERY>\n  --artist <ARTIST>\n\nUsage: spotctl search <QUERY>\n\nFor more information, try '--help'.\n"
            ),
            "error: the following required arguments were not provided: <QUERY>, --artist <ARTIST>"
        );
        assert_eq!(
            one_line(
                "error: invalid value 'x' for '--output <FORMAT>'\n  [possible values: table, tsv]\n\n  tip: a similar value exists: 'tsv'\n\nFor more information, try '--help'.\n"
            ),
            "error: invalid value 'x' for '--output <FORMAT>' (possible values: table, tsv); tip: a similar value exists: 'tsv'"
        );
        assert_eq!(
            one_line(
                "error: unexpected argument '--x' found\n\nUsage: spotctl [OPTIONS]\n  more usage\n"
            ),
            "error: unexpected argument '--x' found"
        );
    }
}
