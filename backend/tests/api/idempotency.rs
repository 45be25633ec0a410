//! `Idempotency-Key`: a retried creation returns the first answer and creates nothing twice.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use yigong::store::entities::order;

use crate::helpers::{World, order_body, spawn_app};

async fn post_with_key(
    app: &crate::helpers::TestApp,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/orders", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_creation_with_the_same_key_creates_one_order() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let body = order_body(world.hospital);

    let first = post_with_key(&app, &world.author.access, "order-2026-11-24-001", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();

    let retry = post_with_key(&app, &world.author.access, "order-2026-11-24-001", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let retry: serde_json::Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(order::Entity::find().count(app.db()).await.unwrap(), 1);

    // The same key for a different request is refused; a new key creates a new order.
    let mut other = body.clone();
    other["title"] = json!("另一个需求");
    let reused = post_with_key(&app, &world.author.access, "order-2026-11-24-001", &other).await;
    assert_eq!(reused.status(), 422);
    let fresh = post_with_key(&app, &world.author.access, "order-2026-11-24-002", &other).await;
    assert_eq!(fresh.status(), 201);
    assert_eq!(order::Entity::find().count(app.db()).await.unwrap(), 2);
}

#[tokio::test]
async fn a_failed_creation_frees_its_key() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let mut body = order_body(world.hospital);
    body["budget_min_cny"] = json!(-5);
    let refused = post_with_key(&app, &world.author.access, "retry-me", &body).await;
    assert_eq!(refused.status(), 422);
    body["budget_min_cny"] = json!(5);
    let corrected = post_with_key(&app, &world.author.access, "retry-me", &body).await;
    assert_eq!(
        corrected.status(),
        201,
        "a corrected request may reuse the key"
    );
}

#[tokio::test]
async fn keys_belong_to_one_user_and_must_be_well_formed() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let body = order_body(world.hospital);
    post_with_key(&app, &world.author.access, "shared-key", &body).await;
    let other_person = post_with_key(&app, &world.clinician.access, "shared-key", &body).await;
    assert_eq!(other_person.status(), 201);
    assert!(
        other_person.headers().get("idempotent-replayed").is_none(),
        "another person's key is not replayed"
    );

    let bad = post_with_key(&app, &world.author.access, &"k".repeat(256), &body).await;
    assert_eq!(bad.status(), 400);
}
