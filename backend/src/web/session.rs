//! Who is looking at a page, in which language, and the form token. The session cookie holds a
//! session's opaque token (the same sessions and token hashing as the API's refresh tokens), so
//! signing out, changing the password or an admin revoking the session ends it everywhere. Forms
//! carry a CSRF token that must match the `yigong_csrf` cookie (double submit), on top of
//! SameSite=Lax session cookies.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;

use crate::api::language::ReaderLanguage;
use crate::auth::extract::{AuthUser, authenticate_session};
use crate::auth::refresh;
use crate::domain::digest::MailLanguage;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sessions;

pub const SESSION_COOKIE: &str = "yigong_session";
pub const CSRF_COOKIE: &str = "yigong_csrf";
pub const LANGUAGE_COOKIE: &str = "yigong_lang";

/// Everything a page handler needs to know about the request.
#[derive(Debug)]
pub struct PageContext {
    pub user: Option<AuthUser>,
    pub language: MailLanguage,
    /// The form token to embed in every form of the page.
    pub csrf: String,
    csrf_is_new: bool,
    secure: bool,
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PageContext {
    /// Whether `submitted` is this browser's form token.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        !self.csrf_is_new && !submitted.is_empty() && constant_time_eq(submitted, &self.csrf)
    }

    pub fn csrf_is_new(&self) -> bool {
        self.csrf_is_new
    }

    /// The form-token cookie (set with the first page that shows a form).
    pub fn csrf_cookie(&self) -> Cookie<'static> {
        self.cookie(CSRF_COOKIE, self.csrf.clone(), SameSite::Strict)
    }

    /// A cookie as this app sets them: HttpOnly, path /, Secure when served over https.
    pub fn cookie(
        &self,
        name: &'static str,
        value: String,
        same_site: SameSite,
    ) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(same_site)
            .finish()
    }

    pub fn session_cookie(&self, token: String) -> Cookie<'static> {
        let mut cookie = self.cookie(SESSION_COOKIE, token, SameSite::Lax);
        cookie.set_max_age(actix_web::cookie::time::Duration::days(30));
        cookie
    }

    pub fn expired(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.cookie(name, String::new(), SameSite::Lax);
        cookie.make_removal();
        cookie
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn user_of(state: &AppState, token: &str) -> Result<Option<AuthUser>, AppError> {
    let now = state.clock.now();
    let Some((token, session)) =
        sessions::find_refresh_token(&state.db, &refresh::hash(token)).await?
    else {
        return Ok(None);
    };
    if session.revoked_at.is_some() || token.used_at.is_some() || token.expires_at <= now {
        return Ok(None);
    }
    match authenticate_session(state, session.id, session.user_id).await {
        Ok(user) => Ok(Some(user)),
        Err(_) => Ok(None),
    }
}

impl FromRequest for PageContext {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let csrf = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() >= 32);
        let chosen = req.cookie(LANGUAGE_COOKIE).map(|c| c.value().to_owned());
        let reader = ReaderLanguage::of(req);
        let language = match chosen.as_deref().and_then(MailLanguage::parse) {
            Some(language) => language,
            None => super::language_of(reader),
        };
        let secure = req.connection_info().scheme() == "https";
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no application state")))?;
            let user = match session {
                Some(token) => user_of(&state, &token).await?,
                None => None,
            };
            let (csrf, csrf_is_new) = match csrf {
                Some(value) => (value, false),
                None => (random_token(), true),
            };
            Ok(PageContext {
                user,
                language,
                csrf,
                csrf_is_new,
                secure,
            })
        })
    }
}
