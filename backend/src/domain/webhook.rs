//! Webhooks: which events exist, which destinations are allowed, and how a payload is signed.
//! A receiver checks `Yigong-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the MAC is
//! taken over `"<t>.<body>"` with the endpoint's secret, as Stripe does; it should also refuse
//! timestamps more than a few minutes old.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

use super::string_enum;
use super::validation::FieldError;

string_enum!(
    /// What a webhook can be told about.
    WebhookEvent {
        MatchProposed => "match.proposed",
        BidSubmitted => "bid.submitted",
        BidDecided => "bid.decided",
        OrderAwarded => "order.awarded",
    }
);

pub const SIGNATURE_HEADER: &str = "Yigong-Signature";
pub const MAX_URL_LENGTH: usize = 2000;

/// `t=<timestamp>,v1=<hex>` for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body)))
}

/// Checks a signature header the way a receiver should (constant-time comparison).
pub fn verify_signature(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut timestamp = None;
    let mut given = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => given.push(value.to_owned()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    given.iter().any(|candidate| {
        let Some(bytes) = unhex(candidate) else {
            return false;
        };
        let mut check = keyed(secret);
        check.update(format!("{timestamp}.").as_bytes());
        check.update(body);
        check.verify_slice(&bytes).is_ok()
    })
}

fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Addresses a webhook may never reach in production: loopback, private networks, link-local
/// (cloud metadata lives there), carrier-grade NAT, unspecified, multicast and documentation
/// ranges.
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a destination URL as registered. `allow_internal` is the development setting that
/// admits plain http and loopback or private destinations.
pub fn check_url(url: &str, allow_internal: bool) -> Result<url::Url, FieldError> {
    let invalid = |message: &str| FieldError::new("url", "invalid", message);
    if url.len() > MAX_URL_LENGTH {
        return Err(FieldError::new(
            "url",
            "too_long",
            format!("不能超过 {MAX_URL_LENGTH} 个字符 (at most {MAX_URL_LENGTH} characters)"),
        ));
    }
    let parsed =
        url::Url::parse(url.trim()).map_err(|_| invalid("不是有效的网址 (not a valid URL)"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_internal => {}
        _ => return Err(invalid("须为 https 地址 (must be an https URL)")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "网址中不能包含用户名或密码 (the URL must not carry credentials)",
        ));
    }
    let internal = match parsed.host() {
        None => return Err(invalid("缺少主机名 (the URL has no host)")),
        Some(url::Host::Ipv4(ip)) => is_internal_address(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_internal_address(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
    };
    if internal && !allow_internal {
        return Err(invalid(
            "不能指向本机或内网地址 (loopback and private-network destinations are refused)",
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let header = signature(b"whsec_test", 1_764_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1764000000,v1="));
        assert!(verify_signature(b"whsec_test", &header, b"{\"a\":1}"));
        assert!(!verify_signature(b"whsec_test", &header, b"{\"a\":2}"));
        assert!(!verify_signature(b"other", &header, b"{\"a\":1}"));
        let shifted = header.replace("t=1764000000", "t=1764000001");
        assert!(!verify_signature(b"whsec_test", &shifted, b"{\"a\":1}"));
    }

    #[test]
    fn internal_destinations_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://192.168.0.9/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://localhost:8443/hook",
            "https://100.64.0.1/hook",
        ] {
            assert!(check_url(url, false).is_err(), "{url} should be refused");
            assert!(check_url(url, true).is_ok(), "{url} is fine in development");
        }
        assert!(check_url("https://hooks.example.com/yigong", false).is_ok());
        assert!(check_url("http://hooks.example.com/yigong", false).is_err());
        assert!(check_url("ftp://hooks.example.com/", true).is_err());
        assert!(check_url("https://user:pw@hooks.example.com/", false).is_err());
    }
}
