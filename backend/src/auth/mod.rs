//! Authentication: argon2id passwords, short-lived JWT access tokens, opaque rotating refresh
//! tokens, and the extractors that tell a handler who is asking.

pub mod extract;
pub mod password;
pub mod refresh;
pub mod throttle;
pub mod tokens;
