//! Pipelines between spotctl commands, `-o csv` and `--with-parent` (issue 18, items 3–5):
//! stdin lines may be JSON objects spotctl printed; csv is RFC 4180 with a header row and
//! the tsv columns; `--with-parent` ties each row to its input.

use crate::common::*;

fn piped(t: &T, args: &[&str], input: &str) -> std::process::Output {
    t.cmd()
        .args(args)
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

#[test]
fn from_a_name_to_a_table_search_albums_tracks_csv() {
    let t = T::new();
    let artist = t.run(&[
        "search", "태연", "--type", "artist", "--limit", "1", "-o", "jsonl",
    ]);
    assert_code(&artist, 0);
    let albums = piped(&t, &["albums", "-", "-o", "jsonl"], &stdout(&artist));
    assert_code(&albums, 0);
    let albums_json = jsonl(&albums);
    assert_eq!(albums_json.len(), 57);
    t.fake.clear_log();
    let tracks = piped(
        &t,
        &["tracks", "-", "-o", "csv", "--with-parent"],
        &stdout(&albums),
    );
    assert_code(&tracks, 0);
    let text = stdout(&tracks);
    assert!(text.starts_with("parent_id,id,type,disc_number,track_number,duration_ms,name\r\n"));
    let rows: Vec<&str> = text.split_terminator("\r\n").skip(1).collect();
    let want: u64 = albums_json
        .iter()
        .map(|a| a["total_tracks"].as_u64().unwrap())
        .sum();
    assert_eq!(rows.len() as u64, want, "every track of every album");
    // Rows come in album order, each starting with its album's ID.
    let mut parents: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    parents.dedup();
    assert_eq!(parents, ids(&albums_json));
    assert_eq!(t.hits("/tracks").len(), 57, "one page per album");
}

#[test]
fn a_line_of_the_wrong_kind_is_its_own_failure_and_nothing_is_sent_for_it() {
    let t = T::new();
    let albums = t.run(&["albums", ARTIST_57, "--limit", "1", "-o", "jsonl"]);
    let album = jsonl(&albums)[0]["id"].as_str().unwrap().to_string();
    t.fake.clear_log();
    let input = format!(
        "{}[1]\n{{\"name\":\"x\"}}\n{{\"type\":\"artist\",\"id\":\"{ARTIST_EMPTY}\"}}\n",
        stdout(&albums)
    );
    let o = piped(&t, &["albums", "-"], &input);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: stdin line 1: the JSON object (spotify:album:{album}) is an album, but an artist is needed\n\
             spotctl: stdin line 2: JSON that is not an object: expected one printed by spotctl -o jsonl\n\
             spotctl: stdin line 3: the JSON object has no \"uri\", nor \"type\" and \"id\"\n\
             spotctl: 3 of 4 artists failed\n"
        )
    );
    let mut sent: Vec<String> = t
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/"))
        .map(|r| r.path.clone())
        .collect();
    // (Twice: the page size is probed on the first listing of a fresh account.)
    sent.dedup();
    assert_eq!(sent, [format!("/v1/artists/{ARTIST_EMPTY}/albums")]);
}

#[test]
fn csv_has_a_header_the_tsv_columns_crlf_and_quotes_only_where_needed() {
    let t = T::new();
    let album = t.fake.add_album("Hello, \"World\"", 2);
    let csv = t.run(&["tracks", &album, "-o", "csv"]);
    assert_code(&csv, 0);
    let tsv = t.run(&["tracks", &album, "-o", "tsv"]);
    let text = stdout(&csv);
    assert!(!text.starts_with('\u{feff}'), "no BOM");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,type,disc_number,track_number,duration_ms,name"
    );
    assert_eq!(lines.len(), 3);
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    for (c, t) in lines[1..].iter().zip(lines_of(&tsv)) {
        let cols: Vec<&str> = t.split('\t').collect();
        let name = format!("\"{}\"", cols[5].replace('"', "\"\""));
        assert_eq!(*c, format!("{},{name}", cols[..5].join(",")));
    }
    let albums = t.run(&["albums", ARTIST_57, "--limit", "2", "-o", "csv"]);
    assert!(stdout(&albums).starts_with("id,release_date,album_type,total_tracks,name\r\n"));
    let search = t.run(&["search", "taeyeon", "--limit", "1", "-o", "csv"]);
    assert!(
        stdout(&search).starts_with("type,id,name\r\nartist,"),
        "{}",
        stdout(&search)
    );
    let accounts = t.run(&["accounts", "-o", "csv"]);
    assert!(
        stdout(&accounts)
            .starts_with("name,provider,grant,user,expires_at,refresh_token_expires_at,scopes\r\n"),
        "{}",
        stdout(&accounts)
    );
}

fn lines_of(o: &std::process::Output) -> Vec<String> {
    lines(o)
}

#[test]
fn with_parent_starts_rows_with_the_input_and_json_objects_carry_it_first() {
    let t = T::new();
    let a = t.fake.add_album("First", 2);
    let b = t.fake.add_album("Second", 1);
    let tsv = t.run(&["tracks", &a, &b, "-o", "tsv", "--with-parent"]);
    assert_code(&tsv, 0);
    let parents: Vec<String> = lines(&tsv)
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(parents, [a.clone(), a.clone(), b.clone()]);
    let plain = t.run(&["tracks", &a, &b, "-o", "jsonl"]);
    let tagged = t.run(&["tracks", &a, &b, "-o", "jsonl", "--with-parent"]);
    for ((p, q), parent) in lines(&plain).iter().zip(lines(&tagged)).zip(&parents) {
        assert_eq!(
            q,
            format!("{{\"_parent\":\"{parent}\",{}", &p[1..]),
            "the item itself unchanged"
        );
    }
    // Without the flag, output stays as it was.
    assert!(!stdout(&plain).contains("_parent"));
    let albums = t.run(&[
        "albums",
        ARTIST_57,
        "--limit",
        "1",
        "--with-parent",
        "-o",
        "tsv",
    ]);
    assert!(stdout(&albums).starts_with(&format!("{ARTIST_57}\t")));
}

#[test]
fn tracks_starts_while_albums_is_still_streaming() {
    let t = T::new();
    assert_code(&t.run(&["albums", ARTIST_EMPTY]), 0);
    t.fake.clear_log();
    t.fake.set_latency_ms(300);
    let mut c = std::process::Command::new("sh");
    t.apply_env(&mut c);
    let o = c
        .arg("-c")
        .arg("\"$0\" albums \"$1\" | \"$0\" tracks - -o tsv | wc -l")
        .arg(env!("CARGO_BIN_EXE_spotctl"))
        .arg(ARTIST_57)
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "321");
    let reqs = t.fake.requests();
    let last_albums = reqs
        .iter()
        .filter(|r| r.path.ends_with("/albums"))
        .map(|r| r.done_ms)
        .max()
        .unwrap();
    let first_tracks = reqs
        .iter()
        .filter(|r| r.path.ends_with("/tracks"))
        .map(|r| r.at_ms)
        .min()
        .unwrap();
    assert!(
        first_tracks < last_albums,
        "the first album's tracks ({first_tracks} ms) are asked for before the last page of albums is in ({last_albums} ms)"
    );
}
