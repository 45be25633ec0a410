//! Team capability profiles.

use serde_json::json;

use crate::helpers::{World, spawn_app};

#[tokio::test]
async fn a_lab_lead_creates_and_updates_a_team_profile() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let created = app
        .post(
            "/api/v1/teams",
            Some(&world.lab_lead.access),
            json!({
                "organization_id": world.university,
                "name": "生物医用材料课题组",
                "summary": "可降解止血材料与组织粘合剂",
                "capabilities": "快速交联的多糖水凝胶, tissue adhesive, 可降解",
                "keywords": ["水凝胶", "hydrogel", "止血"],
                "equipment": ["流变仪"],
                "disciplines": ["生物医学工程"],
                "language": "zh_en",
                "capacity": 2
            }),
        )
        .await
        .expect(201);
    assert_eq!(created.body["member_ids"], json!([world.lab_lead.user_id]));
    assert_eq!(
        created.body["city"], "成都",
        "defaults to the organisation's city"
    );
    assert_eq!(created.body["version"], 1);
    let id = created.id();

    let updated = app
        .patch(
            &format!("/api/v1/teams/{id}"),
            Some(&world.lab_lead.access),
            json!({"accepting_work": false, "keywords": ["水凝胶", "组织粘合剂"]}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["accepting_work"], false);
    assert_eq!(updated.body["keywords"], json!(["水凝胶", "组织粘合剂"]));
    assert_eq!(
        updated.body["summary"], "可降解止血材料与组织粘合剂",
        "untouched fields stay"
    );
    assert_eq!(updated.body["version"], 2);

    let fetched = app
        .get(&format!("/api/v1/teams/{id}"), None)
        .await
        .expect(200);
    assert_eq!(fetched.body, updated.body);
}

#[tokio::test]
async fn teams_are_listed_with_filters() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    for (name, city, accepting) in [
        ("影像组", "成都", true),
        ("机器人组", "上海", true),
        ("传感器组", "成都", false),
    ] {
        app.post("/api/v1/teams", Some(&world.lab_lead.access), json!({"organization_id": world.university, "name": name, "city": city, "accepting_work": accepting}))
            .await
            .expect(201);
    }
    let names = |reply: crate::helpers::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(app.get("/api/v1/teams?city=成都", None).await.expect(200)),
        ["传感器组", "影像组"]
    );
    assert_eq!(
        names(
            app.get("/api/v1/teams?city=成都&accepting_work=true", None)
                .await
                .expect(200)
        ),
        ["影像组"]
    );
    let first = app.get("/api/v1/teams?limit=2", None).await.expect(200);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        names(
            app.get(&format!("/api/v1/teams?limit=2&cursor={cursor}"), None)
                .await
                .expect(200)
        ),
        ["影像组"]
    );
}

#[tokio::test]
async fn a_hospital_cannot_keep_a_team_profile() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    app.post(
        "/api/v1/teams",
        Some(&world.admin.access),
        json!({"organization_id": world.hospital, "name": "医院工程组"}),
    )
    .await
    .expect(403);
}
