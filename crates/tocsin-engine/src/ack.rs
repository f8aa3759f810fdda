//! Signed acknowledge links: `{public_url}/ack/{token}`. A token names the incident and who it
//! was sent to, expires, and works once (its nonce is consumed in the acknowledging transaction).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckClaims {
    /// The incident to acknowledge.
    #[serde(rename = "i")]
    pub incident_id: String,
    /// Who it was sent to (a channel or a person): recorded as the acknowledging actor.
    #[serde(rename = "p")]
    pub person: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
    /// Single-use nonce.
    #[serde(rename = "n")]
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this link is not valid")]
    Forged,
    #[error("this link has expired")]
    Expired,
    #[error("this link was already used")]
    Used,
}

/// Signs and checks tokens with the server's key (kept in the store, so restarts keep links valid).
pub struct AckSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for AckSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AckSigner([redacted])")
    }
}

impl AckSigner {
    pub fn new(key: Vec<u8>) -> Self {
        AckSigner { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    pub fn sign(&self, claims: &AckClaims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// A stable tag over `text` (URL-safe base64 of its HMAC), for capability URLs.
    pub fn tag(&self, text: &str) -> String {
        let mut mac = self.mac();
        mac.update(text.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `tag` is the tag of `text` (compared in constant time).
    pub fn check_tag(&self, text: &str, tag: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(text.as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }

    /// Checks signature and expiry; whether it was used is the store's to say.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AckClaims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Forged)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Forged)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Forged)?;
        let claims: AckClaims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Forged)?;
        if now.as_second() >= claims.expires {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AckClaims {
        AckClaims {
            incident_id: "inc".into(),
            person: "slack-alerts".into(),
            expires: 2_000,
            nonce: "d1".into(),
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let signer = AckSigner::new(b"key".to_vec());
        let token = signer.sign(&claims());
        assert_eq!(
            signer.verify(&token, Timestamp::from_second(1_999).unwrap()),
            Ok(claims())
        );
        assert_eq!(
            signer.verify(&token, Timestamp::from_second(2_000).unwrap()),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_refused() {
        let signer = AckSigner::new(b"key".to_vec());
        let token = signer.sign(&claims());
        let now = Timestamp::from_second(1_000).unwrap();
        let mut other = claims();
        other.incident_id = "another".into();
        let forged_payload = AckSigner::new(b"other key".to_vec()).sign(&other);
        assert_eq!(signer.verify(&forged_payload, now), Err(TokenError::Forged));
        let (_, signature) = token.split_once('.').unwrap();
        let (payload, _) = forged_payload.split_once('.').unwrap();
        assert_eq!(
            signer.verify(&format!("{payload}.{signature}"), now),
            Err(TokenError::Forged)
        );
        assert_eq!(signer.verify("garbage", now), Err(TokenError::Forged));
    }
}
