//! What the install and the manual promise: `spotctl man` documents every command `--help`
//! lists, and the README installs with the tested lock file and schedules cron by absolute path.

use crate::common::*;

/// The command names in the "Commands:" block of `spotctl --help`.
fn commands_in_help(t: &T) -> Vec<String> {
    let help = stdout(&t.run(&["--help"]));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn man_prints_a_roff_page_with_a_section_for_every_command() {
    let t = T::new();
    let o = t.run(&["man"]);
    assert_code(&o, 0);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains("\n.TH spotctl 1 "), "not a roff page");
    let commands = commands_in_help(&t);
    assert!(commands.len() >= 10, "{commands:?}");
    for c in &commands {
        let header = format!(".SH \"SPOTCTL {}\"", c.to_uppercase());
        assert!(page.contains(&header), "no section for `{c}`");
    }
    // Options of several commands, as roff writes them.
    for flag in [
        "\\-\\-client\\-credentials",
        "\\-\\-if\\-expires\\-within",
        "\\-\\-paginate",
        "\\-\\-include\\-groups",
    ] {
        assert!(page.contains(flag), "{flag}");
    }
    assert!(t.fake.requests().is_empty());
}

#[test]
fn readme_installs_with_the_lock_file_and_cron_uses_an_absolute_path() {
    let readme = include_str!("../../README.md");
    let installs: Vec<&str> = readme
        .lines()
        .filter(|l| l.trim_start().starts_with("cargo install"))
        .collect();
    assert!(!installs.is_empty());
    for l in installs {
        assert!(l.contains("--locked"), "{l}");
    }
    let in_cron = readme
        .split("```cron")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or(""));
    let mut jobs = 0;
    for block in in_cron {
        for line in block
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let command = line.split_whitespace().nth(5).unwrap_or("");
            assert!(
                command.starts_with('/'),
                "cron runs `{command}` by PATH: {line}"
            );
            jobs += 1;
        }
    }
    assert!(jobs >= 1);
}
