//! How people and customers are told: `[smtp]`, `[[channel]]` and `[[template]]`.

use std::collections::BTreeMap;

use tocsin_core::Secret;

/// `[smtp]`: the mail server for the `"email"` contact method and `email` channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    /// Mail server host name. Required.
    pub host: String,
    /// Mail server port. Default 587.
    pub port: u16,
    /// User name to log in with; an empty value means no login.
    pub username: Option<String>,
    /// Password to log in with; an empty value means none.
    pub password: Option<Secret>,
    /// The sender, like `"Dealix <status@dealix.example>"`. Required.
    pub from: String,
    /// Transport security: `"none"` (plain text, only for a relay on the same host),
    /// `"starttls"` (upgrade a plain connection) or `"tls"` (TLS from the first byte, usually
    /// port 465). Default `"starttls"`.
    pub tls: SmtpTls,
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// `"none"`: plain text (only for a relay on the same host).
    None,
    /// `"starttls"`: upgrade a plain connection.
    #[default]
    Starttls,
    /// `"tls"`: TLS from the first byte (usually port 465).
    Tls,
}

/// `[[channel]]`: somewhere a notice can be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Identifier, named by severities' `notify`, contacts' `methods`, reviews and drills.
    /// Required and unique.
    pub id: String,
    /// What the channel is (`type = "slack" | "email" | "webhook" | "sms" | "http" |
    /// "slack_app"`) and its
    /// settings. Required.
    pub kind: ChannelKind,
}

impl Channel {
    /// Customer-facing channels (those with an `audience`) follow their severity's `comms`.
    pub fn is_customer_facing(&self) -> bool {
        matches!(
            self.kind,
            ChannelKind::Email {
                audience: Some(_),
                ..
            }
        )
    }
}

/// A channel's type and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// `type = "slack"`: a Slack incoming webhook.
    Slack {
        /// The incoming webhook's URL (a secret). Required.
        webhook_url: Secret,
        /// The Slack app's signing secret, to accept its interactive "Acknowledge" buttons at
        /// `/slack/interactive` (requests are verified and must be under 5 minutes old).
        signing_secret: Option<Secret>,
    },
    /// `type = "slack_app"`: a Slack app with a bot token. Each incident is one message, posted
    /// with `chat.postMessage` and updated in place; its buttons and the `/tocsin` command come
    /// back signed to `/hooks/slack/interactive` and `/hooks/slack/commands`.
    SlackApp(SlackApp),
    /// `type = "email"`: email through `[smtp]`.
    Email {
        /// Who receives it: `"subscribers"` (the status page's confirmed subscribers) or
        /// `"affected"` (the customers named on the incident).
        audience: Option<Audience>,
        /// The `[[template]]` id used for the text.
        template: Option<String>,
    },
    /// `type = "webhook"`: an HTTP POST of JSON, signed per Standard Webhooks; pages a person
    /// through an SMS or voice relay when named in a contact's `methods`.
    Webhook {
        /// Where to POST. Required.
        url: String,
        /// Signing secret (`whsec_...`); without it requests are unsigned.
        secret: Option<Secret>,
    },
    /// `type = "sms"`: pages a person by SMS through a provider's API (a preset request), and
    /// takes their reply carrying the page's code, posted to `/hooks/sms/<id>`, as an
    /// acknowledgement.
    Sms(SmsChannel),
    /// `type = "http"`: any provider's HTTP API, the request written out; pages a person when
    /// named in a contact's `methods` (their `phone` is the template's `to`).
    Http(HttpChannel),
}

/// `type = "sms"`: one provider's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsChannel {
    /// Whose API sends the messages and signs the replies. Required.
    pub provider: SmsProvider,
    /// The account: Twilio's Account SID, Vonage's API key (those two need it); MessageBird and
    /// Unifonic have none.
    pub account: Option<String>,
    /// The credential sends use (a secret): Twilio's auth token, Vonage's API secret,
    /// MessageBird's access key, Unifonic's AppSid. Required.
    pub token: Secret,
    /// The sender: a phone number (`+15005550006`) or an alphanumeric sender id. Required.
    pub from: String,
    /// The provider's API root. Default per provider: `https://api.twilio.com`,
    /// `https://api.nexmo.com`, `https://rest.messagebird.com`, `https://el.cloud.unifonic.com`.
    pub api_url: String,
    /// What replies are checked with, for the providers that do not use `token`: Vonage's
    /// signature secret, MessageBird's signing key, and for Unifonic (which signs nothing) the
    /// token its inbound URL must carry as `?token=`. Twilio signs with `token`. Without it,
    /// replies on a non-Twilio channel are refused.
    pub signing_secret: Option<Secret>,
}

impl SmsChannel {
    /// The secret a reply is checked with: Twilio's auth token, else `signing_secret`.
    pub fn reply_secret(&self) -> Option<&Secret> {
        match self.provider {
            SmsProvider::Twilio => Some(&self.token),
            _ => self.signing_secret.as_ref(),
        }
    }
}

pub use tocsin_core::inbound::sms::Provider as SmsProvider;

/// `type = "http"`: a request template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpChannel {
    /// The HTTP method. Default `"POST"`.
    pub method: String,
    /// Where to send. Required.
    pub url: String,
    /// Request headers (values are secrets: they usually carry the API key), like
    /// `{ Authorization = "Bearer ${SMS_API_KEY}" }`.
    pub headers: BTreeMap<String, Secret>,
    /// The body, a template with `{{ to }}`, `{{ text }}`, `{{ code }}`, `{{ link }}`, … each
    /// escaped for the body's content type (docs/integrations/sms.md). Required.
    pub body: String,
    /// A Standard Webhooks signing secret (`whsec_...`); without it requests are unsigned.
    pub secret: Option<Secret>,
}

impl ChannelKind {
    /// The `type` as written in the configuration.
    pub fn type_name(&self) -> &'static str {
        match self {
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::SlackApp(_) => "slack_app",
            ChannelKind::Email { .. } => "email",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Sms(_) => "sms",
            ChannelKind::Http(_) => "http",
        }
    }
}

/// A `type = "slack_app"` channel's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackApp {
    /// The app's bot token (`xoxb-…`), sent as `Authorization: Bearer`. Required.
    pub bot_token: Secret,
    /// The app's signing secret: buttons and `/tocsin` commands are accepted only when signed
    /// with it and under 5 minutes old. Required.
    pub signing_secret: Secret,
    /// The id of the Slack channel incidents are posted to, like `"C0DEALIX01"`. Required.
    pub channel: String,
    /// Slack's Web API. Default `"https://slack.com/api"`; a proxy or a local test server may
    /// stand in.
    pub api_url: String,
    /// Severities whose incidents also get a Slack channel of their own
    /// (`conversations.create`), with the people on call invited, like `["SEV-1"]`. Default none.
    pub incident_channels: Vec<String>,
}

/// Who receives a customer-facing email channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `"subscribers"`: the status page's confirmed subscribers.
    Subscribers,
    /// `"affected"`: the customer(s) named on the incident.
    Affected,
}

/// `[[template]]`: customer communication text in one locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Identifier, named by channels and runbooks; one template per id and locale.
    /// Required.
    pub id: String,
    /// The language, one of `org.locales`. Default: the first of `org.locales`.
    pub locale: String,
    /// Subject line, a template like `"{{ org.name }}: {{ incident.public_title }}"`. Required.
    pub subject: String,
    /// Body text, a template. Required.
    pub body: String,
}
