//! The REST API under `/api/v1`: one file per resource, all registered in [`routes`]. Handlers
//! parse input, ask the policy, call the domain and the store, and shape the response.

pub mod auth;
pub mod bids;
pub mod digests;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod language;
pub mod matches;
pub mod me;
pub mod openapi;
pub mod orders;
pub mod organizations;
pub mod projects;
pub mod routes;
pub mod teams;
pub mod webhooks;

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::domain::policy::{self, Action, Actor, Denied};
use crate::error::{AppError, ErrorCode};
use crate::store::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};

/// Asks the policy and turns a refusal into the matching problem.
pub fn authorize(actor: Option<&Actor>, action: Action<'_>) -> Result<(), AppError> {
    policy::authorize(actor, action).map_err(|denied| match denied {
        Denied::Unauthenticated => AppError::new(ErrorCode::Unauthenticated),
        Denied::Forbidden => AppError::new(ErrorCode::Forbidden),
        Denied::NotFound => AppError::not_found(),
    })
}

/// For PATCH bodies: a missing key is `None`, `null` is `Some(None)`, a value is `Some(Some(v))`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `limit` and `cursor` query parameters, checked.
pub fn page_request(limit: Option<u64>, cursor: Option<&str>) -> Result<PageRequest, AppError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::field(
            "limit",
            "out_of_range",
            format!("须在 1 到 {MAX_LIMIT} 之间 (must be between 1 and {MAX_LIMIT})"),
        ));
    }
    let after =
        match cursor {
            None | Some("") => None,
            Some(text) => Some(Uuid::parse_str(text).map_err(|_| {
                AppError::field("cursor", "invalid", "分页游标无效 (invalid cursor)")
            })?),
        };
    Ok(PageRequest { limit, after })
}
