//! Bids, awards and projects through HTTP: sealed bids, one bid per team, deadlines decided by
//! the database's clock, exactly one award under concurrency, milestone and project transitions,
//! and the audit log's hash chains.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Session, TestApp, World, order_body, spawn_app};

const CANARY: &str = "CANARY-7f3a-机密方案";

/// A hospital's world plus two rival labs (each with one team) and a manufacturing enterprise.
struct Market {
    world: World,
    lab_a: Session,
    team_a: Uuid,
    lab_b: Session,
    team_b: Uuid,
    enterprise: Uuid,
    enterprise_admin: Session,
}

impl Market {
    async fn build(app: &TestApp) -> Market {
        let world = World::build(app).await;
        let team_a = create_team(
            app,
            &world.lab_lead,
            world.university,
            "水凝胶止血材料实验室",
        )
        .await;
        let rival_admin = app.sign_up("admin@rival.example").await;
        let rival = app
            .create_org(&rival_admin, "university", "另一所大学")
            .await;
        let lab_b = app
            .member(&rival_admin, rival, "lead@rival.example", "lead")
            .await;
        let team_b = create_team(app, &lab_b, rival, "组织粘合剂课题组").await;
        let enterprise_admin = app.sign_up("admin@maker.example").await;
        let enterprise = app
            .create_org(&enterprise_admin, "enterprise", "医疗器械制造公司")
            .await;
        Market {
            lab_a: world.lab_lead.clone(),
            world,
            team_a,
            lab_b,
            team_b,
            enterprise,
            enterprise_admin,
        }
    }

    /// A published order of the hospital whose bidding closes at `deadline`.
    async fn order(&self, app: &TestApp, deadline: DateTime<Utc>) -> Uuid {
        let mut body = order_body(self.world.hospital);
        body["bid_deadline"] = json!(deadline.to_rfc3339());
        let id = app
            .post("/api/v1/orders", Some(&self.world.author.access), body)
            .await
            .expect(201)
            .id();
        app.post_empty(
            &format!("/api/v1/orders/{id}/submit"),
            Some(&self.world.author.access),
        )
        .await
        .expect(200);
        app.post(
            &format!("/api/v1/orders/{id}/review"),
            Some(&self.world.reviewer.access),
            json!({"decision": "approve"}),
        )
        .await
        .expect(200);
        id
    }

    async fn open_order(&self, app: &TestApp) -> Uuid {
        self.order(app, Utc::now() + chrono::Duration::days(30))
            .await
    }
}

async fn create_team(app: &TestApp, lead: &Session, org: Uuid, name: &str) -> Uuid {
    app.post(
        "/api/v1/teams",
        Some(&lead.access),
        json!({
            "organization_id": org,
            "name": name,
            "summary": name,
            "capabilities": "可降解水凝胶、组织粘合剂与止血材料的配方和动物实验。",
        }),
    )
    .await
    .expect(201)
    .id()
}

fn bid_body(team: Uuid, approach: &str) -> Value {
    json!({
        "team_id": team,
        "approach": approach,
        "price_cny": 300000,
        "duration_weeks": 52,
        "milestones": [
            {"title": "配方筛选", "due_week": 12, "amount_cny": 100000},
            {"title": "动物实验", "due_week": 40, "amount_cny": 200000}
        ],
        "ip_ownership": "joint",
        "revenue_split": [
            {"party": "团队", "percent": 70},
            {"party": "科室", "percent": 10},
            {"party": "医院", "percent": 20}
        ],
        "trl": 4
    })
}

async fn bid(app: &TestApp, order: Uuid, who: &Session, body: Value) -> crate::helpers::Reply {
    app.post(
        &format!("/api/v1/orders/{order}/bids"),
        Some(&who.access),
        body,
    )
    .await
}

#[tokio::test]
async fn a_bid_is_sealed_from_every_other_team() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    let secret = format!("{CANARY}：双网络交联多糖水凝胶，60 秒内成胶");
    let mut body = bid_body(market.team_a, &secret);
    body["milestones"][0]["title"] = json!(format!("{CANARY} 里程碑"));
    body["revenue_split"][0]["party"] = json!(format!("{CANARY} 团队"));
    body["partners"] =
        json!([{"organization_id": market.enterprise, "role": format!("{CANARY} 生产")}]);
    let sealed = bid(&app, order, &market.lab_a, body).await.expect(201);
    let sealed_id = sealed.id();
    assert_eq!(
        sealed.body["consortium"], false,
        "partners have not confirmed"
    );
    bid(
        &app,
        order,
        &market.lab_b,
        bid_body(market.team_b, "常规组织粘合剂方案，需要验证。"),
    )
    .await
    .expect(201);

    // The ordering side sees both; the bidding team its own; the rival only its own.
    let all = app
        .get(
            &format!("/api/v1/orders/{order}/bids"),
            Some(&market.world.author.access),
        )
        .await
        .expect(200);
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
    let rival_view = app
        .get(
            &format!("/api/v1/orders/{order}/bids"),
            Some(&market.lab_b.access),
        )
        .await
        .expect(200);
    assert_eq!(rival_view.body["items"].as_array().map(Vec::len), Some(1));

    // The partner sees only an invitation until it confirms, then the bid.
    let invitations = app
        .get(
            "/api/v1/me/partner-invitations",
            Some(&market.enterprise_admin.access),
        )
        .await
        .expect(200);
    let partner_id = invitations.body[0]["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(
        &format!("/api/v1/bids/{sealed_id}"),
        Some(&market.enterprise_admin.access),
    )
    .await
    .expect(404);
    app.post_empty(
        &format!("/api/v1/bids/{sealed_id}/partners/{partner_id}/confirm"),
        Some(&market.enterprise_admin.access),
    )
    .await
    .expect(200);
    let confirmed = app
        .get(
            &format!("/api/v1/bids/{sealed_id}"),
            Some(&market.enterprise_admin.access),
        )
        .await
        .expect(200);
    assert_eq!(confirmed.body["consortium"], true);

    // Every endpoint the rival team can call, before and after the award.
    let rival_paths = |project: Option<Uuid>| {
        let mut paths = vec![
            "/api/v1/orders".to_owned(),
            format!("/api/v1/orders/{order}"),
            format!("/api/v1/orders/{order}/bids"),
            format!("/api/v1/orders/{order}/matches"),
            format!("/api/v1/bids/{sealed_id}"),
            format!("/api/v1/teams/{}/matches", market.team_b),
            format!("/api/v1/teams/{}/notifications", market.team_b),
            format!("/api/v1/teams/{}", market.team_a),
            "/api/v1/teams".to_owned(),
            format!("/api/v1/teams/search?q={}", urlencode(CANARY)),
            "/api/v1/me".to_owned(),
            "/api/v1/me/partner-invitations".to_owned(),
            "/api/v1/organizations".to_owned(),
        ];
        if let Some(project) = project {
            paths.push(format!("/api/v1/projects/{project}"));
        }
        paths
    };
    let assert_sealed = |reply: &crate::helpers::Reply, path: &str| {
        assert!(
            !reply.body.to_string().contains("CANARY-7f3a"),
            "{path} leaked the sealed bid: {}",
            reply.body
        );
    };
    for path in rival_paths(None) {
        let reply = app.get(&path, Some(&market.lab_b.access)).await;
        assert!(reply.status.as_u16() < 500, "{path}: {:?}", reply.status);
        assert_sealed(&reply, &path);
    }
    // Changing another team's bid is answered as if it did not exist.
    for (path, body) in [
        (format!("/api/v1/bids/{sealed_id}/withdraw"), None),
        (format!("/api/v1/bids/{sealed_id}/shortlist"), None),
        (
            format!("/api/v1/bids/{sealed_id}/decline"),
            Some(json!({"reason": "x"})),
        ),
        (
            format!("/api/v1/orders/{order}/award"),
            Some(json!({"bid_id": sealed_id})),
        ),
    ] {
        let reply = match body {
            Some(body) => app.post(&path, Some(&market.lab_b.access), body).await,
            None => app.post_empty(&path, Some(&market.lab_b.access)).await,
        };
        assert!(
            matches!(reply.status.as_u16(), 404 | 422),
            "{path}: {:?}",
            reply.body
        );
        assert_sealed(&reply, &path);
    }
    let reply = app
        .patch(
            &format!("/api/v1/bids/{sealed_id}"),
            Some(&market.lab_b.access),
            json!({"trl": 5}),
        )
        .await
        .expect(404);
    assert_sealed(&reply, "PATCH bid");

    let awarded = app
        .post(
            &format!("/api/v1/orders/{order}/award"),
            Some(&market.world.author.access),
            json!({"bid_id": sealed_id}),
        )
        .await
        .expect(201);
    let project = Uuid::parse_str(awarded.body["project_id"].as_str().unwrap()).unwrap();
    for path in rival_paths(Some(project)) {
        let reply = app.get(&path, Some(&market.lab_b.access)).await;
        assert!(reply.status.as_u16() < 500, "{path}: {:?}", reply.status);
        assert_sealed(&reply, &path);
    }
    let told = app
        .get(
            &format!("/api/v1/teams/{}/notifications", market.team_b),
            Some(&market.lab_b.access),
        )
        .await
        .expect(200);
    assert_eq!(told.body[0]["kind"], "bid.not_selected");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn fifty_identical_bids_at_once_make_exactly_one() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    let body = bid_body(market.team_a, "并发提交的同一投标，只应成功一次。");
    let replies = futures_util::future::join_all(
        (0..50).map(|_| bid(&app, order, &market.lab_a, body.clone())),
    )
    .await;
    let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    let conflicts = replies.iter().filter(|r| r.status.as_u16() == 409).count();
    let others: Vec<_> = replies
        .iter()
        .filter(|r| !matches!(r.status.as_u16(), 201 | 409))
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert_eq!((created, conflicts), (1, 49), "other replies: {others:?}");
    let listed = app
        .get(
            &format!("/api/v1/orders/{order}/bids"),
            Some(&market.world.author.access),
        )
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn twenty_simultaneous_awards_have_exactly_one_winner_every_time() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let rounds: usize = std::env::var("AWARD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let deciders = [
        &market.world.author,
        &market.world.reviewer,
        &market.world.admin,
    ];
    for round in 0..rounds {
        let order = market.open_order(&app).await;
        let a = bid(
            &app,
            order,
            &market.lab_a,
            bid_body(market.team_a, "方案甲：快速交联水凝胶。"),
        )
        .await
        .expect(201)
        .id();
        let b = bid(
            &app,
            order,
            &market.lab_b,
            bid_body(market.team_b, "方案乙：组织粘合剂贴片。"),
        )
        .await
        .expect(201)
        .id();
        let award_path = format!("/api/v1/orders/{order}/award");
        let replies = futures_util::future::join_all((0..20).map(|i| {
            let target = if i % 2 == 0 { a } else { b };
            app.post(
                &award_path,
                Some(&deciders[i % deciders.len()].access),
                json!({"bid_id": target}),
            )
        }))
        .await;
        let winners = replies.iter().filter(|r| r.status.as_u16() == 201).count();
        let server_errors: Vec<_> = replies
            .iter()
            .filter(|r| r.status.is_server_error() || !matches!(r.status.as_u16(), 201 | 409))
            .map(|r| (r.status, r.body.clone()))
            .collect();
        assert_eq!(winners, 1, "round {round}: {winners} winners");
        assert!(server_errors.is_empty(), "round {round}: {server_errors:?}");
        let bids = app
            .get(
                &format!("/api/v1/orders/{order}/bids"),
                Some(&market.world.author.access),
            )
            .await
            .expect(200);
        let mut statuses: Vec<String> = bids.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["status"].as_str().unwrap().to_owned())
            .collect();
        statuses.sort();
        assert_eq!(statuses, ["awarded", "not_selected"], "round {round}");
    }
}

#[tokio::test]
async fn no_bid_change_is_accepted_after_the_deadline() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let deadline = Utc::now() + chrono::Duration::milliseconds(2500);
    let order = market.order(&app, deadline).await;
    let id = bid(
        &app,
        order,
        &market.lab_a,
        bid_body(market.team_a, "截止时间前后的反复修改。"),
    )
    .await
    .expect(201)
    .id();
    let mut accepted_before = 0;
    let mut refused_after = 0;
    let mut trl = 1;
    while Utc::now() < deadline + chrono::Duration::milliseconds(1500) {
        trl = trl % 9 + 1;
        let sent = Utc::now();
        let reply = app
            .patch(
                &format!("/api/v1/bids/{id}"),
                Some(&market.lab_a.access),
                json!({"trl": trl}),
            )
            .await;
        match reply.status.as_u16() {
            200 => {
                let stamped: DateTime<Utc> =
                    reply.body["updated_at"].as_str().unwrap().parse().unwrap();
                assert!(
                    stamped < deadline,
                    "an edit stamped {stamped} was accepted after {deadline}"
                );
                assert!(
                    sent < deadline,
                    "an edit sent at {sent} was accepted after {deadline}"
                );
                accepted_before += 1;
            }
            409 => {
                assert_eq!(reply.body["code"], "deadline_passed");
                assert!(
                    Utc::now() >= deadline,
                    "refused before the deadline: {:?}",
                    reply.body
                );
                refused_after += 1;
            }
            other => panic!("unexpected {other}: {:?}", reply.body),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        accepted_before > 0 && refused_after > 0,
        "{accepted_before} / {refused_after}"
    );
    for path in [format!("/api/v1/bids/{id}/withdraw")] {
        app.post_empty(&path, Some(&market.lab_a.access))
            .await
            .expect(409);
    }
    bid(
        &app,
        order,
        &market.lab_b,
        bid_body(market.team_b, "截止之后才提交的新投标方案。"),
    )
    .await
    .expect(409);
}

#[tokio::test]
async fn invalid_bids_are_refused_with_422_and_change_nothing() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, &str, Mutation)> = vec![
        (
            "milestones not adding up",
            "milestones",
            Box::new(|b| b["milestones"][0]["amount_cny"] = json!(1)),
        ),
        (
            "split not 100",
            "revenue_split",
            Box::new(|b| b["revenue_split"][0]["percent"] = json!(60)),
        ),
        ("TRL 0", "trl", Box::new(|b| b["trl"] = json!(0))),
        ("TRL 10", "trl", Box::new(|b| b["trl"] = json!(10))),
        (
            "negative price",
            "price_cny",
            Box::new(|b| b["price_cny"] = json!(-1)),
        ),
        (
            "milestone after the end",
            "milestones[1].due_week",
            Box::new(|b| b["milestones"][1]["due_week"] = json!(60)),
        ),
        (
            "no milestones",
            "milestones",
            Box::new(|b| b["milestones"] = json!([])),
        ),
        (
            "unknown partner",
            "partners[0]",
            Box::new(|b| {
                b["partners"] = json!([{"organization_id": Uuid::new_v4(), "role": "生产"}])
            }),
        ),
    ];
    let enterprise = market.enterprise;
    let mut cases = cases;
    cases.push((
        "unconfirmed partner shown as consortium",
        "consortium",
        Box::new(move |b| {
            b["partners"] = json!([{"organization_id": enterprise, "role": "生产"}]);
            b["consortium"] = json!(true);
        }),
    ));
    // Proposals for the new teams are made in the background and may land meanwhile: they are
    // not the bids' doing, so they are left out of the comparison.
    let without_proposals = |mut snapshot: Value| {
        snapshot["matches"] = Value::Null;
        snapshot
    };
    let before = without_proposals(app.snapshot().await);
    for (name, field, mutate) in &cases {
        let mut body = bid_body(market.team_a, "一个正确的方案，被逐项改坏。");
        mutate(&mut body);
        let reply = bid(&app, order, &market.lab_a, body).await;
        assert_eq!(reply.status.as_u16(), 422, "{name}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json", "{name}");
        assert!(
            reply.body["errors"]
                .as_array()
                .is_some_and(|errors| errors.iter().any(|e| e["field"] == *field)),
            "{name}: {:?}",
            reply.body
        );
    }
    let after = without_proposals(app.snapshot().await);
    for (table, rows) in before.as_object().unwrap() {
        assert_eq!(&after[table], rows, "a refused bid changed {table}");
    }
    let listed = app
        .get(
            &format!("/api/v1/orders/{order}/bids"),
            Some(&market.world.author.access),
        )
        .await
        .expect(200);
    assert_eq!(listed.body["items"], json!([]));
}

#[tokio::test]
async fn a_project_runs_by_milestones_and_its_end_is_recorded() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    let won = bid(
        &app,
        order,
        &market.lab_a,
        bid_body(market.team_a, "分两个里程碑交付：配方筛选与动物实验。"),
    )
    .await
    .expect(201)
    .id();
    let lost = bid(
        &app,
        order,
        &market.lab_b,
        bid_body(market.team_b, "另一方案：组织粘合剂贴片与体外测试。"),
    )
    .await
    .expect(201)
    .id();
    let author = &market.world.author;
    app.post_empty(
        &format!("/api/v1/bids/{lost}/shortlist"),
        Some(&author.access),
    )
    .await
    .expect(200);
    app.post_empty(
        &format!("/api/v1/bids/{lost}/shortlist"),
        Some(&author.access),
    )
    .await
    .expect(409);
    app.post(
        &format!("/api/v1/bids/{lost}/decline"),
        Some(&author.access),
        json!({"reason": "动物实验周期过长"}),
    )
    .await
    .expect(200);
    let told = app
        .get(
            &format!("/api/v1/teams/{}/notifications", market.team_b),
            Some(&market.lab_b.access),
        )
        .await
        .expect(200);
    assert_eq!(told.body[0]["kind"], "bid.declined");
    assert_eq!(told.body[0]["detail"], "动物实验周期过长");
    // The bidding team cannot award itself; the ordering side awards.
    app.post(
        &format!("/api/v1/orders/{order}/award"),
        Some(&market.lab_a.access),
        json!({"bid_id": won}),
    )
    .await
    .expect(403);
    let awarded = app
        .post(
            &format!("/api/v1/orders/{order}/award"),
            Some(&author.access),
            json!({"bid_id": won}),
        )
        .await
        .expect(201);
    let project = awarded.body["project_id"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/projects/{project}");
    let view = app.get(&base, Some(&market.lab_a.access)).await.expect(200);
    let milestones: Vec<String> = view.body["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(milestones.len(), 2);
    let m1 = format!("{base}/milestones/{}", milestones[0]);
    let m2 = format!("{base}/milestones/{}", milestones[1]);
    let lab = &market.lab_a;

    // Illegal moves: accepting what was not delivered; the wrong side acting; completing early.
    app.post_empty(&format!("{m1}/accept"), Some(&author.access))
        .await
        .expect(409);
    app.post_empty(&format!("{m1}/deliver"), Some(&author.access))
        .await
        .expect(403);
    app.post_empty(&format!("{base}/complete"), Some(&author.access))
        .await
        .expect(409);
    app.post(
        &format!("{base}/ratings"),
        Some(&author.access),
        json!({"score": 4}),
    )
    .await
    .expect(409);

    app.post(
        &format!("{m1}/deliver"),
        Some(&lab.access),
        json!({"comment": "配方报告"}),
    )
    .await
    .expect(200);
    app.post_empty(&format!("{m1}/deliver"), Some(&lab.access))
        .await
        .expect(409);
    app.post(&format!("{m1}/reject"), Some(&author.access), json!({}))
        .await
        .expect(422);
    let back = app
        .post(
            &format!("{m1}/reject"),
            Some(&author.access),
            json!({"comment": "缺少溶胀数据"}),
        )
        .await
        .expect(200);
    assert_eq!(back.body["status"], "pending");
    assert_eq!(back.body["review_comment"], "缺少溶胀数据");
    app.post_empty(&format!("{m1}/deliver"), Some(&lab.access))
        .await
        .expect(200);
    app.post_empty(&format!("{m1}/accept"), Some(&lab.access))
        .await
        .expect(403);
    app.post_empty(&format!("{m1}/accept"), Some(&author.access))
        .await
        .expect(200);
    app.post_empty(&format!("{m2}/deliver"), Some(&lab.access))
        .await
        .expect(200);

    // The project fails honestly: terminated with a reason and lessons, then both sides rate.
    app.post(
        &format!("{base}/terminate"),
        Some(&lab.access),
        json!({"reason": ""}),
    )
    .await
    .expect(422);
    let ended = app
        .post(
            &format!("{base}/terminate"),
            Some(&lab.access),
            json!({"reason": "动物实验未达到止血时间指标", "lessons_learned": "应先做体外凝血筛选"}),
        )
        .await
        .expect(200);
    assert_eq!(ended.body["status"], "terminated");
    assert_eq!(ended.body["lessons_learned"], "应先做体外凝血筛选");
    app.post_empty(&format!("{base}/complete"), Some(&author.access))
        .await
        .expect(409);
    app.post_empty(&format!("{m2}/accept"), Some(&author.access))
        .await
        .expect(409);
    app.post(
        &format!("{base}/ratings"),
        Some(&lab.access),
        json!({"score": 4, "comment": "沟通顺畅"}),
    )
    .await
    .expect(201);
    app.post(
        &format!("{base}/ratings"),
        Some(&lab.access),
        json!({"score": 5}),
    )
    .await
    .expect(409);
    app.post(
        &format!("{base}/ratings"),
        Some(&author.access),
        json!({"score": 0}),
    )
    .await
    .expect(422);
    app.post(
        &format!("{base}/ratings"),
        Some(&author.access),
        json!({"score": 3}),
    )
    .await
    .expect(201);
    let view = app.get(&base, Some(&author.access)).await.expect(200);
    assert_eq!(view.body["ratings"].as_array().map(Vec::len), Some(2));
    assert_eq!(view.body["end_reason"], "动物实验未达到止血时间指标");
}

#[tokio::test]
async fn changing_one_byte_of_an_audit_event_is_found() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    bid(
        &app,
        order,
        &market.lab_a,
        bid_body(market.team_a, "记录在审计链上的一次正式投标。"),
    )
    .await
    .expect(201);
    let db = app.db();
    let clean = yigong::store::audit::verify(db).await.unwrap();
    assert!(clean.broken.is_empty(), "{:?}", clean.broken);
    assert!(clean.events >= 5, "{clean:?}");

    let events = yigong::store::audit::all(db).await.unwrap();
    let target = events
        .iter()
        .find(|e| e.action == "order.submit")
        .expect("an order.submit event");
    let backend = db.get_database_backend();
    // Whoever tampers must first get past the append-only trigger.
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
            "UPDATE audit_events SET action = 'order.submiT' WHERE id = {}",
            target.id
        ),
    ))
    .await
    .unwrap();
    let report = yigong::store::audit::verify(db).await.unwrap();
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
    assert_eq!(report.broken[0].event_id, Some(target.id));
}

#[tokio::test]
async fn a_retried_bid_or_award_with_the_same_key_happens_once() {
    let app = spawn_app().await;
    let market = Market::build(&app).await;
    let order = market.open_order(&app).await;
    let path = format!("/api/v1/orders/{order}/bids");
    let body = bid_body(market.team_a, "带幂等键重试的投标，只创建一次。");
    let send = |key: &'static str, body: Value, token: String, path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send(
        "bid-1",
        body.clone(),
        market.lab_a.access.clone(),
        path.clone(),
    )
    .await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(
        "bid-1",
        body.clone(),
        market.lab_a.access.clone(),
        path.clone(),
    )
    .await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let mut other = body.clone();
    other["trl"] = json!(5);
    let reused = send("bid-1", other, market.lab_a.access.clone(), path).await;
    assert_eq!(reused.status().as_u16(), 422);

    let award_path = format!("/api/v1/orders/{order}/award");
    let award = json!({"bid_id": first["id"]});
    let token = market.world.author.access.clone();
    let won = send("award-1", award.clone(), token.clone(), award_path.clone()).await;
    assert_eq!(won.status().as_u16(), 201);
    let won: Value = won.json().await.unwrap();
    let replayed = send("award-1", award, token, award_path).await;
    assert_eq!(replayed.status().as_u16(), 201);
    let replayed: Value = replayed.json().await.unwrap();
    assert_eq!(replayed["project_id"], won["project_id"]);
}
