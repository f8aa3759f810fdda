//! `POST /hooks/sms/{channel}`: an SMS provider's inbound message on an `sms` channel. The
//! provider's signature is checked its own way (`tocsin_core::inbound::sms`); a reply carrying a
//! page's code from the number the page went to acknowledges that incident as the contact.
//! Any other message is answered calmly and changes nothing; a bad signature is 403.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tocsin_config::{ChannelKind, SmsProvider};
use tocsin_core::inbound::sms::{self, SmsError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::inbound::{body, token_from_query};
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sms_reply))
}

/// TwiML that sends nothing back: Twilio wants an answer in its markup.
const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

#[utoipa::path(
    post,
    path = "/hooks/sms/{channel}",
    operation_id = "sms_reply",
    tag = "signals",
    security(()),
    params(
        ("channel" = String, Path, description = "The `sms` channel's id in the configuration"),
        ("token" = Option<String>, Query, description = "Unifonic only (it signs nothing): the channel's `signing_secret`"),
    ),
    request_body(content = String, description = "The provider's own inbound message: Twilio's form (`From`, `Body`) signed with `X-Twilio-Signature`; Vonage's Messages API JSON (`from`, `text`) with its signed JWT in `Authorization: Bearer`; MessageBird's (`originator`, `body`) with `MessageBird-Signature-JWT`; Unifonic's (`from`, `body`) with `?token=`. A text carrying a page's six-digit code, from the number that page went to, acknowledges its incident"),
    responses(
        (status = 200, description = "Read; the incident is acknowledged when the code and the number match a page, else nothing changed. Twilio gets TwiML `<Response/>`"),
        (status = 400, description = "Signed, but not a message; the message says what", body = ErrorBody),
        (status = 403, description = "The signature (or Unifonic's token) is missing or wrong; nothing changed", body = ErrorBody),
        (status = 404, description = "No `sms` channel with this id", body = ErrorBody),
        (status = 413, description = "Over the size limit", body = ErrorBody),
    )
)]
async fn sms_reply(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let config = state.engine.config();
    let Some(ChannelKind::Sms(sms_channel)) = config.channel(&channel).map(|c| &c.kind) else {
        return ApiError::not_found(format!(
            "no `sms` channel `{channel}`; check the URL against the configuration"
        ))
        .into_response();
    };
    let raw = match body(raw) {
        Ok(raw) => raw,
        Err(error) => return error.into_response(),
    };
    let Some(secret) = sms_channel.reply_secret() else {
        return forbidden(format!(
            "channel `{channel}` has no `signing_secret`, so its replies cannot be checked"
        ));
    };
    // The URL as the provider called it: the public address, then the path and query it used.
    let url = format!(
        "{}{}",
        config.server.public_url.trim_end_matches('/'),
        uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
    );
    let token = query.as_deref().and_then(token_from_query);
    // Checked in a block of its own: the header reader is not `Send`, the await below must be.
    let verified = {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let request = sms::Request {
            url: &url,
            header: &header,
            token: token.as_deref(),
            body: &raw,
            now: state.engine.now(),
        };
        sms::verify(sms_channel.provider, secret.expose(), &request)
    };
    let reply = match verified {
        Ok(reply) => reply,
        Err(SmsError::Signature(why)) => return forbidden(why),
        Err(SmsError::Malformed(why)) => return ApiError::bad_request(why).into_response(),
    };
    match state
        .engine
        .sms_reply(&channel, &reply.from, &reply.text)
        .await
    {
        Ok(_) => calm(sms_channel.provider),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The answer that says "received" in the provider's terms.
fn calm(provider: SmsProvider) -> Response {
    match provider {
        SmsProvider::Twilio => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            EMPTY_TWIML,
        )
            .into_response(),
        _ => StatusCode::OK.into_response(),
    }
}

fn forbidden(message: impl Into<String>) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response()
}
