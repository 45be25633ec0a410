//! JWT access tokens: HS256, at most 15 minutes, with `sub`, `exp`, `iat`, `iss`, `aud`, a token
//! type and the session they belong to, all required on the way back in.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ACCESS_TOKEN_TYPE: &str = "access";
pub const MAX_ACCESS_TOKEN_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: String,
    /// Token type: only `access` is accepted as a bearer token.
    pub typ: String,
    /// The session (refresh-token family) this token was issued under.
    pub sid: Uuid,
}

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime_seconds: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, lifetime_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime_seconds: lifetime_seconds.clamp(1, MAX_ACCESS_TOKEN_SECONDS),
        }
    }

    pub fn lifetime_seconds(&self) -> i64 {
        self.lifetime_seconds
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id,
            iat: now.timestamp(),
            exp: now.timestamp() + self.lifetime_seconds,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            typ: ACCESS_TOKEN_TYPE.to_owned(),
            sid: session_id,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid access token, or `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.typ == ACCESS_TOKEN_TYPE).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            "yigong",
            "yigong-api",
            900,
        )
    }

    #[test]
    fn an_issued_token_verifies() -> anyhow::Result<()> {
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys().issue(user, session, Utc::now())?;
        let claims = keys().verify(&token);
        assert_eq!(claims.map(|c| (c.sub, c.sid)), Some((user, session)));
        Ok(())
    }

    #[test]
    fn a_token_from_another_key_or_audience_does_not() -> anyhow::Result<()> {
        let other_key = TokenKeys::new(
            b"another-secret-another-secret!!!",
            "yigong",
            "yigong-api",
            900,
        );
        let token = other_key.issue(Uuid::now_v7(), Uuid::now_v7(), Utc::now())?;
        assert!(keys().verify(&token).is_none());
        let other_aud = TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            "yigong",
            "elsewhere",
            900,
        );
        let token = other_aud.issue(Uuid::now_v7(), Uuid::now_v7(), Utc::now())?;
        assert!(keys().verify(&token).is_none());
        Ok(())
    }

    #[test]
    fn lifetimes_are_capped_at_fifteen_minutes() {
        let keys = TokenKeys::new(b"k", "i", "a", 3600);
        assert_eq!(keys.lifetime_seconds(), MAX_ACCESS_TOKEN_SECONDS);
    }
}
