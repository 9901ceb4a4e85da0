//! Side-by-side benchmarks (issue 5): smolsock against raw smoltcp and the
//! Linux kernel's TCP over 127.0.0.1, all measured in one run; and the
//! async front end (`AsyncSocket` beside `Stack::run`) against the blocking
//! one on the throughput, connection-rate and round-trip figures
//! (`async_rows.rs`), interleaved round by round.
//!
//! `cargo bench --bench compare` runs the full sizes; `-- --quick` runs small
//! ones (under a minute, for CI: it checks that every figure can be produced
//! and asserts nothing about speed). Extra arguments that are not flags pick
//! sections by name: `throughput`, `conn`, `lines`, `rtt`, `memory`, `lookup`.
//!
//! Output: a table, then one `RESULT <name> <value>` line per figure.

mod async_rows;
mod conn;
mod lines;
mod lookup;
mod memory;
mod report;
mod rtt;
mod throughput;
mod util;

use report::Report;
use std::time::Duration;

/// Sizes for one run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub quick: bool,
    /// Bytes moved by each throughput variant (in `reps` rounds for the
    /// smolsock/raw pairs).
    pub bulk_bytes: usize,
    /// Wall time each connection-rate loop runs.
    pub conn_time: Duration,
    /// Lines sent through each line server, per round.
    pub lines: usize,
    /// Echo round trips timed (after a warm-up).
    pub rtt_samples: usize,
    /// Upper bound on any one measurement loop (a hang becomes an error).
    pub limit: Duration,
    /// Interleaved rounds of each smolsock/reference pair (the median
    /// ratio is reported, so one noisy round cannot make or break it).
    pub reps: usize,
}

impl Plan {
    fn full() -> Self {
        Plan {
            quick: false,
            bulk_bytes: 1 << 30,
            conn_time: Duration::from_secs(5),
            lines: 2_000_000,
            rtt_samples: 50_000,
            limit: Duration::from_secs(120),
            reps: 9,
        }
    }

    fn quick() -> Self {
        Plan {
            quick: true,
            bulk_bytes: 64 << 20,
            conn_time: Duration::from_secs(1),
            lines: 100_000,
            rtt_samples: 5_000,
            limit: Duration::from_secs(20),
            reps: 3,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut plan = if args.iter().any(|a| a == "--quick") {
        Plan::quick()
    } else {
        Plan::full()
    };
    // For profiling one figure at another size.
    if let Some(mib) = std::env::var("COMPARE_BULK_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        plan.bulk_bytes = mib << 20;
    }
    let picked: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let want = |name: &str| picked.is_empty() || picked.contains(&name);

    println!(
        "smolsock compare ({}): {} CPU(s), {}",
        if plan.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let started = std::time::Instant::now();
    let mut report = Report::default();
    if want("throughput") {
        throughput::run(&plan, &mut report);
    }
    if want("conn") {
        conn::run(&plan, &mut report);
    }
    if want("lines") {
        lines::run(&plan, &mut report);
    }
    if want("rtt") {
        rtt::run(&plan, &mut report);
    }
    if want("memory") {
        memory::run(&mut report);
    }
    if want("lookup") {
        lookup::run(&plan, &mut report);
    }
    report.print();
    println!("total wall time {:.1} s", started.elapsed().as_secs_f64());
    if report.errors > 0 {
        eprintln!("{} measurement(s) failed", report.errors);
        std::process::exit(1);
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
