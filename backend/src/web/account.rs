//! Signing up, in and out in the browser, and the language switch.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

use super::session::{LANGUAGE_COOKIE, PageContext, SESSION_COOKIE};
use super::{render, see_other};
use crate::api::auth::{check_credentials, register_user, revoke_session, start_session};
use crate::domain::digest::MailLanguage;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site: `/x`, never `//host` or a full URL.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn account_page(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    signup: bool,
    form: &AccountForm,
    error: Option<String>,
    errors: BTreeMap<String, String>,
) -> HttpResponse {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let (title, path) = if signup {
        (t("account.signup"), "/signup")
    } else {
        (t("account.signin"), "/signin")
    };
    render(
        state,
        ctx,
        status,
        "pages/signin.html",
        &title,
        path,
        json!({
            "signup": signup,
            "action": path,
            "submit": title,
            "form": {"email": form.email, "display_name": form.display_name},
            "error": error,
            "errors": errors,
        }),
    )
}

pub async fn signin_page(state: web::Data<AppState>, ctx: PageContext) -> HttpResponse {
    account_page(
        &state,
        &ctx,
        StatusCode::OK,
        false,
        &AccountForm::default(),
        None,
        BTreeMap::new(),
    )
}

pub async fn signup_page(state: web::Data<AppState>, ctx: PageContext) -> HttpResponse {
    account_page(
        &state,
        &ctx,
        StatusCode::OK,
        true,
        &AccountForm::default(),
        None,
        BTreeMap::new(),
    )
}

/// The page refused for a missing or wrong form token.
pub fn csrf_refused(state: &AppState, ctx: &PageContext) -> HttpResponse {
    let message = state.templates.text(ctx.language, "form.csrf", &[]);
    render(
        state,
        ctx,
        StatusCode::FORBIDDEN,
        "pages/order.html",
        &message,
        "/",
        json!({"order": null, "notice": message}),
    )
}

async fn signed_in(
    state: &AppState,
    ctx: &PageContext,
    user_id: uuid::Uuid,
) -> AppResult<HttpResponse> {
    let tokens = start_session(state, user_id).await?;
    Ok(see_other("/")
        .cookie(ctx.session_cookie(tokens.refresh_token))
        .finish())
}

pub async fn signin(
    state: web::Data<AppState>,
    ctx: PageContext,
    request: HttpRequest,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    let client = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    match check_credentials(&state, &form.email, form.password.clone(), &client).await {
        Ok(user) => signed_in(&state, &ctx, user.id).await,
        Err(error)
            if error.code == ErrorCode::InvalidCredentials
                || error.code == ErrorCode::RateLimited =>
        {
            let message = if error.code == ErrorCode::RateLimited {
                error.code.title()
            } else {
                state.templates.text(ctx.language, "account.failed", &[])
            };
            Ok(account_page(
                &state,
                &ctx,
                StatusCode::UNAUTHORIZED,
                false,
                &form,
                Some(message),
                BTreeMap::new(),
            ))
        }
        Err(error) => Err(error),
    }
}

pub async fn signup(
    state: web::Data<AppState>,
    ctx: PageContext,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    match register_user(&state, &form.email, &form.password, &form.display_name).await {
        Ok(user) => signed_in(&state, &ctx, user.id).await,
        Err(error) if !error.field_errors.is_empty() => {
            let errors = error
                .field_errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect();
            Ok(account_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                true,
                &form,
                None,
                errors,
            ))
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn signout(
    state: web::Data<AppState>,
    ctx: PageContext,
    form: web::Form<TokenForm>,
) -> AppResult<HttpResponse> {
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    if let Some(user) = &ctx.user {
        revoke_session(
            &state.db,
            user.user.id,
            user.session_id,
            "logout",
            state.clock.now(),
        )
        .await?;
    }
    Ok(see_other("/").cookie(ctx.expired(SESSION_COOKIE)).finish())
}

/// `/lang/en` or `/lang/zh-CN`: remembered in a cookie, then back where the reader was.
pub async fn switch_language(
    ctx: PageContext,
    code: web::Path<String>,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let language = MailLanguage::parse(&code).ok_or_else(AppError::not_found)?;
    let mut cookie = ctx.cookie(
        LANGUAGE_COOKIE,
        language.as_str().to_owned(),
        actix_web::cookie::SameSite::Lax,
    );
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    Ok(see_other(&local_path(query.next.as_deref()))
        .cookie(cookie)
        .finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(super::local_path(Some("/orders/new")), "/orders/new");
        assert_eq!(super::local_path(Some("//evil.example")), "/");
        assert_eq!(super::local_path(Some("https://evil.example")), "/");
        assert_eq!(super::local_path(Some("/\\evil.example")), "/");
        assert_eq!(super::local_path(None), "/");
    }
}
