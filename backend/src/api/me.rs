//! The signed-in person: who they are, where they belong, and changing their password.

use actix_web::{HttpResponse, web};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{UserView, hash_password, verify_password};
use super::json::JsonBody;
use super::organizations::OrganizationView;
use crate::auth::extract::AuthUser;
use crate::domain::organization::MemberRole;
use crate::domain::user::Password;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::{sessions, users};

#[derive(Debug, Serialize, ToSchema)]
pub struct MyMembership {
    pub organization: OrganizationView,
    pub role: MemberRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub memberships: Vec<MyMembership>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = crate::error::Problem)))]
pub async fn me(auth: AuthUser) -> AppResult<HttpResponse> {
    let memberships = auth
        .organizations
        .iter()
        .map(|(membership, org)| MyMembership {
            organization: OrganizationView::from(org),
            role: membership.role,
        })
        .collect();
    Ok(HttpResponse::Ok().json(MeView {
        user: UserView::from(&auth.user),
        memberships,
    }))
}

/// Changing the password signs every session out, this one included.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: JsonBody<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let new_password = Password::parse("new_password", &body.new_password)
        .map_err(|e| AppError::validation(vec![e]))?;
    if !verify_password(body.current_password, Some(auth.user.password_hash.clone())).await? {
        return Err(AppError::field(
            "current_password",
            "incorrect",
            "当前密码不正确 (current password is wrong)",
        ));
    }
    let hash = hash_password(new_password).await?;
    let now = state.clock.now();
    let user_id = auth.user.id;
    let txn = state.db.begin().await?;
    users::set_password_hash(&txn, auth.user, hash, now).await?;
    sessions::revoke_all_for_user(&txn, user_id, "password_change", now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: Some(user_id),
            action: "user.change_password",
            object_type: "user",
            object_id: user_id,
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
