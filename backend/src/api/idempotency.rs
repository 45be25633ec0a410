//! `Idempotency-Key` on POSTs that create things: a retried request with the same key and the
//! same body gets the first response again (marked `Idempotent-Replayed: true`) instead of a
//! second record; the same key with a different body is refused.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};
use uuid::Uuid;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::idempotency::{self, Claim};

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// The request's idempotency key, if it sent one, and what identifies the request itself.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: Option<String>,
    request_line: String,
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_line = format!("{} {}", req.method(), req.path());
        let key = match req.headers().get(HEADER) {
            None => Ok(None),
            Some(value) => match value.to_str() {
                Ok(text) if (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic()) => {
                    Ok(Some(text.to_owned()))
                }
                _ => Err(AppError::new(ErrorCode::MalformedRequest)
                    .with_detail("Idempotency-Key 须为 1 到 255 个可见 ASCII 字符 (1 to 255 visible ASCII characters)")),
            },
        };
        ready(key.map(|key| Self { key, request_line }))
    }
}

/// A created resource on its way out: status and JSON body.
pub struct Created {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl Created {
    pub fn new(body: &impl Serialize) -> AppResult<Self> {
        Ok(Self {
            status: StatusCode::CREATED,
            body: serde_json::to_value(body).map_err(|e| AppError::internal(e.into()))?,
        })
    }
}

fn fingerprint(request_line: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request_line.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `create` at most once per (user, key); without a key it simply runs.
pub async fn run_once<F, Fut>(
    state: &AppState,
    user_id: Uuid,
    key: &IdempotencyKey,
    body: &[u8],
    create: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Created>>,
{
    let Some(idempotency_key) = key.key.as_deref() else {
        let created = create().await?;
        return Ok(HttpResponse::build(created.status).json(created.body));
    };
    let fingerprint = fingerprint(&key.request_line, body);
    match idempotency::claim(
        &state.db,
        user_id,
        idempotency_key,
        &fingerprint,
        state.clock.now(),
    )
    .await?
    {
        Claim::Fresh => {}
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Ok(HttpResponse::build(status)
                .insert_header((REPLAYED_HEADER, "true"))
                .content_type("application/json")
                .body(body));
        }
        Claim::InProgress => {
            return Err(AppError::new(ErrorCode::IdempotencyKeyInProgress));
        }
        Claim::Mismatch => {
            return Err(AppError::field(
                "Idempotency-Key",
                "reused",
                "此幂等键已用于另一个请求 (this key was used for a different request)",
            ));
        }
    }
    match create().await {
        Ok(created) => {
            let text = created.body.to_string();
            idempotency::complete(
                &state.db,
                user_id,
                idempotency_key,
                created.status.as_u16(),
                &text,
            )
            .await?;
            Ok(HttpResponse::build(created.status)
                .content_type("application/json")
                .body(text))
        }
        Err(error) => {
            // Nothing was created: free the key so the client can correct and retry.
            idempotency::release(&state.db, user_id, idempotency_key).await?;
            Err(error)
        }
    }
}
