//! The `yigong` command line: serve, migrate, seed and admin. Every subcommand takes
//! `--data-dir` and honours `DATABASE_URL`.

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use sea_orm::TransactionTrait;
use std::io::BufRead;

use crate::auth::password;
use crate::clock::{Clock, SystemClock};
use crate::config::{CommonArgs, ServeArgs, Settings, StorageSettings};
use crate::domain::user::{Email, Password};
use crate::startup::Application;
use crate::store::audit::{self, AuditEntry};
use crate::store::{self, users};
use yigong_migrations::{Migrator, MigratorTrait};

#[derive(Debug, Parser)]
#[command(
    name = "yigong",
    version,
    about = "医工 Yigong: 临床需求与工程团队对接平台 · clinical needs to engineering teams"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and REST API (migrates the database first).
    Serve(ServeArgs),
    /// Bring the database schema up to date.
    Migrate {
        /// Roll every migration back instead (development only: drops all data).
        #[arg(long)]
        down: bool,
    },
    /// Load data into an empty database.
    Seed {
        /// The demo data set.
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Rebuild the search index from the database (the index is derived state).
    Reindex,
    /// Measure matching speed, index size and memory on synthetic data (see docs/BENCHMARKS.md).
    Bench(crate::bench::BenchArgs),
    /// Measure composing and sending digests to a real SMTP server (see docs/BENCHMARKS.md).
    BenchDigests(crate::bench::digests::DigestBenchArgs),
    /// Compose the digests that are due and send the mail outbox (for cron, or to look).
    Digest(DigestArgs),
    /// Platform administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Evaluate matching quality on a judged set (teams.jsonl, orders.jsonl, qrels.tsv).
    /// Needs no database and no server.
    Eval {
        /// The set's directory.
        #[arg(long)]
        set: std::path::PathBuf,
        /// Where to write the rankings (top 20 per order) and metrics as JSON.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Also print, per order, the concepts recognised and where the judged teams ranked.
        #[arg(long)]
        explain: bool,
        /// Override matcher weights for a tuning experiment, e.g. `concept_boost=4,related=0.5`.
        #[arg(long, default_value = "")]
        weights: String,
    },
}

/// Options of `yigong digest`.
#[derive(Debug, Clone, clap::Args)]
pub struct DigestArgs {
    /// Print who would receive which digest, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Compose this period's digest for every subscribed member now, without waiting for
    /// their chosen hour (one digest per period still holds).
    #[arg(long)]
    pub now: bool,
    /// The address people use to reach the server (for links in mail).
    #[arg(long, env = "YIGONG_PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<String>,
    #[command(flatten)]
    pub notify: crate::config::NotifyArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform admin, or promote an existing account. The password is read from
    /// `YIGONG_ADMIN_PASSWORD` or, failing that, from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        display_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every organisation's hash chain and name the first broken link (exit status 1 if any).
    Verify,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(serve) => {
            let settings = Settings::resolve(&cli.common, &serve)?;
            tracing::info!(database = %settings.database_url_for_logs(), data_dir = %settings.data_dir.display(), "starting");
            let app = Application::build(settings).await?;
            if serve.demo {
                let state = app.state();
                let summary = crate::seed::load_demo(&state.db, state.clock.as_ref()).await?;
                report_seed(&summary);
                if !summary.skipped {
                    state.matching.reconcile(&state.db).await?;
                    let proposals = state
                        .matching
                        .propose_for_open_orders(&state.db, state.clock.now())
                        .await?;
                    println!("已生成匹配推荐 · proposals made: {proposals}");
                }
            }
            app.start_notifier();
            tracing::info!(port = app.port(), "listening 服务已启动");
            app.run_until_stopped().await.context("serving")
        }
        Command::Migrate { down } => {
            let settings = StorageSettings::resolve(&cli.common)?;
            let db = store::connect(settings.database_url.expose()).await?;
            if down {
                Migrator::down(&db, None)
                    .await
                    .context("rolling back migrations")?;
                println!("所有迁移已回滚 · all migrations rolled back");
            } else {
                store::migrate(&db).await?;
                println!("数据库已是最新 · database is up to date");
            }
            Ok(())
        }
        Command::Seed { demo: _ } => {
            let settings = StorageSettings::resolve(&cli.common)?;
            let db = store::connect(settings.database_url.expose()).await?;
            store::migrate(&db).await?;
            let summary = crate::seed::load_demo(&db, &SystemClock).await?;
            report_seed(&summary);
            Ok(())
        }
        Command::Bench(args) => crate::bench::run(&args).await,
        Command::BenchDigests(args) => crate::bench::digests::run(&args).await,
        Command::Digest(args) => crate::digest_command::run(&cli.common, args).await,
        Command::Reindex => {
            let settings = StorageSettings::resolve(&cli.common)?;
            let db = store::connect(settings.database_url.expose()).await?;
            store::migrate(&db).await?;
            reindex(&db, &settings.index_dir()).await
        }
        Command::Eval {
            set,
            out,
            explain,
            weights,
        } => {
            let matcher = yigong_search_index::matcher::Matcher::builtin()
                .context("loading the concept lexicon")?;
            let tuned = matcher
                .weights()
                .with_overrides(&weights)
                .map_err(|e| anyhow!("--weights: {e}"))?;
            let matcher = matcher.with_weights(tuned);
            crate::evaluation::run(&set, &out, &matcher, explain)?;
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let settings = StorageSettings::resolve(&cli.common)?;
            let db = store::connect(settings.database_url.expose()).await?;
            verify_audit_log(&db).await
        }
        Command::Admin(AdminCommand::Create {
            email,
            display_name,
        }) => {
            let settings = StorageSettings::resolve(&cli.common)?;
            let db = store::connect(settings.database_url.expose()).await?;
            store::migrate(&db).await?;
            create_admin(&db, &email, &display_name).await
        }
    }
}

async fn reindex(
    db: &sea_orm::DatabaseConnection,
    index_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let matcher = std::sync::Arc::new(
        yigong_search_index::matcher::Matcher::builtin().context("loading the concept lexicon")?,
    );
    let service = crate::matching::service::MatchingService::open(
        index_dir,
        matcher,
        crate::config::DEFAULT_MATCH_LIMIT,
    )?;
    let started = std::time::Instant::now();
    let mut bar = crate::progress::ProgressBar::new("重建索引 · reindexing");
    let report = service
        .rebuild(db, |done, total| bar.update(done, total))
        .await?;
    bar.finish();
    println!(
        "索引已重建 · index rebuilt: {} teams in {:.1} s",
        report.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn verify_audit_log(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let report = store::audit::verify(db)
        .await
        .context("reading the audit log")?;
    for broken in &report.broken {
        let event = broken
            .event_id
            .map_or_else(String::new, |id| format!(" (audit_events.id = {id})"));
        println!(
            "断链 · broken link: chain {}, event {}{event}: {}",
            broken.chain_key, broken.seq, broken.reason
        );
    }
    println!(
        "审计日志 · audit log: {} chains, {} chained events, {} events from before the chains, {} broken",
        report.chains,
        report.events,
        report.unchained,
        report.broken.len()
    );
    if report.broken.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "审计日志已被篡改 · the audit log has been tampered with"
        ))
    }
}

fn report_seed(summary: &crate::seed::SeedSummary) {
    if summary.skipped {
        println!("数据库中已有数据，未导入演示数据 · database not empty, demo data not loaded");
    } else {
        println!(
            "已导入演示数据 · demo data loaded: {} organisations, {} users, {} teams, {} orders (password: {})",
            summary.organizations,
            summary.users,
            summary.teams,
            summary.orders,
            crate::seed::DEMO_PASSWORD
        );
    }
}

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("YIGONG_ADMIN_PASSWORD") {
        return Ok(password);
    }
    eprintln!("请输入管理员密码 · admin password:");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create_admin(
    db: &sea_orm::DatabaseConnection,
    email: &str,
    display_name: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow!(e.message))?;
    let now = SystemClock.now();
    let txn = db.begin().await?;
    let user = match users::find_by_email(&txn, &email).await? {
        Some(user) => user,
        None => {
            let password =
                Password::parse("password", &admin_password()?).map_err(|e| anyhow!(e.message))?;
            users::insert(
                &txn,
                &email,
                display_name.trim(),
                password::hash(&password)?,
                now,
            )
            .await?
        }
    };
    let user = users::make_platform_admin(&txn, user, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: None,
            action: "user.make_platform_admin",
            object_type: "user",
            object_id: user.id,
            before: None,
            after: Some(serde_json::json!({"email": user.email})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    println!("平台管理员已就绪 · platform admin ready: {}", user.email);
    Ok(())
}
