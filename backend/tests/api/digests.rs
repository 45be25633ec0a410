//! Digests through a real SMTP server (MailDev): what arrives, in which language, with which
//! headers and links; one digest per period; nothing new, no mail; header injection; SMTP down
//! and up again; and the preferences API.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;
use yigong::clock::{Clock, SystemClock};
use yigong::config::Secret;
use yigong::notify::PassReport;
use yigong::store::entities::outbox_mail;

use crate::helpers::{PASSWORD, Session, TestApp, World, order_body, spawn_app_with};
use crate::maildev::{MailDev, free_port, headers, recipients};
use sea_orm::EntityTrait;

const HAEMOSTASIS: &str =
    "快速交联的多糖水凝胶与组织粘合剂，可降解止血材料，适用于肝脏手术创面止血与封闭。";

/// A clock standing at a chosen instant (to step into the next digest period).
#[derive(Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// An app that sends to `smtp_url`, with links that point at itself.
pub async fn app_sending_to(smtp_url: &str) -> TestApp {
    let port = free_port();
    let url = smtp_url.to_owned();
    spawn_app_with(move |settings| {
        settings.bind = format!("127.0.0.1:{port}");
        settings.public_base_url = format!("http://127.0.0.1:{port}");
        settings.notify.smtp_url = Some(Secret::new(url));
        settings.notify.retry_base = std::time::Duration::from_millis(500);
        settings.notify.webhooks_allow_internal = true;
    })
    .await
}

pub async fn pass(app: &TestApp, clock: &dyn Clock) -> PassReport {
    let state = &app.state;
    state
        .notifier
        .run_once(&state.db, clock, state.matching.matcher(), true)
        .await
        .expect("a notifier pass")
}

pub async fn team(app: &TestApp, who: &Session, org: Uuid, name: &str) -> Uuid {
    let id = app
        .post(
            "/api/v1/teams",
            Some(&who.access),
            json!({"organization_id": org, "name": name, "summary": name, "capabilities": HAEMOSTASIS}),
        )
        .await
        .expect(201)
        .id();
    assert!(
        app.state
            .matching
            .wait_until_indexed(id, 1, std::time::Duration::from_secs(5))
            .await,
        "team not indexed"
    );
    id
}

async fn publish(app: &TestApp, world: &World, title: &str) -> Uuid {
    let mut body = order_body(world.hospital);
    body["title"] = json!(title);
    let id = app
        .post("/api/v1/orders", Some(&world.author.access), body)
        .await
        .expect(201)
        .id();
    app.post_empty(
        &format!("/api/v1/orders/{id}/submit"),
        Some(&world.author.access),
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
    id
}

fn mail_to<'a>(emails: &'a [Value], address: &str) -> Vec<&'a Value> {
    emails
        .iter()
        .filter(|e| recipients(e) == [address.to_owned()])
        .collect()
}

fn text(email: &Value, part: &str) -> String {
    email[part].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn digests_arrive_in_each_members_language_with_working_links_and_one_click_unsubscribe() {
    let smtp = MailDev::start().await;
    let app = app_sending_to(&smtp.smtp_url()).await;
    let world = World::build(&app).await;
    let english = app.log_in("admin@university.example", PASSWORD).await;
    team(&app, &world.lab_lead, world.university, "止血材料课题组").await;
    team(
        &app,
        &english,
        world.university,
        "Haemostasis materials lab",
    )
    .await;
    app.client
        .put(format!("{}/api/v1/me/digest-preferences", app.address))
        .bearer_auth(&english.access)
        .json(&json!({"frequency": "daily", "language": "en", "send_hour": 9}))
        .send()
        .await
        .unwrap();
    let order = publish(&app, &world, "肝切除断面渗血止血").await;

    let report = pass(&app, &SystemClock).await;
    assert_eq!(report.compose.composed, 2, "{report:?}");
    assert_eq!(report.mail.sent, 2, "{report:?}");
    let emails = smtp.wait_for(2, std::time::Duration::from_secs(10)).await;
    assert_eq!(emails.len(), 2);
    let link = format!("{}/orders/{order}", app.address);

    let zh = mail_to(&emails, "lead@university.example")[0];
    assert_eq!(
        text(zh, "subject"),
        "【医工】1 条新动态：肝切除断面渗血止血"
    );
    for expected in [
        "您好",
        "肝切除断面渗血止血",
        "甲医院",
        "材料",
        "200,000–800,000 元",
        "投标截止",
        "推荐理由",
        &link,
    ] {
        assert!(
            text(zh, "text").contains(expected),
            "zh text lacks {expected}: {}",
            text(zh, "text")
        );
    }
    assert!(text(zh, "html").contains(&format!("href=\"{link}\"")));
    assert!(text(zh, "html").contains("lang=\"zh-CN\""));

    let en = mail_to(&emails, "admin@university.example")[0];
    assert_eq!(text(en, "subject"), "[Yigong] 1 new: 肝切除断面渗血止血");
    for expected in [
        "Hello",
        "Ordering side",
        "Materials",
        "CNY 200,000–800,000",
        "Bids close",
        "Why",
        &link,
    ] {
        assert!(
            text(en, "text").contains(expected),
            "en text lacks {expected}: {}",
            text(en, "text")
        );
    }
    assert!(text(en, "html").contains("lang=\"en\""));

    // Headers as sent: one Subject, a Message-ID from the outbox row, RFC 8058 unsubscribe.
    let outbox = outbox_mail::Entity::find().all(app.db()).await.unwrap();
    let raw = smtp.source(zh["id"].as_str().unwrap()).await;
    let head = headers(&raw);
    let value = |name: &str| -> Vec<String> {
        head.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(value("subject").len(), 1);
    let message_id = value("message-id")[0].clone();
    assert!(
        outbox
            .iter()
            .any(|m| message_id == format!("<{}@localhost>", m.id)),
        "{message_id} names no outbox row"
    );
    assert_eq!(
        value("list-unsubscribe-post"),
        ["List-Unsubscribe=One-Click"]
    );
    let unsubscribe = value("list-unsubscribe")[0]
        .trim_matches(['<', '>'])
        .to_owned();
    assert!(
        unsubscribe.starts_with(&format!("{}/unsubscribe/", app.address)),
        "{unsubscribe}"
    );
    assert!(text(zh, "text").contains(&unsubscribe));

    // The order link works for anyone.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("肝切除断面渗血止血"));

    // Opening the unsubscribe link only asks; the POST unsubscribes, without signing in, twice.
    let prefs = |who: &Session| {
        let who = who.access.clone();
        let app = &app;
        async move {
            app.get("/api/v1/me/digest-preferences", Some(&who))
                .await
                .expect(200)
                .body
        }
    };
    let confirm = app.client.get(&unsubscribe).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    assert!(
        confirm.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let confirm = confirm.text().await.unwrap();
    assert!(
        confirm.contains("lead@university.example") && confirm.contains("<form method=\"post\""),
        "{confirm}"
    );
    assert_eq!(prefs(&world.lab_lead).await["frequency"], "daily");
    for _ in 0..2 {
        let done = app
            .client
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        assert!(done.text().await.unwrap().contains("已退订"));
    }
    assert_eq!(prefs(&world.lab_lead).await["frequency"], "off");
    let forged = format!("{}x", unsubscribe.trim_end_matches(|c: char| c != '/'));
    let refused = app.client.post(&forged).send().await.unwrap();
    assert_eq!(refused.status(), 404);
    assert_eq!(prefs(&english).await["frequency"], "daily");
}

#[tokio::test]
async fn one_digest_per_period_new_items_only_and_decisions_on_bids() {
    let smtp = MailDev::start().await;
    let app = app_sending_to(&smtp.smtp_url()).await;
    let world = World::build(&app).await;
    let lab = team(&app, &world.lab_lead, world.university, "止血材料课题组").await;
    let first = publish(&app, &world, "肝切除断面渗血止血").await;
    let today = SystemClock.now();

    assert_eq!(pass(&app, &FixedClock(today)).await.mail.sent, 1);
    // A second order the same day waits for the next period: one digest per member and period.
    publish(&app, &world, "脾脏创面止血").await;
    let again = pass(&app, &FixedClock(today)).await;
    assert_eq!(
        (again.compose.composed, again.compose.already_composed),
        (0, 1),
        "{again:?}"
    );

    // The team bids on the first order and is declined with a reason.
    let bid = app
        .post(
            &format!("/api/v1/orders/{first}/bids"),
            Some(&world.lab_lead.access),
            json!({
                "team_id": lab, "approach": "双网络交联多糖水凝胶，六十秒成胶", "price_cny": 300000, "duration_weeks": 52,
                "milestones": [{"title": "配方", "due_week": 20, "amount_cny": 300000}],
                "ip_ownership": "joint",
                "revenue_split": [{"party": "团队", "percent": 70}, {"party": "科室", "percent": 10}, {"party": "医院", "percent": 20}],
                "trl": 4
            }),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/bids/{bid}/decline"),
        Some(&world.author.access),
        json!({"reason": "需要更成熟的动物实验数据"}),
    )
    .await
    .expect(200);

    let tomorrow = today + Duration::days(1);
    let next = pass(&app, &FixedClock(tomorrow)).await;
    assert_eq!(next.mail.sent, 1, "{next:?}");
    let emails = smtp.wait_for(2, std::time::Duration::from_secs(10)).await;
    assert_eq!(emails.len(), 2);
    let second = emails
        .iter()
        .find(|e| text(e, "subject").contains("2 条新动态"))
        .unwrap_or_else(|| panic!("no second digest: {emails:#?}"));
    let body = text(second, "text");
    assert!(body.contains("脾脏创面止血"), "{body}");
    assert!(
        !body.contains("1. 肝切除断面渗血止血"),
        "an item came twice: {body}"
    );
    assert!(
        body.contains("您的投标未被采纳") && body.contains("需要更成熟的动物实验数据"),
        "{body}"
    );

    // Nothing new the day after: no mail at all.
    let quiet = pass(&app, &FixedClock(tomorrow + Duration::days(1))).await;
    assert_eq!(
        (quiet.compose.composed, quiet.compose.nothing_new),
        (0, 1),
        "{quiet:?}"
    );
    assert_eq!(smtp.emails().await.len(), 2);
}

#[tokio::test]
async fn a_title_with_line_breaks_and_header_text_yields_one_subject_and_no_extra_header() {
    let smtp = MailDev::start().await;
    let app = app_sending_to(&smtp.smtp_url()).await;
    let world = World::build(&app).await;
    team(&app, &world.lab_lead, world.university, "止血材料课题组").await;
    publish(
        &app,
        &world,
        "肝切除止血\r\nBcc: victim@evil.example\r\nX-Injected: yes\nSubject: 假标题",
    )
    .await;
    assert_eq!(pass(&app, &SystemClock).await.mail.sent, 1);
    let emails = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(recipients(&emails[0]), ["lead@university.example"]);
    assert_eq!(
        emails[0]["envelope"]["to"].as_array().map(Vec::len),
        Some(1)
    );
    let raw = smtp.source(emails[0]["id"].as_str().unwrap()).await;
    let head = headers(&raw);
    let names: Vec<&str> = head.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.iter().filter(|n| **n == "subject").count(),
        1,
        "{names:?}"
    );
    assert!(
        !names.contains(&"bcc") && !names.contains(&"x-injected"),
        "{names:?}"
    );
    let subject = text(&emails[0], "subject");
    assert!(
        !subject.contains('\n') && !subject.contains('\r'),
        "{subject:?}"
    );
    assert!(
        subject.contains("Bcc: victim@evil.example"),
        "the title is kept, flattened: {subject}"
    );
}

#[tokio::test]
async fn mail_written_while_smtp_is_down_is_all_delivered_once_it_is_back() {
    let port = free_port();
    let app = app_sending_to(&format!("smtp://127.0.0.1:{port}")).await;
    let population = yigong::bench::digests::populate(app.db(), 30, SystemClock.now())
        .await
        .unwrap();
    let first = pass(&app, &SystemClock).await;
    assert_eq!(first.compose.composed, population.members);
    assert_eq!(
        (first.mail.sent, first.mail.deferred),
        (0, population.members),
        "{first:?}"
    );
    let waiting = outbox_mail::Entity::find().all(app.db()).await.unwrap();
    assert!(
        waiting
            .iter()
            .all(|m| m.status == "pending" && m.attempts == 1 && m.last_error.is_some())
    );

    let smtp = MailDev::start_on(port).await;
    let started = std::time::Instant::now();
    let mut sent = 0;
    while sent < population.members && started.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sent += app
            .state
            .notifier
            .sender
            .send_due(app.db(), &SystemClock)
            .await
            .unwrap()
            .sent;
    }
    assert_eq!(sent, population.members);
    let emails = smtp
        .wait_for(population.members, std::time::Duration::from_secs(10))
        .await;
    let mut to: Vec<String> = emails.iter().flat_map(recipients).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), population.members, "every member exactly once");
    assert_eq!(emails.len(), population.members);
    let rows = outbox_mail::Entity::find().all(app.db()).await.unwrap();
    assert!(
        rows.iter()
            .all(|m| m.status == "sent" && m.sent_at.is_some())
    );
}

#[tokio::test]
async fn preferences_default_to_daily_for_lab_members_and_bad_values_change_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let world = World::build(&app).await;
    team(&app, &world.lab_lead, world.university, "止血材料课题组").await;
    let path = "/api/v1/me/digest-preferences";
    let lead = &world.lab_lead.access;
    let defaults = app.get(path, Some(lead)).await.expect(200).body;
    assert_eq!(
        defaults,
        json!({"frequency": "daily", "language": "zh-CN", "send_hour": 8, "timezone": "Asia/Shanghai", "is_default": true})
    );
    let clinician = app
        .get(path, Some(&world.author.access))
        .await
        .expect(200)
        .body;
    assert_eq!(clinician["frequency"], "off");
    app.get(path, None).await.expect(401);

    let put = |body: Value| {
        let app = &app;
        async move {
            let response = app
                .client
                .put(format!("{}{path}", app.address))
                .bearer_auth(lead)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, problem) = put(json!({"frequency": "hourly", "language": "fr", "send_hour": 24, "timezone": "Mars/Olympus"})).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["frequency", "language", "send_hour", "timezone"]);
    assert_eq!(app.get(path, Some(lead)).await.expect(200).body, defaults);
    let (status, _) =
        put(json!({"frequency": "weekly", "language": "en", "send_hour": 7, "extra": 1})).await;
    assert_eq!(status, 422);
    let (status, saved) =
        put(json!({"frequency": "weekly", "language": "en", "send_hour": 7})).await;
    assert_eq!(status, 200);
    assert_eq!(
        saved,
        json!({"frequency": "weekly", "language": "en", "send_hour": 7, "timezone": "Asia/Shanghai", "is_default": false})
    );
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files_in_the_data_directory() {
    let app = spawn_app_with(|_| {}).await;
    yigong::bench::digests::populate(app.db(), 3, SystemClock.now())
        .await
        .unwrap();
    let report = pass(&app, &SystemClock).await;
    assert_eq!(report.mail.sent, 3, "{report:?}");
    let dir = app.state.settings.mail_dir();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 3, "{dir:?}");
    let eml = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{eml}"
    );
    assert!(eml.contains("Content-Type: multipart/alternative"), "{eml}");
}

#[tokio::test]
async fn two_senders_at_once_send_every_digest_exactly_once() {
    let smtp = MailDev::start().await;
    let app = app_sending_to(&smtp.smtp_url()).await;
    let members = 120;
    yigong::bench::digests::populate(app.db(), members, SystemClock.now())
        .await
        .unwrap();
    let state = &app.state;
    let composed = yigong::mail::compose::compose_due(
        &state.db,
        state.notifier.composer(state.matching.matcher()),
        SystemClock.now(),
        true,
    )
    .await
    .unwrap();
    assert_eq!(composed.composed, members);
    let other = yigong::notify::Notifier::new(&state.settings, state.templates.clone()).unwrap();
    let (a, b) = tokio::join!(
        state.notifier.sender.send_due(&state.db, &SystemClock),
        other.sender.send_due(&state.db, &SystemClock)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, members, "{a:?} {b:?}");
    let emails = smtp
        .wait_for(members, std::time::Duration::from_secs(20))
        .await;
    let mut ids: Vec<String> = emails
        .iter()
        .map(|e| e["headers"]["message-id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((emails.len(), ids.len()), (members, members));
    println!("two senders: {} and {} mails", a.sent, b.sent);
}
