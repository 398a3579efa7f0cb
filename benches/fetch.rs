//! The fetch benchmark behind BENCHMARKS.md: the release `spotctl` binary against the fake
//! service with 50 ms added to every response, as a user would run it.
//!
//! `cargo bench --bench fetch` runs every case 5 times and prints a markdown table (median wall
//! time, requests and TCP connections the fake saw, peak RSS of the spotctl process);
//! `-- --quick` runs each case once on smaller inputs (what CI does); `-- --runs N` sets the
//! repetitions. The "many artists" cases (issue 10) run 31 artists and 500 synthetic ones from
//! stdin, and a crawl against the fake's quota mode with and without `--rate`. `--concurrency 1` is the sequential client (spotipy, rspotify, `gh api
//! --paginate` fetch one page per round trip).

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::fake::*;

const BIN: &str = env!("CARGO_BIN_EXE_spotctl");
const LATENCY_MS: u64 = 50;

struct Sample {
    wall: Duration,
    api: usize,
    token: usize,
    conns: usize,
    rss_kb: i64,
    lines: usize,
}

struct Bench {
    fake: FakeSpotify,
    dir: tempfile::TempDir,
}

impl Bench {
    fn new(mode: Mode) -> Bench {
        let fake = FakeSpotify::start_with(mode);
        fake.set_latency_ms(LATENCY_MS);
        Bench {
            fake,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_remove("SPOTCTL_ACCOUNT")
            .env("SPOTCTL_CONFIG_DIR", self.dir.path())
            .env("SPOTCTL_API_BASE", self.fake.api_base())
            .env("SPOTCTL_ACCOUNTS_BASE", self.fake.accounts_base())
            .env("SPOTIFY_CLIENT_ID", CLIENT_ID)
            .env("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET);
        c
    }

    /// Runs spotctl once; stdout goes to a file whose lines are counted.
    fn run(&self, args: &[&str]) -> Sample {
        self.run_command(self.command(args), &format!("spotctl {args:?}"))
    }

    fn run_command(&self, mut command: Command, what: &str) -> Sample {
        self.fake.clear_log();
        let conns_before = self.fake.connections();
        let out_path = self.dir.path().join("out.jsonl");
        let out = std::fs::File::create(&out_path).expect("output file");
        let start = Instant::now();
        // Reaped by `wait_rusage` (wait4), which also returns the child's peak memory.
        #[allow(clippy::zombie_processes)]
        let child = command
            .stdout(Stdio::from(out))
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn spotctl");
        let hwm = watch_hwm(child.id());
        let (status, rusage_kb) = wait_rusage(child);
        let polled = hwm.join().unwrap_or(0);
        let rss_kb = if polled > 0 { polled } else { rusage_kb };
        let wall = start.elapsed();
        assert_eq!(status, 0, "{what} failed");
        let lines = std::fs::read(&out_path)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0);
        Sample {
            wall,
            api: self.fake.api_requests(),
            token: self.fake.token_requests(),
            conns: self.fake.connections() - conns_before,
            rss_kb,
            lines,
        }
    }
}

/// The child's peak RSS in kB, from `VmHWM` in `/proc/PID/status`, read every 2 ms until the
/// process is gone (the high-water mark only grows, so the last read is the peak). Why not
/// `wait4`'s `ru_maxrss` alone: `Command` spawns with vfork, and exec records the *parent's*
/// high-water mark in the child's `maxrss`, so once the bench process itself holds a big fake
/// catalog every child reports at least its size.
fn watch_hwm(pid: u32) -> std::thread::JoinHandle<i64> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak = 0i64;
        while let Ok(s) = std::fs::read_to_string(&path) {
            match s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                Some(v) => {
                    let kb = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                    peak = peak.max(kb);
                }
                // A zombie has no memory left to measure.
                None => break,
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    })
}

/// Waits for the child and returns its exit status and `ru_maxrss` in kB (see [`watch_hwm`]
/// for why that is only a fallback).
#[cfg(unix)]
fn wait_rusage(child: std::process::Child) -> (i32, i64) {
    let pid = child.id() as i32;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss)
}

/// Elsewhere there is no `wait4`: the exit status only, peak memory shown as 0.
#[cfg(not(unix))]
fn wait_rusage(mut child: std::process::Child) -> (i32, i64) {
    let status = child.wait().expect("wait for spotctl");
    (status.code().unwrap_or(-1), 0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    case: String,
    pages: usize,
    concurrency: &'static str,
    median: Duration,
    api: usize,
    conns: usize,
    rss_kb: i64,
    items: usize,
}

fn case(
    b: &Bench,
    name: &str,
    artist: &str,
    pages: usize,
    items: usize,
    conc: Option<&'static str>,
    runs: usize,
) -> Row {
    let mut args = vec!["albums", "--artist", artist, "-o", "jsonl"];
    if let Some(c) = conc {
        args.extend(["--concurrency", c]);
    }
    let samples: Vec<Sample> = (0..runs).map(|_| b.run(&args)).collect();
    for s in &samples {
        assert_eq!(s.lines, items, "{name}: every album printed");
        assert_eq!(s.token, 0, "{name}: warm runs use the cached token");
    }
    let last = samples.last().expect("at least one run");
    Row {
        case: name.to_string(),
        pages,
        concurrency: conc.unwrap_or("8 (default)"),
        median: median(samples.iter().map(|s| s.wall).collect()),
        api: last.api,
        conns: last.conns,
        rss_kb: samples.iter().map(|s| s.rss_kb).max().unwrap_or(0),
        items,
    }
}

/// The same listing through spotipy (a real sequential peer), when Python has it installed
/// (`pip install spotipy`); otherwise the row is left out with a note.
fn spotipy_case(
    b: &Bench,
    name: &str,
    artist: &str,
    page: usize,
    pages: usize,
    items: usize,
    runs: usize,
) -> Option<Row> {
    let available = Command::new("python3")
        .args(["-c", "import spotipy"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        eprintln!("note: spotipy is not installed (pip install spotipy); its rows are left out");
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/spotipy_albums.py");
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let mut c = Command::new("python3");
        c.arg(script)
            .arg(b.fake.api_base())
            .arg(b.fake.accounts_base())
            .arg(artist)
            .arg(page.to_string());
        let s = b.run_command(c, "spotipy");
        walls.push(s.wall);
        last = Some(s);
    }
    let last = last?;
    let printed: usize = std::fs::read_to_string(b.dir.path().join("out.jsonl"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(printed, items, "spotipy fetched every album");
    Some(Row {
        case: name.to_string(),
        pages,
        concurrency: "spotipy (sequential)",
        median: median(walls),
        api: last.api,
        conns: last.conns,
        rss_kb: last.rss_kb,
        items,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 });
    let mut rows = Vec::new();

    // 1000 albums at page size 50 (extended quota: 20 pages) and 10 (Development Mode: 100).
    for (mode, page, label) in [
        (Mode::Extended, 50, "extended quota"),
        (Mode::Dev2026, 10, "development mode"),
    ] {
        let b = Bench::new(mode);
        let (artist, n) = if quick {
            (b.fake.add_artist("Quick", 120), 120)
        } else {
            (ARTIST_1000.to_string(), 1000)
        };
        // Cold start: one token request, and (Development Mode) the one refused page size.
        let cold = b.run(&["albums", "--artist", &artist, "-o", "jsonl"]);
        assert_eq!(cold.lines, n);
        assert_eq!(cold.token, 1, "one token request on a cold start");
        let pages = n.div_ceil(page);
        let probe = usize::from(page == 10);
        assert_eq!(
            cold.api,
            pages + probe,
            "{label}: one request per page on a cold start (+ the page-size probe)"
        );
        let name = format!("{n} albums, {label}");
        if let Some(r) = spotipy_case(&b, &name, &artist, page, pages, n, runs) {
            rows.push(r);
        }
        for conc in [Some("1"), None] {
            let r = case(
                &b,
                &format!("{n} albums, {label}"),
                &artist,
                pages,
                n,
                conc,
                runs,
            );
            assert_eq!(r.api, pages, "exactly one request per page");
            rows.push(r);
        }
    }

    // Memory: 10,000 albums streamed.
    {
        let b = Bench::new(Mode::Extended);
        let n = std::env::var("SPOTCTL_BENCH_ALBUMS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 500 } else { 10_000 });
        let artist = b.fake.add_artist("Huge Catalog", n);
        let _warm = b.run(&["albums", "--artist", &artist, "--limit", "1"]);
        rows.push(case(
            &b,
            &format!("{n} albums, extended quota"),
            &artist,
            n.div_ceil(50),
            n,
            None,
            runs.min(3),
        ));
    }

    println!(
        "| case | pages | --concurrency | median wall | requests | TCP connections | peak RSS |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.3} s | {} | {} | {:.1} MB |",
            r.case,
            r.pages,
            r.concurrency,
            r.median.as_secs_f64(),
            r.api,
            r.conns,
            r.rss_kb as f64 / 1024.0
        );
        let _ = r.items;
    }
    println!();
    for par in rows
        .iter()
        .filter(|r| r.concurrency == "8 (default)" && r.pages <= 100)
    {
        let floor = par.pages.saturating_sub(1).div_ceil(8) + 1;
        let floor_s = floor as f64 * LATENCY_MS as f64 / 1000.0;
        let vs = |label: &str| {
            rows.iter()
                .find(|r| r.case == par.case && r.concurrency == label)
                .map(|r| {
                    let who = if label == "1" {
                        "--concurrency 1"
                    } else {
                        label
                    };
                    format!(
                        "{:.1}x faster than {who}",
                        r.median.as_secs_f64() / par.median.as_secs_f64()
                    )
                })
        };
        let ratios: Vec<String> = ["1", "spotipy (sequential)"]
            .iter()
            .filter_map(|l| vs(l))
            .collect();
        println!(
            "- {}: default concurrency is {}; floor ceil(({}-1)/8)+1 = {floor} round trips = {floor_s:.2} s, measured {:.2}x the floor",
            par.case,
            ratios.join(", "),
            par.pages,
            par.median.as_secs_f64() / floor_s
        );
    }

    batches(quick, runs);

    // `spotctl token` with a fresh cached token: no network.
    let b = Bench::new(Mode::Dev2026);
    let setup = b
        .command(&["login", "--client-credentials", "-a", "bench"])
        .output()
        .expect("login");
    assert!(setup.status.success());
    let n = if quick { 5 } else { 50 };
    let mut walls = Vec::new();
    b.fake.clear_log();
    for _ in 0..n {
        let s = Instant::now();
        let o = b
            .command(&["token", "-a", "bench"])
            .output()
            .expect("token");
        walls.push(s.elapsed());
        assert!(o.status.success() && o.stdout.len() > 20);
    }
    assert_eq!(
        b.fake.requests().len(),
        0,
        "token with a fresh cached token does no network"
    );
    walls.sort();
    println!(
        "- `spotctl token` with a fresh cached token, {n} runs: median {:.1} ms, p95 {:.1} ms, max {:.1} ms, 0 requests",
        walls[n / 2].as_secs_f64() * 1000.0,
        walls[(n * 95 / 100).min(n - 1)].as_secs_f64() * 1000.0,
        walls[n - 1].as_secs_f64() * 1000.0
    );
}

/// Artists for a batch case: `(ids, albums each)`.
struct Artists {
    ids: Vec<String>,
    albums: Vec<usize>,
}

impl Artists {
    fn pages(&self, page: usize) -> usize {
        self.albums.iter().map(|n| n.div_ceil(page).max(1)).sum()
    }
    fn items(&self) -> usize {
        self.albums.iter().sum()
    }
}

/// Runs `spotctl albums --artist - -o jsonl [extra]` with the artists on stdin.
fn run_batch(b: &Bench, a: &Artists, extra: &[&str]) -> Sample {
    let input = b.dir.path().join("artists.txt");
    std::fs::write(&input, a.ids.join("\n") + "\n").expect("artists file");
    let mut c = b.command(&["albums", "--artist", "-", "-o", "jsonl"]);
    c.args(extra).stdin(Stdio::from(
        std::fs::File::open(&input).expect("artists file"),
    ));
    b.run_command(c, &format!("spotctl batch {extra:?}"))
}

fn batch_row(
    b: &Bench,
    case: &str,
    a: &Artists,
    page: usize,
    conc: Option<&'static str>,
    runs: usize,
) -> Row {
    let mut extra = Vec::new();
    if let Some(c) = conc {
        extra.extend(["--concurrency", c]);
    }
    let samples: Vec<Sample> = (0..runs).map(|_| run_batch(b, a, &extra)).collect();
    for s in &samples {
        assert_eq!(s.lines, a.items(), "{case}: every album printed");
        assert_eq!(s.api, a.pages(page), "{case}: exactly one request per page");
        let c: usize = conc.and_then(|c| c.parse().ok()).unwrap_or(8);
        assert!(s.conns <= c, "{case}: at most --concurrency connections");
    }
    let last = samples.last().expect("at least one run");
    Row {
        case: case.to_string(),
        pages: a.pages(page),
        concurrency: conc.unwrap_or("8 (default)"),
        median: median(samples.iter().map(|s| s.wall).collect()),
        api: last.api,
        conns: last.conns,
        rss_kb: samples.iter().map(|s| s.rss_kb).max().unwrap_or(0),
        items: a.items(),
    }
}

/// issue 10: many artists at the speed of one, and a crawl under a quota.
fn batches(quick: bool, runs: usize) {
    let mut rows: Vec<Row> = Vec::new();
    // 31 artists, 32 pages at 50 per page: one has 57 albums (2 pages), 30 have 1–30.
    {
        let b = Bench::new(Mode::Extended);
        let mut a = Artists {
            ids: vec![ARTIST_57.to_string()],
            albums: vec![57],
        };
        for i in 0..30 {
            let n = 1 + i;
            a.ids.push(b.fake.add_artist(&format!("Small {i:02}"), n));
            a.albums.push(n);
        }
        let _warm = b.run(&["albums", "--artist", ARTIST_EMPTY]);
        let case = "31 artists, extended quota";
        if let Some(r) = spotipy_batch(&b, case, &a, 50, if quick { 1 } else { runs.min(3) }) {
            rows.push(r);
        }
        rows.push(batch_row(&b, case, &a, 50, Some("1"), runs));
        rows.push(batch_row(&b, case, &a, 50, None, runs));
    }
    // 500 synthetic artists of 1–23 albums, at both page sizes.
    let n_artists = if quick { 40 } else { 500 };
    for (mode, page, label) in [
        (Mode::Extended, 50, "extended quota"),
        (Mode::Dev2026, 10, "development mode"),
    ] {
        let b = Bench::new(mode);
        let mut a = Artists {
            ids: Vec::new(),
            albums: Vec::new(),
        };
        for i in 0..n_artists {
            let n = 1 + (i * 7919 + 3) % 23;
            a.ids.push(b.fake.add_artist(&format!("Synth {i:03}"), n));
            a.albums.push(n);
        }
        // Cold start once (token, and the refused page size in Development Mode).
        let cold = run_batch(&b, &a, &[]);
        assert_eq!(
            cold.token, 1,
            "{label}: one token request for the whole batch"
        );
        assert_eq!(
            cold.api,
            a.pages(page) + usize::from(page == 10),
            "{label}: requests = pages (+ the one refused page size), not one probe per artist"
        );
        let case = format!("{n_artists} artists of 1–23 albums, {label}");
        // The sequential rows take a round trip per page (~40 s for 800 pages): once.
        if let Some(r) = spotipy_batch(&b, &case, &a, page, 1) {
            rows.push(r);
        }
        rows.push(batch_row(&b, &case, &a, page, Some("1"), 1));
        rows.push(batch_row(&b, &case, &a, page, None, runs.min(3)));
    }
    println!();
    println!("Many artists from stdin (`albums --artist -`), 50 ms per response:");
    println!();
    println!(
        "| case | pages | --concurrency | median wall | floor ceil(pages/8) RT | vs floor | requests | TCP connections | peak RSS |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let floor = r.pages.div_ceil(8) as f64 * LATENCY_MS as f64 / 1000.0;
        println!(
            "| {} | {} | {} | {:.3} s | {floor:.2} s | {:.2}× | {} | {} | {:.1} MB |",
            r.case,
            r.pages,
            r.concurrency,
            r.median.as_secs_f64(),
            r.median.as_secs_f64() / floor,
            r.api,
            r.conns,
            r.rss_kb as f64 / 1024.0
        );
    }
    println!();
    for par in rows.iter().filter(|r| r.concurrency == "8 (default)") {
        for other in ["1", "spotipy loop (sequential)"] {
            if let Some(r) = rows
                .iter()
                .find(|r| r.case == par.case && r.concurrency == other)
            {
                println!(
                    "- {}: default is {:.1}× faster than {}",
                    par.case,
                    r.median.as_secs_f64() / par.median.as_secs_f64(),
                    if other == "1" {
                        "--concurrency 1"
                    } else {
                        other
                    }
                );
            }
        }
    }
    quota_crawl(quick);
}

/// The artists through spotipy, one after another (where `import spotipy` works).
fn spotipy_batch(b: &Bench, case: &str, a: &Artists, page: usize, runs: usize) -> Option<Row> {
    let ids = a.ids.join(",");
    let mut row = spotipy_case(b, case, &ids, page, a.pages(page), a.items(), runs)?;
    row.concurrency = "spotipy loop (sequential)";
    Some(row)
}

/// A crawl against the fake's quota mode (N requests per rolling window W, as Spotify's
/// rolling 30 s window), with and without `--rate` just under it. The quota-bound floor for
/// spaced requests is pages × W / N.
fn quota_crawl(quick: bool) {
    // Full: 300 pages, 100 requests per 5 s (Spotify's 30 s window scaled down 6×, so the
    // bench takes seconds, not minutes); quick: 30 pages, 10 per second.
    let (pages, max, window, rate) = if quick {
        (30, 10, Duration::from_secs(1), "590/m")
    } else {
        (300, 100, Duration::from_secs(5), "1190/m")
    };
    let b = Bench::new(Mode::Extended);
    let artist = b.fake.add_artist("Crawl", pages * 50);
    let _warm = b.run(&["albums", "--artist", ARTIST_EMPTY]);
    let floor = pages as f64 * window.as_secs_f64() / max as f64;
    println!();
    println!(
        "Quota mode: {pages} pages, the fake allows {max} requests per rolling {} s (429 with Retry-After until the window frees); floor pages × W / N = {floor:.1} s:",
        window.as_secs()
    );
    println!();
    println!("| run | wall | vs floor | requests | 429s |");
    println!("|---|---:|---:|---:|---:|");
    for with_rate in [false, true] {
        // A fresh window for each run.
        std::thread::sleep(window + Duration::from_millis(200));
        b.fake.set_quota(max, window);
        let mut args = vec!["albums", "--artist", &artist, "-o", "jsonl"];
        if with_rate {
            args.extend(["--rate", rate]);
        }
        let s = b.run(&args);
        assert_eq!(s.lines, pages * 50, "every album of the crawl");
        let refused = b.fake.requests().iter().filter(|r| r.status == 429).count();
        if with_rate {
            assert_eq!(refused, 0, "--rate just under the quota meets no 429");
        }
        println!(
            "| {} | {:.2} s | {:.2}× | {} | {refused} |",
            if with_rate {
                format!("`--rate {rate}`")
            } else {
                "default (no cap)".to_string()
            },
            s.wall.as_secs_f64(),
            s.wall.as_secs_f64() / floor,
            s.api
        );
    }
}
