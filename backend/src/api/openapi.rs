//! The OpenAPI 3 document, generated from the handlers' annotations, and its offline docs page.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{
    auth, bids, digests, health, matches, me, orders, organizations, projects, teams, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Yigong (医工) API", description = "临床需求与工程团队对接平台 · Clinical needs to engineering teams"),
    paths(
        health::healthz, health::readyz, health::metrics,
        auth::register, auth::login, auth::refresh_tokens, auth::logout,
        me::me, me::change_password,
        organizations::create, organizations::list, organizations::get, organizations::members,
        organizations::add_member, organizations::verify,
        teams::create, teams::get, teams::update, teams::list,
        orders::create, orders::get, orders::update, orders::list, orders::submit, orders::review,
        orders::cancel, orders::close,
        matches::search, matches::for_order, matches::for_team, matches::dismiss,
        bids::create, bids::list_for_order, bids::get, bids::update, bids::withdraw, bids::shortlist,
        bids::decline, bids::award, bids::confirm_partner, bids::decline_partner, bids::invitations,
        projects::get, projects::deliver, projects::accept, projects::reject, projects::complete,
        projects::terminate, projects::rate, projects::team_notifications,
        digests::get, digests::put,
        webhooks::create_for_team, webhooks::list_for_team, webhooks::create_for_organization,
        webhooks::list_for_organization, webhooks::delete, webhooks::deliveries,
    ),
    components(schemas(crate::error::Problem, crate::domain::validation::FieldError, crate::domain::order::OrderStatus)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "auth", description = "账户与会话 · Accounts and sessions"),
        (name = "organizations", description = "机构 · Organisations"),
        (name = "teams", description = "工程团队能力档案 · Team capability profiles"),
        (name = "orders", description = "需求单 · Clinical needs"),
        (name = "matches", description = "匹配推荐 · Proposed matches"),
        (name = "notifications", description = "摘要邮件与 Webhook · Digests and webhooks"),
        (name = "admin", description = "平台管理 · Platform administration"),
        (name = "service", description = "运维 · Service endpoints"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Documents what every operation can answer besides its own responses, in one place: the
/// problem+json errors that the extractors and the error table produce for any route, with the
/// right media type and a description for every response.
struct ProblemResponses;

const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

fn reason(status: &str) -> &'static str {
    match status {
        "200" => "成功 · OK",
        "201" => "已创建 · Created",
        "204" => "成功，无内容 · No content",
        "400" => "请求格式错误 · Malformed request",
        "401" => "需要登录或令牌无效 · Authentication required",
        "403" => "无权执行此操作 · Forbidden",
        "404" => "未找到 · Not found",
        "405" => "不支持此请求方法 · Method not allowed",
        "409" => "状态冲突 · Conflict",
        "413" => "请求体过大 · Payload too large",
        "415" => "请使用 application/json · Unsupported media type",
        "422" => "输入有误 · Invalid input",
        "429" => "请求过于频繁 · Too many requests",
        "503" => "暂不可用 · Unavailable",
        _ => "响应 · Response",
    }
}

fn problem_response(status: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(reason(status))
        .content(
            PROBLEM_MEDIA_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .into()
}

fn complete(operation: &mut Operation, path: &str) {
    // Handler names repeat across resources (`list`, `get`): qualify them with the tag.
    if let (Some(tag), Some(id)) = (
        operation.tags.as_ref().and_then(|t| t.first()),
        operation.operation_id.as_mut(),
    ) {
        *id = format!("{tag}_{id}");
    }
    let responses = &mut operation.responses.responses;
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response {
            if response.description.is_empty() {
                response.description = reason(status).to_owned();
            }
            if status.starts_with('4')
                && let Some(content) = response.content.shift_remove("application/json")
            {
                response
                    .content
                    .insert(PROBLEM_MEDIA_TYPE.to_owned(), content);
            }
        }
    }
    let mut common = vec!["405"];
    if operation.request_body.is_some() {
        common.extend(["400", "413", "415", "422"]);
    }
    if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        common.extend(["400", "422"]);
    }
    if operation.security.is_some() {
        common.push("401");
    }
    if path.contains('{') {
        common.push("404");
    }
    for status in common {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(status));
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                complete(operation, path);
            }
        }
    }
}
