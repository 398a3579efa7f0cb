//! `spotctl man`: the manual page in roff, generated from the clap definitions (clap_mangen), so
//! it cannot drift from `--help`. One page: the top-level synopsis, global options, exit status
//! and environment, then a section per command with its synopsis, options and examples.

use crate::cli::Cli;
use crate::error::Result;
use clap::CommandFactory;
use clap_mangen::Man;
use std::io::Write;

pub fn run() -> Result<()> {
    let page = render()?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(())
}

fn render() -> Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    let mut top = Vec::new();
    Man::new(cmd.clone()).render(&mut top).map_err(internal)?;
    let mut top = String::from_utf8_lossy(&top)
        .replace(".SH EXTRA", ".SH \"EXIT STATUS, ENVIRONMENT, EXAMPLES\"");
    // clap_mangen points at one page per command (spotctl-login(1)); they are sections here.
    let names = cmd.get_subcommands().map(|s| s.get_name()).chain(["help"]);
    for name in names {
        top = top.replace(
            &format!("spotctl\\-{}(1)", name.replace('-', "\\-")),
            &format!("\\fBspotctl {name}\\fR"),
        );
    }
    page.extend_from_slice(top.as_bytes());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("spotctl {}", sub.get_name());
        let man = Man::new(sub.clone().bin_name(&name));
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part).map_err(internal)?;
        man.render_description_section(&mut part)
            .map_err(internal)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut part).map_err(internal)?;
        }
        if sub.get_after_help().is_some() {
            man.render_extra_section(&mut part).map_err(internal)?;
        }
        // The command's own sections become subsections of its section.
        let part = String::from_utf8_lossy(&part)
            .replace("\n.SH ", "\n.SS ")
            .replacen(".SH ", ".SS ", 1)
            .replace(".SS EXTRA", ".SS EXAMPLES");
        page.extend_from_slice(part.as_bytes());
    }
    Ok(page)
}

fn internal(e: std::io::Error) -> crate::error::Error {
    crate::error::Error::Internal(format!("rendering the manual page: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command has its section, and every one of its options is described in it.
    #[test]
    fn the_page_covers_every_command_and_option() {
        let page = String::from_utf8(render().unwrap()).unwrap();
        assert!(page.contains("\n.TH spotctl 1 "), "{}", &page[..200]);
        assert!(
            !page.contains("(1)\n"),
            "no references to pages that do not exist"
        );
        let cmd = Cli::command();
        let mut seen = 0;
        for sub in cmd.get_subcommands() {
            let header = format!(".SH \"SPOTCTL {}\"", sub.get_name().to_uppercase());
            let start = page
                .find(&header)
                .unwrap_or_else(|| panic!("no section {header}"));
            let section = &page[start + header.len()..];
            let section = &section[..section.find("\n.SH ").unwrap_or(section.len())];
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    // roff escapes the dashes: \-\-if\-expires\-within
                    let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(section.contains(&roff), "{header} lacks {roff}");
                }
            }
            seen += 1;
        }
        assert!(seen >= 10, "{seen} commands");
        for global in ["\\-\\-max\\-retry\\-wait", "SSL_CERT_FILE", "Exit status"] {
            assert!(page.contains(global), "{global}");
        }
    }
}
