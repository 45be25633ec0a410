//! The search endpoint through HTTP with the database: the synthetic teams are written to a
//! SQLite database, the application starts on it (its start-up reconciliation builds the index),
//! and the orders are sent one after another as `GET /api/v1/teams/search?q=…`.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::{EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;
use yigong_search_index::index::TeamDocument;

use super::{Latency, ms};
use crate::clock::SystemClock;
use crate::config::{CommonArgs, ServeArgs, Settings};
use crate::domain::organization::{NewOrganization, OrgKind};
use crate::startup::Application;
use crate::store::entities::team;
use crate::store::{self, organizations};

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One GET over a fresh connection; returns the status code.
fn get(port: u16, path: &str) -> anyhow::Result<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let head = String::from_utf8_lossy(&response[..response.len().min(20)]).to_string();
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("reading the status line")
}

pub async fn run(
    teams: &[TeamDocument],
    orders: &[(String, String)],
    scratch: &Path,
) -> anyhow::Result<()> {
    let data_dir = scratch.join("http");
    let common = CommonArgs {
        data_dir: Some(data_dir.clone()),
        database_url: None,
        config: None,
    };
    let serve = ServeArgs {
        bind: Some("127.0.0.1:0".to_owned()),
        ..Default::default()
    };
    let settings = Settings::resolve(&common, &serve)?;
    let db = store::connect(settings.database_url.expose()).await?;
    store::migrate(&db).await?;
    let now = Utc::now();
    let org = organizations::insert(
        &db,
        &NewOrganization {
            name: "基准测试大学".to_owned(),
            kind: OrgKind::University,
            city: "北京".to_owned(),
            review_required: false,
        },
        now,
    )
    .await?;
    for chunk in teams.chunks(500) {
        let rows = chunk.iter().map(|t| team::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            name: Set(t.name.clone()),
            summary: Set(t.summary.clone()),
            capabilities: Set(t.capabilities.clone()),
            keywords: Set(json!(t.keywords)),
            equipment: Set(json!(t.equipment)),
            disciplines: Set(json!(t.disciplines)),
            city: Set(t.city.clone()),
            language: Set(t.language.clone()),
            capacity: Set(2),
            accepting_work: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        team::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await?;
    }
    let started = Instant::now();
    let app = Application::build_with(settings, db, Arc::new(SystemClock)).await?;
    println!(
        "| start-up reconciliation indexing {} teams from the database | {:.1} s |",
        teams.len(),
        started.elapsed().as_secs_f64()
    );
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let paths: Vec<String> = orders
        .iter()
        .map(|(title, description)| {
            let text: String = format!("{title} {description}").chars().take(500).collect();
            format!("/api/v1/teams/search?limit=10&q={}", percent_encode(&text))
        })
        .collect();
    let samples = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Duration>> {
        let mut samples = Vec::with_capacity(paths.len());
        for path in &paths {
            let started = Instant::now();
            let status = get(port, path)?;
            samples.push(started.elapsed());
            if status != 200 {
                bail!("GET {path} answered {status}");
            }
        }
        Ok(samples)
    })
    .await??;
    server.abort();
    let latency = Latency::of(samples);
    println!(
        "| search through HTTP with SQLite ({} requests) | p50 {} · p99 {} · mean {} |",
        orders.len(),
        ms(latency.p50),
        ms(latency.p99),
        ms(latency.mean)
    );
    Ok(())
}
