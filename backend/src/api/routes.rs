//! Every route, in one place: the whole API surface can be read from this file.

use actix_web::web;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::openapi::ApiDoc;
use super::{
    auth, bids, digests, health, matches, me, orders, organizations, projects, teams, webhooks,
};
use crate::web as pages;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/static/app.css", web::get().to(pages::stylesheet))
        .route("/", web::get().to(pages::public::board))
        .service(
            web::resource("/signin")
                .route(web::get().to(pages::account::signin_page))
                .route(web::post().to(pages::account::signin)),
        )
        .service(
            web::resource("/signup")
                .route(web::get().to(pages::account::signup_page))
                .route(web::post().to(pages::account::signup)),
        )
        .route("/signout", web::post().to(pages::account::signout))
        .route(
            "/lang/{code}",
            web::get().to(pages::account::switch_language),
        )
        .service(
            web::resource("/orders/new")
                .route(web::get().to(pages::orders::new_order_page))
                .route(web::post().to(pages::orders::create)),
        )
        .route("/orders/{id}", web::get().to(pages::public::order))
        .route("/orders/{id}/submit", web::post().to(pages::work::submit))
        .route("/orders/{id}/review", web::post().to(pages::work::review))
        .route("/orders/{id}/award", web::post().to(pages::work::award))
        .service(
            web::resource("/orders/{id}/bid")
                .route(web::get().to(pages::work::bid_page))
                .route(web::post().to(pages::work::create_bid)),
        )
        .route(
            "/orders/{order_id}/bids/{bid_id}/shortlist",
            web::post().to(pages::work::shortlist),
        )
        .route(
            "/orders/{order_id}/bids/{bid_id}/decline",
            web::post().to(pages::work::decline),
        )
        .route("/projects/{id}", web::get().to(pages::work::project))
        .route(
            "/projects/{id}/milestones/{milestone_id}/{step}",
            web::post().to(pages::work::milestone),
        )
        .route("/review", web::get().to(pages::work::review_queue))
        .route("/inbox", web::get().to(pages::work::inbox))
        .route("/bids", web::get().to(pages::settings::my_bids))
        .route("/teams/mine", web::get().to(pages::teams::mine))
        .service(
            web::resource("/teams/{id}/edit")
                .route(web::get().to(pages::teams::edit))
                .route(web::post().to(pages::teams::save)),
        )
        .service(
            web::resource("/settings")
                .route(web::get().to(pages::settings::page))
                .route(web::post().to(pages::settings::update)),
        )
        .service(
            web::resource("/unsubscribe/{token}")
                .route(web::get().to(pages::unsubscribe::confirm))
                .route(web::post().to(pages::unsubscribe::unsubscribe)),
        )
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
                .route("/matches/{id}/dismiss", web::post().to(matches::dismiss))
                .service(
                    web::resource("/orders/{id}/bids")
                        .route(web::get().to(bids::list_for_order))
                        .route(web::post().to(bids::create)),
                )
                .route("/orders/{id}/award", web::post().to(bids::award))
                .service(
                    web::resource("/bids/{id}")
                        .route(web::get().to(bids::get))
                        .route(web::patch().to(bids::update)),
                )
                .route("/bids/{id}/withdraw", web::post().to(bids::withdraw))
                .route("/bids/{id}/shortlist", web::post().to(bids::shortlist))
                .route("/bids/{id}/decline", web::post().to(bids::decline))
                .route(
                    "/bids/{id}/partners/{partner_id}/confirm",
                    web::post().to(bids::confirm_partner),
                )
                .route(
                    "/bids/{id}/partners/{partner_id}/decline",
                    web::post().to(bids::decline_partner),
                )
                .route("/me/partner-invitations", web::get().to(bids::invitations))
                .route("/projects/{id}", web::get().to(projects::get))
                .route(
                    "/projects/{id}/milestones/{milestone_id}/deliver",
                    web::post().to(projects::deliver),
                )
                .route(
                    "/projects/{id}/milestones/{milestone_id}/accept",
                    web::post().to(projects::accept),
                )
                .route(
                    "/projects/{id}/milestones/{milestone_id}/reject",
                    web::post().to(projects::reject),
                )
                .route(
                    "/projects/{id}/complete",
                    web::post().to(projects::complete),
                )
                .route(
                    "/projects/{id}/terminate",
                    web::post().to(projects::terminate),
                )
                .route("/projects/{id}/ratings", web::post().to(projects::rate))
                .route(
                    "/teams/{id}/notifications",
                    web::get().to(projects::team_notifications),
                )
                .service(
                    web::resource("/me/digest-preferences")
                        .route(web::get().to(digests::get))
                        .route(web::put().to(digests::put)),
                )
                .service(
                    web::resource("/teams/{id}/webhooks")
                        .route(web::get().to(webhooks::list_for_team))
                        .route(web::post().to(webhooks::create_for_team)),
                )
                .service(
                    web::resource("/organizations/{id}/webhooks")
                        .route(web::get().to(webhooks::list_for_organization))
                        .route(web::post().to(webhooks::create_for_organization)),
                )
                .route("/webhooks/{id}", web::delete().to(webhooks::delete))
                .route(
                    "/webhooks/{id}/deliveries",
                    web::get().to(webhooks::deliveries),
                ),
        );
}
