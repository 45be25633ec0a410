//! A table of bad inputs: each gets the right 4xx problem+json and leaves the database unchanged.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{World, order_body, spawn_app};

fn with(mut body: Value, key: &str, value: Value) -> Vec<u8> {
    body[key] = value;
    serde_json::to_vec(&body).unwrap()
}

fn without(mut body: Value, key: &str) -> Vec<u8> {
    body.as_object_mut().unwrap().remove(key);
    serde_json::to_vec(&body).unwrap()
}

/// (case, method, path, content type, body, expected status, field named in the errors)
type Case<'a> = (
    &'a str,
    Method,
    String,
    &'a str,
    Vec<u8>,
    u16,
    Option<&'a str>,
);

#[tokio::test]
async fn bad_input_gets_a_clear_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let draft = world.order_in(&app, "draft").await;
    let team = app
        .post(
            "/api/v1/teams",
            Some(&world.lab_lead.access),
            json!({"organization_id": world.university, "name": "影像组"}),
        )
        .await
        .expect(201)
        .id();
    let valid = order_body(world.hospital);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let json_type = "application/json";
    let orders = "/api/v1/orders".to_owned();
    let order_path = format!("/api/v1/orders/{draft}");
    let team_path = format!("/api/v1/teams/{team}");
    let mut deep = String::new();
    for _ in 0..200 {
        deep.push('[');
    }

    // (case, method, path, content type, body, status, field named in the errors)
    let cases: Vec<Case> = vec![
        ("malformed JSON", Method::POST, orders.clone(), json_type, b"{\"title\": ".to_vec(), 400, None),
        ("empty body", Method::POST, orders.clone(), json_type, Vec::new(), 400, None),
        ("invalid UTF-8", Method::POST, orders.clone(), json_type, b"{\"title\": \"\xff\xfe\"}".to_vec(), 400, None),
        ("trailing garbage", Method::POST, orders.clone(), json_type, [serde_json::to_vec(&valid).unwrap(), b"}".to_vec()].concat(), 400, None),
        ("deeply nested array for an object", Method::POST, orders.clone(), json_type, deep.into_bytes(), 422, None),
        ("not JSON at all", Method::POST, orders.clone(), "text/plain", b"title=x".to_vec(), 415, None),
        ("oversized body", Method::POST, orders.clone(), json_type, with(valid.clone(), "clinical_description", json!("渗".repeat(30_000))), 413, None),
        ("missing field", Method::POST, orders.clone(), json_type, without(valid.clone(), "title"), 422, Some("title")),
        ("wrong-typed field", Method::POST, orders.clone(), json_type, with(valid.clone(), "budget_min_cny", json!("很多")), 422, Some("budget_min_cny")),
        ("unknown field", Method::POST, orders.clone(), json_type, with(valid.clone(), "priority", json!("urgent")), 422, Some("priority")),
        ("bad enum", Method::POST, orders.clone(), json_type, with(valid.clone(), "category", json!("spaceship")), 422, Some("category")),
        ("bad regulatory class", Method::POST, orders.clone(), json_type, with(valid.clone(), "regulatory_class", json!("IV")), 422, Some("regulatory_class")),
        ("negative budget", Method::POST, orders.clone(), json_type, with(valid.clone(), "budget_min_cny", json!(-1)), 422, Some("budget_min_cny")),
        ("inverted budget", Method::POST, orders.clone(), json_type, with(valid.clone(), "budget_max_cny", json!(1000)), 422, Some("budget_max_cny")),
        ("fractional budget", Method::POST, orders.clone(), json_type, with(valid.clone(), "budget_min_cny", json!(1.5)), 422, Some("budget_min_cny")),
        ("past deadline", Method::POST, orders.clone(), json_type, with(valid.clone(), "bid_deadline", json!(past)), 422, Some("bid_deadline")),
        ("unparseable deadline", Method::POST, orders.clone(), json_type, with(valid.clone(), "bid_deadline", json!("下周五")), 422, Some("bid_deadline")),
        ("over-long title", Method::POST, orders.clone(), json_type, with(valid.clone(), "title", json!("题".repeat(121))), 422, Some("title")),
        ("blank title", Method::POST, orders.clone(), json_type, with(valid.clone(), "title", json!("    ")), 422, Some("title")),
        ("revenue split not 100", Method::POST, orders.clone(), json_type, with(valid.clone(), "revenue_split", json!({"team": 70, "department": 10, "hospital": 10})), 422, Some("revenue_split")),
        ("unknown split party", Method::POST, orders.clone(), json_type, with(valid.clone(), "revenue_split", json!({"team": 70, "department": 10, "hospital": 20, "broker": 0})), 422, Some("revenue_split.broker")),
        ("zero duration", Method::POST, orders.clone(), json_type, with(valid.clone(), "expected_duration_months", json!(0)), 422, Some("expected_duration_months")),
        ("array for object", Method::POST, orders.clone(), json_type, b"[1, 2, 3]".to_vec(), 422, None),
        ("patch unknown field", Method::PATCH, order_path.clone(), json_type, br#"{"status": "published"}"#.to_vec(), 422, Some("status")),
        ("patch inverted budget", Method::PATCH, order_path.clone(), json_type, br#"{"budget_max_cny": 5}"#.to_vec(), 422, Some("budget_max_cny")),
        ("team capacity negative", Method::PATCH, team_path.clone(), json_type, br#"{"capacity": -2}"#.to_vec(), 422, Some("capacity")),
        ("team too many keywords", Method::PATCH, team_path.clone(), json_type, serde_json::to_vec(&json!({"keywords": vec!["水凝胶"; 51]})).unwrap(), 422, Some("keywords")),
        ("team bad language", Method::PATCH, team_path.clone(), json_type, br#"{"language": "fr"}"#.to_vec(), 422, Some("language")),
        ("organisation bad kind", Method::POST, "/api/v1/organizations".into(), json_type, r#"{"name": "某机构", "kind": "clinic", "city": "成都"}"#.as_bytes().to_vec(), 422, Some("kind")),
        ("member role wrong for kind", Method::POST, format!("/api/v1/organizations/{}/members", world.hospital), json_type, br#"{"email": "lead@university.example", "role": "lead"}"#.to_vec(), 422, Some("role")),
        ("member unknown email", Method::POST, format!("/api/v1/organizations/{}/members", world.hospital), json_type, br#"{"email": "nobody@nowhere.example", "role": "clinician"}"#.to_vec(), 422, Some("email")),
        ("review bad decision", Method::POST, format!("{order_path}/review"), json_type, br#"{"decision": "maybe"}"#.to_vec(), 422, Some("decision")),
        ("register short password", Method::POST, "/api/v1/auth/register".into(), json_type, br#"{"email": "x@example.org", "password": "short", "display_name": "X"}"#.to_vec(), 422, Some("password")),
        ("register bad email", Method::POST, "/api/v1/auth/register".into(), json_type, br#"{"email": "not-an-email", "password": "long enough pw", "display_name": "X"}"#.to_vec(), 422, Some("email")),
        ("register long password", Method::POST, "/api/v1/auth/register".into(), json_type, serde_json::to_vec(&json!({"email": "y@example.org", "password": "p".repeat(129), "display_name": "Y"})).unwrap(), 422, Some("password")),
        ("register taken email", Method::POST, "/api/v1/auth/register".into(), json_type, br#"{"email": "AUTHOR@a-hospital.example", "password": "long enough pw", "display_name": "X"}"#.to_vec(), 409, Some("email")),
        ("bad limit", Method::GET, "/api/v1/orders?limit=0".into(), json_type, Vec::new(), 422, Some("limit")),
        ("non-numeric limit", Method::GET, "/api/v1/orders?limit=ten".into(), json_type, Vec::new(), 400, None),
        ("bad status filter", Method::GET, "/api/v1/orders?status=bogus".into(), json_type, Vec::new(), 400, None),
        ("bad cursor", Method::GET, "/api/v1/orders?cursor=abc".into(), json_type, Vec::new(), 422, Some("cursor")),
        ("unknown query parameter", Method::GET, "/api/v1/teams?colour=red".into(), json_type, Vec::new(), 400, None),
        ("malformed id", Method::GET, "/api/v1/orders/not-a-uuid".into(), json_type, Vec::new(), 404, None),
        ("unknown id", Method::GET, format!("/api/v1/orders/{}", uuid::Uuid::now_v7()), json_type, Vec::new(), 404, None),
        ("unknown route", Method::GET, "/api/v1/nothing-here".into(), json_type, Vec::new(), 404, None),
        ("wrong method", Method::DELETE, order_path.clone(), json_type, Vec::new(), 405, None),
    ];

    let before = app.snapshot().await;
    let mut failures = Vec::new();
    for (case, method, path, content_type, body, status, field) in cases {
        let token = if path.contains("/members") {
            &world.admin.access
        } else if path.starts_with("/api/v1/teams") {
            &world.lab_lead.access
        } else {
            &world.author.access
        };
        let reply = app
            .call_raw(method, &path, Some(token), content_type, body)
            .await;
        if reply.status.as_u16() != status {
            failures.push(format!(
                "{case}: expected {status}, got {} {}",
                reply.status, reply.body
            ));
            continue;
        }
        if reply.content_type != "application/problem+json"
            || reply.body["status"] != status
            || !reply.body["title"].is_string()
        {
            failures.push(format!(
                "{case}: not a problem+json body: {} {}",
                reply.content_type, reply.body
            ));
        }
        if let Some(field) = field {
            let named = reply.body["errors"]
                .as_array()
                .is_some_and(|errors| errors.iter().any(|e| e["field"] == field));
            if !named {
                failures.push(format!("{case}: field {field} not named in {}", reply.body));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused request changed the database"
    );
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = crate::helpers::spawn_app_with(|settings| settings.max_body_bytes = 200).await;
    let reply = app
        .post("/api/v1/auth/register", None, json!({"email": "a@example.org", "password": "p".repeat(100), "display_name": "长".repeat(40)}))
        .await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
}
