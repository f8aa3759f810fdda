//! Signed acknowledge links: `{public_url}/ack/{token}`. A token names the incident and who it
//! was sent to, expires, and works once (its nonce is consumed in the acknowledging transaction).
//!
//! One key is stored (`ack_signing_key`); each purpose signs with its own key derived from it
//! (`HMAC(stored key, purpose label)`, see [`Signers`]), so a token made for one purpose — an
//! acknowledge link, a drill link, a calendar feed — is refused by every other, whatever their
//! payloads look like. Status-page subscription links, sessions and CSRF tokens are random
//! values kept in the store, signed by no key.

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

/// What a key signs. Each purpose's label is fixed forever: changing one changes its key and
/// voids every link of that kind already sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `/ack/{token}` links in pages.
    AckLink,
    /// `/drill/confirm/{token}` links in drill pages and contact checks.
    DrillLink,
    /// The `?token=` of `/oncall/{schedule}.ics`.
    CalendarFeed,
    /// The value of the Slack button that confirms a mitigation action (`slack_hooks.rs`).
    SlackConfirm,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::AckLink => b"tocsin signing key: acknowledge links v1",
            Purpose::DrillLink => b"tocsin signing key: drill links v1",
            Purpose::CalendarFeed => b"tocsin signing key: calendar feeds v1",
            Purpose::SlackConfirm => b"tocsin signing key: slack action confirmations v1",
        }
    }
}

/// The signers of every purpose, derived from the stored key.
pub struct Signers {
    pub ack: AckSigner,
    pub drill: AckSigner,
    pub calendar: AckSigner,
    pub slack_confirm: AckSigner,
    /// The stored key itself, which signed calendar feeds before keys were per purpose. A feed
    /// URL lives in people's calendar apps for years, so its old token is still accepted for
    /// the calendar (its text, `calendar:<schedule>`, is no other purpose's: nothing else is
    /// signed with this key any more). Acknowledge and drill links expire within days and are
    /// not.
    legacy_calendar: AckSigner,
}

impl std::fmt::Debug for Signers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signers([redacted])")
    }
}

impl Signers {
    pub fn new(stored: &[u8]) -> Self {
        Signers {
            ack: AckSigner::derived(stored, Purpose::AckLink),
            drill: AckSigner::derived(stored, Purpose::DrillLink),
            calendar: AckSigner::derived(stored, Purpose::CalendarFeed),
            slack_confirm: AckSigner::derived(stored, Purpose::SlackConfirm),
            legacy_calendar: AckSigner::new(stored.to_vec()),
        }
    }

    /// Whether `tag` is a calendar feed's tag of `text`: its own key's, or the stored key's
    /// from before keys were per purpose.
    pub fn check_calendar_tag(&self, text: &str, tag: &str) -> bool {
        self.calendar.check_tag(text, tag) || self.legacy_calendar.check_tag(text, tag)
    }
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

    /// The signer for `purpose`: its key is `HMAC-SHA256(stored, purpose label)`.
    pub fn derived(stored: &[u8], purpose: Purpose) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(stored)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(purpose.label());
        AckSigner::new(mac.finalize().into_bytes().to_vec())
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

    #[test]
    fn each_purpose_signs_with_its_own_key_and_refuses_the_others_tokens() {
        let signers = Signers::new(b"the stored key");
        let now = Timestamp::from_second(1_000).unwrap();
        let ack = signers.ack.sign(&claims());
        assert_eq!(signers.ack.verify(&ack, now), Ok(claims()));
        // An acknowledge token is no drill link, even with the drill's own framing around it.
        let drill_claims = crate::drill::link::DrillClaims {
            drill_id: "inc".into(),
            nonce: "d1".into(),
            expires: 2_000,
        };
        assert_eq!(
            crate::drill::link::verify(&signers.drill, &ack, now),
            Err(TokenError::Forged)
        );
        let drill = crate::drill::link::sign(&signers.drill, &drill_claims);
        assert_eq!(
            crate::drill::link::verify(&signers.drill, &drill, now),
            Ok(drill_claims.clone())
        );
        // The ack signer's MAC over the drill's text is not the drill signer's.
        let (payload, _) = drill.split_once('.').unwrap();
        let forged = format!("{payload}.{}", signers.ack.tag(&format!("drill.{payload}")));
        assert_eq!(
            crate::drill::link::verify(&signers.drill, &forged, now),
            Err(TokenError::Forged)
        );
        assert_eq!(signers.ack.verify(&drill, now), Err(TokenError::Forged));
        // Nor does any key but the stored one's derivation for calendars sign a feed.
        let text = "calendar:backend";
        assert!(signers.check_calendar_tag(text, &signers.calendar.tag(text)));
        assert!(!signers.check_calendar_tag(text, &signers.ack.tag(text)));
        assert!(!signers.check_calendar_tag(text, &signers.drill.tag(text)));
        // A feed URL handed out before keys were per purpose still opens its calendar.
        let before = AckSigner::new(b"the stored key".to_vec()).tag(text);
        assert!(signers.check_calendar_tag(text, &before));
        // And the stored key itself no longer signs acknowledge links.
        let old_ack = AckSigner::new(b"the stored key".to_vec()).sign(&claims());
        assert_eq!(signers.ack.verify(&old_ack, now), Err(TokenError::Forged));
    }
}
