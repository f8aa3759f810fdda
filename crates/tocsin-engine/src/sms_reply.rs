//! SMS replies: a reply carrying a page's code, from the number that page went to, acknowledges
//! the page's incident as the paged contact. Anything else changes nothing.

use tocsin_core::decide::Input;
use tocsin_core::reply_code::{self, ReplyCode};

use crate::{Engine, EngineError};

/// What a verified reply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsReply {
    /// The incident is acknowledged now, as the contact.
    Acknowledged {
        incident_id: String,
        contact: String,
    },
    /// The code and the number match a page, but its incident was already acknowledged or
    /// resolved: nothing more to do.
    AlreadyHandled {
        incident_id: String,
        contact: String,
    },
    /// No code in the text matches a page sent from this channel to this number.
    Unmatched,
}

impl Engine {
    /// Acts on a reply the provider's signature vouched for: `from` sent `text` to `channel`.
    pub async fn sms_reply(
        &self,
        channel: &str,
        from: &str,
        text: &str,
    ) -> Result<SmsReply, EngineError> {
        for code in reply_code::codes_in(text) {
            let pages = self.store.reply_codes(channel, &code).await?;
            // The newest page with this code that went to the replying number.
            let Some(page) = pages
                .into_iter()
                .find(|page| self.paged_number_is(page, from))
            else {
                continue;
            };
            let input = Input::Acknowledge {
                actor: page.contact.clone(),
            };
            return match self.act(&page.incident_id, input).await {
                Ok(_) => {
                    tracing::info!(%channel, incident = %page.incident_id, contact = %page.contact, "acknowledged by SMS reply");
                    Ok(SmsReply::Acknowledged {
                        incident_id: page.incident_id,
                        contact: page.contact,
                    })
                }
                Err(EngineError::Refused(_)) => Ok(SmsReply::AlreadyHandled {
                    incident_id: page.incident_id,
                    contact: page.contact,
                }),
                Err(error) => Err(error),
            };
        }
        tracing::info!(%channel, "an SMS reply matched no page sent to its number; nothing changed");
        Ok(SmsReply::Unmatched)
    }

    /// Whether `from` is the number of the contact `page` went to, as configured now.
    fn paged_number_is(&self, page: &ReplyCode, from: &str) -> bool {
        self.config()
            .contact(&page.contact)
            .and_then(|contact| contact.phone.as_deref())
            .is_some_and(|phone| reply_code::same_number(phone, from))
    }
}
