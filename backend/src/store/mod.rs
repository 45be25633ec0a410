//! Persistence: sea-orm entities and the queries each domain area needs. Every function takes
//! `&impl ConnectionTrait`, so it works inside and outside a transaction.

pub mod audit;
pub mod bids;
pub mod entities;
pub mod idempotency;
pub mod lease;
pub mod mail;
pub mod matches;
pub mod orders;
pub mod organizations;
pub mod page;
pub mod projects;
pub mod sessions;
pub mod teams;
pub mod users;
pub mod webhooks;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::time::Duration;
use yigong_migrations::{Migrator, MigratorTrait};

/// Opens the database at `url`. SQLite gets WAL and foreign keys; it is used through a single
/// connection so writers never race each other for the file lock.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 1 } else { 10 })
        .acquire_timeout(Duration::from_secs(15))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
        .await
        .context("configuring SQLite")?;
    }
    Ok(db)
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// Whether the database answers at all (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// A JSON array of strings as stored in a JSON column.
pub(crate) fn string_list(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
