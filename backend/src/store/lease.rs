//! Claiming work from an outbox table with a lease. A claim marks up to `limit` due rows as held
//! by `owner` until `lease_until` and counts the attempt; a sender that dies simply lets its lease
//! run out and the rows become due again. PostgreSQL skips rows another sender has locked
//! (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the statement alone is atomic.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

/// Outbox tables that share the columns `status`, `attempts`, `next_attempt_at`, `lease_owner`,
/// `lease_until` and `updated_at`.
#[derive(Debug, Clone, Copy)]
pub enum Outbox {
    Mail,
    Webhooks,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Mail => "outbox_mails",
            Outbox::Webhooks => "webhook_deliveries",
        }
    }
}

pub const PENDING: &str = "pending";

/// A claim as the statement to run through the table's entity (`from_raw_sql`).
pub fn claim_statement(
    db: &impl ConnectionTrait,
    outbox: Outbox,
    owner: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Statement {
    let backend = db.get_database_backend();
    let table = outbox.table();
    let (p, lock) = match backend {
        DbBackend::Postgres => (["$1", "$2", "$3", "$4", "$5"], " FOR UPDATE SKIP LOCKED"),
        _ => (["?1", "?2", "?3", "?4", "?5"], ""),
    };
    let sql = format!(
        "UPDATE {table} SET lease_owner = {owner}, lease_until = {until}, attempts = attempts + 1, \
         updated_at = {now} \
         WHERE id IN (SELECT id FROM {table} WHERE status = {pending} AND next_attempt_at <= {now} \
         AND (lease_until IS NULL OR lease_until <= {now}) ORDER BY next_attempt_at, id LIMIT {limit}{lock}) \
         RETURNING *",
        owner = p[0],
        until = p[1],
        now = p[2],
        pending = p[3],
        limit = p[4],
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(owner),
            Value::from(lease_until),
            Value::from(now),
            Value::from(PENDING),
            Value::from(i64::try_from(limit).unwrap_or(i64::MAX)),
        ],
    )
}
