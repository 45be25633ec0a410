//! The order lifecycle end to end, through HTTP: review, changes requested, publication, closing,
//! and every transition the lifecycle forbids.

use serde_json::json;
use yigong::store::audit;

use crate::helpers::{World, spawn_app};

#[tokio::test]
async fn an_order_goes_from_draft_through_review_to_published_and_closed() {
    let app = spawn_app().await;
    let world = World::build(&app).await;

    let draft = app
        .create_order(&world.author, world.hospital)
        .await
        .expect(201);
    assert_eq!(draft.body["status"], "draft");
    let id = draft.id();
    let order = format!("/api/v1/orders/{id}");

    let submitted = app
        .post_empty(&format!("{order}/submit"), Some(&world.author.access))
        .await
        .expect(200);
    assert_eq!(submitted.body["status"], "in_review");

    let sent_back = app
        .post(
            &format!("{order}/review"),
            Some(&world.reviewer.access),
            json!({"decision": "request_changes", "comment": "请补充出血量数据"}),
        )
        .await
        .expect(200);
    assert_eq!(sent_back.body["status"], "draft");
    assert_eq!(sent_back.body["review_comment"], "请补充出血量数据");

    app.patch(
        &order,
        Some(&world.author.access),
        json!({"clinical_description": "肝切除断面弥漫性渗血约 200 ml，压迫止血效果差。"}),
    )
    .await
    .expect(200);
    app.post_empty(&format!("{order}/submit"), Some(&world.author.access))
        .await
        .expect(200);

    // The tech-transfer office adds its engineering brief while reviewing.
    let briefed = app
        .patch(
            &order,
            Some(&world.reviewer.access),
            json!({"engineering_brief": "可降解止血材料：快速交联水凝胶或组织粘合剂"}),
        )
        .await
        .expect(200);
    assert_eq!(briefed.body["status"], "in_review");

    let published = app
        .post(
            &format!("{order}/review"),
            Some(&world.reviewer.access),
            json!({"decision": "approve"}),
        )
        .await
        .expect(200);
    assert_eq!(published.body["status"], "published");
    assert!(published.body["published_at"].is_string());

    // Anyone can now see it, without the confidential details.
    let public = app.get(&order, None).await.expect(200);
    assert_eq!(
        public.body["engineering_brief"],
        "可降解止血材料：快速交联水凝胶或组织粘合剂"
    );
    assert!(public.body.get("confidential_details").is_none());
    let listed = app.get("/api/v1/orders", None).await.expect(200);
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.to_string())
    );

    let closed = app
        .post_empty(&format!("{order}/close"), Some(&world.author.access))
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");

    let actions: Vec<String> = audit::all(app.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.object_id == id)
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "order.create",
            "order.submit",
            "order.request_changes",
            "order.update",
            "order.submit",
            "order.update",
            "order.approve",
            "order.close"
        ]
    );
}

#[tokio::test]
async fn every_transition_the_lifecycle_forbids_is_a_409_and_changes_nothing() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let approve = json!({"decision": "approve"});
    let request_changes = json!({"decision": "request_changes", "comment": "请修改"});
    // (status, action, allowed)
    let table = [
        ("draft", "submit", true),
        ("draft", "approve", false),
        ("draft", "request_changes", false),
        ("draft", "cancel", true),
        ("draft", "close", false),
        ("in_review", "submit", false),
        ("in_review", "approve", true),
        ("in_review", "request_changes", true),
        ("in_review", "cancel", true),
        ("in_review", "close", false),
        ("published", "submit", false),
        ("published", "approve", false),
        ("published", "request_changes", false),
        ("published", "cancel", true),
        ("published", "close", true),
        ("closed", "submit", false),
        ("closed", "approve", false),
        ("closed", "request_changes", false),
        ("closed", "cancel", false),
        ("closed", "close", false),
        ("cancelled", "submit", false),
        ("cancelled", "approve", false),
        ("cancelled", "request_changes", false),
        ("cancelled", "cancel", false),
        ("cancelled", "close", false),
    ];
    for (status, action, allowed) in table {
        let id = world.order_in(&app, status).await;
        let path = format!("/api/v1/orders/{id}");
        let before = app.snapshot().await;
        // The org admin may do every action, so only the lifecycle decides.
        let token = Some(world.admin.access.as_str());
        let reply = match action {
            "approve" => {
                app.post(&format!("{path}/review"), token, approve.clone())
                    .await
            }
            "request_changes" => {
                app.post(&format!("{path}/review"), token, request_changes.clone())
                    .await
            }
            other => app.post_empty(&format!("{path}/{other}"), token).await,
        };
        if allowed {
            assert_eq!(reply.status, 200, "{status} + {action}: {:?}", reply.body);
        } else {
            assert_eq!(reply.status, 409, "{status} + {action}: {:?}", reply.body);
            assert_eq!(reply.content_type, "application/problem+json");
            assert_eq!(
                reply.body["code"], "illegal_transition",
                "{status} + {action}"
            );
            assert_eq!(
                app.snapshot().await,
                before,
                "{status} + {action} changed the database"
            );
        }
    }
}

#[tokio::test]
async fn an_organisation_without_review_publishes_on_submit() {
    let app = spawn_app().await;
    let founder = app.sign_up("cto@medtech.example").await;
    let enterprise = app
        .create_org(&founder, "enterprise", "某医疗器械公司")
        .await;
    let id = app
        .create_order(&founder, enterprise)
        .await
        .expect(201)
        .id();
    let reply = app
        .post_empty(
            &format!("/api/v1/orders/{id}/submit"),
            Some(&founder.access),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["status"], "published");
}

#[tokio::test]
async fn an_order_whose_deadline_passed_cannot_be_published() {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    use yigong::store::entities::order;

    let app = spawn_app().await;
    let world = World::build(&app).await;
    let id = world.order_in(&app, "in_review").await;
    let stored = order::Entity::find_by_id(id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let mut expired: order::ActiveModel = stored.into();
    expired.bid_deadline = Set(chrono::Utc::now() - chrono::Duration::days(1));
    expired.update(app.db()).await.unwrap();

    let reply = app
        .post(
            &format!("/api/v1/orders/{id}/review"),
            Some(&world.reviewer.access),
            json!({"decision": "approve"}),
        )
        .await
        .expect(409);
    assert_eq!(reply.body["code"], "deadline_passed");

    // A new deadline makes it publishable again.
    let deadline = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    app.patch(
        &format!("/api/v1/orders/{id}"),
        Some(&world.reviewer.access),
        json!({"bid_deadline": deadline}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/orders/{id}/review"),
        Some(&world.reviewer.access),
        json!({"decision": "approve"}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn requesting_changes_needs_a_comment() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let id = world.order_in(&app, "in_review").await;
    let reply = app
        .post(
            &format!("/api/v1/orders/{id}/review"),
            Some(&world.reviewer.access),
            json!({"decision": "request_changes"}),
        )
        .await
        .expect(422);
    assert_eq!(reply.body["errors"][0]["field"], "comment");
}

#[tokio::test]
async fn the_author_cannot_edit_while_the_order_is_under_review() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let id = world.order_in(&app, "in_review").await;
    let reply = app
        .patch(
            &format!("/api/v1/orders/{id}"),
            Some(&world.author.access),
            json!({"title": "改个标题看看"}),
        )
        .await
        .expect(409);
    assert_eq!(reply.body["code"], "order_not_editable");
}

#[tokio::test]
async fn lists_filter_and_paginate_with_a_cursor() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let mut published = Vec::new();
    for _ in 0..5 {
        published.push(world.order_in(&app, "published").await.to_string());
    }
    world.order_in(&app, "draft").await;

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/orders?status=published&limit=2&cursor={cursor}"),
                None,
            )
            .await
            .expect(200);
        for item in page.body["items"].as_array().unwrap() {
            assert_eq!(item["status"], "published");
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    published.reverse(); // newest first
    assert_eq!(seen, published);

    // Drafts appear only to those who may see them.
    let anonymous = app
        .get("/api/v1/orders?status=draft", None)
        .await
        .expect(200);
    assert_eq!(anonymous.body["items"].as_array().unwrap().len(), 0);
    let author = app
        .get("/api/v1/orders?status=draft", Some(&world.author.access))
        .await
        .expect(200);
    assert_eq!(author.body["items"].as_array().unwrap().len(), 1);
    let other = app
        .get(
            "/api/v1/orders?status=draft",
            Some(&world.other_admin.access),
        )
        .await
        .expect(200);
    assert_eq!(other.body["items"].as_array().unwrap().len(), 0);
}
