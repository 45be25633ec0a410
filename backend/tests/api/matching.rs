//! Matching through the API: proposals when an order is published and when a team profile
//! changes, who may see them, dismissing with a reason, searching by hand, and the index healing
//! itself at start-up after a crash between the database and index commits.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;
use yigong::matching::service::MatchingService;
use yigong::store::entities::team;
use yigong_search_index::lexicon::Lexicon;
use yigong_search_index::matcher::Matcher;

use crate::helpers::{Session, TestApp, World, fresh_database_url, spawn_app};

const HAEMOSTASIS_LAB: &str =
    "快速交联的多糖水凝胶与组织粘合剂，可降解止血材料，适用于肝脏手术创面止血与封闭。";
const ROBOTICS_LAB: &str = "连续体手术机器人与力反馈遥操作，术中导航与配准。";

async fn create_team(
    app: &TestApp,
    lead: &Session,
    org: Uuid,
    name: &str,
    capabilities: &str,
    extra: Value,
) -> Uuid {
    let mut body = json!({
        "organization_id": org,
        "name": name,
        "summary": name,
        "capabilities": capabilities,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post("/api/v1/teams", Some(&lead.access), body)
        .await
        .expect(201)
        .id()
}

/// Polls the team's proposals until one for `order` shows up (the index commits in batches).
async fn wait_for_proposal(app: &TestApp, team: Uuid, order: Uuid, who: &Session) -> Value {
    for _ in 0..100 {
        let reply = app
            .get(&format!("/api/v1/teams/{team}/matches"), Some(&who.access))
            .await
            .expect(200);
        if let Some(found) = reply.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["order_id"] == json!(order)))
        {
            return found.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no proposal of order {order} to team {team}");
}

async fn wait_until_searchable(app: &TestApp, team: Uuid) {
    let indexed = app
        .state
        .matching
        .wait_until_indexed(team, 1, Duration::from_secs(5))
        .await;
    assert!(indexed, "team {team} not visible in the index within 5 s");
}

#[tokio::test]
async fn publishing_proposes_the_fitting_team_with_reasons_and_leaves_out_the_rest() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let fitting = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "止血材料课题组",
        HAEMOSTASIS_LAB,
        json!({}),
    )
    .await;
    let other = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "手术机器人组",
        ROBOTICS_LAB,
        json!({}),
    )
    .await;
    let closed = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "已满负荷的水凝胶组",
        HAEMOSTASIS_LAB,
        json!({"accepting_work": false}),
    )
    .await;
    for team in [fitting, other, closed] {
        wait_until_searchable(&app, team).await;
    }

    let order = world.order_in(&app, "published").await;
    let path = format!("/api/v1/orders/{order}/matches");
    let proposals = app
        .get(&path, Some(&world.clinician.access))
        .await
        .expect(200);
    let items = proposals.body["items"].as_array().unwrap();
    assert_eq!(items[0]["team_id"], json!(fitting), "{items:?}");
    assert_eq!(items[0]["rank"], 1);
    assert!(
        items.iter().all(|m| m["team_id"] != json!(closed)),
        "a team not accepting work is left out"
    );
    let reasons = items[0]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["type"] == "concept" && r["text"].as_str().unwrap().contains('→')),
        "a concept bridge explains the match: {reasons:?}"
    );

    let english = app
        .get(&format!("{path}?lang=en"), Some(&world.clinician.access))
        .await
        .expect(200);
    let text = english.body["items"][0]["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.is_ascii() || text.contains("need"),
        "English reasons: {text}"
    );

    // The team sees the order proposed to it; outsiders see nothing.
    let mine = wait_for_proposal(&app, fitting, order, &world.lab_lead).await;
    assert_eq!(mine["order_status"], "published");
    app.get(
        &format!("/api/v1/teams/{fitting}/matches"),
        Some(&world.other_clinician.access),
    )
    .await
    .expect(403);
    app.get(&path, Some(&world.lab_lead.access))
        .await
        .expect(403);
    app.get(&path, None).await.expect(401);
}

#[tokio::test]
async fn a_team_created_after_publication_is_proposed_for_the_open_order() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let order = world.order_in(&app, "published").await;
    let team = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "止血材料课题组",
        HAEMOSTASIS_LAB,
        json!({}),
    )
    .await;
    let proposal = wait_for_proposal(&app, team, order, &world.lab_lead).await;
    assert!(proposal["score"].as_f64().unwrap() > 0.0);

    // A profile change that makes another team fit proposes it as well.
    let late = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "机器人组",
        ROBOTICS_LAB,
        json!({}),
    )
    .await;
    wait_until_searchable(&app, late).await;
    app.patch(
        &format!("/api/v1/teams/{late}"),
        Some(&world.lab_lead.access),
        json!({"capabilities": HAEMOSTASIS_LAB}),
    )
    .await
    .expect(200);
    wait_for_proposal(&app, late, order, &world.lab_lead).await;
}

#[tokio::test]
async fn dismissing_keeps_the_reason_once_and_only_for_the_two_sides() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let team = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "止血材料课题组",
        HAEMOSTASIS_LAB,
        json!({}),
    )
    .await;
    wait_until_searchable(&app, team).await;
    let order = world.order_in(&app, "published").await;
    let proposals = app
        .get(
            &format!("/api/v1/orders/{order}/matches"),
            Some(&world.author.access),
        )
        .await
        .expect(200);
    let id = proposals.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/matches/{id}/dismiss");

    let before = app.snapshot().await;
    app.post(
        &path,
        Some(&world.other_clinician.access),
        json!({"reason": "不相关"}),
    )
    .await
    .expect(404);
    app.post(&path, Some(&world.author.access), json!({"reason": ""}))
        .await
        .expect(422);
    app.post(&path, Some(&world.author.access), json!({"why": "x"}))
        .await
        .expect(422);
    assert_eq!(
        app.snapshot().await,
        before,
        "refused requests change nothing"
    );

    let dismissed = app
        .post(
            &path,
            Some(&world.author.access),
            json!({"reason": "团队已在做类似项目"}),
        )
        .await
        .expect(200);
    assert_eq!(dismissed.body["status"], "dismissed");
    assert_eq!(dismissed.body["dismiss_reason"], "团队已在做类似项目");
    app.post(
        &path,
        Some(&world.lab_lead.access),
        json!({"reason": "again"}),
    )
    .await
    .expect(409);
    app.post(
        &format!("/api/v1/matches/{}/dismiss", Uuid::now_v7()),
        Some(&world.author.access),
        json!({"reason": "none"}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn search_by_hand_bridges_languages_and_accepts_any_text() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let fitting = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "止血材料课题组",
        HAEMOSTASIS_LAB,
        json!({}),
    )
    .await;
    let other = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "手术机器人组",
        ROBOTICS_LAB,
        json!({}),
    )
    .await;
    wait_until_searchable(&app, fitting).await;
    wait_until_searchable(&app, other).await;

    let found = app
        .get(
            "/api/v1/teams/search?q=tissue%20adhesive%20for%20surgical%20bleeding&lang=en",
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        found.body["items"][0]["team_id"],
        json!(fitting),
        "{:?}",
        found.body
    );

    for q in [
        "%22%29%28*%3F",
        "AND%20OR%20NOT",
        "%F0%9F%A9%B8",
        "title%3A%5B1%20TO%202%5D",
    ] {
        app.get(&format!("/api/v1/teams/search?q={q}"), None)
            .await
            .expect(200);
    }
    app.get("/api/v1/teams/search", None).await.expect(400);
    app.get(
        &format!("/api/v1/teams/search?q={}", "长".repeat(501)),
        None,
    )
    .await
    .expect(422);
    app.get("/api/v1/teams/search?q=x&limit=0", None)
        .await
        .expect(422);
}

/// A second database holding one haemostasis team (created through the API of a test app), for
/// driving the matching service directly as start-up does.
async fn database_with_one_team() -> (tempfile::TempDir, sea_orm::DatabaseConnection, team::Model) {
    let data_dir = tempfile::tempdir().unwrap();
    let db = yigong::store::connect(&fresh_database_url(data_dir.path()).await)
        .await
        .unwrap();
    yigong::store::migrate(&db).await.unwrap();
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let team_id = create_team(
        &app,
        &world.lab_lead,
        world.university,
        "止血材料课题组",
        HAEMOSTASIS_LAB,
        json!({}),
    )
    .await;
    // Copy the world's rows into the second database: the organisation and the team.
    let org = yigong::store::entities::organization::Entity::find_by_id(world.university)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    org.into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .unwrap();
    let row = team::Entity::find_by_id(team_id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    row.clone()
        .into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .unwrap();

    (data_dir, db, row)
}

#[tokio::test]
async fn a_crash_between_database_and_index_commits_is_healed_at_start_up() {
    let (data_dir, db, row) = database_with_one_team().await;
    let team_id = row.id;
    let index_dir = data_dir.path().join("index");
    let matcher = Arc::new(Matcher::builtin().unwrap());
    {
        let service = MatchingService::open(&index_dir, matcher.clone(), 10).unwrap();
        service.index_team(&row).unwrap();
        service.index().commit().unwrap();
        // The profile changes in the database; the process dies before the index hears of it.
        let mut changed = row.clone().into_active_model();
        changed.capabilities = sea_orm::Set(ROBOTICS_LAB.to_owned());
        changed.version = sea_orm::Set(2);
        changed.update(&db).await.unwrap();
        assert_eq!(
            service.index().version_of(&team_id.to_string()).unwrap(),
            Some(1)
        );
    }

    let restarted = MatchingService::open(&index_dir, matcher, 10).unwrap();
    let report = restarted.reconcile(&db).await.unwrap();
    assert_eq!(report.indexed, 1);
    assert_eq!(
        restarted.index().version_of(&team_id.to_string()).unwrap(),
        Some(2)
    );
    let hits = restarted.index().search(ROBOTICS_LAB, &[], 5).unwrap();
    assert_eq!(
        hits.first().map(|h| h.team_id.clone()),
        Some(team_id.to_string())
    );
    assert_eq!(
        restarted.reconcile(&db).await.unwrap().indexed,
        0,
        "nothing left to heal"
    );
}

#[tokio::test]
async fn teams_tagged_with_an_older_lexicon_are_retagged_at_start_up() {
    let (data_dir, db, row) = database_with_one_team().await;
    let team_id = row.id.to_string();
    let index_dir = data_dir.path().join("index");
    let haemostasis = ["haemostatic_material".to_owned()];
    // An older release knew no haemostatic materials.
    let old_lexicon = Lexicon::parse([(
        "old.toml",
        "[[concept]]\nid = \"liver_resection\"\nkind = \"clinical\"\nzh = [\"肝脏手术\"]\nen = [\"liver surgery\"]",
    )])
    .unwrap();
    {
        let old =
            MatchingService::open(&index_dir, Arc::new(Matcher::new(old_lexicon)), 10).unwrap();
        old.reconcile(&db).await.unwrap();
        assert!(old.index().search("", &haemostasis, 5).unwrap().is_empty());
    }

    let upgraded =
        MatchingService::open(&index_dir, Arc::new(Matcher::builtin().unwrap()), 10).unwrap();
    let report = upgraded.reconcile(&db).await.unwrap();
    assert!(report.retagged);
    assert_eq!(report.indexed, 1, "the unchanged profile is tagged again");
    let hits = upgraded.index().search("", &haemostasis, 5).unwrap();
    assert_eq!(
        hits.first().map(|h| h.team_id.as_str()),
        Some(team_id.as_str())
    );
    assert!(hits[0].matched_concepts.contains(&haemostasis[0]));
    let again = upgraded.reconcile(&db).await.unwrap();
    assert_eq!((again.retagged, again.indexed), (false, 0));
    drop(upgraded);
    let reopened =
        MatchingService::open(&index_dir, Arc::new(Matcher::builtin().unwrap()), 10).unwrap();
    assert!(
        !reopened.reconcile(&db).await.unwrap().retagged,
        "the label was committed"
    );
}

#[tokio::test]
async fn reindex_gives_the_same_rankings_as_incremental_indexing() {
    let app = spawn_app().await;
    let world = World::build(&app).await;
    let profiles = [
        ("止血材料课题组", HAEMOSTASIS_LAB),
        ("手术机器人组", ROBOTICS_LAB),
        (
            "柔性传感实验室",
            "柔性压力传感阵列与智能床垫，用于压力性损伤预防和体位监测。",
        ),
        (
            "Rehab Robotics Lab",
            "Soft pneumatic hand exoskeleton with sEMG intention detection for stroke rehabilitation.",
        ),
        (
            "医学影像AI组",
            "深度学习医学图像分割，CT 肺结节检测与 MRI 配准。",
        ),
    ];
    let mut ids = Vec::new();
    for (name, capabilities) in profiles {
        ids.push(
            create_team(
                &app,
                &world.lab_lead,
                world.university,
                name,
                capabilities,
                json!({}),
            )
            .await,
        );
    }
    // Edits after creation: the incremental index has seen several versions of these teams.
    app.patch(
        &format!("/api/v1/teams/{}", ids[1]),
        Some(&world.lab_lead.access),
        json!({"keywords": ["手术机器人", "力反馈"]}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/teams/{}", ids[2]),
        Some(&world.lab_lead.access),
        json!({"keywords": ["压疮", "智能床垫"]}),
    )
    .await
    .expect(200);
    let rows: Vec<team::Model> = team::Entity::find().all(app.db()).await.unwrap();
    for row in &rows {
        app.state
            .matching
            .wait_until_indexed(row.id, row.version, Duration::from_secs(5))
            .await;
    }
    let queries = [
        "肝切除断面渗血",
        "pressure ulcer prevention in bedridden patients",
        "卒中后手功能康复",
        "肺结节",
        "机器人",
    ];
    let rank = |service: &MatchingService| -> Vec<Vec<String>> {
        queries
            .iter()
            .map(|q| {
                let query = service.matcher().order_query(q, "");
                service
                    .matcher()
                    .search(service.index(), &query, 10)
                    .unwrap()
                    .into_iter()
                    .map(|m| m.team_id)
                    .collect()
            })
            .collect()
    };
    // Deleted versions still count in term statistics until segments merge; once merged, the
    // incremental index must rank exactly like a rebuilt one.
    app.state.matching.index().compact().unwrap();
    let incremental = rank(&app.state.matching);

    let dir = tempfile::tempdir().unwrap();
    let rebuilt =
        MatchingService::open(dir.path(), Arc::new(Matcher::builtin().unwrap()), 10).unwrap();
    let mut calls = 0;
    let report = rebuilt.rebuild(app.db(), |_, _| calls += 1).await.unwrap();
    assert_eq!(report.indexed, rows.len());
    assert!(calls >= 1, "progress is reported");
    assert_eq!(rank(&rebuilt), incremental);
    use sea_orm::EntityTrait;
}
