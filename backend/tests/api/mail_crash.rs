//! The sender killed with SIGKILL in the middle of a large batch, then started again: every
//! digest arrives, none is lost, and the duplicates (mail the server accepted just before the
//! kill, whose "sent" had not been committed) are counted by Message-ID.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::EntityTrait;
use yigong::clock::{Clock, SystemClock};
use yigong::store;
use yigong::store::entities::outbox_mail;

use crate::helpers::fresh_database_url;
use crate::maildev::MailDev;

const MEMBERS: usize = 400;
const BATCH: usize = 50;

fn digest_command(data_dir: &std::path::Path, database_url: &str, smtp_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yigong"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["digest", "--now"])
        .env("DATABASE_URL", database_url)
        .env("SMTP_URL", smtp_url)
        .env("YIGONG_LEASE_SECONDS", "2")
        .env("YIGONG_DELIVERY_CONCURRENCY", "4")
        .env("YIGONG_PUBLIC_BASE_URL", "https://yigong.example.org")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test]
async fn a_sender_killed_mid_batch_loses_nothing_and_counts_its_duplicates() {
    let smtp = MailDev::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(dir.path()).await;
    let db = store::connect(&database_url).await.unwrap();
    store::migrate(&db).await.unwrap();
    yigong::bench::digests::populate(&db, MEMBERS, SystemClock.now())
        .await
        .unwrap();

    let mut first = digest_command(dir.path(), &database_url, &smtp.smtp_url())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let arrived = smtp.emails().await.len();
        if arrived >= MEMBERS / 4 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the sender finished before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "too slow: {arrived} mails"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = smtp.emails().await.len();
    assert!(
        at_kill < MEMBERS,
        "killed too late: all {at_kill} mails had arrived"
    );
    let unfinished = outbox_mail::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.status != "sent")
        .count();
    assert!(unfinished > 0, "nothing was left to do after the kill");

    let second = digest_command(dir.path(), &database_url, &smtp.smtp_url());
    let output = tokio::task::spawn_blocking(move || {
        let mut second = second;
        second.output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "restart failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("本期已生成 · already composed"), "{stdout}");

    let rows = outbox_mail::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), MEMBERS, "one digest per member");
    assert!(rows.iter().all(|m| m.status == "sent"), "{stdout}");
    let emails = smtp.wait_for(MEMBERS, Duration::from_secs(20)).await;
    let ids: Vec<String> = emails
        .iter()
        .map(|e| {
            e["headers"]["message-id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    let expected: HashSet<String> = rows
        .iter()
        .map(|m| format!("<{}@yigong.example.org>", m.id))
        .collect();
    let received: HashSet<String> = distinct.iter().map(|id| (*id).clone()).collect();
    assert_eq!(
        received, expected,
        "every digest arrived, under its outbox row's Message-ID"
    );
    let duplicates = emails.len() - distinct.len();
    println!(
        "SIGKILL during sending: {MEMBERS} digests, {at_kill} had arrived at the kill, \
         {unfinished} were unfinished; after the restart all {MEMBERS} arrived with {duplicates} duplicate(s)"
    );
    assert!(
        duplicates <= BATCH,
        "{duplicates} duplicates: more than one claimed batch"
    );
}
