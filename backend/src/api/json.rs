//! Input extractors that answer bad input with problem+json: JSON bodies (size limit, content
//! type, syntax, unknown or wrong-typed fields with the field's path), query strings and paths.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
use crate::error::{AppError, ErrorCode};

/// The largest JSON body this server accepts, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, parsed into `T`, with the bytes it came from (for idempotency keys).
#[derive(Debug)]
pub struct JsonBody<T>(pub T, pub web::Bytes);

fn too_large(limit: usize) -> AppError {
    AppError::new(ErrorCode::PayloadTooLarge)
        .with_detail(format!("上限 {limit} 字节 (limit is {limit} bytes)"))
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Turns a serde error into the right problem: broken JSON is 400, JSON of the wrong shape 422.
pub fn deserialize_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = inner.to_string();
            let field = field_name(&path, &message);
            let code = if message.starts_with("missing field") {
                "required"
            } else if message.starts_with("unknown field") {
                "unknown_field"
            } else {
                "invalid"
            };
            AppError::validation(vec![FieldError::new(
                &field,
                code,
                strip_position(&message),
            )])
        }
        _ => AppError::new(ErrorCode::MalformedRequest).with_detail(format!(
            "JSON 无法解析 (invalid JSON): {}",
            strip_position(&inner.to_string())
        )),
    }
}

/// The field an error is about: serde names missing and unknown fields in backticks.
fn field_name(path: &str, message: &str) -> String {
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"));
    let path = path.trim_start_matches('.');
    match quoted {
        // serde_path_to_error already includes an unknown key in the path, not a missing one.
        Some(name) if message.starts_with("missing field") && !path.is_empty() => {
            format!("{path}.{name}")
        }
        Some(name) if path.is_empty() => name.to_owned(),
        _ => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(crate::config::DEFAULT_MAX_BODY_BYTES);
        let json = is_json(req);
        let declared_length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_length.is_some_and(|length| length > limit) {
                return Err(too_large(limit));
            }
            if !json {
                return Err(AppError::new(ErrorCode::UnsupportedMediaType));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| match e {
                    PayloadError::Overflow => too_large(limit),
                    other => {
                        AppError::new(ErrorCode::MalformedRequest).with_detail(other.to_string())
                    }
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let mut deserializer = serde_json::Deserializer::from_slice(&body);
            let value =
                serde_path_to_error::deserialize(&mut deserializer).map_err(deserialize_error)?;
            deserializer.end().map_err(|e| {
                AppError::new(ErrorCode::MalformedRequest)
                    .with_detail(strip_position(&e.to_string()))
            })?;
            Ok(JsonBody(value, body.freeze()))
        })
    }
}

/// Query strings that do not parse are the client's mistake: 400 with the reason.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        AppError::new(ErrorCode::MalformedRequest)
            .with_detail(format!("查询参数有误 (bad query string): {err}"))
            .into()
    })
}

/// HTML form bodies (the web pages' forms): at most 64 KiB; a body that does not parse is 400.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            AppError::new(ErrorCode::MalformedRequest)
                .with_detail(format!("表单有误 (bad form): {err}"))
                .into()
        })
}

/// A path that does not parse (a malformed id) names nothing that exists: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::not_found().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_come_from_the_message_or_the_path() {
        assert_eq!(field_name(".", "missing field `title`"), "title");
        assert_eq!(
            field_name("revenue_split", "missing field `team`"),
            "revenue_split.team"
        );
        assert_eq!(
            field_name("revenue_split.x", "unknown field `x`, expected one of"),
            "revenue_split.x"
        );
        assert_eq!(
            field_name("budget_min_cny", "invalid type: string"),
            "budget_min_cny"
        );
    }
}
