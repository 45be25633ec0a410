//! The baseline a team would otherwise reach for: PostgreSQL full-text search. Chinese has no
//! spaces, so the text is cut with the same jieba analyzer first (what zhparser would do) and
//! stored as a `simple` tsvector with a GIN index; an order becomes an OR of its words ranked by
//! `ts_rank`. Measured for latency on the synthetic data and, with an evaluation set, for quality.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, Value};
use yigong_search_index::index::TeamDocument;
use yigong_search_index::matcher::Matcher;

use super::{Latency, ms};
use crate::evaluation::metrics;
use crate::evaluation::set::EvalSet;

const TABLE: &str = "bench_fulltext_baseline";

fn words(matcher: &Matcher, text: &str) -> Vec<String> {
    matcher
        .analyzer()
        .analyze(text)
        .into_iter()
        .map(|t| t.text.replace(['\'', '"', '-', '\\', ':'], ""))
        .filter(|w| !w.is_empty() && w != "or")
        .collect()
}

async fn load(
    db: &DatabaseConnection,
    matcher: &Matcher,
    teams: &[TeamDocument],
) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} (id text PRIMARY KEY, doc tsvector NOT NULL)"
    ))
    .await?;
    for chunk in teams.chunks(200) {
        let mut sql = format!("INSERT INTO {TABLE} (id, doc) VALUES ");
        let mut values = Vec::new();
        for (n, team) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, to_tsvector('simple', ${}))",
                2 * n + 1,
                2 * n + 2
            ));
            values.push(Value::from(team.team_id.clone()));
            values.push(Value::from(words(matcher, &team.full_text()).join(" ")));
        }
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    }
    db.execute_unprepared(&format!(
        "CREATE INDEX {TABLE}_gin ON {TABLE} USING GIN (doc); ANALYZE {TABLE}"
    ))
    .await?;
    Ok(())
}

async fn search(
    db: &DatabaseConnection,
    matcher: &Matcher,
    text: &str,
    limit: u64,
) -> anyhow::Result<Vec<String>> {
    let terms = words(matcher, text);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM {TABLE}, websearch_to_tsquery('simple', $1) q WHERE doc @@ q \
         ORDER BY ts_rank(doc, q) DESC, id LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [Value::from(terms.join(" or "))],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "id").map_err(Into::into))
        .collect()
}

pub async fn run(
    url: &str,
    matcher: &Matcher,
    teams: &[TeamDocument],
    orders: &[(String, String)],
    eval_set: Option<&Path>,
) -> anyhow::Result<()> {
    let db = Database::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    let started = Instant::now();
    load(&db, matcher, teams).await?;
    println!(
        "| PostgreSQL baseline: load and GIN index {} teams | {:.1} s |",
        teams.len(),
        started.elapsed().as_secs_f64()
    );
    let mut samples = Vec::with_capacity(orders.len());
    for (title, description) in orders {
        let started = Instant::now();
        let found = search(&db, matcher, &format!("{title} {description}"), 10).await?;
        samples.push(started.elapsed());
        std::hint::black_box(found);
    }
    let latency = Latency::of(samples);
    println!(
        "| PostgreSQL full-text baseline latency ({} orders) | p50 {} · p99 {} · mean {} |",
        orders.len(),
        ms(latency.p50),
        ms(latency.p99),
        ms(latency.mean)
    );
    if let Some(dir) = eval_set {
        let set = EvalSet::load(dir)?;
        let documents: Vec<TeamDocument> = set.teams.iter().map(|t| t.document()).collect();
        load(&db, matcher, &documents).await?;
        let (mut ndcg, mut recall) = (0.0, 0.0);
        for order in &set.orders {
            let ranking = search(
                &db,
                matcher,
                &format!("{} {}", order.title, order.body()),
                20,
            )
            .await?;
            let judgments = set.judgments(&order.id);
            ndcg += metrics::ndcg_at(&ranking, &judgments, 10);
            recall += metrics::recall_at(&ranking, &judgments, 10);
        }
        let n = set.orders.len().max(1) as f64;
        println!(
            "| PostgreSQL full-text baseline quality on {} | nDCG@10 {:.4} · Recall@10 {:.4} |",
            dir.display(),
            ndcg / n,
            recall / n
        );
    }
    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .await?;
    Ok(())
}
