//! Railway project webhooks: deployment state changes (`Deployment.<state>`) become deploy changes;
//! Railway's alerts (volume, CPU/RAM monitors) and anything else are accepted and ignored.
//!
//! Railway signs nothing, so the webhook URL carries a token (checked by the caller). Every
//! state of one deployment shares its id: the change log shows a deploy moving from `building`
//! to `deployed` (or `failed`, `crashed`) as updates of one entry.

use serde_json::Value;

use super::{
    Change, ChangeKind, Inbound, IntegrationContext, ParseError, as_object, details, first_line,
    lookup_id, lookup_str, meaningful, parse_json, parse_timestamp, req_str, text,
};

/// Parses one webhook delivery.
pub fn parse(body: &[u8], ctx: &IntegrationContext) -> Result<Vec<Inbound>, ParseError> {
    let value = parse_json(body)?;
    let obj = as_object(&value, "body")?;
    let kind = req_str(obj, "type", "")?;
    let state = match kind.split_once('.') {
        Some(("Deployment", state)) if !state.trim().is_empty() => state.trim().to_lowercase(),
        // Railway's earlier payloads: `type: "DEPLOY"` with the state in a top-level `status`.
        None if kind == "DEPLOY" => match lookup_str(&value, &["status"]) {
            Some(status) => status.to_lowercase(),
            None => return Err(ParseError::Missing("status".into())),
        },
        _ => return Ok(Vec::new()),
    };
    Ok(vec![Inbound::Change(change(&value, state, ctx)?)])
}

fn change(value: &Value, state: String, ctx: &IntegrationContext) -> Result<Change, ParseError> {
    // The current shape nests names under `resource`; the earlier one had them at the top.
    let resource = |path: &[&str]| {
        let mut nested = vec!["resource"];
        nested.extend_from_slice(path);
        lookup_str(value, &nested).or_else(|| lookup_str(value, path))
    };
    let deployment_id = lookup_id(value, &["resource", "deployment", "id"])
        .or_else(|| lookup_id(value, &["details", "id"]))
        .or_else(|| lookup_id(value, &["deployment", "id"]))
        .ok_or_else(|| ParseError::Missing("resource.deployment.id".into()))?;
    let detail = |key: &str| {
        lookup_str(value, &["details", key])
            .or_else(|| lookup_str(value, &["deployment", "meta", key]))
    };
    let service = resource(&["service", "name"]);
    let environment = resource(&["environment", "name"]);
    let project = resource(&["project", "name"]);
    let message = detail("commitMessage").map(first_line);

    // "api to production: deployed (Fix checkout totals)"
    let mut summary = match (service, environment) {
        (Some(service), Some(environment)) => format!("{service} to {environment}: {state}"),
        (Some(service), None) => format!("{service}: {state}"),
        (None, Some(environment)) => format!("deploy to {environment}: {state}"),
        (None, None) => format!("deploy {state}"),
    };
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        summary.push_str(&format!(" ({message})"));
    }

    let occurred_at = value
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
        .and_then(meaningful)
        .unwrap_or(ctx.now);
    Ok(Change {
        source: ctx.source(),
        kind: ChangeKind::Deploy,
        external_id: Some(deployment_id),
        summary,
        service: service
            .map(str::to_string)
            .or_else(|| ctx.component.clone()),
        environment: environment.map(str::to_string),
        commit: detail("commitHash").map(str::to_string),
        branch: detail("branch").map(str::to_string),
        author: detail("commitAuthor").map(str::to_string),
        status: Some(state),
        url: None,
        occurred_at,
        details: details([
            ("type", value.get("type").cloned()),
            ("project", text(project)),
            ("workspace", text(resource(&["workspace", "name"]))),
            (
                "details_status",
                text(lookup_str(value, &["details", "status"])),
            ),
            (
                "deploy_source",
                text(lookup_str(value, &["details", "source"])),
            ),
            ("severity", text(lookup_str(value, &["severity"]))),
            (
                "ephemeral_environment",
                value.pointer("/resource/environment/isEphemeral").cloned(),
            ),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEYS: &[&str] = &[
        "type",
        "Deployment.deployed",
        "Deployment.failed",
        "DEPLOY",
        "status",
        "details",
        "resource",
        "deployment",
        "service",
        "environment",
        "project",
        "name",
        "id",
        "commitHash",
        "commitMessage",
        "timestamp",
    ];

    fn webhook(kind: &str) -> Value {
        json!({
            "type": kind,
            "details": {
                "id": "c41e7f0a-2b9d-4f6e-8a13-5d7c9e0b2f64",
                "source": "GitHub",
                "status": "SUCCESS",
                "branch": "main",
                "commitHash": "9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d",
                "commitAuthor": "linah",
                "commitMessage": "Fix rounding in cart totals\n\nTotals were off by a cent."
            },
            "resource": {
                "workspace": { "id": "0d8e4a61-7c2b-4f39-9e15-a3b6c8d0f274", "name": "Acme" },
                "project": { "id": "5f2a9c1e-8b3d-4e7f-a6c0-1d9e2b4f7a83", "name": "dealix" },
                "environment": { "id": "e7b3d1f9-4a6c-4e28-b05d-9f1a3c7e5b20", "name": "production", "isEphemeral": false },
                "service": { "id": "a9c7e5b3-1d2f-4a6e-8c0b-3f5d7e9a1c24", "name": "checkout" },
                "deployment": { "id": "c41e7f0a-2b9d-4f6e-8a13-5d7c9e0b2f64" }
            },
            "severity": "INFO",
            "timestamp": "2026-03-01T11:02:19.504Z"
        })
    }

    fn changes(value: &Value) -> Result<Vec<Change>, ParseError> {
        let body = serde_json::to_vec(value).unwrap_or_default();
        parse(&body, &test_ctx("railway")).map(|items| {
            items
                .into_iter()
                .filter_map(|item| match item {
                    Inbound::Change(change) => Some(change),
                    _ => None,
                })
                .collect()
        })
    }

    #[test]
    fn a_deployment_state_becomes_a_deploy_change() {
        let change = changes(&webhook("Deployment.deployed"))
            .expect("valid")
            .remove(0);
        assert_eq!(change.source, "integration:railway");
        assert_eq!(change.kind, ChangeKind::Deploy);
        assert_eq!(
            change.external_id.as_deref(),
            Some("c41e7f0a-2b9d-4f6e-8a13-5d7c9e0b2f64")
        );
        assert_eq!(change.status.as_deref(), Some("deployed"));
        assert_eq!(
            change.summary,
            "checkout to production: deployed (Fix rounding in cart totals)"
        );
        assert_eq!(change.service.as_deref(), Some("checkout"));
        assert_eq!(change.environment.as_deref(), Some("production"));
        assert_eq!(
            change.commit.as_deref(),
            Some("9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d")
        );
        assert_eq!(change.branch.as_deref(), Some("main"));
        assert_eq!(change.author.as_deref(), Some("linah"));
        assert_eq!(change.occurred_at.to_string(), "2026-03-01T11:02:19.504Z");
        assert_eq!(change.details["project"], "dealix");
        assert_eq!(change.details["type"], "Deployment.deployed");
    }

    #[test]
    fn every_state_is_lowercased_and_shares_the_deployment_id() {
        for (kind, state) in [
            ("Deployment.building", "building"),
            ("Deployment.deploying", "deploying"),
            ("Deployment.success", "success"),
            ("Deployment.failed", "failed"),
            ("Deployment.crashed", "crashed"),
            ("Deployment.REMOVED", "removed"),
        ] {
            let change = changes(&webhook(kind)).expect("valid").remove(0);
            assert_eq!(change.status.as_deref(), Some(state));
            assert_eq!(
                change.external_id.as_deref(),
                Some("c41e7f0a-2b9d-4f6e-8a13-5d7c9e0b2f64")
            );
        }
    }

    #[test]
    fn optional_parts_may_be_missing() {
        let body = json!({
            "type": "Deployment.failed",
            "resource": { "deployment": { "id": "d-1" } }
        });
        let change = changes(&body).expect("valid").remove(0);
        assert_eq!(change.summary, "deploy failed");
        assert_eq!(
            change.service.as_deref(),
            Some("api"),
            "no service: the integration's component"
        );
        assert_eq!(change.occurred_at, test_ctx("railway").now);
        assert_eq!((change.commit, change.environment), (None, None));
    }

    #[test]
    fn the_earlier_deploy_shape_is_understood() {
        let body = json!({
            "type": "DEPLOY",
            "timestamp": "2024-05-02T08:00:00.000Z",
            "status": "SUCCESS",
            "project": { "id": "p-1", "name": "dealix" },
            "environment": { "id": "e-1", "name": "production" },
            "service": { "id": "s-1", "name": "checkout" },
            "deployment": { "id": "d-9", "meta": { "commitHash": "abc123", "branch": "main" } }
        });
        let change = changes(&body).expect("valid").remove(0);
        assert_eq!(change.status.as_deref(), Some("success"));
        assert_eq!(change.external_id.as_deref(), Some("d-9"));
        assert_eq!(change.summary, "checkout to production: success");
        assert_eq!(change.commit.as_deref(), Some("abc123"));
    }

    #[test]
    fn alerts_and_other_types_are_accepted_with_nothing_to_do() {
        for kind in [
            "VolumeAlert.triggered",
            "Monitor.triggered",
            "Deployment",
            "Deployment.",
            "Other",
        ] {
            assert_eq!(changes(&webhook(kind)), Ok(vec![]), "{kind}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases: [(Value, ParseError); 5] = [
            (json!({}), ParseError::Missing("type".into())),
            (
                json!({ "type": 3 }),
                ParseError::invalid("type", "must be a string"),
            ),
            (
                json!({ "type": "Deployment.success" }),
                ParseError::Missing("resource.deployment.id".into()),
            ),
            (
                json!({ "type": "DEPLOY", "deployment": { "id": "d" } }),
                ParseError::Missing("status".into()),
            ),
            (
                json!("Deployment.success"),
                ParseError::invalid("body", "must be a JSON object"),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(changes(&body), Err(expected));
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body, &test_ctx("r"));
        }

        #[test]
        fn arbitrary_json_never_panics(body in arbitrary_json(KEYS)) {
            let _ = parse(&serde_json::to_vec(&body).unwrap_or_default(), &test_ctx("r"));
        }
    }
}
