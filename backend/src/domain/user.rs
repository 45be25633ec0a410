//! People: parsed email addresses, passwords and display names.

use super::validation::{Checker, FieldError};

/// A syntactically plausible, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            FieldError::new(
                "email",
                "invalid",
                "邮箱格式不正确 (not a valid email address)",
            )
        };
        if email.is_empty() || email.chars().count() > 254 {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let plausible = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of acceptable length: 8 to 128 characters.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_length",
                "密码长度须为 8 到 128 个字符 (password must be 8 to 128 characters)",
            ))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A new account's validated fields.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub password: Password,
    pub display_name: String,
}

impl NewUser {
    pub fn parse(email: &str, password: &str, display_name: &str) -> Result<Self, Vec<FieldError>> {
        let mut checker = Checker::new();
        let display_name = checker.text("display_name", display_name, 1, 100);
        let mut errors = checker.finish().err().unwrap_or_default();
        let email = Email::parse(email).map_err(|e| errors.push(e)).ok();
        let password = Password::parse("password", password)
            .map_err(|e| errors.push(e))
            .ok();
        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(Self {
                email,
                password,
                display_name,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Li.Wei@Hospital.Example ");
        assert_eq!(
            email.map(|e| e.0).ok().as_deref(),
            Some("li.wei@hospital.example")
        );
    }

    #[test]
    fn implausible_emails_are_refused() {
        for raw in [
            "",
            "no-at-sign",
            "@example.com",
            "a@b",
            "a b@c.com",
            "a@@c.com",
            "a@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(Password::parse("password", "七个字的密码吗").is_err());
        assert!(Password::parse("password", "八个字的密码是吗").is_ok());
        assert!(Password::parse("password", &"x".repeat(129)).is_err());
        assert!(Password::parse("password", &"x".repeat(128)).is_ok());
    }
}
