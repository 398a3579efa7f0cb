//! Memory a server can inflate with pages of legitimate shape: pages held ahead of the output
//! in a batch are budgeted in bytes as well as in items.

use crate::common::*;

/// A page of 10 albums of ~380 KB each (a name of that length), ~3.8 MB in all: under the
/// 8 MiB body cap, and under the `limit` of 10.
fn huge_page() -> String {
    let name = "x".repeat(380_000);
    let items: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":"{i:022}","name":"{name}","type":"album","album_type":"album","release_date":"2026-01-01"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"items":[{}],"next":null,"total":10,"offset":0,"limit":10}}"#,
        items.join(",")
    )
}

#[test]
fn pages_of_a_few_huge_items_held_ahead_of_the_output_are_bounded_in_bytes() {
    let t = T::new();
    assert_code(&t.run(&["albums", "--artist", ARTIST_EMPTY]), 0);
    t.fake.clear_log();
    let ids: Vec<String> = (0..34)
        .map(|i| t.fake.add_artist(&format!("Huge {i:02}"), 10))
        .collect();
    // Every artist's page is a huge one; the second artist's is slow, so while it is the one
    // being written, the 32 behind it (4 × --concurrency) fetch ahead.
    t.fake.inject(Fault::new(
        &format!("/artists/{}/albums", ids[1]),
        FaultKind::Latency(2000),
    ));
    t.fake
        .inject(Fault::new("/albums", json_body(200, &huge_page())).times(usize::MAX));
    let mut args = vec!["albums", "-o", "jsonl"];
    args.extend(ids.iter().map(String::as_str));
    let (code, err, kb, _) = run_measured(&t, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(t.hits("/albums").len(), 34, "every page fetched once");
    // Held ahead: at most 32 MiB of pages, plus the 8 bodies in flight (~30 MB). With items
    // alone counted (1600 at --concurrency 8), all 32 pages (~122 MB) were held.
    assert!(kb < 110 * 1024, "peak RSS {kb} kB");
    eprintln!("huge pages ahead of a slow head: peak RSS {kb} kB");
}
