//! `[[channel]]` of type `sms` (a provider preset) and `http` (a request template).

use std::collections::BTreeMap;

use tocsin_core::Secret;
use tocsin_core::inbound::sms::Provider;

use super::ctx::Ctx;
use crate::channels::{HttpChannel, SmsChannel};
use crate::raw::RawChannel;
use crate::spans::join_key;

/// Each provider's API root when `api_url` is not set.
pub(crate) fn default_api_url(provider: Provider) -> &'static str {
    match provider {
        Provider::Twilio => "https://api.twilio.com",
        Provider::Vonage => "https://api.nexmo.com",
        Provider::MessageBird => "https://rest.messagebird.com",
        Provider::Unifonic => "https://el.cloud.unifonic.com",
    }
}

/// The methods a request template may use.
const METHODS: [&str; 4] = ["POST", "PUT", "PATCH", "GET"];

pub(super) fn channel(ctx: &mut Ctx, raw: &RawChannel, item: &str) -> Option<SmsChannel> {
    let key = |name: &str| join_key(item, name);
    if !raw.provider.is_present() {
        ctx.missing(&key("provider"), "\"twilio\"");
    }
    let provider = ctx.choice(&raw.provider, &key("provider"), &Provider::ALL);
    let account = match provider {
        Some(Provider::Twilio) => {
            ctx.require(&raw.account, &key("account"), "\"${TWILIO_ACCOUNT_SID}\"")
        }
        Some(Provider::Vonage) => {
            ctx.require(&raw.account, &key("account"), "\"${VONAGE_API_KEY}\"")
        }
        _ => ctx.get(&raw.account, &key("account")),
    }
    .filter(|account| !account.is_empty());
    if matches!(provider, Some(Provider::Twilio | Provider::Vonage))
        && account.is_none()
        && raw.account.is_present()
    {
        ctx.error(
            &key("account"),
            "`account` is empty",
            Some(
                "set the provider's account id (Twilio's Account SID, Vonage's API key)".to_owned(),
            ),
        );
    }
    let token = ctx.require(&raw.token, &key("token"), "\"${SMS_TOKEN}\"");
    let token = match token {
        Some(token) if token.is_empty() => {
            ctx.error(
                &key("token"),
                "`token` is empty",
                Some("set the provider's credential, from the environment".to_owned()),
            );
            None
        }
        // Twilio signs replies with the auth token: it guards the acknowledging door too.
        Some(token) if provider == Some(Provider::Twilio) => super::secrets::check_strength(
            ctx,
            &key("token"),
            "forge SMS replies that acknowledge incidents",
            &token,
        )
        .then_some(token),
        other => other,
    };
    let from = ctx.require(&raw.from, &key("from"), "\"+15005550006\"");
    let from = from.filter(|from| {
        let ok = sender_ok(from);
        if !ok {
            ctx.error(
                &key("from"),
                format!("`from` `{from}` is neither a phone number nor a sender id"),
                Some("write a number like \"+15005550006\", or a sender id of up to 11 letters and digits like \"Dealix\"".to_owned()),
            );
        }
        ok
    });
    let api_url = match ctx.get(&raw.api_url, &key("api_url")) {
        Some(url) => ctx
            .url(&url, &key("api_url"))
            .then(|| url.trim_end_matches('/').to_owned()),
        None => provider.map(|provider| default_api_url(provider).to_owned()),
    };
    let signing_secret = ctx
        .get(&raw.signing_secret, &key("signing_secret"))
        .filter(|secret: &String| !secret.is_empty())
        .filter(|secret| {
            super::secrets::check_strength(
                ctx,
                &key("signing_secret"),
                "forge SMS replies that acknowledge incidents",
                secret,
            )
        })
        .map(Secret::new);
    Some(SmsChannel {
        provider: provider?,
        account,
        token: Secret::new(token?),
        from: from?,
        api_url: api_url?,
        signing_secret,
    })
}

/// A phone number (`+` and 3 to 15 digits, spaces allowed) or an alphanumeric sender id (1 to
/// 11 letters, digits or spaces, at least one letter). Nothing else can reach a request body.
fn sender_ok(from: &str) -> bool {
    let compact: String = from.chars().filter(|c| *c != ' ').collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let number = (3..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    let sender_id = (1..=11).contains(&from.chars().count())
        && from.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        && from.chars().any(|c| c.is_ascii_alphabetic());
    number || sender_id
}

pub(super) fn http(ctx: &mut Ctx, raw: &RawChannel, item: &str) -> Option<HttpChannel> {
    let key = |name: &str| join_key(item, name);
    let method = match ctx.get(&raw.method, &key("method")) {
        Some(method) => {
            let upper = method.trim().to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                Some(upper)
            } else {
                ctx.error(
                    &key("method"),
                    format!("`{method}` is not a method a request template may use"),
                    Some(format!("use one of {}", METHODS.join(", "))),
                );
                None
            }
        }
        None => Some("POST".to_owned()),
    };
    let url = ctx.require(&raw.url, &key("url"), "\"https://...\"");
    let url = url.filter(|url| ctx.url(url, &key("url")));
    let mut headers = BTreeMap::new();
    for (name, value) in ctx.get(&raw.headers, &key("headers")).unwrap_or_default() {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            ctx.error(
                &key("headers"),
                format!("`{name}` is not a valid header name"),
                Some("use letters, digits and `-`, like \"Authorization\"".to_owned()),
            );
            continue;
        }
        headers.insert(name, Secret::new(value));
    }
    let body = ctx.require(
        &raw.body,
        &key("body"),
        "'{\"to\": {{ to|json }}, \"text\": {{ text|json }}}'",
    );
    let body = body.filter(|body| match tocsin_core::request_template::check(body) {
        Ok(()) => true,
        Err(error) => {
            ctx.error(
                &key("body"),
                error,
                Some(
                    "see docs/integrations/sms.md for the names and filters a body may use"
                        .to_owned(),
                ),
            );
            false
        }
    });
    let secret = super::secrets::outbound_signing_secret(
        ctx,
        &raw.secret,
        &key("secret"),
        "forge messages that the receiver takes for tocsin's",
    );
    Some(HttpChannel {
        method: method?,
        url: url?,
        headers,
        body: body?,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_are_numbers_or_short_ids() {
        for ok in [
            "+15005550006",
            "966500000001",
            "+966 50 000 0001",
            "Dealix",
            "Dealix 24",
        ] {
            assert!(sender_ok(ok), "{ok}");
        }
        for bad in ["", "+", "{{ to }}", "a&b", "TwelveLetters", "12"] {
            assert!(!sender_ok(bad), "{bad}");
        }
    }
}
