//! Accounts and sessions: register, log in, rotate the refresh token, log out.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::json::JsonBody;
use crate::auth::extract::AuthUser;
use crate::auth::{password, refresh};
use crate::domain::user::{Email, NewUser};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::user;
use crate::store::{sessions, users};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(min_length = 3, max_length = 254, format = "email")]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// Opaque; send to `/auth/refresh` for a new pair. Each one works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&user::Model> for UserView {
    fn from(user: &user::Model) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            is_platform_admin: user.is_platform_admin,
            created_at: user.created_at,
        }
    }
}

/// Hashes on a blocking thread: argon2 is deliberately slow.
pub async fn hash_password(password: crate::domain::user::Password) -> AppResult<String> {
    web::block(move || password::hash(&password))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing task: {e}")))?
        .map_err(AppError::internal)
}

pub async fn verify_password(candidate: String, stored: Option<String>) -> AppResult<bool> {
    web::block(move || match stored {
        Some(stored) => password::verify(&candidate, &stored),
        None => {
            password::verify_against_nothing(&candidate);
            false
        }
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("password check task: {e}")))
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    body: JsonBody<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let user = register_user(&state, &body.email, &body.password, &body.display_name).await?;
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

/// Creates an account (the API's and the sign-up page's one way to do it).
pub(crate) async fn register_user(
    state: &AppState,
    email: &str,
    password: &str,
    display_name: &str,
) -> AppResult<crate::store::entities::user::Model> {
    let new = NewUser::parse(email, password, display_name).map_err(AppError::validation)?;
    let hash = hash_password(new.password.clone()).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let user = users::insert(&txn, &new.email, &new.display_name, hash, now)
        .await
        .map_err(|e| match AppError::from(e) {
            err if err.code == ErrorCode::AlreadyExists => AppError::field(
                "email",
                "taken",
                "该邮箱已注册 (this email is already registered)",
            )
            .with_code(ErrorCode::AlreadyExists),
            err => err,
        })?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: Some(user.id),
            action: "user.register",
            object_type: "user",
            object_id: user.id,
            before: None,
            after: Some(
                serde_json::json!({"email": user.email, "display_name": user.display_name}),
            ),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The account `email` and `password` name, throttling repeated failures per account and client.
pub(crate) async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
    client: &str,
) -> AppResult<crate::store::entities::user::Model> {
    let email_key = email.trim().to_lowercase();
    if let Some(seconds) = state
        .login_throttle
        .blocked_for(&email_key, client, state.clock.now())
    {
        let mut refused = AppError::new(ErrorCode::RateLimited)
            .with_detail(format!("请 {seconds} 秒后再试 (retry in {seconds} s)"));
        refused.retry_after = Some(seconds);
        return Err(refused);
    }
    let user = match Email::parse(email) {
        Ok(email) => users::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let matches = verify_password(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| matches) else {
        state
            .login_throttle
            .record_failure(&email_key, client, state.clock.now());
        return Err(AppError::new(ErrorCode::InvalidCredentials));
    };
    state.login_throttle.record_success(&email_key, client);
    Ok(user)
}

/// Starts a new session (refresh-token family) and issues its first token pair.
pub(crate) async fn start_session(state: &AppState, user_id: Uuid) -> AppResult<TokenResponse> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let session = sessions::create(&txn, user_id, now).await?;
    let refresh_token = refresh::generate();
    sessions::add_refresh_token(
        &txn,
        session.id,
        refresh::hash(&refresh_token),
        now,
        now + Duration::days(state.settings.refresh_token_days),
    )
    .await?;
    txn.commit().await?;
    token_pair(state, user_id, session.id, refresh_token)
}

fn token_pair(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> AppResult<TokenResponse> {
    Ok(TokenResponse {
        access_token: state.tokens.issue(user_id, session_id, state.clock.now())?,
        refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.lifetime_seconds(),
    })
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let client = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let user = check_credentials(&state, &body.email, body.password, &client).await?;
    Ok(HttpResponse::Ok().json(start_session(&state, user.id).await?))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem)))]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let invalid = || AppError::new(ErrorCode::InvalidRefreshToken);
    let now = state.clock.now();
    let (token, session) =
        sessions::find_refresh_token(&state.db, &refresh::hash(&body.0.refresh_token))
            .await?
            .ok_or_else(invalid)?;
    if session.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid());
    }
    let txn = state.db.begin().await?;
    if token.used_at.is_some() || !sessions::consume_refresh_token(&txn, token.id, now).await? {
        txn.rollback().await?;
        // A rotated token came back: someone holds a copy. End the whole family.
        revoke_session(
            &state.db,
            session.user_id,
            session.id,
            "refresh_token_reuse",
            now,
        )
        .await?;
        return Err(invalid());
    }
    let next = refresh::generate();
    sessions::add_refresh_token(
        &txn,
        session.id,
        refresh::hash(&next),
        now,
        now + Duration::days(state.settings.refresh_token_days),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(token_pair(&state, session.user_id, session.id, next)?))
}

pub(crate) async fn revoke_session(
    db: &DatabaseConnection,
    user_id: Uuid,
    session_id: Uuid,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    sessions::revoke(&txn, session_id, reason, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: Some(user_id),
            action: "session.revoke",
            object_type: "session",
            object_id: session_id,
            before: None,
            after: Some(serde_json::json!({"reason": reason})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    revoke_session(
        &state.db,
        auth.user.id,
        auth.session_id,
        "logout",
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
