//! Unsubscribe tokens: opaque, signed, and good without signing in. A token is the member's id
//! and a truncated HMAC-SHA256 of it, base64url-encoded; the key is derived from the server's
//! signing key, so tokens survive restarts and need no table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

const PURPOSE: &[u8] = b"yigong/unsubscribe/digest/v1";
const MAC_BYTES: usize = 16;

#[derive(Clone)]
pub struct UnsubscribeTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for UnsubscribeTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeTokens([redacted])")
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

impl UnsubscribeTokens {
    /// Derives the token key from the server secret (a key used for nothing else).
    pub fn new(server_secret: &[u8]) -> Self {
        let mut mac = hmac(server_secret);
        mac.update(PURPOSE);
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn tag(&self, user_id: Uuid) -> Vec<u8> {
        let mut mac = hmac(&self.key);
        mac.update(user_id.as_bytes());
        mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    pub fn issue(&self, user_id: Uuid) -> String {
        let mut bytes = user_id.as_bytes().to_vec();
        bytes.extend(self.tag(user_id));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The member a token speaks for, if it is genuine.
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        if token.len() > 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 16 + MAC_BYTES {
            return None;
        }
        let user_id = Uuid::from_slice(&bytes[..16]).ok()?;
        let mut mac = hmac(&self.key);
        mac.update(user_id.as_bytes());
        mac.verify_truncated_left(&bytes[16..]).ok()?;
        Some(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_is_caught() {
        let tokens = UnsubscribeTokens::new(b"0123456789abcdef0123456789abcdef");
        let user = Uuid::now_v7();
        let token = tokens.issue(user);
        assert_eq!(tokens.verify(&token), Some(user));
        let mut tampered = token.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(tokens.verify(&String::from_utf8(tampered).unwrap()), None);
        let other = UnsubscribeTokens::new(b"another secret, also 32 bytes long");
        assert_eq!(other.verify(&token), None);
        assert_eq!(tokens.verify("not-a-token"), None);
    }
}
