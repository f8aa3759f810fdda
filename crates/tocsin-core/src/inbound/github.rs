//! GitHub repository webhooks: pushes to the default branch, merged pull requests and deployments
//! become changes on the change log; every other event is accepted and ignored.
//!
//! Only what reached production-bound code counts: a push to a feature branch or a PR closed
//! without merging is noise when a responder asks "what changed?".

use jiff::Timestamp;
use serde_json::Value;

use super::{
    Change, ChangeKind, Inbound, IntegrationContext, ParseError, as_object, details, first_line,
    lookup_id, lookup_str, meaningful, opt_id, opt_str, parse_json, parse_timestamp, req_object,
    req_str, text, unix_seconds, verify_hex_hmac,
};

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` in constant time. A
/// missing header, another algorithm prefix or malformed hex fails.
pub fn verify_signature(secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    header
        .map(str::trim)
        .and_then(|header| header.strip_prefix("sha256="))
        .is_some_and(|hex| verify_hex_hmac(secret, hex, body))
}

/// Parses a delivery by its `X-GitHub-Event` header.
pub fn parse(
    event: &str,
    body: &[u8],
    ctx: &IntegrationContext,
) -> Result<Vec<Inbound>, ParseError> {
    let value = parse_json(body)?;
    let obj = as_object(&value, "body")?;
    let change = match event.trim() {
        "push" => push(obj, &value, ctx)?,
        "pull_request" => merge(obj, &value, ctx)?,
        "deployment" => deployment(obj, &value, ctx)?,
        "deployment_status" => deployment_status(obj, &value, ctx)?,
        // `ping` (sent when the hook is created) and everything else: accepted, nothing to do.
        _ => None,
    };
    Ok(change.map(Inbound::Change).into_iter().collect())
}

/// An `issues` event closing or reopening an issue: what tocsin's tickets follow
/// (`[tickets] type = "github"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueChange {
    /// `repository.full_name`, `owner/name`.
    pub repo: String,
    pub number: i64,
    /// `closed`, or `reopened` when false.
    pub closed: bool,
    /// Who did it (`sender.login`), else `GitHub`.
    pub actor: String,
}

/// The issue change an `issues` delivery carries (`action` `closed` or `reopened`); `None` for
/// every other event and action.
pub fn issue_change(event: &str, body: &[u8]) -> Result<Option<IssueChange>, ParseError> {
    if event.trim() != "issues" {
        return Ok(None);
    }
    let value = parse_json(body)?;
    let obj = as_object(&value, "body")?;
    let closed = match req_str(obj, "action", "")? {
        "closed" => true,
        "reopened" => false,
        _ => return Ok(None),
    };
    let issue = req_object(obj, "issue", "")?;
    let number = issue
        .get("number")
        .and_then(Value::as_i64)
        .ok_or_else(|| ParseError::Missing("issue.number".into()))?;
    let repository = req_object(obj, "repository", "")?;
    let repo = req_str(repository, "full_name", "repository")?.to_owned();
    let actor = lookup_str(&value, &["sender", "login"])
        .map(str::to_owned)
        .unwrap_or_else(|| "GitHub".to_owned());
    Ok(Some(IssueChange {
        repo,
        number,
        closed,
        actor,
    }))
}

type Object = serde_json::Map<String, Value>;

fn push(
    obj: &Object,
    value: &Value,
    ctx: &IntegrationContext,
) -> Result<Option<Change>, ParseError> {
    let git_ref = req_str(obj, "ref", "")?;
    let repository = req_object(obj, "repository", "")?;
    let default_branch = req_str(repository, "default_branch", "repository")?;
    if git_ref != format!("refs/heads/{default_branch}") {
        return Ok(None);
    }
    // Deleting the default branch is not a change to what runs.
    if obj.get("deleted").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let after = req_str(obj, "after", "")?;
    let head = value.get("head_commit").filter(|head| head.is_object());
    let message = head.and_then(|head| lookup_str(head, &["message"]));
    let commits = obj
        .get("commits")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let summary = match message {
        Some(message) => first_line(message).to_string(),
        None => format!("Push to {default_branch}"),
    };
    let author = head
        .and_then(|head| {
            lookup_str(head, &["author", "username"])
                .or_else(|| lookup_str(head, &["author", "name"]))
        })
        .or_else(|| lookup_str(value, &["pusher", "name"]))
        .or_else(|| lookup_str(value, &["sender", "login"]));
    // `repository.pushed_at` is Unix seconds in push payloads; the head commit's own timestamp
    // is when it was authored, possibly days before it reached the branch.
    let occurred_at = repository
        .get("pushed_at")
        .and_then(unix_seconds)
        .unwrap_or(ctx.now);
    let compare = opt_str(obj, "compare", "")?;
    Ok(Some(Change {
        source: ctx.source(),
        kind: ChangeKind::Push,
        external_id: Some(after.to_string()),
        summary,
        service: service(ctx, value),
        environment: None,
        commit: Some(after.to_string()),
        branch: Some(default_branch.to_string()),
        author: author.map(str::to_string),
        status: None,
        url: compare.map(str::to_string),
        occurred_at,
        details: details([
            (
                "repository",
                text(lookup_str(value, &["repository", "full_name"])),
            ),
            ("before", text(opt_str(obj, "before", "")?)),
            ("commits", Some(Value::from(commits))),
            (
                "forced",
                obj.get("forced").filter(|v| v.is_boolean()).cloned(),
            ),
            (
                "head_commit_url",
                text(head.and_then(|head| lookup_str(head, &["url"]))),
            ),
            ("links", super::links([super::link(compare, "Compare")])),
        ]),
    }))
}

fn merge(
    obj: &Object,
    value: &Value,
    ctx: &IntegrationContext,
) -> Result<Option<Change>, ParseError> {
    let action = req_str(obj, "action", "")?;
    let pr = req_object(obj, "pull_request", "")?;
    let merged = pr.get("merged").and_then(Value::as_bool) == Some(true);
    if action != "closed" || !merged {
        return Ok(None);
    }
    let number = opt_id(pr, "number", "pull_request")?
        .or(opt_id(obj, "number", "")?)
        .ok_or_else(|| ParseError::Missing("pull_request.number".into()))?;
    let title = req_str(pr, "title", "pull_request")?;
    // PR numbers repeat across repositories, and one organisation hook serves many: the
    // repository's full name makes the id unique for the integration.
    let external_id = match lookup_str(value, &["repository", "full_name"]) {
        Some(repo) => format!("{repo}#{number}"),
        None => number.clone(),
    };
    let pr_value = Value::Object(pr.clone());
    let html_url = opt_str(pr, "html_url", "pull_request")?;
    Ok(Some(Change {
        source: ctx.source(),
        kind: ChangeKind::Merge,
        external_id: Some(external_id),
        summary: title.to_string(),
        service: service(ctx, value),
        environment: None,
        commit: opt_str(pr, "merge_commit_sha", "pull_request")?.map(str::to_string),
        branch: lookup_str(&pr_value, &["base", "ref"]).map(str::to_string),
        author: lookup_str(&pr_value, &["user", "login"]).map(str::to_string),
        status: Some("merged".to_string()),
        url: html_url.map(str::to_string),
        occurred_at: time(&pr_value, &["merged_at"]).unwrap_or(ctx.now),
        details: details([
            (
                "repository",
                text(lookup_str(value, &["repository", "full_name"])),
            ),
            ("number", Some(Value::from(number))),
            (
                "merged_by",
                text(lookup_str(&pr_value, &["merged_by", "login"])),
            ),
            ("head_ref", text(lookup_str(&pr_value, &["head", "ref"]))),
            (
                "links",
                super::links([super::link(html_url, "Pull request")]),
            ),
        ]),
    }))
}

fn deployment(
    obj: &Object,
    value: &Value,
    ctx: &IntegrationContext,
) -> Result<Option<Change>, ParseError> {
    let deployment = req_object(obj, "deployment", "")?;
    let dep = Value::Object(deployment.clone());
    let id = opt_id(deployment, "id", "deployment")?
        .ok_or_else(|| ParseError::Missing("deployment.id".into()))?;
    let environment = lookup_str(&dep, &["environment"]);
    let git_ref = lookup_str(&dep, &["ref"]);
    Ok(Some(Change {
        source: ctx.source(),
        kind: ChangeKind::Deploy,
        external_id: Some(id),
        summary: deploy_summary(value, &dep, "created", None),
        service: service(ctx, value),
        environment: environment.map(str::to_string),
        commit: lookup_str(&dep, &["sha"]).map(str::to_string),
        branch: git_ref.map(str::to_string),
        author: lookup_str(&dep, &["creator", "login"]).map(str::to_string),
        status: Some("created".to_string()),
        url: None,
        occurred_at: time(&dep, &["created_at"]).unwrap_or(ctx.now),
        details: details([
            (
                "repository",
                text(lookup_str(value, &["repository", "full_name"])),
            ),
            ("task", text(lookup_str(&dep, &["task"]))),
            ("description", text(lookup_str(&dep, &["description"]))),
        ]),
    }))
}

fn deployment_status(
    obj: &Object,
    value: &Value,
    ctx: &IntegrationContext,
) -> Result<Option<Change>, ParseError> {
    let status_obj = req_object(obj, "deployment_status", "")?;
    let deployment = req_object(obj, "deployment", "")?;
    let dep = Value::Object(deployment.clone());
    let status = Value::Object(status_obj.clone());
    let id = opt_id(deployment, "id", "deployment")?
        .ok_or_else(|| ParseError::Missing("deployment.id".into()))?;
    let state = req_str(status_obj, "state", "deployment_status")?;
    let environment =
        lookup_str(&status, &["environment"]).or_else(|| lookup_str(&dep, &["environment"]));
    // The log of this deploy, else the deployed site, else what the deploying tool linked.
    let url = lookup_str(&status, &["log_url"])
        .or_else(|| lookup_str(&status, &["target_url"]))
        .or_else(|| lookup_str(&status, &["environment_url"]));
    Ok(Some(Change {
        source: ctx.source(),
        kind: ChangeKind::Deploy,
        external_id: Some(id),
        summary: deploy_summary(value, &dep, state, environment),
        service: service(ctx, value),
        environment: environment.map(str::to_string),
        commit: lookup_str(&dep, &["sha"]).map(str::to_string),
        branch: lookup_str(&dep, &["ref"]).map(str::to_string),
        author: lookup_str(&status, &["creator", "login"])
            .or_else(|| lookup_str(&dep, &["creator", "login"]))
            .map(str::to_string),
        status: Some(state.to_string()),
        url: url.map(str::to_string),
        occurred_at: time(&status, &["updated_at"])
            .or_else(|| time(&status, &["created_at"]))
            .unwrap_or(ctx.now),
        details: details([
            (
                "repository",
                text(lookup_str(value, &["repository", "full_name"])),
            ),
            (
                "deployment_status_id",
                lookup_id(&status, &["id"]).map(Value::from),
            ),
            ("description", text(lookup_str(&status, &["description"]))),
            (
                "environment_url",
                text(lookup_str(&status, &["environment_url"])),
            ),
            (
                "links",
                super::links([
                    super::link(lookup_str(&status, &["log_url"]), "Deploy log"),
                    super::link(lookup_str(&status, &["target_url"]), "Target"),
                    super::link(lookup_str(&status, &["environment_url"]), "Environment"),
                ]),
            ),
        ]),
    }))
}

/// "acme/api: deploy of main to production success", from whatever parts are present.
fn deploy_summary(payload: &Value, dep: &Value, state: &str, environment: Option<&str>) -> String {
    let mut summary = String::new();
    if let Some(repo) = lookup_str(payload, &["repository", "full_name"]) {
        summary.push_str(repo);
        summary.push_str(": ");
    }
    summary.push_str("deploy");
    if let Some(git_ref) = lookup_str(dep, &["ref"]) {
        summary.push_str(" of ");
        summary.push_str(git_ref);
    }
    if let Some(environment) = environment.or_else(|| lookup_str(dep, &["environment"])) {
        summary.push_str(" to ");
        summary.push_str(environment);
    }
    summary.push(' ');
    summary.push_str(state);
    summary
}

/// The integration's component when configured (it names what this hook deploys), else the
/// repository's name.
fn service(ctx: &IntegrationContext, payload: &Value) -> Option<String> {
    ctx.component
        .clone()
        .or_else(|| lookup_str(payload, &["repository", "name"]).map(str::to_string))
}

fn time(value: &Value, path: &[&str]) -> Option<Timestamp> {
    lookup_str(value, path)
        .and_then(parse_timestamp)
        .and_then(meaningful)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn an_issue_closed_or_reopened_is_an_issue_change_and_other_actions_are_not() {
        let body = |action: &str| {
            format!(
                r#"{{"action":"{action}","issue":{{"number":12,"state":"closed"}},"repository":{{"full_name":"dealix/ops"}},"sender":{{"login":"octocat"}}}}"#
            )
        };
        assert_eq!(
            issue_change("issues", body("closed").as_bytes()),
            Ok(Some(IssueChange {
                repo: "dealix/ops".into(),
                number: 12,
                closed: true,
                actor: "octocat".into(),
            }))
        );
        let reopened = issue_change("issues", body("reopened").as_bytes()).expect("parses");
        assert_eq!(reopened.map(|change| change.closed), Some(false));
        assert_eq!(issue_change("issues", body("labeled").as_bytes()), Ok(None));
        assert_eq!(issue_change("push", body("closed").as_bytes()), Ok(None));
        assert_eq!(
            issue_change(
                "issues",
                br#"{"action":"closed","repository":{"full_name":"a/b"}}"#
            ),
            Err(ParseError::Missing("issue".into()))
        );
    }

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEYS: &[&str] = &[
        "ref",
        "refs/heads/main",
        "main",
        "repository",
        "default_branch",
        "after",
        "head_commit",
        "message",
        "pull_request",
        "action",
        "closed",
        "merged",
        "number",
        "title",
        "deployment",
        "deployment_status",
        "id",
        "state",
        "environment",
        "sha",
        "pushed_at",
        "deleted",
    ];

    fn repository() -> Value {
        json!({
            "id": 6_120_331,
            "name": "checkout",
            "full_name": "acme/checkout",
            "html_url": "https://github.com/acme/checkout",
            "default_branch": "main",
            "pushed_at": 1_772_366_100,
            "owner": { "login": "acme", "id": 991 }
        })
    }

    fn push_body() -> Value {
        json!({
            "ref": "refs/heads/main",
            "before": "1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e",
            "after": "9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d",
            "created": false,
            "deleted": false,
            "forced": false,
            "base_ref": null,
            "compare": "https://github.com/acme/checkout/compare/1f3e5d7c9b2a...9c2d4e6f8a0b",
            "commits": [
                { "id": "9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d", "message": "Fix rounding in cart totals\n\nTotals were off by a cent for some currencies." }
            ],
            "head_commit": {
                "id": "9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d",
                "tree_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                "message": "Fix rounding in cart totals\n\nTotals were off by a cent for some currencies.",
                "timestamp": "2026-03-01T13:54:10+03:00",
                "url": "https://github.com/acme/checkout/commit/9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d",
                "author": { "name": "Lina Haddad", "email": "lina@acme.example", "username": "linah" },
                "committer": { "name": "GitHub", "email": "noreply@github.com", "username": "web-flow" }
            },
            "repository": repository(),
            "pusher": { "name": "linah", "email": "lina@acme.example" },
            "sender": { "login": "linah", "id": 5511 }
        })
    }

    fn pull_request_body(action: &str, merged: bool) -> Value {
        json!({
            "action": action,
            "number": 412,
            "pull_request": {
                "url": "https://api.github.com/repos/acme/checkout/pulls/412",
                "id": 2_290_118_334_u64,
                "html_url": "https://github.com/acme/checkout/pull/412",
                "number": 412,
                "state": "closed",
                "title": "Retry card captures on gateway timeouts",
                "user": { "login": "omar-k", "id": 7713 },
                "merged": merged,
                "merged_at": if merged { json!("2026-03-01T09:12:44Z") } else { Value::Null },
                "merge_commit_sha": "5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f",
                "merged_by": { "login": "linah" },
                "head": { "ref": "retry-captures", "sha": "aa11bb22cc33dd44ee55ff6677889900aabbccdd" },
                "base": { "ref": "main", "sha": "1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e" }
            },
            "repository": repository(),
            "sender": { "login": "linah" }
        })
    }

    fn deployment() -> Value {
        json!({
            "url": "https://api.github.com/repos/acme/checkout/deployments/1948226871",
            "id": 1_948_226_871_u64,
            "sha": "9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d",
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "description": "Deploy by GitHub Actions",
            "creator": { "login": "github-actions[bot]" },
            "created_at": "2026-03-01T10:55:02Z",
            "updated_at": "2026-03-01T10:55:02Z"
        })
    }

    fn status_body(state: &str) -> Value {
        json!({
            "action": "created",
            "deployment_status": {
                "id": 2_771_540_112_u64,
                "state": state,
                "creator": { "login": "github-actions[bot]" },
                "description": "Deployment finished",
                "environment": "production",
                "target_url": "https://github.com/acme/checkout/actions/runs/13570011223",
                "log_url": "https://github.com/acme/checkout/actions/runs/13570011223/job/37937711",
                "environment_url": "https://checkout.acme.example",
                "created_at": "2026-03-01T10:58:40Z",
                "updated_at": "2026-03-01T10:58:41Z"
            },
            "deployment": deployment(),
            "repository": repository(),
            "sender": { "login": "github-actions[bot]" }
        })
    }

    fn changes(event: &str, value: &Value) -> Result<Vec<Change>, ParseError> {
        let body = serde_json::to_vec(value).unwrap_or_default();
        parse(event, &body, &test_ctx("github")).map(|items| {
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
    fn a_push_to_the_default_branch_is_a_change() {
        let change = changes("push", &push_body()).expect("valid").remove(0);
        assert_eq!(change.source, "integration:github");
        assert_eq!(change.kind, ChangeKind::Push);
        assert_eq!(
            change.external_id.as_deref(),
            Some("9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d")
        );
        assert_eq!(change.commit, change.external_id);
        assert_eq!(change.summary, "Fix rounding in cart totals");
        assert_eq!(change.author.as_deref(), Some("linah"));
        assert_eq!(change.branch.as_deref(), Some("main"));
        assert_eq!(
            change.service.as_deref(),
            Some("api"),
            "the integration's component first"
        );
        assert_eq!(
            change.url.as_deref(),
            Some("https://github.com/acme/checkout/compare/1f3e5d7c9b2a...9c2d4e6f8a0b")
        );
        assert_eq!(
            change.occurred_at.to_string(),
            "2026-03-01T11:55:00Z",
            "repository.pushed_at"
        );
        assert_eq!(change.details["repository"], "acme/checkout");
        assert_eq!(change.details["commits"], 1);
    }

    #[test]
    fn pushes_elsewhere_are_ignored() {
        let mut feature = push_body();
        feature["ref"] = json!("refs/heads/retry-captures");
        assert_eq!(changes("push", &feature), Ok(vec![]));
        let mut tag = push_body();
        tag["ref"] = json!("refs/tags/main");
        assert_eq!(changes("push", &tag), Ok(vec![]));
        let mut deleted = push_body();
        deleted["deleted"] = json!(true);
        assert_eq!(changes("push", &deleted), Ok(vec![]));
    }

    #[test]
    fn without_a_component_the_service_is_the_repository() {
        let mut ctx = test_ctx("github");
        ctx.component = None;
        let body = serde_json::to_vec(&push_body()).unwrap_or_default();
        let parsed = parse("push", &body, &ctx);
        let Ok([Inbound::Change(change)]) = parsed.as_deref() else {
            panic!("expected one change")
        };
        assert_eq!(change.service.as_deref(), Some("checkout"));
    }

    #[test]
    fn a_merged_pull_request_is_a_merge() {
        let change = changes("pull_request", &pull_request_body("closed", true))
            .expect("valid")
            .remove(0);
        assert_eq!(change.kind, ChangeKind::Merge);
        assert_eq!(change.external_id.as_deref(), Some("acme/checkout#412"));
        assert_eq!(change.summary, "Retry card captures on gateway timeouts");
        assert_eq!(
            change.commit.as_deref(),
            Some("5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f")
        );
        assert_eq!(
            change.url.as_deref(),
            Some("https://github.com/acme/checkout/pull/412")
        );
        assert_eq!(change.author.as_deref(), Some("omar-k"));
        assert_eq!(change.branch.as_deref(), Some("main"));
        assert_eq!(change.status.as_deref(), Some("merged"));
        assert_eq!(change.occurred_at.to_string(), "2026-03-01T09:12:44Z");
        assert_eq!(change.details["merged_by"], "linah");
    }

    #[test]
    fn other_pull_request_actions_are_ignored() {
        for (action, merged) in [
            ("closed", false),
            ("opened", false),
            ("synchronize", false),
            ("edited", true),
        ] {
            assert_eq!(
                changes("pull_request", &pull_request_body(action, merged)),
                Ok(vec![]),
                "{action}"
            );
        }
    }

    #[test]
    fn a_deployment_is_a_created_deploy() {
        let body =
            json!({ "action": "created", "deployment": deployment(), "repository": repository() });
        let change = changes("deployment", &body).expect("valid").remove(0);
        assert_eq!(change.kind, ChangeKind::Deploy);
        assert_eq!(change.external_id.as_deref(), Some("1948226871"));
        assert_eq!(change.status.as_deref(), Some("created"));
        assert_eq!(change.environment.as_deref(), Some("production"));
        assert_eq!(
            change.commit.as_deref(),
            Some("9c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d")
        );
        assert_eq!(
            change.summary,
            "acme/checkout: deploy of main to production created"
        );
        assert_eq!(change.author.as_deref(), Some("github-actions[bot]"));
        assert_eq!(change.occurred_at.to_string(), "2026-03-01T10:55:02Z");
    }

    #[test]
    fn a_deployment_status_updates_the_same_deploy() {
        for state in ["success", "failure", "error", "in_progress"] {
            let change = changes("deployment_status", &status_body(state))
                .expect("valid")
                .remove(0);
            assert_eq!(change.kind, ChangeKind::Deploy);
            assert_eq!(
                change.external_id.as_deref(),
                Some("1948226871"),
                "the deployment's id"
            );
            assert_eq!(change.status.as_deref(), Some(state));
            assert_eq!(change.environment.as_deref(), Some("production"));
            assert_eq!(
                change.url.as_deref(),
                Some("https://github.com/acme/checkout/actions/runs/13570011223/job/37937711")
            );
            assert_eq!(change.occurred_at.to_string(), "2026-03-01T10:58:41Z");
            assert_eq!(
                change.summary,
                format!("acme/checkout: deploy of main to production {state}")
            );
        }
    }

    #[test]
    fn ping_and_other_events_are_accepted_with_nothing_to_do() {
        let ping = json!({ "zen": "Keep it logically awesome.", "hook_id": 51_200_331, "hook": { "type": "Repository" } });
        assert_eq!(changes("ping", &ping), Ok(vec![]));
        assert_eq!(
            changes("issues", &json!({ "action": "opened" })),
            Ok(vec![])
        );
        assert_eq!(changes("workflow_run", &json!({})), Ok(vec![]));
    }

    #[test]
    fn errors_name_the_field() {
        let mut no_branch = push_body();
        no_branch["repository"]
            .as_object_mut()
            .map(|r| r.remove("default_branch"));
        let mut no_after = push_body();
        no_after.as_object_mut().map(|b| b.remove("after"));
        let mut no_state = status_body("success");
        no_state["deployment_status"]
            .as_object_mut()
            .map(|s| s.remove("state"));
        let mut no_id = status_body("success");
        no_id["deployment"].as_object_mut().map(|d| d.remove("id"));
        let mut no_title = pull_request_body("closed", true);
        no_title["pull_request"]["title"] = json!(null);
        let cases: [(&str, Value, ParseError); 8] = [
            (
                "push",
                json!({ "repository": repository() }),
                ParseError::Missing("ref".into()),
            ),
            (
                "push",
                no_branch,
                ParseError::Missing("repository.default_branch".into()),
            ),
            ("push", no_after, ParseError::Missing("after".into())),
            (
                "pull_request",
                no_title,
                ParseError::Missing("pull_request.title".into()),
            ),
            (
                "deployment",
                json!({}),
                ParseError::Missing("deployment".into()),
            ),
            (
                "deployment_status",
                no_state,
                ParseError::Missing("deployment_status.state".into()),
            ),
            (
                "deployment_status",
                no_id,
                ParseError::Missing("deployment.id".into()),
            ),
            (
                "push",
                json!([]),
                ParseError::invalid("body", "must be a JSON object"),
            ),
        ];
        for (event, body, expected) in cases {
            assert_eq!(changes(event, &body), Err(expected));
        }
    }

    #[test]
    fn githubs_documented_signature_vector_verifies() {
        // docs.github.com, "Validating webhook deliveries", testing the webhook payload validation.
        let secret = b"It's a Secret to Everybody";
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(verify_signature(secret, Some(header), b"Hello, World!"));
        assert!(!verify_signature(secret, Some(header), b"Hello, World?"));
        assert!(!verify_signature(
            b"It's a secret to everybody",
            Some(header),
            b"Hello, World!"
        ));
        assert!(!verify_signature(secret, None, b"Hello, World!"));
        assert!(
            !verify_signature(secret, Some(&header[7..]), b"Hello, World!"),
            "no sha256= prefix"
        );
        assert!(!verify_signature(
            secret,
            Some("sha1=757107ea"),
            b"Hello, World!"
        ));
        assert!(!verify_signature(
            secret,
            Some("sha256=zz"),
            b"Hello, World!"
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            event in prop_oneof![Just("push"), Just("pull_request"), Just("deployment"), Just("deployment_status"), Just("ping")],
        ) {
            let _ = parse(event, &body, &test_ctx("g"));
            let _ = verify_signature(b"k", std::str::from_utf8(&body).ok(), &body);
        }

        #[test]
        fn arbitrary_json_never_panics(
            body in arbitrary_json(KEYS),
            event in prop_oneof![Just("push"), Just("pull_request"), Just("deployment"), Just("deployment_status")],
        ) {
            let _ = parse(event, &serde_json::to_vec(&body).unwrap_or_default(), &test_ctx("g"));
        }
    }
}
