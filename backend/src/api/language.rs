//! The reader's language: `?lang=en` or `Accept-Language`, Chinese unless English is preferred.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpRequest};

/// `zh-CN` (the default) or `en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLanguage(pub &'static str);

impl ReaderLanguage {
    fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("en") {
            Some(Self("en"))
        } else if tag.starts_with("zh") {
            Some(Self("zh-CN"))
        } else {
            None
        }
    }

    pub fn of(request: &HttpRequest) -> Self {
        let from_query = request
            .query_string()
            .split('&')
            .filter_map(|pair| pair.strip_prefix("lang="))
            .find_map(Self::from_tag);
        let from_header = || {
            request
                .headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.split(',')
                        .map(|part| part.split(';').next().unwrap_or_default())
                        .find_map(Self::from_tag)
                })
        };
        from_query.or_else(from_header).unwrap_or(Self("zh-CN"))
    }
}

impl FromRequest for ReaderLanguage {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(request)))
    }
}
