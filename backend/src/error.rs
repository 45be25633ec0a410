//! The one error table. Every error the API can answer has a stable snake_case code, an HTTP status
//! and a public title in Chinese and English; the full cause chain goes to the log, never to the
//! client. Responses are `application/problem+json` (RFC 9457).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validation::FieldError;

/// Every failure the API reports, one row each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    MalformedRequest,
    Unauthenticated,
    InvalidCredentials,
    InvalidRefreshToken,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    IllegalTransition,
    OrderNotEditable,
    DeadlinePassed,
    AlreadyExists,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    RateLimited,
    IdempotencyKeyInProgress,
    Internal,
}

impl ErrorCode {
    /// The table itself: (code, status, 中文标题, English title).
    #[rustfmt::skip]
    fn row(self) -> (&'static str, StatusCode, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            MalformedRequest => ("malformed_request", StatusCode::BAD_REQUEST, "请求格式错误", "Malformed request"),
            Unauthenticated => ("unauthenticated", StatusCode::UNAUTHORIZED, "需要登录或令牌无效", "Authentication required or token invalid"),
            InvalidCredentials => ("invalid_credentials", StatusCode::UNAUTHORIZED, "邮箱或密码错误", "Wrong email or password"),
            InvalidRefreshToken => ("invalid_refresh_token", StatusCode::UNAUTHORIZED, "刷新令牌无效或已失效", "Refresh token invalid or revoked"),
            Forbidden => ("forbidden", StatusCode::FORBIDDEN, "无权执行此操作", "You may not do this"),
            NotFound => ("not_found", StatusCode::NOT_FOUND, "未找到", "Not found"),
            MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "不支持此请求方法", "Method not allowed"),
            IllegalTransition => ("illegal_transition", StatusCode::CONFLICT, "当前状态不允许此操作", "Not allowed in the current state"),
            OrderNotEditable => ("order_not_editable", StatusCode::CONFLICT, "需求单当前状态不可修改", "The order cannot be edited in its current state"),
            DeadlinePassed => ("deadline_passed", StatusCode::CONFLICT, "投标截止时间已过", "The bid deadline has passed"),
            AlreadyExists => ("already_exists", StatusCode::CONFLICT, "记录已存在", "Already exists"),
            PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE, "请求体过大", "Request body too large"),
            UnsupportedMediaType => ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "请使用 application/json", "Use application/json"),
            ValidationFailed => ("validation_failed", StatusCode::UNPROCESSABLE_ENTITY, "输入有误", "Invalid input"),
            RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请稍后再试", "Too many attempts, try again later"),
            IdempotencyKeyInProgress => ("idempotency_key_in_progress", StatusCode::CONFLICT, "相同幂等键的请求仍在处理中", "A request with this Idempotency-Key is still in progress"),
            Internal => ("internal_error", StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", "Internal server error"),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    pub fn status(self) -> StatusCode {
        self.row().1
    }

    /// The public title, Chinese first.
    pub fn title(self) -> String {
        let (_, _, zh, en) = self.row();
        format!("{zh} ({en})")
    }
}

/// An error on its way to the client: a code from the table, an optional detail for this case,
/// field errors for 422, and (for internal errors) the cause, which is logged and never shown.
#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub field_errors: Vec<FieldError>,
    cause: Option<anyhow::Error>,
    /// Seconds after which a refused request may be retried (sent as `Retry-After`).
    pub retry_after: Option<i64>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            detail: None,
            field_errors: Vec::new(),
            cause: None,
            retry_after: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn validation(field_errors: Vec<FieldError>) -> Self {
        Self {
            field_errors,
            ..Self::new(ErrorCode::ValidationFailed)
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// Keeps the field errors but reports them under another code (e.g. a taken email is 409).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    pub fn internal(cause: anyhow::Error) -> Self {
        Self {
            cause: Some(cause),
            ..Self::new(ErrorCode::Internal)
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {cause:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<anyhow::Error> for AppError {
    fn from(cause: anyhow::Error) -> Self {
        // A domain or API error that travelled through `anyhow` keeps its code.
        match cause.downcast::<AppError>() {
            Ok(app) => app,
            Err(cause) => Self::internal(cause),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::new(ErrorCode::AlreadyExists),
            _ => Self::internal(anyhow::Error::new(err).context("database operation")),
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type, stable per `code`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code from the error table.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.code == ErrorCode::Internal {
            tracing::error!(error = %self, "request failed");
        }
        let problem = Problem {
            type_uri: format!("/problems/{}", self.code.as_str()),
            title: self.code.title(),
            status: self.code.status().as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: self.field_errors.clone(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response
            .content_type("application/problem+json")
            .json(problem)
    }
}

pub type AppResult<T> = Result<T, AppError>;
