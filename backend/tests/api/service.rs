//! Service endpoints, the OpenAPI document, the docs page and the demo data.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/healthz", None).await.expect(200).body["status"],
        "ok"
    );
    assert_eq!(
        app.get("/readyz", None).await.expect(200).body["status"],
        "ready"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/orders", None).await.expect(200);
    app.get(&format!("/api/v1/orders/{}", uuid::Uuid::now_v7()), None)
        .await
        .expect(404);
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"yigong_http_requests_total{method="GET",route="/api/v1/orders",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"yigong_http_requests_total{method="GET",route="/api/v1/orders/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "yigong_http_request_duration_seconds_bucket{route=\"/api/v1/orders\",le=\"+Inf\"} 1"
        ),
        "{text}"
    );
}

/// Every route of the API sketch that this release serves, by method.
const ROUTES: [(&str, &str); 58] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/organizations"),
    ("post", "/api/v1/organizations"),
    ("get", "/api/v1/organizations/{id}"),
    ("get", "/api/v1/organizations/{id}/members"),
    ("post", "/api/v1/organizations/{id}/members"),
    ("post", "/api/v1/admin/organizations/{id}/verify"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("get", "/api/v1/teams/{id}"),
    ("patch", "/api/v1/teams/{id}"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/{id}"),
    ("patch", "/api/v1/orders/{id}"),
    ("post", "/api/v1/orders/{id}/submit"),
    ("post", "/api/v1/orders/{id}/review"),
    ("post", "/api/v1/orders/{id}/cancel"),
    ("post", "/api/v1/orders/{id}/close"),
    ("get", "/api/v1/teams/search"),
    ("get", "/api/v1/teams/{id}/matches"),
    ("get", "/api/v1/orders/{id}/matches"),
    ("post", "/api/v1/matches/{id}/dismiss"),
    ("get", "/api/v1/orders/{id}/bids"),
    ("post", "/api/v1/orders/{id}/bids"),
    ("post", "/api/v1/orders/{id}/award"),
    ("get", "/api/v1/bids/{id}"),
    ("patch", "/api/v1/bids/{id}"),
    ("post", "/api/v1/bids/{id}/withdraw"),
    ("post", "/api/v1/bids/{id}/shortlist"),
    ("post", "/api/v1/bids/{id}/decline"),
    ("post", "/api/v1/bids/{id}/partners/{partner_id}/confirm"),
    ("post", "/api/v1/bids/{id}/partners/{partner_id}/decline"),
    ("get", "/api/v1/me/partner-invitations"),
    ("get", "/api/v1/projects/{id}"),
    (
        "post",
        "/api/v1/projects/{id}/milestones/{milestone_id}/deliver",
    ),
    (
        "post",
        "/api/v1/projects/{id}/milestones/{milestone_id}/accept",
    ),
    (
        "post",
        "/api/v1/projects/{id}/milestones/{milestone_id}/reject",
    ),
    ("post", "/api/v1/projects/{id}/complete"),
    ("post", "/api/v1/projects/{id}/terminate"),
    ("post", "/api/v1/projects/{id}/ratings"),
    ("get", "/api/v1/teams/{id}/notifications"),
    ("get", "/api/v1/me/digest-preferences"),
    ("put", "/api/v1/me/digest-preferences"),
    ("get", "/api/v1/teams/{id}/webhooks"),
    ("post", "/api/v1/teams/{id}/webhooks"),
    ("get", "/api/v1/organizations/{id}/webhooks"),
    ("post", "/api/v1/organizations/{id}/webhooks"),
    ("delete", "/api/v1/webhooks/{id}"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
];

/// POSTs that act on their path alone and take no body.
const BODILESS: [&str; 9] = [
    "/logout",
    "/submit",
    "/cancel",
    "/close",
    "/verify",
    "/withdraw",
    "/shortlist",
    "/partners/{partner_id}/confirm",
    "/complete",
];

#[tokio::test]
async fn the_openapi_document_names_every_route_with_its_schemas() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200).body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (method, path) in ROUTES {
        let operation = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        let bodiless = BODILESS.iter().any(|end| path.ends_with(end))
            || path.ends_with("/partners/{partner_id}/decline");
        if matches!(method, "post" | "patch" | "put") && !bodiless {
            assert!(
                operation["requestBody"].is_object(),
                "{method} {path} has no request body schema"
            );
        }
        documented += paths[path]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k == method)
            .count();
    }
    assert_eq!(documented, ROUTES.len());
    let operations: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        operations,
        ROUTES.len(),
        "the document lists a route the test does not know"
    );
    // Every schema a document refers to exists.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "dangling schema reference {name}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_works_without_the_internet() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/api/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let bundle = app
        .client
        .get(format!("{}/api/docs/swagger-ui-bundle.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.text().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn the_demo_data_loads_once_and_shows_published_orders() {
    let app = spawn_app().await;
    let summary = yigong::seed::load_demo(app.db(), app.state.clock.as_ref())
        .await
        .unwrap();
    assert!(!summary.skipped);
    assert!(summary.teams >= 20 && summary.orders >= 10, "{summary:?}");
    let again = yigong::seed::load_demo(app.db(), app.state.clock.as_ref())
        .await
        .unwrap();
    assert!(again.skipped, "a second run must not duplicate the data");

    let orders = app
        .get("/api/v1/orders?limit=100", None)
        .await
        .expect(200)
        .body;
    let items = orders["items"].as_array().unwrap();
    assert!(items.len() >= 8, "published demo orders: {}", items.len());
    assert!(
        items
            .iter()
            .all(|o| o["status"] == "published" || o["status"] == "closed")
    );
    assert!(
        items
            .iter()
            .all(|o| o.get("confidential_details").is_none())
    );
    let teams = app
        .get("/api/v1/teams?limit=100", None)
        .await
        .expect(200)
        .body;
    assert!(teams["items"].as_array().unwrap().len() >= 20);
    // Demo people can sign in.
    let some_author = items[0]["author_id"].as_str().unwrap().to_owned();
    let _ = Value::String(some_author);
}

#[tokio::test]
async fn the_landing_page_is_served_in_chinese() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("lang=\"zh-CN\""));
}
