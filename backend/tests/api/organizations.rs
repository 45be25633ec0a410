//! Organisations and memberships.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_creator_of_an_organisation_is_its_admin_and_hospitals_review_by_default() {
    let app = spawn_app().await;
    let founder = app.sign_up("dean@hospital.example").await;
    let hospital = app.create_org(&founder, "hospital", "华西某医院").await;
    let org = app
        .get(&format!("/api/v1/organizations/{hospital}"), None)
        .await
        .expect(200);
    assert_eq!(org.body["review_required"], true);
    assert_eq!(org.body["verified"], false);

    let me = app
        .get("/api/v1/me", Some(&founder.access))
        .await
        .expect(200);
    assert_eq!(me.body["memberships"][0]["role"], "org_admin");
    assert_eq!(
        me.body["memberships"][0]["organization"]["id"],
        hospital.to_string()
    );

    let lab = app
        .post(
            "/api/v1/organizations",
            Some(&founder.access),
            json!({"name": "某大学", "kind": "university", "city": "成都"}),
        )
        .await
        .expect(201);
    assert_eq!(lab.body["review_required"], false);
}

#[tokio::test]
async fn organisation_names_are_unique() {
    let app = spawn_app().await;
    let founder = app.sign_up("dean@hospital.example").await;
    app.create_org(&founder, "hospital", "同名医院").await;
    let before = app.snapshot().await;
    let reply = app
        .post(
            "/api/v1/organizations",
            Some(&founder.access),
            json!({"name": "同名医院", "kind": "hospital", "city": "上海"}),
        )
        .await
        .expect(409);
    assert_eq!(reply.body["code"], "already_exists");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn members_are_added_by_email_once() {
    let app = spawn_app().await;
    let founder = app.sign_up("dean@hospital.example").await;
    let hospital = app.create_org(&founder, "hospital", "某医院").await;
    app.sign_up("doctor@hospital.example").await;
    app.add_member(&founder, hospital, "Doctor@Hospital.example", "clinician")
        .await;
    let again = app
        .post(
            &format!("/api/v1/organizations/{hospital}/members"),
            Some(&founder.access),
            json!({"email": "doctor@hospital.example", "role": "tto_reviewer"}),
        )
        .await
        .expect(409);
    assert_eq!(again.body["code"], "already_exists");
    let members = app
        .get(
            &format!("/api/v1/organizations/{hospital}/members"),
            Some(&founder.access),
        )
        .await
        .expect(200);
    let roles: Vec<_> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["org_admin", "clinician"]);
}

#[tokio::test]
async fn a_platform_admin_verifies_an_organisation() {
    let app = spawn_app().await;
    let founder = app.sign_up("dean@hospital.example").await;
    let hospital = app.create_org(&founder, "hospital", "某医院").await;
    let admin = app.sign_up("root@yigong.example").await;
    app.make_platform_admin(admin.user_id).await;
    let verified = app
        .post_empty(
            &format!("/api/v1/admin/organizations/{hospital}/verify"),
            Some(&admin.access),
        )
        .await
        .expect(200);
    assert_eq!(verified.body["verified"], true);
    let listed = app
        .get("/api/v1/organizations?kind=hospital", None)
        .await
        .expect(200);
    assert_eq!(listed.body[0]["verified"], true);
}
