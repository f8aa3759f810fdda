//! The Slack app's Web API client against the local Slack stand-in: the bearer token, Slack's
//! `ok: false` errors read as permanent or retryable, and 429's `Retry-After`.

use std::time::Duration;

use serde_json::json;
use tocsin_core::Secret;
use tocsin_notify::Sender;
use tocsin_testkit::SlackApi;

const TOKEN: &str = "xoxb-notify-test";

fn now() -> jiff::Timestamp {
    "2026-11-26T00:00:00Z".parse().expect("time")
}

#[tokio::test]
async fn posts_with_the_bot_token_and_reads_slacks_errors() {
    let slack = SlackApi::start(TOKEN, &["C0ALERTS"]).await;
    let sender = Sender::new(tocsin_notify::http_client());
    let token = Secret::new(TOKEN);
    let api_url = slack.api_url();
    let api = sender.slack_api(&api_url, &token);

    let posted = api
        .call(
            "chat.postMessage",
            &json!({ "channel": "C0ALERTS", "text": "hi" }),
            now(),
        )
        .await
        .expect("posted");
    assert_eq!(posted["channel"], "C0ALERTS");
    assert_eq!(
        slack.calls()[0].header("authorization"),
        Some("Bearer xoxb-notify-test")
    );

    let missing = api
        .call(
            "chat.postMessage",
            &json!({ "channel": "C0NOWHERE", "text": "hi" }),
            now(),
        )
        .await
        .expect_err("no such channel");
    assert!(!missing.retryable);
    assert!(missing.detail.contains("channel_not_found"), "{missing}");

    slack.fail_next("internal_error");
    let transient = api
        .call(
            "chat.postMessage",
            &json!({ "channel": "C0ALERTS", "text": "hi" }),
            now(),
        )
        .await
        .expect_err("Slack's trouble");
    assert!(transient.retryable, "{transient}");

    slack.rate_limit_next(42);
    let limited = api
        .call(
            "chat.postMessage",
            &json!({ "channel": "C0ALERTS", "text": "hi" }),
            now(),
        )
        .await
        .expect_err("rate limited");
    assert!(limited.retryable);
    assert_eq!(limited.status, Some(429));
    assert_eq!(limited.retry_after, Some(Duration::from_secs(42)));

    let wrong = Secret::new("xoxb-someone-else");
    let refused = sender
        .slack_api(&api_url, &wrong)
        .call(
            "chat.postMessage",
            &json!({ "channel": "C0ALERTS", "text": "hi" }),
            now(),
        )
        .await
        .expect_err("invalid_auth");
    assert!(!refused.retryable);
    assert!(
        !refused.detail.contains("xoxb"),
        "the token never shows: {refused}"
    );
}
