//! Organisations: hospitals, universities, institutes, enterprises, and who belongs to them.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::authorize;
use super::idempotency::{Created, IdempotencyKey, run_once};
use super::json::JsonBody;
use crate::auth::extract::{AuthUser, MaybeAuthUser};
use crate::domain::organization::{MemberRole, NewOrganization, OrgKind};
use crate::domain::policy::Action;
use crate::domain::user::Email;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::{membership, organization, user};
use crate::store::{organizations, users};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    #[schema(value_type = OrgKind)]
    pub kind: String,
    pub name: String,
    pub city: String,
    /// Checked by a platform admin.
    pub verified: bool,
    /// Orders go to the tech-transfer office before they are published.
    pub review_required: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&organization::Model> for OrganizationView {
    fn from(org: &organization::Model) -> Self {
        Self {
            id: org.id,
            kind: org.kind.clone(),
            name: org.name.clone(),
            city: org.city.clone(),
            verified: org.verified,
            review_required: org.review_required,
            created_at: org.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    #[schema(value_type = MemberRole)]
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

impl MemberView {
    fn new(membership: &membership::Model, user: &user::Model) -> Self {
        Self {
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: membership.role.clone(),
            joined_at: membership.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(min_length = 2, max_length = 200)]
    pub name: String,
    pub kind: OrgKind,
    #[schema(min_length = 1, max_length = 64)]
    pub city: String,
    /// Defaults to true for hospitals, false otherwise.
    pub review_required: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// Email of an existing account.
    pub email: String,
    pub role: MemberRole,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrganizationListQuery {
    pub kind: Option<OrgKind>,
}

pub(crate) async fn load(state: &AppState, id: Uuid) -> AppResult<organization::Model> {
    organizations::find(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Creates an organisation; its creator becomes its first `org_admin`.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "重试时使用相同的键不会重复创建 · retrying with the same key creates nothing twice")),
    request_body = CreateOrganizationRequest,
    responses((status = 201, body = OrganizationView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    key: IdempotencyKey,
    body: JsonBody<CreateOrganizationRequest>,
) -> AppResult<HttpResponse> {
    let JsonBody(request, raw) = body;
    run_once(&state, auth.user.id, &key, &raw, || {
        create_organization(&state, &auth, request)
    })
    .await
}

async fn create_organization(
    state: &AppState,
    auth: &AuthUser,
    body: CreateOrganizationRequest,
) -> AppResult<Created> {
    authorize(Some(&auth.actor), Action::CreateOrganization)?;
    let new = NewOrganization::parse(&body.name, body.kind, &body.city, body.review_required)
        .map_err(AppError::validation)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let org = organizations::insert(&txn, &new, now).await?;
    organizations::add_member(&txn, org.id, auth.user.id, MemberRole::OrgAdmin, now).await?;
    let view = OrganizationView::from(&org);
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(org.id),
            actor_id: Some(auth.user.id),
            action: "organization.create",
            object_type: "organization",
            object_id: org.id,
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Created::new(&view)
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    params(OrganizationListQuery),
    responses((status = 200, body = Vec<OrganizationView>)))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<OrganizationListQuery>,
) -> AppResult<HttpResponse> {
    let orgs = organizations::list(&state.db, query.kind).await?;
    Ok(HttpResponse::Ok().json(orgs.iter().map(OrganizationView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", security((), ("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    _viewer: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(OrganizationView::from(&load(&state, *id).await?)))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}/members", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberView>), (status = 404, body = crate::error::Problem)))]
pub async fn members(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let org = load(&state, *id).await?;
    authorize(
        Some(&auth.actor),
        Action::ListOrgMembers {
            organization_id: org.id,
        },
    )?;
    let members = organizations::members(&state.db, org.id).await?;
    Ok(HttpResponse::Ok().json(
        members
            .iter()
            .map(|(m, u)| MemberView::new(m, u))
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(post, path = "/api/v1/organizations/{id}/members", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AddMemberRequest,
    responses((status = 201, body = MemberView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn add_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<AddMemberRequest>,
) -> AppResult<HttpResponse> {
    let org = load(&state, *id).await?;
    authorize(
        Some(&auth.actor),
        Action::AddOrgMember {
            organization_id: org.id,
        },
    )?;
    let body = body.0;
    let kind = OrgKind::parse(&org.kind).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("stored organisation kind {:?}", org.kind))
    })?;
    if !kind.allows_role(body.role) {
        return Err(AppError::field(
            "role",
            "not_allowed_for_kind",
            format!(
                "{} 类机构没有 {} 角色 (a {} has no {} role)",
                kind, body.role, kind, body.role
            ),
        ));
    }
    let email = Email::parse(&body.email).map_err(|e| AppError::validation(vec![e]))?;
    let user = users::find_by_email(&state.db, &email)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "email",
                "unknown_user",
                "该邮箱尚未注册 (no account with this email)",
            )
        })?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let membership = organizations::add_member(&txn, org.id, user.id, body.role, now)
        .await
        .map_err(|e| AppError::from(e).with_detail("该用户已是成员 (already a member)"))?;
    let view = MemberView::new(&membership, &user);
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(org.id),
            actor_id: Some(auth.user.id),
            action: "organization.add_member",
            object_type: "organization",
            object_id: org.id,
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(post, path = "/api/v1/admin/organizations/{id}/verify", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrganizationView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn verify(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    authorize(Some(&auth.actor), Action::VerifyOrganization)?;
    let org = load(&state, *id).await?;
    if org.verified {
        return Ok(HttpResponse::Ok().json(OrganizationView::from(&org)));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let before = serde_json::to_value(OrganizationView::from(&org)).ok();
    let org = organizations::set_verified(&txn, org, now).await?;
    let view = OrganizationView::from(&org);
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(org.id),
            actor_id: Some(auth.user.id),
            action: "organization.verify",
            object_type: "organization",
            object_id: org.id,
            before,
            after: serde_json::to_value(&view).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(view))
}
