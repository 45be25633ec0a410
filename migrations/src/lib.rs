//! Schema migrations for Yigong. The same migrations run on SQLite (the embedded default) and
//! PostgreSQL (production); they are append-only and each has a `down`.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_foundation;
mod m20261124_000002_idempotency_keys;
mod m20261201_000003_matches;
mod m20261201_000004_bidding;
mod m20261201_000005_mail_and_webhooks;

/// Every migration in order; `yigong migrate` and start-up run them.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261124_000002_idempotency_keys::Migration),
            Box::new(m20261201_000003_matches::Migration),
            Box::new(m20261201_000004_bidding::Migration),
            Box::new(m20261201_000005_mail_and_webhooks::Migration),
        ]
    }
}
