//! The digest benchmark and its data: many lab members on many teams, each team proposed for a
//! few published orders. `populate` is shared with the crash test, which needs a large batch.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::{CommonArgs, NotifyArgs, ServeArgs, Settings};
use crate::mail::compose;
use crate::notify::Notifier;
use crate::store::entities::{
    membership, order, organization, team, team_match, team_member, user,
};
use crate::store::{self, mail};
use crate::templates::Templates;
use yigong_search_index::matcher::Matcher;

/// Options of `yigong bench-digests`.
#[derive(Debug, Clone, clap::Args)]
pub struct DigestBenchArgs {
    /// Lab members, one digest each.
    #[arg(long, default_value_t = 10_000)]
    pub members: usize,
    /// The SMTP server to send to (e.g. MailDev: `smtp://127.0.0.1:1025`).
    #[arg(long, value_name = "URL")]
    pub smtp_url: String,
    /// Mails in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

/// What `populate` made.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub members: usize,
    pub teams: usize,
    pub orders: usize,
    pub proposals: usize,
}

const MEMBERS_PER_TEAM: usize = 5;
const PROPOSALS_PER_TEAM: usize = 3;

/// Fills an empty database: a hospital with published orders, a university whose `members`
/// people sit five to a team, and three proposals per team. Passwords are unusable on purpose.
pub async fn populate(
    db: &DatabaseConnection,
    members: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Population> {
    let teams = members.div_ceil(MEMBERS_PER_TEAM).max(1);
    let orders = (teams / 10).clamp(10, 500);
    let txn = db.begin().await?;
    let hospital = Uuid::now_v7();
    let university = Uuid::now_v7();
    let orgs = [
        (hospital, "hospital", "基准测试医院"),
        (university, "university", "基准测试大学"),
    ]
    .map(|(id, kind, name)| organization::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        name: Set(name.to_owned()),
        city: Set("上海".to_owned()),
        verified: Set(true),
        review_required: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    });
    organization::Entity::insert_many(orgs)
        .exec_without_returning(&txn)
        .await?;
    let author = Uuid::now_v7();
    let mut users = vec![person(
        author,
        "author@hospital.bench.example",
        "基准医生",
        now,
    )];
    let member_ids: Vec<Uuid> = (0..members).map(|_| Uuid::now_v7()).collect();
    for (n, id) in member_ids.iter().enumerate() {
        users.push(person(
            *id,
            &format!("member{n}@lab.bench.example"),
            &format!("成员{n}"),
            now,
        ));
    }
    for chunk in users.chunks(500) {
        user::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let mut memberships = vec![membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(author),
        organization_id: Set(hospital),
        role: Set("clinician".to_owned()),
        created_at: Set(now),
    }];
    memberships.extend(member_ids.iter().map(|id| membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(*id),
        organization_id: Set(university),
        role: Set("member".to_owned()),
        created_at: Set(now),
    }));
    for chunk in memberships.chunks(500) {
        membership::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let order_ids: Vec<Uuid> = (0..orders).map(|_| Uuid::now_v7()).collect();
    let order_rows: Vec<order::ActiveModel> = order_ids
        .iter()
        .enumerate()
        .map(|(n, id)| order::ActiveModel {
            id: Set(*id),
            organization_id: Set(hospital),
            author_id: Set(author),
            title: Set(format!("基准需求 {n}：术中出血的快速止血材料")),
            clinical_description: Set("肝切除断面渗血，需要可降解的止血材料。".to_owned()),
            engineering_brief: Set(None),
            category: Set("materials".to_owned()),
            department: Set("肝胆外科".to_owned()),
            city: Set("上海".to_owned()),
            budget_min_cny: Set(200_000),
            budget_max_cny: Set(800_000),
            bid_deadline: Set(now + Duration::days(30)),
            expected_duration_months: Set(12),
            regulatory_class: Set("III".to_owned()),
            ip_preference: Set("joint".to_owned()),
            revenue_split: Set(json!({"team": 70, "department": 10, "hospital": 20})),
            confidential_details: Set(None),
            status: Set("published".to_owned()),
            review_comment: Set(None),
            published_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    for chunk in order_rows.chunks(200) {
        order::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let team_ids: Vec<Uuid> = (0..teams).map(|_| Uuid::now_v7()).collect();
    let team_rows: Vec<team::ActiveModel> = team_ids
        .iter()
        .enumerate()
        .map(|(n, id)| team::ActiveModel {
            id: Set(*id),
            organization_id: Set(university),
            name: Set(format!("止血材料课题组 {n}")),
            summary: Set("可降解水凝胶".to_owned()),
            capabilities: Set("可降解水凝胶与组织粘合剂。".to_owned()),
            keywords: Set(json!([])),
            equipment: Set(json!([])),
            disciplines: Set(json!([])),
            city: Set("上海".to_owned()),
            language: Set("zh".to_owned()),
            capacity: Set(2),
            accepting_work: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    for chunk in team_rows.chunks(300) {
        team::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let seats: Vec<team_member::ActiveModel> = member_ids
        .iter()
        .enumerate()
        .map(|(n, id)| team_member::ActiveModel {
            team_id: Set(team_ids[n / MEMBERS_PER_TEAM]),
            user_id: Set(*id),
            created_at: Set(now),
        })
        .collect();
    for chunk in seats.chunks(500) {
        team_member::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let mut proposals = Vec::new();
    for (n, team_id) in team_ids.iter().enumerate() {
        for k in 0..PROPOSALS_PER_TEAM {
            proposals.push(team_match::ActiveModel {
                id: Set(Uuid::now_v7()),
                order_id: Set(order_ids[(n + k) % orders]),
                team_id: Set(*team_id),
                score: Set(1.0),
                rank: Set(i32::try_from(k + 1).unwrap_or(1)),
                reasons: Set(json!([{"type": "term", "word": "水凝胶"}])),
                status: Set("proposed".to_owned()),
                dismiss_reason: Set(None),
                dismissed_by: Set(None),
                dismissed_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
    }
    for chunk in proposals.chunks(500) {
        team_match::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Population {
        members,
        teams,
        orders,
        proposals: proposals.len(),
    })
}

fn person(id: Uuid, email: &str, name: &str, now: DateTime<Utc>) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        display_name: Set(name.to_owned()),
        password_hash: Set("!unusable".to_owned()),
        is_platform_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Composes and sends one digest per member to a real SMTP server, timing each phase.
pub async fn run(args: &DigestBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let common = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        ..CommonArgs::default()
    };
    let serve = ServeArgs {
        notify: NotifyArgs {
            smtp_url: Some(args.smtp_url.clone()),
            delivery_concurrency: Some(args.concurrency),
            ..NotifyArgs::default()
        },
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(&common, &serve)?;
    let db = store::connect(settings.database_url.expose()).await?;
    store::migrate(&db).await?;
    let clock = SystemClock;
    let started = Instant::now();
    let population = populate(&db, args.members, clock.now()).await?;
    println!(
        "data: {} members on {} teams, {} orders, {} proposals (SQLite, loaded in {:.1} s)",
        population.members,
        population.teams,
        population.orders,
        population.proposals,
        started.elapsed().as_secs_f64()
    );
    let notifier = Notifier::new(&settings, Arc::new(Templates::builtin()?))?;
    let matcher = Matcher::builtin()?;
    let started = Instant::now();
    let report = compose::compose_due(&db, notifier.composer(&matcher), clock.now(), true).await?;
    let composed = started.elapsed();
    let started = Instant::now();
    let sent = notifier.sender.send_due(&db, &clock).await?;
    let sending = started.elapsed();
    let total = composed + sending;
    println!(
        "| digests composed (rendered zh-CN, written with their items) | {} in {:.1} s |",
        report.composed,
        composed.as_secs_f64()
    );
    println!(
        "| digests sent over SMTP ({} in flight, pooled connections) | {} sent, {} deferred, {} failed in {:.1} s ({:.0}/s) |",
        args.concurrency,
        sent.sent,
        sent.deferred,
        sent.failed,
        sending.as_secs_f64(),
        sent.sent as f64 / sending.as_secs_f64().max(0.001)
    );
    println!(
        "| composed and sent, total | {:.1} s (goal ≤ 60 s) |",
        total.as_secs_f64()
    );
    let counts = mail::status_counts(&db).await?;
    println!("outbox: {counts:?}");
    if let Some(peak) = super::peak_memory_mib() {
        println!("| peak resident memory | {peak:.0} MiB |");
    }
    Ok(())
}
