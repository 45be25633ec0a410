//! The permission matrix: each role × each action × own or other organisation, through HTTP.
//! Another organisation's private objects answer 404, never 403.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Session, TestApp, World, spawn_app};

const ACTORS: [&str; 11] = [
    "anonymous",
    "author",
    "clinician",
    "reviewer",
    "admin",
    "other_clinician",
    "other_reviewer",
    "other_admin",
    "lab_lead",
    "lab_member",
    "platform_admin",
];

fn session<'w>(world: &'w World, actor: &str) -> Option<&'w Session> {
    Some(match actor {
        "anonymous" => return None,
        "author" => &world.author,
        "clinician" => &world.clinician,
        "reviewer" => &world.reviewer,
        "admin" => &world.admin,
        "other_clinician" => &world.other_clinician,
        "other_reviewer" => &world.other_reviewer,
        "other_admin" => &world.other_admin,
        "lab_lead" => &world.lab_lead,
        "lab_member" => &world.lab_member,
        "platform_admin" => &world.platform_admin,
        other => panic!("unknown actor {other}"),
    })
}

/// Expected statuses, in the order of [`ACTORS`].
const MATRIX: [(&str, [u16; 11]); 16] = [
    //                     anon author clin  rev  adm  oclin orev oadm lead lmem padm
    (
        "view_draft",
        [404, 200, 404, 200, 200, 404, 404, 404, 404, 404, 200],
    ),
    (
        "edit_draft",
        [401, 200, 404, 200, 200, 404, 404, 404, 404, 404, 403],
    ),
    (
        "submit_draft",
        [401, 200, 404, 403, 200, 404, 404, 404, 404, 404, 403],
    ),
    (
        "cancel_draft",
        [401, 200, 404, 200, 200, 404, 404, 404, 404, 404, 403],
    ),
    (
        "view_in_review",
        [404, 200, 200, 200, 200, 404, 404, 404, 404, 404, 200],
    ),
    (
        "approve_in_review",
        [401, 403, 403, 200, 200, 404, 404, 404, 404, 404, 403],
    ),
    (
        "brief_in_review",
        [401, 403, 403, 200, 200, 404, 404, 404, 404, 404, 403],
    ),
    (
        "view_published",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "close_published",
        [401, 200, 403, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "create_order",
        [401, 201, 201, 201, 201, 403, 403, 403, 403, 403, 403],
    ),
    (
        "list_members",
        [401, 200, 200, 200, 200, 404, 404, 404, 404, 404, 200],
    ),
    (
        "add_member",
        [401, 403, 403, 403, 201, 404, 404, 404, 404, 404, 201],
    ),
    (
        "verify_org",
        [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200],
    ),
    (
        "create_team",
        [401, 403, 403, 403, 403, 403, 403, 403, 201, 403, 403],
    ),
    (
        "update_team",
        [401, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403],
    ),
    (
        "view_me",
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
];

async fn perform(
    app: &TestApp,
    world: &World,
    team: Uuid,
    action: &str,
    actor: &str,
    n: usize,
) -> (u16, Value) {
    let token = session(world, actor).map(|s| s.access.as_str());
    let order = |status: &'static str| async move { world.order_in(app, status).await };
    let reply = match action {
        "view_draft" => {
            app.get(&format!("/api/v1/orders/{}", order("draft").await), token)
                .await
        }
        "edit_draft" => {
            app.patch(
                &format!("/api/v1/orders/{}", order("draft").await),
                token,
                json!({"title": "新的需求标题"}),
            )
            .await
        }
        "submit_draft" => {
            app.post_empty(
                &format!("/api/v1/orders/{}/submit", order("draft").await),
                token,
            )
            .await
        }
        "cancel_draft" => {
            app.post_empty(
                &format!("/api/v1/orders/{}/cancel", order("draft").await),
                token,
            )
            .await
        }
        "view_in_review" => {
            app.get(
                &format!("/api/v1/orders/{}", order("in_review").await),
                token,
            )
            .await
        }
        "approve_in_review" => {
            let path = format!("/api/v1/orders/{}/review", order("in_review").await);
            app.post(&path, token, json!({"decision": "approve"})).await
        }
        "brief_in_review" => {
            let path = format!("/api/v1/orders/{}", order("in_review").await);
            app.patch(
                &path,
                token,
                json!({"engineering_brief": "工程说明：可降解水凝胶"}),
            )
            .await
        }
        "view_published" => {
            app.get(
                &format!("/api/v1/orders/{}", order("published").await),
                token,
            )
            .await
        }
        "close_published" => {
            app.post_empty(
                &format!("/api/v1/orders/{}/close", order("published").await),
                token,
            )
            .await
        }
        "create_order" => {
            app.post(
                "/api/v1/orders",
                token,
                crate::helpers::order_body(world.hospital),
            )
            .await
        }
        "list_members" => {
            app.get(
                &format!("/api/v1/organizations/{}/members", world.hospital),
                token,
            )
            .await
        }
        "add_member" => {
            let email = format!("new{n}@example.org");
            app.sign_up(&email).await;
            let path = format!("/api/v1/organizations/{}/members", world.hospital);
            app.post(&path, token, json!({"email": email, "role": "clinician"}))
                .await
        }
        "verify_org" => {
            app.post_empty(
                &format!("/api/v1/admin/organizations/{}/verify", world.hospital),
                token,
            )
            .await
        }
        "create_team" => {
            let body = json!({"organization_id": world.university, "name": format!("课题组 {n}")});
            app.post("/api/v1/teams", token, body).await
        }
        "update_team" => {
            app.patch(
                &format!("/api/v1/teams/{team}"),
                token,
                json!({"capacity": 3}),
            )
            .await
        }
        "view_me" => app.get("/api/v1/me", token).await,
        other => panic!("unknown action {other}"),
    };
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn each_role_may_do_exactly_what_the_policy_says() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let team = app
        .post(
            "/api/v1/teams",
            Some(&world.lab_lead.access),
            json!({"organization_id": world.university, "name": "生物材料课题组"}),
        )
        .await
        .expect(201)
        .id();
    let mut failures = Vec::new();
    let mut n = 0;
    for (action, expected) in MATRIX {
        for (actor, expected) in ACTORS.iter().zip(expected) {
            n += 1;
            let (status, body) = perform(&app, &world, team, action, actor, n).await;
            if status != expected {
                failures.push(format!(
                    "{action} by {actor}: expected {expected}, got {status} {body}"
                ));
            } else if status >= 400 && body["status"] != status {
                failures.push(format!(
                    "{action} by {actor}: {status} without a problem body: {body}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn confidential_details_are_seen_only_inside_the_ordering_organisation() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let id = world.order_in(&app, "published").await;
    let path = format!("/api/v1/orders/{id}");
    for (actor, sees) in [
        ("anonymous", false),
        ("author", true),
        ("clinician", true),
        ("reviewer", true),
        ("other_admin", false),
        ("lab_lead", false),
        ("platform_admin", false),
    ] {
        let token = session(&world, actor).map(|s| s.access.as_str());
        let single = app.get(&path, token).await.expect(200);
        assert_eq!(
            single.body.get("confidential_details").is_some(),
            sees,
            "{actor} on GET"
        );
        let list = app
            .get("/api/v1/orders?status=published", token)
            .await
            .expect(200);
        let item = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id.to_string())
            .cloned()
            .unwrap();
        assert_eq!(
            item.get("confidential_details").is_some(),
            sees,
            "{actor} in the list"
        );
    }
}
