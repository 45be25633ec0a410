//! Every route, in one place: the whole API surface can be read from this file.

use actix_web::web;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::openapi::ApiDoc;
use super::{auth, health, matches, me, orders, organizations, teams};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .service(
            web::scope("/api/v1")
                .route("/auth/register", web::post().to(auth::register))
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/refresh", web::post().to(auth::refresh_tokens))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/me", web::get().to(me::me))
                .route("/me/password", web::post().to(me::change_password))
                .service(
                    web::resource("/organizations")
                        .route(web::get().to(organizations::list))
                        .route(web::post().to(organizations::create)),
                )
                .route("/organizations/{id}", web::get().to(organizations::get))
                .service(
                    web::resource("/organizations/{id}/members")
                        .route(web::get().to(organizations::members))
                        .route(web::post().to(organizations::add_member)),
                )
                .route(
                    "/admin/organizations/{id}/verify",
                    web::post().to(organizations::verify),
                )
                .service(
                    web::resource("/teams")
                        .route(web::get().to(teams::list))
                        .route(web::post().to(teams::create)),
                )
                .route("/teams/search", web::get().to(matches::search))
                .service(
                    web::resource("/teams/{id}")
                        .route(web::get().to(teams::get))
                        .route(web::patch().to(teams::update)),
                )
                .service(
                    web::resource("/orders")
                        .route(web::get().to(orders::list))
                        .route(web::post().to(orders::create)),
                )
                .service(
                    web::resource("/orders/{id}")
                        .route(web::get().to(orders::get))
                        .route(web::patch().to(orders::update)),
                )
                .route("/orders/{id}/submit", web::post().to(orders::submit))
                .route("/orders/{id}/review", web::post().to(orders::review))
                .route("/orders/{id}/cancel", web::post().to(orders::cancel))
                .route("/orders/{id}/close", web::post().to(orders::close))
                .route("/teams/{id}/matches", web::get().to(matches::for_team))
                .route("/orders/{id}/matches", web::get().to(matches::for_order))
                .route("/matches/{id}/dismiss", web::post().to(matches::dismiss)),
        );
}
