//! Server-rendered pages (templates from frontend/): for now the public order summary that
//! mail links to, the unsubscribe confirmation, and the stylesheet. Pages are zh-CN first and
//! load nothing from outside the app's origin.

pub mod account;
pub mod orders;
pub mod public;
pub mod session;
pub mod settings;
pub mod teams;
pub mod unsubscribe;
pub mod work;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use crate::api::language::ReaderLanguage;
use crate::domain::digest::MailLanguage;
use crate::state::AppState;

/// No inline script, nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn language_of(reader: ReaderLanguage) -> MailLanguage {
    if reader.0 == "en" {
        MailLanguage::En
    } else {
        MailLanguage::ZhCn
    }
}

/// Renders `template` with `context` plus `t` (the language's strings) and `lang`.
pub fn page(
    state: &AppState,
    status: StatusCode,
    template: &str,
    language: MailLanguage,
    title: &str,
    context: impl Serialize,
) -> HttpResponse {
    #[derive(Serialize)]
    struct Page<'a, C> {
        lang: &'static str,
        t: &'a crate::templates::Strings,
        title: &'a str,
        #[serde(flatten)]
        context: C,
    }
    let rendered = state.templates.render(
        template,
        Page {
            lang: language.as_str(),
            t: state.templates.strings(language),
            title,
            context,
        },
    );
    match rendered {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .insert_header(("Cache-Control", "no-store"))
            .body(html),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), template, "page failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("服务器内部错误 (internal server error)")
        }
    }
}

/// Renders a page of the signed-in (or anonymous) web UI: the template gets `t`, `lang`, the
/// navigation's `user`, the form token `csrf`, `path` and `other_lang`, plus `context`.
pub fn render(
    state: &AppState,
    ctx: &session::PageContext,
    status: StatusCode,
    template: &str,
    title: &str,
    path: &str,
    context: impl Serialize,
) -> HttpResponse {
    #[derive(Serialize)]
    struct Frame<'a, C> {
        user: Option<&'a str>,
        csrf: &'a str,
        path: &'a str,
        other_lang: &'static str,
        #[serde(flatten)]
        context: C,
    }
    let frame = Frame {
        user: ctx.user.as_ref().map(|u| u.user.display_name.as_str()),
        csrf: &ctx.csrf,
        path,
        other_lang: match ctx.language {
            MailLanguage::ZhCn => "en",
            MailLanguage::En => "zh-CN",
        },
        context,
    };
    let mut response = page(state, status, template, ctx.language, title, frame);
    if ctx.csrf_is_new() {
        response.add_cookie(&ctx.csrf_cookie()).ok();
    }
    response
}

/// 303 to `location`, with cookies.
pub fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::SeeOther();
    builder.insert_header((actix_web::http::header::LOCATION, location.to_owned()));
    builder
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(yigong_frontend::STYLESHEET)
}
