//! Migrations run up, down and up again on the test database (SQLite or PostgreSQL), and the
//! audit log refuses to be rewritten.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use yigong_migrations::{Migrator, MigratorTrait};

use crate::helpers::spawn_app;

async fn table_exists(db: &sea_orm::DatabaseConnection, table: &str) -> bool {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        }
        _ => format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
    };
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let app = spawn_app().await;
    let db = app.db();
    let tables = [
        "organizations",
        "users",
        "memberships",
        "sessions",
        "refresh_tokens",
        "teams",
        "team_members",
        "orders",
        "audit_events",
        "idempotency_keys",
    ];
    for table in tables {
        assert!(table_exists(db, table).await, "{table} after up");
    }
    Migrator::down(db, None).await.unwrap();
    for table in tables {
        assert!(!table_exists(db, table).await, "{table} after down");
    }
    Migrator::up(db, None).await.unwrap();
    for table in tables {
        assert!(table_exists(db, table).await, "{table} after up again");
    }
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .unwrap()
            .is_empty()
    );
    // And the application works on the re-created schema.
    app.sign_up("after@migration.example").await;
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = spawn_app().await;
    app.sign_up("someone@example.org").await;
    let db = app.db();
    let update = db
        .execute_unprepared("UPDATE audit_events SET action = 'forged'")
        .await;
    assert!(update.is_err(), "UPDATE on audit_events must fail");
    let delete = db.execute_unprepared("DELETE FROM audit_events").await;
    assert!(delete.is_err(), "DELETE on audit_events must fail");
    let events = yigong::store::audit::all(db).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "user.register");
    assert_eq!(
        events[0].after,
        Some(json!({"email": "someone@example.org", "display_name": "someone"}))
    );
}
