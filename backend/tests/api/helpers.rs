//! `spawn_app()` and the small vocabulary tests speak: register, log in, create things.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;
use yigong::clock::SystemClock;
use yigong::config::{CommonArgs, ServeArgs, Settings};
use yigong::startup::Application;
use yigong::state::AppState;
use yigong::store;
use yigong::store::entities::{
    audit_chain, audit_event, bid, bid_partner, membership, order, organization, project, team,
    team_match, team_member, user,
};

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _data_dir: tempfile::TempDir,
}

/// A response, read once: status, content type and JSON body (or `Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn id(&self) -> Uuid {
        self.body["id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .unwrap_or_else(|| panic!("no id in {:?}", self.body))
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected reply: {:?}",
            self.body
        );
        self
    }
}

/// Creates a fresh database for one test: SQLite by default, PostgreSQL with TEST_DATABASE_URL.
pub async fn fresh_database_url(data_dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let admin = Database::connect(base.as_str())
                .await
                .expect("connecting to TEST_DATABASE_URL");
            let name = format!("yigong_test_{}", Uuid::new_v4().simple());
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("creating a test database");
            admin.close().await.ok();
            let (prefix, _) = base
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL names a database");
            format!("{prefix}/{name}")
        }
        _ => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    yigong::webhooks::install_crypto_provider();
    let data_dir = tempfile::tempdir().expect("creating a data directory");
    let database_url = fresh_database_url(data_dir.path()).await;
    let common = CommonArgs {
        data_dir: Some(data_dir.path().to_path_buf()),
        database_url: Some(database_url.clone()),
        config: None,
    };
    let serve = ServeArgs {
        bind: Some("127.0.0.1:0".to_owned()),
        ..Default::default()
    };
    let mut settings = Settings::resolve(&common, &serve).expect("resolving settings");
    adjust(&mut settings);
    let db = store::connect(&database_url).await.expect("connecting");
    store::migrate(&db).await.expect("migrating");
    let app = Application::build_with(settings, db, Arc::new(SystemClock))
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the HTTP client"),
        state,
        _data_dir: data_dir,
    }
}

impl TestApp {
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// Sends a request; `body` is JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sending a request");
        read(response).await
    }

    /// Sends raw bytes with a chosen content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("sending a request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::POST, path, token, None).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers an account and logs in; returns its id and token pair.
    pub async fn sign_up(&self, email: &str) -> Session {
        let user = self
            .post("/api/v1/auth/register", None, json!({"email": email, "password": PASSWORD, "display_name": email.split('@').next()}))
            .await
            .expect(201);
        let tokens = self.log_in(email, PASSWORD).await;
        Session {
            user_id: user.id(),
            ..tokens
        }
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Session {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await
            .expect(200);
        Session {
            user_id: Uuid::nil(),
            access: reply.body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            refresh: reply.body["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    pub async fn make_platform_admin(&self, user_id: Uuid) {
        let user = user::Entity::find_by_id(user_id)
            .one(self.db())
            .await
            .expect("query")
            .expect("user");
        store::users::make_platform_admin(self.db(), user, chrono::Utc::now())
            .await
            .expect("promote");
    }

    /// Creates an organisation whose creator is its org_admin.
    pub async fn create_org(&self, admin: &Session, kind: &str, name: &str) -> Uuid {
        self.post(
            "/api/v1/organizations",
            Some(&admin.access),
            json!({"name": name, "kind": kind, "city": "成都"}),
        )
        .await
        .expect(201)
        .id()
    }

    pub async fn add_member(&self, admin: &Session, org: Uuid, email: &str, role: &str) {
        self.post(
            &format!("/api/v1/organizations/{org}/members"),
            Some(&admin.access),
            json!({"email": email, "role": role}),
        )
        .await
        .expect(201);
    }

    /// Signs up a new person and gives them `role` in `org`.
    pub async fn member(&self, admin: &Session, org: Uuid, email: &str, role: &str) -> Session {
        let session = self.sign_up(email).await;
        self.add_member(admin, org, email, role).await;
        session
    }

    pub async fn create_order(&self, author: &Session, org: Uuid) -> Reply {
        self.post("/api/v1/orders", Some(&author.access), order_body(org))
            .await
    }

    /// Every row of every table, to prove that a refused request changed nothing.
    pub async fn snapshot(&self) -> Value {
        let db = self.db();
        json!({
            "organizations": organization::Entity::find().into_json().all(db).await.expect("organizations"),
            "users": user::Entity::find().into_json().all(db).await.expect("users"),
            "memberships": membership::Entity::find().into_json().all(db).await.expect("memberships"),
            "teams": team::Entity::find().into_json().all(db).await.expect("teams"),
            "team_members": team_member::Entity::find().into_json().all(db).await.expect("team members"),
            "orders": order::Entity::find().into_json().all(db).await.expect("orders"),
            "audit_events": audit_event::Entity::find().into_json().all(db).await.expect("audit"),
            "matches": team_match::Entity::find().into_json().all(db).await.expect("matches"),
            "bids": bid::Entity::find().into_json().all(db).await.expect("bids"),
            "bid_partners": bid_partner::Entity::find().into_json().all(db).await.expect("bid partners"),
            "projects": project::Entity::find().into_json().all(db).await.expect("projects"),
            "audit_chains": audit_chain::Entity::find().into_json().all(db).await.expect("audit chains"),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub access: String,
    pub refresh: String,
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("reading the body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

/// A valid new order for `org`.
pub fn order_body(org: Uuid) -> Value {
    json!({
        "organization_id": org,
        "title": "肝切除断面渗血止血",
        "clinical_description": "肝切除断面弥漫性渗血，压迫止血效果差，电凝易损伤胆管。",
        "category": "materials",
        "department": "肝胆外科",
        "budget_min_cny": 200000,
        "budget_max_cny": 800000,
        "bid_deadline": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "expected_duration_months": 18,
        "regulatory_class": "III",
        "ip_preference": "joint",
        "revenue_split": {"team": 70, "department": 10, "hospital": 20},
        "confidential_details": "患者数据仅限院内。"
    })
}

/// A hospital with its people, a second hospital, a university lab and a platform admin.
pub struct World {
    pub hospital: Uuid,
    pub university: Uuid,
    pub author: Session,
    pub clinician: Session,
    pub reviewer: Session,
    pub admin: Session,
    pub other_clinician: Session,
    pub other_reviewer: Session,
    pub other_admin: Session,
    pub lab_lead: Session,
    pub lab_member: Session,
    pub platform_admin: Session,
}

impl World {
    pub async fn build(app: &TestApp) -> World {
        let admin = app.sign_up("admin@a-hospital.example").await;
        let hospital = app.create_org(&admin, "hospital", "甲医院").await;
        let other_admin = app.sign_up("admin@b-hospital.example").await;
        let other_hospital = app.create_org(&other_admin, "hospital", "乙医院").await;
        let lab_admin = app.sign_up("admin@university.example").await;
        let university = app.create_org(&lab_admin, "university", "某大学").await;
        let platform_admin = app.sign_up("root@yigong.example").await;
        app.make_platform_admin(platform_admin.user_id).await;
        World {
            author: app
                .member(&admin, hospital, "author@a-hospital.example", "clinician")
                .await,
            clinician: app
                .member(&admin, hospital, "doctor@a-hospital.example", "clinician")
                .await,
            reviewer: app
                .member(&admin, hospital, "tto@a-hospital.example", "tto_reviewer")
                .await,
            other_clinician: app
                .member(
                    &other_admin,
                    other_hospital,
                    "doctor@b-hospital.example",
                    "clinician",
                )
                .await,
            other_reviewer: app
                .member(
                    &other_admin,
                    other_hospital,
                    "tto@b-hospital.example",
                    "tto_reviewer",
                )
                .await,
            lab_lead: app
                .member(&lab_admin, university, "lead@university.example", "lead")
                .await,
            lab_member: app
                .member(
                    &lab_admin,
                    university,
                    "student@university.example",
                    "member",
                )
                .await,
            hospital,
            university,
            admin,
            other_admin,
            platform_admin,
        }
    }

    /// An order of the hospital, by `author`, moved to `status` through the API.
    pub async fn order_in(&self, app: &TestApp, status: &str) -> Uuid {
        let id = app
            .create_order(&self.author, self.hospital)
            .await
            .expect(201)
            .id();
        let steps: &[(&str, Option<Value>)] = match status {
            "draft" => &[],
            "in_review" => &[("submit", None)],
            "published" => &[
                ("submit", None),
                ("review", Some(json!({"decision": "approve"}))),
            ],
            "closed" => &[
                ("submit", None),
                ("review", Some(json!({"decision": "approve"}))),
                ("close", None),
            ],
            "cancelled" => &[("cancel", None)],
            other => panic!("no such status {other}"),
        };
        for (step, body) in steps {
            let path = format!("/api/v1/orders/{id}/{step}");
            let reply = match body {
                Some(body) => {
                    app.post(&path, Some(&self.admin.access), body.clone())
                        .await
                }
                None => app.post_empty(&path, Some(&self.admin.access)).await,
            };
            reply.expect(200);
        }
        id
    }
}
