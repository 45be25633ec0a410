//! The OpenAPI 3 document, generated from the handlers' annotations, and its offline docs page.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, health, me, orders, organizations, teams};

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
    ),
    components(schemas(crate::error::Problem, crate::domain::validation::FieldError, crate::domain::order::OrderStatus)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "账户与会话 · Accounts and sessions"),
        (name = "organizations", description = "机构 · Organisations"),
        (name = "teams", description = "工程团队能力档案 · Team capability profiles"),
        (name = "orders", description = "需求单 · Clinical needs"),
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
