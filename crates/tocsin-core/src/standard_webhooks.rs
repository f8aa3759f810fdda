//! Standard Webhooks secrets and `v1` signatures: the one reading of a secret that the
//! configuration check, the inbound verifier and the outbound signer all share, so a secret that
//! passes `tocsin check` signs and verifies the same way everywhere.
//!
//! A secret is the base64 of the key bytes, usually written with the `whsec_` prefix that the
//! specification uses "for easy identification". The reference libraries strip the prefix when
//! present and decode the rest, and so does [`decode_secret`]: a secret without the prefix is base64
//! too, never raw bytes (an earlier tocsin signed with raw bytes but verified with base64, so a
//! prefix-less secret failed every inbound request).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};

/// The prefix the specification gives symmetric secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// The shortest key tocsin accepts, in bytes (the specification asks for at least 24 random bytes;
/// 16 is the floor every tocsin secret shares, see `tocsin check`).
pub const MIN_KEY_BYTES: usize = 16;

/// Why a secret cannot be used; `Display` says what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret is empty")]
    Empty,
    #[error(
        "the secret is not base64 (after the optional `whsec_` prefix), so no Standard Webhooks library would read it the same way"
    )]
    NotBase64,
}

/// The key bytes of a Standard Webhooks secret: `whsec_` (optional) then base64.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, SecretError> {
    let trimmed = secret.trim();
    let encoded = trimmed.strip_prefix(SECRET_PREFIX).unwrap_or(trimmed);
    if encoded.is_empty() {
        return Err(SecretError::Empty);
    }
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| SecretError::NotBase64)?;
    if key.is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(key)
}

/// The HMAC-SHA256 over `{id}.{timestamp}.{body}`, ready to finalize or verify.
pub fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    // HMAC takes keys of any length (RFC 2104); the fallible constructor only exists because the
    // trait is shared with fixed-size-key MACs, so this expect can never fire.
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .expect("HMAC accepts keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed with the decoded secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SecretError> {
    let key = decode_secret(secret)?;
    let tag = mac(&key, id, &timestamp.to_string(), body).finalize();
    Ok(format!("v1,{}", STANDARD.encode(tag.into_bytes())))
}

/// True when any `v1,` entry of a `webhook-signature` header matches, each checked in constant
/// time. Other entries (the asymmetric `v1a,`) are skipped, not failures: a sender may list several
/// kinds during a rotation.
pub fn any_signature_matches(
    key: &[u8],
    id: &str,
    timestamp: &str,
    body: &[u8],
    header: &str,
) -> bool {
    let expected = mac(key, id, timestamp, body);
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|tag| expected.clone().verify_slice(&tag).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The specification's reference libraries share these vectors (standard-webhooks/
    // standard-webhooks: libraries/go/webhook_test.go TestWebhookSign, libraries/rust/src/lib.rs
    // test_sign); the secret is the one the specification's examples use.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn signs_the_specification_libraries_vector() {
        assert_eq!(
            sign(
                SPEC_SECRET,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())
        );
        assert_eq!(
            sign(
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            Ok("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=".to_owned())
        );
    }

    #[test]
    fn the_prefix_is_optional_as_in_the_reference_libraries() {
        // libraries/go/webhook_test.go TestWebhookPrefix: with and without `whsec_` is one key.
        let without = SPEC_SECRET.trim_start_matches(SECRET_PREFIX);
        assert_eq!(decode_secret(without), decode_secret(SPEC_SECRET));
        assert_eq!(decode_secret(SPEC_SECRET).map(|key| key.len()), Ok(24));
    }

    #[test]
    fn what_signs_also_verifies() {
        let key = decode_secret(SPEC_SECRET).expect("the spec's secret decodes");
        let header = sign(SPEC_SECRET, "msg_1", 1700000000, b"{}").expect("signs");
        let rotated = format!("v1a,c29tZXRoaW5n v1,AAAA {header}");
        assert!(any_signature_matches(
            &key,
            "msg_1",
            "1700000000",
            b"{}",
            &rotated
        ));
        assert!(!any_signature_matches(
            &key,
            "msg_2",
            "1700000000",
            b"{}",
            &header
        ));
        assert!(!any_signature_matches(
            &key,
            "msg_1",
            "1700000000",
            b"{ }",
            &header
        ));
    }

    #[test]
    fn unusable_secrets_say_why() {
        assert_eq!(decode_secret(""), Err(SecretError::Empty));
        assert_eq!(decode_secret("whsec_"), Err(SecretError::Empty));
        assert_eq!(
            decode_secret("whsec_not base64!"),
            Err(SecretError::NotBase64)
        );
        assert_eq!(
            decode_secret("a shared password"),
            Err(SecretError::NotBase64)
        );
        assert_eq!(sign("whsec_%%%", "m", 1, b""), Err(SecretError::NotBase64));
    }
}
