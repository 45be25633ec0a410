//! Webhooks: registering (https on the public internet only, unless the development setting
//! allows loopback), signed deliveries to a receiver on loopback, retries of a failing receiver,
//! and the delivery log its owner sees.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;
use yigong::clock::SystemClock;
use yigong::domain::webhook::verify_signature;

use crate::digests::team;
use crate::helpers::{World, spawn_app_with};

/// What the receiver got: (path, event header, signature header, body, status it answered).
type Log = Arc<Mutex<Vec<(String, String, String, String, u16)>>>;

/// A webhook receiver on loopback; `/flaky` answers 500 to its first two requests.
async fn receiver() -> (String, Log) {
    let log: Log = Arc::default();
    let failures = Arc::new(AtomicUsize::new(0));
    let shared = (log.clone(), failures);
    let server = HttpServer::new(move || {
        let (log, failures) = shared.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let (log, failures) = (log.clone(), failures.clone());
            async move {
                let header = |name: &str| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let status =
                    if req.path() == "/flaky" && failures.fetch_add(1, Ordering::SeqCst) < 2 {
                        500
                    } else {
                        200
                    };
                log.lock().unwrap().push((
                    req.path().to_owned(),
                    header("yigong-event"),
                    header("yigong-signature"),
                    String::from_utf8_lossy(&body).into_owned(),
                    status,
                ));
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    (address, log)
}

#[tokio::test]
async fn signed_events_reach_a_loopback_receiver_and_a_failing_one_is_retried() {
    let (base, log) = receiver().await;
    let app = spawn_app_with(|s| {
        s.notify.webhooks_allow_internal = true;
        s.notify.retry_base = Duration::from_millis(400);
    })
    .await;
    let world = World::build(&app).await;
    let lab = team(&app, &world.lab_lead, world.university, "止血材料课题组").await;

    let team_hook = app
        .post(
            &format!("/api/v1/teams/{lab}/webhooks"),
            Some(&world.lab_lead.access),
            json!({"url": format!("{base}/flaky"), "events": ["match.proposed", "bid.submitted", "bid.decided", "order.awarded"], "description": "实验室看板"}),
        )
        .await
        .expect(201);
    let team_secret = team_hook.body["secret"].as_str().unwrap().to_owned();
    assert!(team_secret.starts_with("whsec_"));
    let hospital_hook = app
        .post(
            &format!("/api/v1/organizations/{}/webhooks", world.hospital),
            Some(&world.reviewer.access),
            json!({"url": format!("{base}/hospital"), "events": ["bid.submitted", "order.awarded"]}),
        )
        .await
        .expect(201);
    let hospital_secret = hospital_hook.body["secret"].as_str().unwrap().to_owned();
    // Only those who speak for the owner manage its endpoints; the secret is shown once.
    app.post(
        &format!("/api/v1/teams/{lab}/webhooks"),
        Some(&world.lab_member.access),
        json!({"url": format!("{base}/x"), "events": ["bid.submitted"]}),
    )
    .await
    .expect(403);
    app.post(
        &format!("/api/v1/organizations/{}/webhooks", world.hospital),
        Some(&world.other_reviewer.access),
        json!({"url": format!("{base}/x"), "events": ["bid.submitted"]}),
    )
    .await
    .expect(404);
    let listed = app
        .get(
            &format!("/api/v1/teams/{lab}/webhooks"),
            Some(&world.lab_lead.access),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none(), "{listed}");

    let order = world.order_in(&app, "published").await;
    let bid = app
        .post(
            &format!("/api/v1/orders/{order}/bids"),
            Some(&world.lab_lead.access),
            json!({
                "team_id": lab, "approach": "双网络交联多糖水凝胶，六十秒成胶", "price_cny": 300000,
                "duration_weeks": 52, "milestones": [{"title": "配方", "due_week": 20, "amount_cny": 300000}],
                "ip_ownership": "joint",
                "revenue_split": [{"party": "团队", "percent": 70}, {"party": "科室", "percent": 10}, {"party": "医院", "percent": 20}],
                "trl": 4
            }),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/orders/{order}/award"),
        Some(&world.author.access),
        json!({"bid_id": bid}),
    )
    .await
    .expect(201);

    let delivered = |path: &str| -> Vec<String> {
        log.lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _, _, status)| p == path && *status == 200)
            .map(|(_, event, _, _, _)| event.clone())
            .collect()
    };
    let started = Instant::now();
    while (delivered("/flaky").len() < 4 || delivered("/hospital").len() < 2)
        && started.elapsed() < Duration::from_secs(30)
    {
        app.state
            .notifier
            .webhooks
            .deliver_due(app.db(), &SystemClock)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut team_events = delivered("/flaky");
    team_events.sort();
    assert_eq!(
        team_events,
        [
            "bid.decided",
            "bid.submitted",
            "match.proposed",
            "order.awarded"
        ]
    );
    let mut hospital_events = delivered("/hospital");
    hospital_events.sort();
    assert_eq!(hospital_events, ["bid.submitted", "order.awarded"]);

    let secrets: HashMap<&str, &str> = HashMap::from([
        ("/flaky", team_secret.as_str()),
        ("/hospital", hospital_secret.as_str()),
    ]);
    let entries = log.lock().unwrap().clone();
    assert_eq!(
        entries.iter().filter(|e| e.4 == 500).count(),
        2,
        "two failures first"
    );
    for (path, event, signature, body, _) in &entries {
        let secret = secrets[path.as_str()];
        assert!(
            verify_signature(secret.as_bytes(), signature, body.as_bytes()),
            "{signature} {body}"
        );
        assert!(!verify_signature(
            b"whsec_wrong",
            signature,
            body.as_bytes()
        ));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["type"], json!(event));
        assert!(Uuid::parse_str(payload["id"].as_str().unwrap()).is_ok());
        assert_eq!(payload["data"]["order_id"], json!(order));
    }

    // The owner's delivery log shows the failed attempts and the success.
    let hook_id = team_hook.id();
    let deliveries = app
        .get(
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            Some(&world.lab_lead.access),
        )
        .await
        .expect(200)
        .body;
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(deliveries.len(), 4);
    assert!(deliveries.iter().all(|d| d["status"] == "delivered"));
    let retried: Vec<&Value> = deliveries
        .iter()
        .filter(|d| d["attempts"].as_i64() > Some(1))
        .collect();
    assert!(!retried.is_empty());
    let codes: Vec<i64> = retried
        .iter()
        .flat_map(|d| {
            d["attempt_log"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["status_code"].as_i64().unwrap())
        })
        .collect();
    assert!(codes.contains(&500) && codes.contains(&200), "{codes:?}");
    app.get(
        &format!("/api/v1/webhooks/{hook_id}/deliveries"),
        Some(&world.other_reviewer.access),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn loopback_private_and_plain_http_destinations_are_refused_in_production() {
    let app = spawn_app_with(|_| {}).await;
    let world = World::build(&app).await;
    let lab = team(&app, &world.lab_lead, world.university, "止血材料课题组").await;
    let path = format!("/api/v1/teams/{lab}/webhooks");
    let lead = Some(world.lab_lead.access.as_str());
    for url in [
        "http://hooks.example.com/yigong",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "not a url",
    ] {
        let refused = app
            .post(
                &path,
                lead,
                json!({"url": url, "events": ["bid.submitted"]}),
            )
            .await
            .expect(422);
        assert_eq!(refused.body["errors"][0]["field"], "url", "{url}");
    }
    let unknown = app
        .post(
            &path,
            lead,
            json!({"url": "https://hooks.example.com/y", "events": ["bid.eaten"]}),
        )
        .await
        .expect(422);
    assert_eq!(unknown.body["errors"][0]["field"], "events[0]");
    let none = app
        .post(
            &path,
            lead,
            json!({"url": "https://hooks.example.com/y", "events": []}),
        )
        .await
        .expect(422);
    assert_eq!(none.body["errors"][0]["field"], "events");
    let id = app
        .post(
            &path,
            lead,
            json!({"url": "https://hooks.example.com/y", "events": ["bid.submitted"]}),
        )
        .await
        .expect(201)
        .id();
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        Some(&world.other_reviewer.access),
        None,
    )
    .await
    .expect(404);
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        lead,
        None,
    )
    .await
    .expect(204);
    app.get(&format!("/api/v1/webhooks/{id}/deliveries"), lead)
        .await
        .expect(404);
}
