//! The `yigong` binary itself: migrate, create the first platform admin, and serve the demo the
//! way the README's run command does.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::fresh_database_url;

fn yigong(data_dir: &std::path::Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yigong"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("DATABASE_URL", database_url)
        .env_remove("YIGONG_CONFIG")
        .env_remove("YIGONG_JWT_SECRET")
        .env("RUST_LOG", "warn");
    command
}

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn migrate_then_create_the_first_platform_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let migrate = yigong(dir.path(), &url).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let create = yigong(dir.path(), &url)
        .args([
            "admin",
            "create",
            "--email",
            "Root@Yigong.example",
            "--display-name",
            "平台管理员",
        ])
        .env("YIGONG_ADMIN_PASSWORD", "a strong admin password")
        .output()
        .unwrap();
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );

    let db = yigong::store::connect(&url).await.unwrap();
    let email = yigong::domain::user::Email::parse("root@yigong.example").unwrap();
    let admin = yigong::store::users::find_by_email(&db, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(admin.is_platform_admin);
    assert!(admin.password_hash.starts_with("$argon2id$"));

    let weak = yigong(dir.path(), &url)
        .args([
            "admin",
            "create",
            "--email",
            "weak@yigong.example",
            "--display-name",
            "Weak",
        ])
        .env("YIGONG_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(
        !weak.status.success(),
        "a too-short admin password is refused"
    );
}

#[tokio::test]
async fn serve_with_demo_data_answers_health_and_lists_demo_orders() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let port = free_port();
    let child = yigong(dir.path(), &url)
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Running(child);
    yigong::webhooks::install_crypto_provider();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await {
            healthy = response.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server never answered /healthz");
    let orders: serde_json::Value = client
        .get(format!("{base}/api/v1/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!orders["items"].as_array().unwrap().is_empty(), "{orders}");
    assert!(
        dir.path().join("jwt-signing.key").exists(),
        "a signing key was generated into the data directory"
    );
}

#[tokio::test]
async fn audit_verify_passes_a_clean_log_and_names_a_tampered_event() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let seed = yigong(dir.path(), &url)
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );

    let clean = yigong(dir.path(), &url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{report}");
    assert!(report.contains(", 0 broken"), "{report}");

    let db = yigong::store::connect(&url).await.unwrap();
    let events = yigong::store::audit::all(&db).await.unwrap();
    let target = &events[events.len() / 2];
    let backend = db.get_database_backend();
    let unlock = match backend {
        DbBackend::Sqlite => "DROP TRIGGER audit_events_no_update",
        _ => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_rewrite",
    };
    db.execute_raw(Statement::from_string(backend, unlock))
        .await
        .unwrap();
    db.execute_raw(Statement::from_string(
        backend,
        format!(
            "UPDATE audit_events SET object_type = object_type || 'x' WHERE id = {}",
            target.id
        ),
    ))
    .await
    .unwrap();
    drop(db);

    let tampered = yigong(dir.path(), &url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&tampered.stdout);
    assert!(!tampered.status.success(), "{report}");
    assert!(
        report.contains(&format!("audit_events.id = {}", target.id)),
        "{report}"
    );
}
