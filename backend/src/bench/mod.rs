//! `yigong bench`: measures the matcher on synthetic data — index build time and size, match
//! latency in the index and through the HTTP API with the database, peak memory — and, with
//! `--pg-url`, PostgreSQL full-text search over the same data as the baseline. Results are printed
//! as Markdown rows for `docs/BENCHMARKS.md`.

pub mod digests;
mod http;
mod pg_baseline;
pub mod synthetic;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use yigong_search_index::index::TeamIndex;
use yigong_search_index::matcher::Matcher;

use crate::progress::ProgressBar;
use synthetic::Generator;

/// What to measure.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Synthetic teams to index.
    #[arg(long, default_value_t = 10_000)]
    pub teams: usize,
    /// Synthetic orders to match.
    #[arg(long, default_value_t = 1_000)]
    pub orders: usize,
    /// Also measure the search endpoint over HTTP with the teams in a SQLite database.
    #[arg(long)]
    pub http: bool,
    /// Also measure PostgreSQL full-text search over the same teams (a scratch table is created
    /// and dropped in this database).
    #[arg(long, value_name = "URL")]
    pub pg_url: Option<String>,
    /// With `--pg-url`: an evaluation set to compare the baseline's ranking quality on.
    #[arg(long, value_name = "DIR")]
    pub eval_set: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// Latency percentiles of a run.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

impl Latency {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(index).copied().unwrap_or_default()
        };
        let total: Duration = samples.iter().sum();
        Self {
            p50: at(0.50),
            p99: at(0.99),
            mean: total / u32::try_from(samples.len().max(1)).unwrap_or(u32::MAX),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn directory_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let matcher = Matcher::builtin().context("loading the concept lexicon")?;
    let mut generator = Generator::new(matcher.lexicon(), args.seed);
    let teams: Vec<_> = (0..args.teams).map(|n| generator.team(n)).collect();
    let orders: Vec<_> = (0..args.orders).map(|_| generator.order()).collect();
    let bytes: usize = teams.iter().map(|t| t.full_text().len()).sum();
    println!(
        "synthetic data: {} teams (mean profile {} bytes), {} orders, seed {}",
        teams.len(),
        bytes / teams.len().max(1),
        orders.len(),
        args.seed
    );

    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let index_dir = dir.path().join("index");
    let index = TeamIndex::open_or_create(&index_dir, matcher.analyzer().clone())?;
    let started = Instant::now();
    let mut bar = ProgressBar::new("indexing");
    for (n, team) in teams.iter().enumerate() {
        let mut document = team.clone();
        matcher.tag(&mut document);
        index.upsert(&document)?;
        if n % 1000 == 0 {
            bar.update(n, teams.len());
        }
    }
    index.commit()?;
    // As `yigong reindex` leaves it: one merged segment.
    index.compact()?;
    bar.finish();
    let build = started.elapsed();
    println!(
        "| index build ({} teams, tagging and merging into one segment included) | {:.1} s |",
        teams.len(),
        build.as_secs_f64()
    );
    println!(
        "| index size on disk | {:.1} MiB |",
        directory_size(&index_dir) as f64 / 1_048_576.0
    );

    let mut samples = Vec::with_capacity(orders.len());
    let mut expansion = Vec::with_capacity(orders.len());
    for (title, description) in &orders {
        let started = Instant::now();
        let query = matcher.order_query(title, description);
        expansion.push(started.elapsed());
        let found = matcher.search(&index, &query, 10)?;
        samples.push(started.elapsed());
        std::hint::black_box(found);
    }
    let expansion = Latency::of(expansion);
    println!(
        "| of which analysing and expanding the order | p50 {} · p99 {} |",
        ms(expansion.p50),
        ms(expansion.p99)
    );
    let latency = Latency::of(samples);
    println!(
        "| match latency in the index (top 10 with reasons, {} orders) | p50 {} · p99 {} · mean {} |",
        orders.len(),
        ms(latency.p50),
        ms(latency.p99),
        ms(latency.mean)
    );
    drop(index);

    if args.http {
        http::run(&teams, &orders, dir.path()).await?;
    }
    if let Some(url) = &args.pg_url {
        pg_baseline::run(url, &matcher, &teams, &orders, args.eval_set.as_deref()).await?;
    }
    if let Some(peak) = peak_memory_mib() {
        println!("| peak resident memory of the whole run | {peak:.0} MiB |");
    }
    Ok(())
}
