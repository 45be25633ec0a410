//! Tokens: every way a bearer token can be wrong answers 401; refresh tokens rotate, and a
//! replayed one ends its whole family; logout and password changes revoke.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, spawn_app};

fn sign(app: &TestApp, claims: &Value) -> String {
    let key = EncodingKey::from_secret(app.state.settings.jwt_secret.expose());
    encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

fn claims(session: &Session, app: &TestApp, access: &str) -> Value {
    // Start from the real token's claims, so each case changes one thing.
    let payload = access.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["sub"], session.user_id.to_string());
    assert_eq!(claims["iss"], app.state.settings.jwt_issuer);
    claims["typ"] = json!(claims["typ"].as_str().unwrap());
    claims
}

async fn status_of(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/me", Some(token)).await.status.as_u16()
}

#[tokio::test]
async fn every_bad_access_token_is_401() {
    let app = spawn_app().await;
    let session = app.sign_up("doctor@hospital.example").await;
    let base = claims(&session, &app, &session.access);
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        status_of(&app, &session.access).await,
        200,
        "the genuine token works"
    );
    assert_eq!(
        status_of(&app, &sign(&app, &base)).await,
        200,
        "re-signing the same claims works"
    );

    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut changed = |name: &'static str, edit: &dyn Fn(&mut Value)| {
        let mut claims = base.clone();
        edit(&mut claims);
        cases.push((name, sign(&app, &claims)));
    };
    changed("expired", &|c| {
        c["exp"] = json!(now - 120);
        c["iat"] = json!(now - 1000);
    });
    changed("wrong audience", &|c| c["aud"] = json!("someone-else"));
    changed("wrong issuer", &|c| c["iss"] = json!("evil"));
    changed("no exp", &|c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    changed("no iat", &|c| {
        c.as_object_mut().unwrap().remove("iat");
    });
    changed("no aud", &|c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    changed("no iss", &|c| {
        c.as_object_mut().unwrap().remove("iss");
    });
    changed("no sub", &|c| {
        c.as_object_mut().unwrap().remove("sub");
    });
    changed("refresh token type", &|c| c["typ"] = json!("refresh"));
    changed("unknown session", &|c| {
        c["sid"] = json!(uuid::Uuid::now_v7())
    });
    changed("someone else's session", &|c| {
        c["sub"] = json!(uuid::Uuid::now_v7())
    });
    changed("string exp", &|c| c["exp"] = json!("9999999999"));

    let [header, payload, signature]: [&str; 3] = session
        .access
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    cases.push(("alg none", format!("{none_header}.{payload}.")));
    cases.push((
        "alg none with signature",
        format!("{none_header}.{payload}.{signature}"),
    ));
    let mut tampered = signature.to_owned();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(tampered.len() - 1.., last);
    cases.push((
        "tampered signature",
        format!("{header}.{payload}.{tampered}"),
    ));
    let mut forged = base.clone();
    forged["sub"] = json!(uuid::Uuid::now_v7());
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
    cases.push((
        "tampered payload",
        format!("{header}.{forged_payload}.{signature}"),
    ));
    let other_key = EncodingKey::from_secret(b"another key that is long enough!!");
    cases.push((
        "other key",
        encode(&Header::new(Algorithm::HS256), &base, &other_key).unwrap(),
    ));
    cases.push((
        "HS512",
        encode(
            &Header::new(Algorithm::HS512),
            &base,
            &EncodingKey::from_secret(app.state.settings.jwt_secret.expose()),
        )
        .unwrap(),
    ));
    cases.push(("refresh token as access token", session.refresh.clone()));
    cases.push(("garbage", "not.a.token".to_owned()));

    for (name, token) in cases {
        let reply = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(reply.status, 401, "{name}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json", "{name}");
    }
    let no_scheme = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .header("authorization", session.access.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(no_scheme.status(), 401, "a token without the Bearer scheme");
}

#[tokio::test]
async fn access_tokens_live_at_most_fifteen_minutes() {
    let app = spawn_app().await;
    let session = app.sign_up("lab@university.example").await;
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "lab@university.example", "password": PASSWORD}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert!(reply.body["expires_in"].as_i64().unwrap() <= 900);
    let claims = claims(&session, &app, &session.access);
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 900);
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_refresh_token_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.sign_up("tto@hospital.example").await;

    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first.refresh}),
        )
        .await
        .expect(200);
    let second_refresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let second_access = rotated.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    assert_eq!(status_of(&app, &second_access).await, 200);

    // Someone replays the first token: it fails, and the whole family dies with it.
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first.refresh}),
        )
        .await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.body["code"], "invalid_refresh_token");
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": second_refresh}),
        )
        .await;
    assert_eq!(
        after.status, 401,
        "the newest token of a revoked family no longer works"
    );
    assert_eq!(
        status_of(&app, &second_access).await,
        401,
        "nor do its access tokens"
    );

    // Other sessions of the same person are untouched.
    let other = app.log_in("tto@hospital.example", PASSWORD).await;
    assert_eq!(status_of(&app, &other.access).await, 200);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let session = app.sign_up("doctor@hospital.example").await;
    app.post_empty("/api/v1/auth/logout", Some(&session.access))
        .await
        .expect(204);
    assert_eq!(status_of(&app, &session.access).await, 401);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": session.refresh}),
        )
        .await;
    assert_eq!(refresh.status, 401);
}

#[tokio::test]
async fn a_password_change_revokes_every_session() {
    let app = spawn_app().await;
    let first = app.sign_up("doctor@hospital.example").await;
    let second = app.log_in("doctor@hospital.example", PASSWORD).await;

    let wrong = app
        .post(
            "/api/v1/me/password",
            Some(&first.access),
            json!({"current_password": "not my password", "new_password": "a brand new password"}),
        )
        .await
        .expect(422);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");

    app.post(
        "/api/v1/me/password",
        Some(&first.access),
        json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
    )
    .await
    .expect(204);
    for session in [&first, &second] {
        assert_eq!(status_of(&app, &session.access).await, 401);
        let refresh = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": session.refresh}),
            )
            .await;
        assert_eq!(refresh.status, 401);
    }
    let old = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "doctor@hospital.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, 401);
    app.log_in("doctor@hospital.example", "a brand new password")
        .await;
}

#[tokio::test]
async fn login_does_not_tell_which_part_was_wrong() {
    let app = spawn_app().await;
    app.sign_up("doctor@hospital.example").await;
    let wrong_password = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "doctor@hospital.example", "password": "wrong password"}),
        )
        .await;
    let unknown_user = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@hospital.example", "password": "wrong password"}),
        )
        .await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, 401);
    assert_eq!(wrong_password.body, unknown_user.body);
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    use sea_orm::EntityTrait;
    use yigong::store::entities::refresh_token;
    let app = spawn_app().await;
    let session = app.sign_up("doctor@hospital.example").await;
    let stored = refresh_token::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, session.refresh);
    assert_eq!(
        stored[0].token_hash,
        yigong::auth::refresh::hash(&session.refresh)
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    let app = spawn_app().await;
    app.sign_up("doctor@hospital.example").await;
    let wrong = json!({"email": "doctor@hospital.example", "password": "guess guess"});
    for attempt in 1..=10 {
        let reply = app.post("/api/v1/auth/login", None, wrong.clone()).await;
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    let right = json!({"email": "Doctor@hospital.example", "password": PASSWORD});
    let blocked = app.post("/api/v1/auth/login", None, right).await;
    assert_eq!(blocked.status, 429, "{:?}", blocked.body);
    assert_eq!(blocked.body["code"], "rate_limited");
    assert_eq!(blocked.content_type, "application/problem+json");
    // Another account is not affected.
    app.sign_up("nurse@hospital.example").await;
}
