//! SMS through real providers' request shapes: each preset (Twilio, Vonage, MessageBird,
//! Unifonic) sends the page to a local stand-in of that provider's API, the page carries a
//! six-digit code, and the person's reply — signed the provider's way, posted to
//! `/hooks/sms/<channel>` — acknowledges the incident as them. A forged reply is 403 and changes
//! nothing; a reply from another number or with another code is answered calmly and changes
//! nothing either. The generic `http` channel sends any provider's request written out.

use std::time::Duration;

use serde_json::{Value, json};
use tocsin_testkit::sms_provider::{
    InboundReply, Provider, SmsMessage, messagebird_reply, twilio_reply, unifonic_reply,
    vonage_reply,
};
use tocsin_testkit::{HttpSink, SmsProvider};

use crate::support::{TOKEN, TestApp};

const LIMIT: Duration = Duration::from_secs(10);
const PUBLIC_URL: &str = "http://tocsin.test";
/// The provider account every preset uses (the stand-in accepts one pair).
const ACCOUNT: &str = "AC0123456789abcdef";
const PROVIDER_TOKEN: &str = "provider-token-0123456789abcdef";
/// Vonage's signature secret, MessageBird's signing key, Unifonic's URL token.
const REPLY_SECRET: &str = "reply-signing-secret-0123456789";

/// Four contacts, one per provider's channel, all paged by the first step.
const CONTACTS: [(&str, &str, &str); 4] = [
    ("tariq", "+966500000001", "sms-twilio"),
    ("vera", "+966500000002", "sms-vonage"),
    ("maha", "+966500000003", "sms-messagebird"),
    ("umar", "+966500000004", "sms-unifonic"),
];

fn config(provider: &SmsProvider, http: &HttpSink) -> String {
    let contacts: String = CONTACTS
        .iter()
        .map(|(id, phone, channel)| {
            format!(
                "[[contact]]\nid = \"{id}\"\nname = \"{id}\"\nphone = \"{phone}\"\nmethods = [\"{channel}\"]\n\n"
            )
        })
        .collect();
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = []

{contacts}
[[contact]]
id = "hana"
name = "Hana"
phone = "+966 50 000 0005"
methods = ["custom-sms"]

[[escalation]]
id = "everyone"
steps = [{{ targets = ["contact:tariq", "contact:vera", "contact:maha", "contact:umar"], after = "5m" }}]

[[escalation]]
id = "custom"
steps = [{{ targets = ["contact:hana"], after = "5m" }}]

[[route]]
category = "backend"
escalation = "everyone"

[[route]]
category = "custom"
escalation = "custom"

[[channel]]
id = "sms-twilio"
type = "sms"
provider = "twilio"
account = "{ACCOUNT}"
token = "{PROVIDER_TOKEN}"
from = "+15005550006"
api_url = "{api}"

[[channel]]
id = "sms-vonage"
type = "sms"
provider = "vonage"
account = "{ACCOUNT}"
token = "{PROVIDER_TOKEN}"
from = "Dealix"
api_url = "{api}"
signing_secret = "{REPLY_SECRET}"

[[channel]]
id = "sms-messagebird"
type = "sms"
provider = "messagebird"
token = "{PROVIDER_TOKEN}"
from = "+31612345678"
api_url = "{api}"
signing_secret = "{REPLY_SECRET}"

[[channel]]
id = "sms-unifonic"
type = "sms"
provider = "unifonic"
token = "{PROVIDER_TOKEN}"
from = "Dealix"
api_url = "{api}"
signing_secret = "{REPLY_SECRET}"

[[channel]]
id = "custom-sms"
type = "http"
method = "POST"
url = "{http}/v2/send"
headers = {{ Authorization = "Bearer custom-api-key-0123456789" }}
body = '{{"to": {{{{ to|msisdn|json }}}}, "message": {{{{ text|json }}}}, "ref": "{{{{ incident }}}}"}}'
"#,
        api = provider.url,
        http = http.url,
    )
}

struct World {
    app: TestApp,
    provider: SmsProvider,
    http: HttpSink,
}

async fn world() -> World {
    let provider = SmsProvider::start(ACCOUNT, PROVIDER_TOKEN).await;
    let http = HttpSink::start().await;
    let app = TestApp::start(&config(&provider, &http)).await;
    World {
        app,
        provider,
        http,
    }
}

impl World {
    /// Declares a SEV-1 of `category` and sends its pages; returns the incident's id.
    async fn declare(&self, category: &str) -> String {
        let (status, body) = self
            .app
            .post(
                "/api/v1/incidents",
                json!({"title": "Checkout is down", "severity": "SEV-1", "category": category}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        self.app.settle().await;
        body["id"].as_str().expect("an id").to_owned()
    }

    /// The SMS the provider took for `contact`'s number on `incident`'s pages: the newest.
    fn page_to(&self, phone_digits: &str) -> SmsMessage {
        self.provider
            .received()
            .into_iter()
            .rev()
            .find(|m| {
                m.to.trim_start_matches('+') == phone_digits && (200..300).contains(&m.answered)
            })
            .unwrap_or_else(|| panic!("no SMS to {phone_digits}: {:#?}", self.provider.received()))
    }

    async fn reply(&self, channel: &str, query: &str, reply: &InboundReply) -> (u16, String) {
        let mut request = self
            .app
            .http
            .post(self.app.url(&format!("/hooks/sms/{channel}{query}")))
            .body(reply.body.clone());
        for (name, value) in &reply.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("POST the reply");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    async fn incident(&self, id: &str) -> Value {
        let (status, body) = self.app.get(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn timeline(&self, id: &str) -> Vec<Value> {
        let (status, body) = self
            .app
            .get(&format!("/api/v1/incidents/{id}/timeline"))
            .await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().cloned().unwrap_or_default()
    }
}

/// The six-digit code in a page's text.
fn code_in(text: &str) -> String {
    let codes = tocsin_core::reply_code::codes_in(text);
    assert_eq!(codes.len(), 1, "one code in {text:?}");
    codes[0].clone()
}

fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// A reply from `from` saying `text`, as `channel`'s provider posts it, signed with `secret`;
/// the query the URL carries (Unifonic's token).
fn signed_reply(
    app: &TestApp,
    channel: &str,
    from: &str,
    text: &str,
    secret: &str,
) -> (String, InboundReply) {
    let url = format!("{PUBLIC_URL}/hooks/sms/{channel}");
    let now = app.now().as_second();
    match channel {
        "sms-twilio" => (
            String::new(),
            twilio_reply(secret, &url, from, "+15005550006", text),
        ),
        "sms-vonage" => (
            String::new(),
            vonage_reply(secret, &digits(from), "15005550006", text, now),
        ),
        "sms-messagebird" => (
            String::new(),
            messagebird_reply(secret, &url, &digits(from), "31612345678", text, now),
        ),
        "sms-unifonic" => (
            format!("?token={secret}"),
            unifonic_reply(&digits(from), "Dealix", text),
        ),
        other => panic!("no provider for {other}"),
    }
}

/// The secret each channel's replies are signed with.
fn reply_secret(channel: &str) -> &'static str {
    if channel == "sms-twilio" {
        PROVIDER_TOKEN
    } else {
        REPLY_SECRET
    }
}

#[tokio::test]
async fn each_provider_preset_sends_the_page_in_that_providers_shape() {
    let world = world().await;
    world.declare("backend").await;
    world
        .provider
        .wait_until(LIMIT, |sent| sent.len() >= 4)
        .await;
    let sent = world.provider.received();
    assert!(
        sent.iter().all(|m| (200..300).contains(&m.answered)),
        "{sent:#?}"
    );
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{ACCOUNT}:{PROVIDER_TOKEN}")
        )
    );
    let of = |provider: Provider| {
        sent.iter()
            .find(|m| m.provider == provider)
            .unwrap_or_else(|| panic!("no {provider:?} request: {sent:#?}"))
    };

    let twilio = of(Provider::Twilio);
    assert_eq!(
        twilio.path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    assert_eq!(twilio.authorization.as_deref(), Some(basic.as_str()));
    assert_eq!(
        twilio.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        (twilio.to.as_str(), twilio.from.as_str()),
        ("+966500000001", "+15005550006")
    );

    let vonage = of(Provider::Vonage);
    assert_eq!(vonage.path, "/v1/messages");
    assert_eq!(vonage.authorization.as_deref(), Some(basic.as_str()));
    assert_eq!(vonage.fields["message_type"], "text");
    assert_eq!(vonage.fields["channel"], "sms");
    assert_eq!(
        (vonage.to.as_str(), vonage.from.as_str()),
        ("966500000002", "Dealix")
    );

    let messagebird = of(Provider::MessageBird);
    assert_eq!(messagebird.path, "/messages");
    assert_eq!(
        messagebird.authorization.as_deref(),
        Some(format!("AccessKey {PROVIDER_TOKEN}").as_str())
    );
    assert_eq!(messagebird.fields["recipients"], json!(["966500000003"]));
    assert_eq!(messagebird.from, "31612345678");

    let unifonic = of(Provider::Unifonic);
    assert_eq!(unifonic.path, "/rest/SMS/messages");
    assert_eq!(unifonic.fields["AppSid"], PROVIDER_TOKEN);
    assert_eq!(unifonic.fields["responseType"], "JSON");
    assert_eq!(
        (unifonic.to.as_str(), unifonic.from.as_str()),
        ("966500000004", "Dealix")
    );

    // Every text names the incident, carries its own code and the link.
    let mut codes = Vec::new();
    for message in [twilio, vonage, messagebird, unifonic] {
        assert!(
            message
                .text
                .starts_with("SEV-1 opened: Checkout is down. Reply "),
            "{:?}: {}",
            message.provider,
            message.text
        );
        assert!(
            message
                .text
                .contains(" to acknowledge, or open http://tocsin.test/ack/"),
            "{}",
            message.text
        );
        codes.push(code_in(&message.text));
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 4, "each page has its own code: {codes:?}");
    // Pages to a person never leak the provider's credential into the timeline.
    let (_, deliveries) = world.app.get("/api/v1/deliveries").await;
    assert!(!deliveries.to_string().contains(PROVIDER_TOKEN));
}

#[tokio::test]
async fn a_signed_reply_with_the_code_from_the_paged_number_acknowledges_as_that_contact() {
    let world = world().await;
    for (contact, phone, channel) in CONTACTS {
        let incident = world.declare("backend").await;
        let page = world.page_to(&digits(phone));
        let code = code_in(&page.text);
        let (query, reply) = signed_reply(
            &world.app,
            channel,
            phone,
            &format!("ack {code}"),
            reply_secret(channel),
        );
        let (status, body) = world.reply(channel, &query, &reply).await;
        assert_eq!(status, 200, "{channel}: {body}");
        if channel == "sms-twilio" {
            assert!(body.contains("<Response/>"), "TwiML: {body}");
        }
        let now = world.incident(&incident).await;
        assert_eq!(now["state"], "acknowledged", "{channel}: {now}");
        assert_eq!(now["acknowledged_by"], contact, "{channel}: {now}");
        let said = world
            .timeline(&incident)
            .await
            .into_iter()
            .find(|event| event["kind"] == "acknowledged")
            .unwrap_or_else(|| panic!("{channel}: no acknowledged event"));
        assert_eq!(said["actor"], contact);
        assert_eq!(said["text"], format!("Acknowledged by {contact}"));

        // The same reply again (a provider's retry) changes nothing and is still answered 200.
        let (status, _) = world.reply(channel, &query, &reply).await;
        assert_eq!(status, 200, "{channel}: a repeated reply");
    }
}

#[tokio::test]
async fn a_reply_with_a_bad_signature_is_refused_and_changes_nothing() {
    let world = world().await;
    let incident = world.declare("backend").await;
    for (_, phone, channel) in CONTACTS {
        let code = code_in(&world.page_to(&digits(phone)).text);
        let (query, mut forged) = signed_reply(
            &world.app,
            channel,
            phone,
            &code,
            "not-the-right-secret-0123456789",
        );
        let (status, body) = world.reply(channel, &query, &forged).await;
        assert_eq!(status, 403, "{channel}: {body}");
        assert!(body.contains("forbidden"), "{body}");
        // A genuine signature over another text does not cover this one.
        let (query, genuine) =
            signed_reply(&world.app, channel, phone, "hello", reply_secret(channel));
        if channel != "sms-unifonic" {
            forged.headers = genuine.headers.clone();
            let (status, body) = world.reply(channel, &query, &forged).await;
            assert_eq!(status, 403, "{channel}, signature of another body: {body}");
        }
        // No signature at all.
        let bare = InboundReply {
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: genuine.body.clone(),
        };
        let (status, _) = world.reply(channel, "", &bare).await;
        assert_eq!(status, 403, "{channel}: unsigned");
    }
    let now = world.incident(&incident).await;
    assert_eq!(now["state"], "triggered", "{now}");
    assert!(
        world
            .timeline(&incident)
            .await
            .iter()
            .all(|event| event["kind"] != "acknowledged")
    );
}

#[tokio::test]
async fn a_reply_from_another_number_or_with_another_code_is_answered_calmly_and_changes_nothing() {
    let world = world().await;
    let incident = world.declare("backend").await;
    let (_, phone, channel) = CONTACTS[0];
    let code = code_in(&world.page_to(&digits(phone)).text);
    // Vera's number has no page with Tariq's code; Tariq's number with a code never sent.
    let other = if code == "000000" { "111111" } else { "000000" };
    for (from, text) in [
        (CONTACTS[1].1, code.as_str()),
        (phone, other),
        (phone, "on it"),
    ] {
        let (query, reply) = signed_reply(&world.app, channel, from, text, reply_secret(channel));
        let (status, body) = world.reply(channel, &query, &reply).await;
        assert_eq!(status, 200, "{from} {text}: {body}");
        assert!(body.contains("<Response/>"), "{body}");
    }
    // A code sent on one channel does not answer on another.
    let (query, reply) = signed_reply(&world.app, "sms-vonage", phone, &code, REPLY_SECRET);
    assert_eq!(world.reply("sms-vonage", &query, &reply).await.0, 200);
    assert_eq!(world.incident(&incident).await["state"], "triggered");
    // A channel that is not an SMS channel has no reply door.
    let (query, reply) = signed_reply(&world.app, channel, phone, &code, PROVIDER_TOKEN);
    assert_eq!(world.reply("custom-sms", &query, &reply).await.0, 404);
}

#[tokio::test]
async fn a_request_template_channel_sends_any_providers_request_written_out() {
    let world = world().await;
    let incident = world.declare("custom").await;
    world.http.wait_until(LIMIT, |got| !got.is_empty()).await;
    let request = &world.http.received()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/send");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer custom-api-key-0123456789")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body["to"], "966500000005");
    assert_eq!(request.body["ref"], incident);
    let message = request.body["message"].as_str().expect("a message");
    assert!(
        message.starts_with("SEV-1 opened: Checkout is down."),
        "{message}"
    );
    assert!(message.contains("http://tocsin.test/ack/"), "{message}");
}

/// The stand-in refuses a send with the wrong credentials the provider's way, and the page is
/// recorded as failed for good (a 401 is not retried).
#[tokio::test]
async fn a_provider_refusing_the_credentials_fails_the_page_without_retrying() {
    let provider = SmsProvider::start(ACCOUNT, "another-token-0123456789abcdef").await;
    let http = HttpSink::start().await;
    let app = TestApp::start(&config(&provider, &http)).await;
    let world = World {
        app,
        provider,
        http,
    };
    world.declare("backend").await;
    world
        .provider
        .wait_until(LIMIT, |sent| sent.len() >= 4)
        .await;
    world
        .app
        .advance(Duration::from_secs(120), Duration::from_secs(30))
        .await;
    // Unifonic's AppSid and MessageBird's key are the token too: all four refuse, once each.
    let sent = world.provider.received();
    assert_eq!(sent.len(), 4, "{sent:#?}");
    assert!(sent.iter().all(|m| m.answered == 401));
    let (_, deliveries) = world.app.get("/api/v1/deliveries").await;
    let failed = deliveries["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["status"] == "failed")
        .count();
    assert_eq!(failed, 4, "{deliveries}");
}
