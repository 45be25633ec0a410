//! `yigong digest`: one pass of the notifier from the command line. With `--dry-run` it only
//! prints who would receive what. Otherwise it composes, sends until the outbox holds nothing
//! due (waiting out the leases of a sender that died, so a restart finishes its work), delivers
//! due webhooks, and prints the outbox's state.

use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

use crate::cli::DigestArgs;
use crate::clock::{Clock, SystemClock};
use crate::config::{CommonArgs, ServeArgs, Settings};
use crate::mail::compose::{self, ComposeReport};
use crate::mail::sender::SendReport;
use crate::notify::Notifier;
use crate::store::{self, mail};
use crate::templates::Templates;
use yigong_search_index::matcher::Matcher;

pub async fn run(common: &CommonArgs, args: DigestArgs) -> anyhow::Result<()> {
    let serve = ServeArgs {
        public_base_url: args.public_base_url.clone(),
        notify: args.notify.clone(),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(common, &serve)?;
    let db = store::connect(settings.database_url.expose()).await?;
    store::migrate(&db).await?;
    let notifier = Notifier::new(&settings, Arc::new(Templates::builtin()?))?;
    let matcher = Matcher::builtin().context("loading the concept lexicon")?;
    let clock = SystemClock;
    if args.dry_run {
        return dry_run(&db, &notifier, &matcher, &clock, args.now).await;
    }
    let composed =
        compose::compose_due(&db, notifier.composer(&matcher), clock.now(), args.now).await?;
    print_compose(&composed);
    println!(
        "发送方式 · transport: {}",
        notifier.sender.transport().describe()
    );
    let sent = send_until_settled(&db, &notifier, &clock).await?;
    let hooks = notifier.webhooks.deliver_due(&db, &clock).await?;
    println!(
        "已发送 · sent {}, 稍后重试 · deferred {}, 失败 · failed {}, 已屏蔽 · suppressed {}",
        sent.sent, sent.deferred, sent.failed, sent.suppressed
    );
    println!(
        "Webhook: 已送达 · delivered {}, 稍后重试 · deferred {}, 失败 · failed {}",
        hooks.delivered, hooks.deferred, hooks.failed
    );
    let counts = mail::status_counts(&db).await?;
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("发件箱 · outbox: {}", summary.join(", "));
    Ok(())
}

/// Sends until nothing is due. Mail leased by a sender that is gone becomes due when its lease
/// runs out; leases running out within one lease period are waited for.
async fn send_until_settled(
    db: &DatabaseConnection,
    notifier: &Notifier,
    clock: &dyn Clock,
) -> anyhow::Result<SendReport> {
    let mut total = SendReport::default();
    let patience = chrono::Duration::from_std(notifier.sender.settings().lease)?;
    loop {
        let report = notifier.sender.send_due(db, clock).await?;
        total.sent += report.sent;
        total.deferred += report.deferred;
        total.failed += report.failed;
        total.suppressed += report.suppressed;
        let now = clock.now();
        match mail::earliest_running_lease(db, now).await? {
            Some(until) if until - now <= patience => {
                println!("等待其他发送进程的租约到期 · waiting for a lease to run out at {until}");
                let wait = (until - now).to_std().unwrap_or_default();
                tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
            }
            _ => return Ok(total),
        }
    }
}

async fn dry_run(
    db: &DatabaseConnection,
    notifier: &Notifier,
    matcher: &Matcher,
    clock: &dyn Clock,
    ignore_hour: bool,
) -> anyhow::Result<()> {
    let (planned, report) =
        compose::plan(db, notifier.composer(matcher), clock.now(), ignore_hour).await?;
    for digest in &planned.digests {
        println!(
            "→ {} [{} · {}] {} 条推荐 · matches, {} 条投标动态 · decisions: {}",
            digest.recipient,
            digest.period_key,
            digest.language,
            digest.match_ids.len(),
            digest.notification_ids.len(),
            digest.subject
        );
    }
    print_compose(&report);
    println!("试运行，未写入也未发送 · dry run: nothing written, nothing sent");
    Ok(())
}

fn print_compose(report: &ComposeReport) {
    println!(
        "摘要 · digests: {} 订阅 · subscribed, {} 未到发送时间 · not due, {} 本期已生成 · already composed, \
         {} 无新内容 · nothing new, {} 地址已屏蔽 · suppressed, {} 新生成 · composed",
        report.subscribed,
        report.not_due,
        report.already_composed,
        report.nothing_new,
        report.suppressed,
        report.composed
    );
}
