//! Extractors that put "who is asking" in a handler's signature: [`AuthUser`] requires a valid
//! bearer token, [`MaybeAuthUser`] accepts anonymous visitors but still refuses a bad token.

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::domain::policy::{Actor, ActorMembership};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::entities::{organization, user};
use crate::store::{organizations, sessions, users};

/// A signed-in person: their account, memberships and the session their token belongs to.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: user::Model,
    pub session_id: Uuid,
    pub actor: Actor,
    pub organizations: Vec<(ActorMembership, organization::Model)>,
}

/// A signed-in person, or nobody.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref().map(|user| &user.actor)
    }
}

fn unauthenticated() -> AppError {
    AppError::new(ErrorCode::Unauthenticated)
}

/// The bearer token, `Ok(None)` when there is no Authorization header at all.
fn bearer_token(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header.to_str().map_err(|_| unauthenticated())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(unauthenticated());
    }
    Ok(Some(token.trim().to_owned()))
}

async fn authenticate(state: web::Data<AppState>, token: String) -> Result<AuthUser, AppError> {
    let claims = state.tokens.verify(&token).ok_or_else(unauthenticated)?;
    authenticate_session(&state, claims.sid, claims.sub).await
}

/// The person behind an active session (a bearer token's, or a web page's session cookie's).
pub async fn authenticate_session(
    state: &AppState,
    session_id: Uuid,
    user_id: Uuid,
) -> Result<AuthUser, AppError> {
    // The token is only as good as its session: logout and password changes revoke it.
    sessions::find_active(&state.db, session_id, user_id)
        .await?
        .ok_or_else(unauthenticated)?;
    let claims_sid = session_id;
    let user = users::find(&state.db, user_id)
        .await?
        .ok_or_else(unauthenticated)?;
    let organizations = organizations::memberships_of(&state.db, user.id).await?;
    let actor = Actor {
        user_id: user.id,
        platform_admin: user.is_platform_admin,
        memberships: organizations.iter().map(|(m, _)| *m).collect(),
    };
    Ok(AuthUser {
        user,
        session_id: claims_sid,
        actor,
        organizations,
    })
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state is not registered")))
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let prepared = app_state(req).and_then(|state| Ok((state, bearer_token(req)?)));
        Box::pin(async move {
            let (state, token) = prepared?;
            authenticate(state, token.ok_or_else(unauthenticated)?).await
        })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let prepared = app_state(req).and_then(|state| Ok((state, bearer_token(req)?)));
        Box::pin(async move {
            match prepared? {
                (_, None) => Ok(MaybeAuthUser(None)),
                (state, Some(token)) => Ok(MaybeAuthUser(Some(authenticate(state, token).await?))),
            }
        })
    }
}
