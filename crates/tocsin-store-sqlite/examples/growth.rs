//! Database growth under simulated time: M monitors checked every 30 s for D days, written into
//! a real `SqliteStore` (temp file, real migrations) the way the engine writes them, rolled up
//! and pruned the way the housekeeping job does, and the file measured at chosen days.
//!
//! ```text
//! cargo run --release -p tocsin-store-sqlite --example growth -- --monitors 1000 --days 8
//! ```
//!
//! Options: `--monitors M` (1000) · `--days D` (8) · `--interval S` (30, seconds) ·
//! `--keep-raw H` (24, hours; `[engine] keep_raw_checks`, default `"1d"`) · `--samples 1,7,8,30,31,90` ·
//! `--housekeeping S` (60, seconds of simulated time between roll-ups) · `--flush S` (1, seconds
//! of simulated time between batch writes, each at most 500 results a transaction) · `--dir PATH` (a fresh
//! folder under the temp dir; deleted at the end unless given) · `--project N` (10000: monitors
//! the per-row sizes are projected to, 90 days).
//!
//! Nothing here reads the engine: time is a loop variable, outcomes are a deterministic function
//! of (monitor, check number), so two runs write the same rows.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark prints its table and its progress"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sqlx::{ConnectOptions, Connection, Row, sqlite::SqliteConnectOptions};
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::{MonitorState, MonitorStatus};
use tocsin_store::prelude::*;
use tocsin_store::{CheckCommit, Retention};
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};

/// The engine's batch: written when this full, or at each one-second flush.
const BATCH_LIMIT: usize = 500;
/// Failed checks in a row before a monitor is down (the default `confirm`).
const CONFIRM: u32 = 3;
/// How long after a minute ends it is rolled up: the engine's for a 10 s timeout.
const SETTLE: Duration = Duration::from_secs(10 + 1 + 60);
const DAY_S: i64 = 86_400;

#[derive(Debug)]
struct Options {
    monitors: usize,
    days: i64,
    interval: i64,
    keep_raw_hours: u64,
    samples: Vec<i64>,
    housekeeping: i64,
    flush: i64,
    dir: Option<PathBuf>,
    project: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        monitors: 1000,
        days: 8,
        interval: 30,
        keep_raw_hours: 24,
        samples: vec![1, 7, 8, 30, 31, 90],
        housekeeping: 60,
        flush: 1,
        dir: None,
        project: 10_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| -> Result<i64, String> {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{what} must be a positive whole number, not {value:?}"))
        };
        match flag.as_str() {
            "--monitors" => options.monitors = number("--monitors")? as usize,
            "--days" => options.days = number("--days")?,
            "--interval" => options.interval = number("--interval")?,
            "--keep-raw" => options.keep_raw_hours = number("--keep-raw")? as u64,
            "--housekeeping" => options.housekeeping = number("--housekeeping")?,
            "--flush" => options.flush = number("--flush")?,
            "--project" => options.project = number("--project")? as u64,
            "--dir" => options.dir = Some(PathBuf::from(&value)),
            "--samples" => {
                options.samples = value
                    .split(',')
                    .map(|day| day.trim().parse::<i64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        format!("--samples is a list of days like 1,7,30, not {value:?}")
                    })?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if DAY_S % options.interval != 0
        || DAY_S % options.flush != 0
        || options.housekeeping % options.flush != 0
    {
        return Err("--interval and --flush must divide a day, --flush --housekeeping".into());
    }
    Ok(options)
}

/// A small deterministic hash: latencies and outages vary by monitor and check, run to run alike.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Whether monitor `i` fails at second `t` of the run: each day 2 % of the monitors have one
/// outage of 2–20 minutes at a time of day of their own.
fn failing(i: usize, t: i64) -> bool {
    let day = t.div_euclid(DAY_S);
    let h = mix((i as u64) << 20 ^ day as u64);
    if !h.is_multiple_of(50) {
        return false;
    }
    let start = ((h >> 8) % (DAY_S as u64 - 1_200)) as i64;
    let length = 120 + ((h >> 32) % 1_080) as i64;
    let second = t.rem_euclid(DAY_S);
    second >= start && second < start + length
}

/// One monitor's state as the engine keeps it in memory.
fn next_state(state: &MonitorState, at: Timestamp, outcome: &CheckOutcome) -> MonitorState {
    let mut next = state.clone();
    next.last_check_at = Some(at);
    next.last_latency_ms = Some(outcome.latency_ms);
    next.last_error = outcome.error.clone();
    if outcome.ok {
        if next.status != MonitorStatus::Up {
            next.since = Some(at);
        }
        next.status = MonitorStatus::Up;
        next.failures = 0;
        next.failing_since = None;
    } else {
        next.failures += 1;
        if next.failures == 1 {
            next.failing_since = Some(at);
        }
        if next.failures >= CONFIRM && next.status != MonitorStatus::Down {
            next.status = MonitorStatus::Down;
            next.since = next.failing_since;
        }
    }
    next
}

#[derive(Debug, Default)]
struct Sample {
    day: i64,
    rows: BTreeMap<&'static str, i64>,
    /// Bytes of each table with its indexes (from `dbstat`).
    table_bytes: BTreeMap<String, i64>,
    main_bytes: u64,
    wal_bytes: u64,
    page_bytes: i64,
    free_bytes: i64,
}

async fn measure(path: &Path, day: i64) -> Result<Sample, Box<dyn std::error::Error>> {
    let mut conn = SqliteConnectOptions::new().filename(path).connect().await?;
    // The WAL folded back into the main file, so the file's size is what the data takes.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    let mut sample = Sample {
        day,
        ..Sample::default()
    };
    for (name, sql) in [
        ("check_results", "SELECT count(*) FROM check_results"),
        (
            "rollups (5 min)",
            "SELECT count(*) FROM check_rollups WHERE span = 5",
        ),
        (
            "rollups (hour)",
            "SELECT count(*) FROM check_rollups WHERE span = 60",
        ),
        (
            "rollups (day)",
            "SELECT count(*) FROM check_rollups WHERE span = 1440",
        ),
        ("outages", "SELECT count(*) FROM outages"),
    ] {
        let count: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
        sample.rows.insert(name, count);
    }
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&mut conn)
        .await?;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut conn)
        .await?;
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(&mut conn)
        .await?;
    sample.page_bytes = pages * page_size;
    sample.free_bytes = free * page_size;
    // Each index counted to its table: what a row of that table costs in all.
    let per_table = sqlx::query(
        "SELECT m.tbl_name AS tbl, sum(d.pgsize) AS bytes FROM dbstat AS d \
         JOIN sqlite_schema AS m ON m.name = d.name WHERE d.aggregate = TRUE GROUP BY m.tbl_name",
    )
    .fetch_all(&mut conn)
    .await?;
    for row in per_table {
        sample
            .table_bytes
            .insert(row.try_get("tbl")?, row.try_get("bytes")?);
    }
    conn.close().await?;
    sample.main_bytes = std::fs::metadata(path)?.len();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    sample.wal_bytes = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    Ok(sample)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the benchmark times its own writing in wall-clock seconds; simulated time is separate"
)]
fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}

fn mb(bytes: f64) -> String {
    format!("{:.1}", bytes / 1e6)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = match parse_args() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("growth: {error}");
            std::process::exit(2);
        }
    };
    let (dir, keep_dir) = match &options.dir {
        Some(dir) => (dir.clone(), true),
        None => (
            std::env::temp_dir().join(format!("tocsin-growth-{}", std::process::id())),
            false,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("growth.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(&file);
    }
    // `synchronous` changes when a commit is durable, never what is written: NORMAL keeps the
    // benchmark's fsyncs from timing the disk instead of the store.
    let store = SqliteStore::open(
        &format!("sqlite://{}", path.display()),
        &SqliteOptions {
            synchronous_full: false,
            ..SqliteOptions::default()
        },
    )
    .await?;
    let start = Timestamp::from_second(1_767_225_600)?; // 2026-01-01T00:00:00Z
    let ids: Vec<String> = (0..options.monitors)
        .map(|i| format!("monitor-{i:05}"))
        .collect();
    let due: Vec<(String, Timestamp)> = ids.iter().map(|id| (id.clone(), start)).collect();
    store.sync_monitors(&due).await?;
    // The engine's retention (`tocsin_engine::housekeeping` uses the same constructor).
    let retention = Retention::standard(Duration::from_secs(options.keep_raw_hours * 3600), SETTLE);
    let mut states = vec![MonitorState::pending(); options.monitors];
    let mut samples = Vec::new();
    let mut batch: Vec<CheckCommit> = Vec::with_capacity(BATCH_LIMIT);
    let began = wall_clock();
    let mut written: u64 = 0;
    let interval = options.interval;
    eprintln!(
        "growth: {} monitors every {interval}s for {} days, keep_raw_checks = {}h, into {}",
        options.monitors,
        options.days,
        options.keep_raw_hours,
        path.display()
    );
    for t in 0..options.days * DAY_S {
        // Monitor i is due at seconds ≡ i (mod interval), at a millisecond of its own.
        let slot = t % interval;
        let mut i = slot as usize;
        while i < options.monitors {
            let at = start + SignedDuration::from_millis(t * 1000 + (mix(i as u64) % 1000) as i64);
            let h = mix((i as u64) << 32 ^ t as u64);
            let outcome = if failing(i, t) {
                CheckOutcome {
                    ok: false,
                    status: Some(503),
                    latency_ms: 40 + h % 200,
                    error: Some("status 503, expected 200-299".into()),
                    degraded: None,
                }
            } else {
                CheckOutcome {
                    ok: true,
                    status: Some(200),
                    latency_ms: 20 + h % 280,
                    error: None,
                    degraded: None,
                }
            };
            states[i] = next_state(&states[i], at, &outcome);
            batch.push(CheckCommit {
                run_started_at: None,
                monitor_id: ids[i].clone(),
                at,
                outcome: Some(outcome),
                state: states[i].clone(),
                next_check_at: at + SignedDuration::from_secs(interval),
            });
            if batch.len() == BATCH_LIMIT && options.flush == 1 {
                store.record_checks(&batch).await?;
                written += batch.len() as u64;
                batch.clear();
            }
            i += interval as usize;
        }
        // The engine's writer flushes once a second (`--flush`: less often, fewer commits).
        if (t + 1) % options.flush == 0 {
            for chunk in batch.chunks(BATCH_LIMIT) {
                store.record_checks(chunk).await?;
            }
            written += batch.len() as u64;
            batch.clear();
        }
        let now = start + SignedDuration::from_secs(t + 1);
        if (t + 1) % options.housekeeping == 0 {
            store.roll_up_and_prune(now, &retention).await?;
        }
        if (t + 1) % DAY_S == 0 {
            let day = (t + 1) / DAY_S;
            let seconds = began.elapsed().as_secs_f64();
            eprintln!(
                "growth: day {day} done, {written} results in {seconds:.0}s ({:.0} results/s)",
                written as f64 / seconds
            );
            if options.samples.contains(&day) {
                samples.push(measure(&path, day).await?);
            }
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    report(&options, &samples, written, seconds);
    if !keep_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn report(options: &Options, samples: &[Sample], written: u64, seconds: f64) {
    println!(
        "{} monitors every {}s, {} simulated days, keep_raw_checks = {}h: {written} results written \
         in {seconds:.0}s ({:.0} results/s; record_checks every {}s and roll_up_and_prune every {}s of simulated time)\n",
        options.monitors,
        options.interval,
        options.days,
        options.keep_raw_hours,
        written as f64 / seconds,
        options.flush,
        options.housekeeping
    );
    println!(
        "| day | check_results | 5-min rollups | hour rollups | day rollups | outages | file (MB) | free pages (MB) | bytes/monitor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in samples {
        let file = s.main_bytes + s.wal_bytes;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} |",
            s.day,
            s.rows["check_results"],
            s.rows["rollups (5 min)"],
            s.rows["rollups (hour)"],
            s.rows["rollups (day)"],
            s.rows["outages"],
            mb(file as f64),
            mb(s.free_bytes as f64),
            file as f64 / options.monitors as f64
        );
    }
    let Some(last) = samples.last() else {
        return;
    };
    // Measured cost of one row, indexes included, from the last sample.
    let per_row = |table: &str, rows: i64| -> f64 {
        let bytes = last.table_bytes.get(table).copied().unwrap_or(0);
        if rows > 0 {
            bytes as f64 / rows as f64
        } else {
            0.0
        }
    };
    let raw_row = per_row("check_results", last.rows["check_results"]);
    let rollup_rows =
        last.rows["rollups (5 min)"] + last.rows["rollups (hour)"] + last.rows["rollups (day)"];
    let rollup_row = per_row("check_rollups", rollup_rows);
    let outage_row = per_row("outages", last.rows["outages"]);
    println!(
        "\nMeasured at day {} (dbstat, indexes included): a raw result {raw_row:.1} B, an aggregate row {rollup_row:.1} B, an outage {outage_row:.1} B; pages {} MB, of them free {} MB.",
        last.day,
        mb(last.page_bytes as f64),
        mb(last.free_bytes as f64)
    );
    let n = options.project as f64;
    let per_day = 86_400.0 / options.interval as f64;
    let days = 90.0_f64;
    let kept = |keep: Duration| days.min(keep.as_secs_f64() / 86_400.0);
    let five = n * 288.0 * kept(Retention::FIVE_MINUTE_ROLLUPS);
    let hour = n * 24.0 * kept(Retention::HOUR_ROLLUPS);
    let day = n * kept(Retention::DAY_ROLLUPS);
    let aggregates = (five + hour + day) * rollup_row;
    println!(
        "\nProjected for {} monitors every {}s after 90 days (row counts × the measured bytes per row; an extrapolation):\n",
        options.project, options.interval
    );
    println!(
        "| keep_raw_checks | raw rows | raw (GB) | aggregate rows | aggregates (GB) | total (GB) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for hours in [24.0_f64, 168.0] {
        let raw = n * per_day * hours / 24.0;
        println!(
            "| {}h | {:.0} | {:.2} | {:.0} | {:.2} | {:.2} |",
            hours,
            raw,
            raw * raw_row / 1e9,
            five + hour + day,
            aggregates / 1e9,
            (raw * raw_row + aggregates) / 1e9
        );
    }
}
