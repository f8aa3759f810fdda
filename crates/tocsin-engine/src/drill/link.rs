//! Signed drill links, `{public_url}/drill/confirm/{token}`: a test page's confirm link and a
//! contact's re-verify link. The same approach as acknowledge links (`ack.rs`): an HMAC-SHA256
//! over the claims with the server's key, an expiry, and a single-use nonce (the item's, used
//! in the confirming transaction). The MAC covers a `drill.` prefix, so an acknowledge token
//! never verifies as a drill link.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ack::{AckSigner, TokenError};

/// What a drill link says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillClaims {
    /// The drill.
    #[serde(rename = "d")]
    pub drill_id: String,
    /// The item's single-use nonce.
    #[serde(rename = "n")]
    pub nonce: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

fn signed_text(payload: &str) -> String {
    format!("drill.{payload}")
}

pub fn sign(signer: &AckSigner, claims: &DrillClaims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let tag = signer.tag(&signed_text(&payload));
    format!("{payload}.{tag}")
}

/// Checks the signature and expiry; whether it was used is the store's to say.
pub fn verify(signer: &AckSigner, token: &str, now: Timestamp) -> Result<DrillClaims, TokenError> {
    let (payload, tag) = token.split_once('.').ok_or(TokenError::Forged)?;
    if !signer.check_tag(&signed_text(payload), tag) {
        return Err(TokenError::Forged);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Forged)?;
    let claims: DrillClaims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Forged)?;
    if now.as_second() >= claims.expires {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drill_link_verifies_until_it_expires_and_an_ack_token_is_not_one() {
        let signer = AckSigner::new(b"key".to_vec());
        let claims = DrillClaims {
            drill_id: "d1".into(),
            nonce: "n1".into(),
            expires: 2_000,
        };
        let token = sign(&signer, &claims);
        let before = Timestamp::from_second(1_999).unwrap();
        assert_eq!(verify(&signer, &token, before), Ok(claims));
        assert_eq!(
            verify(&signer, &token, Timestamp::from_second(2_000).unwrap()),
            Err(TokenError::Expired)
        );
        let ack = signer.sign(&crate::ack::AckClaims {
            incident_id: "i".into(),
            person: "p".into(),
            expires: 2_000,
            nonce: "n".into(),
        });
        assert_eq!(verify(&signer, &ack, before), Err(TokenError::Forged));
        let other = sign(
            &AckSigner::new(b"other".to_vec()),
            &DrillClaims {
                drill_id: "d1".into(),
                nonce: "n1".into(),
                expires: 2_000,
            },
        );
        assert_eq!(verify(&signer, &other, before), Err(TokenError::Forged));
    }
}
