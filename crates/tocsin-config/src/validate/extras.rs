//! `[status_page]`, `[postmortem]`, `[drill]` and `[[action]]`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use tocsin_core::Secret;

use super::Names;
use super::ctx::Ctx;
use super::people::weekly_time;
use crate::cron::Cron;
use crate::extras::{Action, ActionKind, Component, Drill, Postmortem, Review, StatusPage};
use crate::field::Field;
use crate::raw::{RawAction, RawDrill, RawPostmortem, RawStatusPage};
use crate::repository::{default_repository, resolve};
use crate::spans::{join_index, join_key};
use crate::types::Org;

pub(super) fn status_page(
    ctx: &mut Ctx,
    raw: &Field<RawStatusPage>,
    org: &Org,
) -> Option<StatusPage> {
    let raw = ctx.section(raw, "status_page")?;
    let title = ctx
        .get(&raw.title, "status_page.title")
        .unwrap_or_else(|| org.name.clone());
    let locale = match ctx.get(&raw.locale, "status_page.locale") {
        Some(locale) => {
            if !org.locales.contains(&locale) {
                ctx.error(
                    "status_page.locale",
                    format!("status page locale `{locale}` is not one of [org] locales"),
                    Some(format!(
                        "use one of {}, or add `{locale}` to `locales` in [org]",
                        org.locales.join(", ")
                    )),
                );
            }
            locale
        }
        None => org.default_locale().to_owned(),
    };
    let mut seen = HashMap::new();
    let mut components = Vec::new();
    for (item, raw) in ctx.items(&raw.components, "status_page.components") {
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(
                &mut seen,
                id,
                &join_key(&item, "id"),
                "status page component",
            );
        }
        let name = ctx.get(&raw.name, &join_key(&item, "name"));
        if let Some(id) = id {
            components.push(Component {
                name: name.unwrap_or_else(|| id.clone()),
                id,
            });
        }
    }
    Some(StatusPage {
        title,
        locale,
        components,
    })
}

const PLACEHOLDERS: [&str; 4] = ["date", "slug", "id", "severity"];

pub(super) fn postmortem(
    ctx: &mut Ctx,
    raw: &Field<RawPostmortem>,
    names: &Names,
    base: &Path,
) -> Option<Postmortem> {
    let raw = ctx.section(raw, "postmortem")?;
    let required_for = ctx
        .get(&raw.required_for, "postmortem.required_for")
        .unwrap_or_default();
    for (at, severity) in required_for.iter().enumerate() {
        let path = join_index("postmortem.required_for", at);
        ctx.reference(
            severity,
            &path,
            "severity",
            "[[severity]]",
            &names.severities,
        );
    }
    let dir = ctx
        .get(&raw.dir, "postmortem.dir")
        .unwrap_or_else(|| "postmortems".to_owned());
    let file = ctx
        .get(&raw.file, "postmortem.file")
        .unwrap_or_else(|| "{date}-{slug}.md".to_owned());
    file_pattern(ctx, &file);
    let sections = ctx
        .get(&raw.sections, "postmortem.sections")
        .unwrap_or_default();
    let review = ctx
        .section(&raw.review, "postmortem.review")
        .and_then(|review| {
            let every = ctx.require_duration(&review.every, "postmortem.review.every", "1w");
            let at = ctx
                .require(&review.at, "postmortem.review.at", "\"sun 10:00\"")
                .and_then(|text| weekly_time(ctx, &text, "postmortem.review.at"));
            let channel = ctx.require(&review.channel, "postmortem.review.channel", "\"...\"");
            if let Some(channel) = &channel {
                ctx.reference(
                    channel,
                    "postmortem.review.channel",
                    "channel",
                    "[[channel]]",
                    &names.channels,
                );
            }
            Some(Review {
                every: every?,
                at: at?,
                channel: channel?,
            })
        });
    let git = ctx.get(&raw.git, "postmortem.git").unwrap_or(false);
    let push = ctx.get(&raw.push, "postmortem.push").unwrap_or(false);
    if push && !git {
        ctx.error(
            "postmortem.push",
            "`push = true` needs `git = true`: only a commit can be pushed",
            Some("add `git = true` to [postmortem], or remove `push`".to_owned()),
        );
    }
    let remote = ctx
        .get(&raw.remote, "postmortem.remote")
        .unwrap_or_else(|| "origin".to_owned());
    if remote.trim().is_empty() || remote.starts_with('-') {
        ctx.error(
            "postmortem.remote",
            format!("`{remote}` is not a git remote"),
            Some("name a remote of the repository, like \"origin\", or give its URL".to_owned()),
        );
    }
    let branch = ctx.get(&raw.branch, "postmortem.branch");
    if let Some(branch) = &branch
        && !is_branch_name(branch)
    {
        ctx.error(
            "postmortem.branch",
            format!("`{branch}` is not a branch name git accepts"),
            Some(
                "use letters, digits, `-`, `_`, `.` and `/` between names, like \"main\" or \"ops/postmortems\""
                    .to_owned(),
            ),
        );
    }
    let repository = match ctx.get(&raw.repository, "postmortem.repository") {
        Some(repository) => resolve(base, Path::new(&repository)),
        None => default_repository(base),
    };
    Some(Postmortem {
        required_for,
        dir: resolve(&repository, Path::new(&dir)),
        repository,
        file,
        sections,
        review,
        git,
        push,
        remote,
        branch,
    })
}

/// A branch name safe to put in `HEAD:refs/heads/<branch>`: names of letters, digits, `-`, `_`
/// and `.` joined by single `/`, none starting with `-` or `.` or ending with `.lock`.
fn is_branch_name(branch: &str) -> bool {
    branch.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with(['-', '.'])
            && !part.ends_with(".lock")
            && !part.contains("..")
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

fn file_pattern(ctx: &mut Ctx, file: &str) {
    let help = || {
        Some(format!(
            "use the placeholders {}",
            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
        ))
    };
    let mut rest = file;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            ctx.error(
                "postmortem.file",
                format!("`{file}` has a `{{` that is not closed"),
                help(),
            );
            return;
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            ctx.error(
                "postmortem.file",
                format!("`{{{name}}}` is not a file name placeholder"),
                help(),
            );
        }
        rest = &after[close + 1..];
    }
    if file.contains('/') || file.contains('\\') {
        ctx.error(
            "postmortem.file",
            format!("`{file}` is a path, not a file name"),
            Some("put the folder in `dir` and only the name in `file`".to_owned()),
        );
    }
}

pub(super) fn drill(ctx: &mut Ctx, raw: &Field<RawDrill>, names: &Names) -> Option<Drill> {
    let raw = ctx.section(raw, "drill")?;
    let schedule = ctx
        .require(&raw.schedule, "drill.schedule", "\"0 9 1 * *\"")
        .and_then(|text| {
            Cron::parse(&text)
                .map_err(|error| ctx.error("drill.schedule", error.message, Some(error.help)))
                .ok()
        });
    let report_to = ctx.require(&raw.report_to, "drill.report_to", "\"...\"");
    if let Some(channel) = &report_to {
        ctx.reference(
            channel,
            "drill.report_to",
            "channel",
            "[[channel]]",
            &names.channels,
        );
    }
    let contacts_verified_within = ctx
        .duration(
            &raw.contacts_verified_within,
            "drill.contacts_verified_within",
            true,
        )
        .unwrap_or(Duration::from_secs(30 * 86_400));
    let confirm_within = ctx
        .duration(&raw.confirm_within, "drill.confirm_within", true)
        .unwrap_or(Duration::from_secs(24 * 3600));
    Some(Drill {
        schedule: schedule?,
        report_to: report_to?,
        contacts_verified_within,
        confirm_within,
    })
}

/// A template with each `{{ … }}` tag replaced by `x`, to check the text around the tags.
fn without_tags(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push('x');
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a template tag (`{{`, `{%`) sits before the end of the URL's host: in the scheme,
/// the user information, the host or the port.
fn tag_in_host(url: &str) -> bool {
    let Some(tag) = [url.find("{{"), url.find("{%")].into_iter().flatten().min() else {
        return false;
    };
    let authority = url.find("://").map_or(0, |at| at + 3);
    let host_end = url[authority..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |end| authority + end);
    tag < host_end
}

/// The action types, in order.
pub(crate) const ACTION_TYPES: [&str; 2] = ["http", "command"];

/// Every key an action of type `kind` accepts.
pub(crate) fn action_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "http" => &[
            "id",
            "title",
            "type",
            "confirm",
            "timeout",
            "service",
            "environment",
            "method",
            "url",
            "headers",
            "body",
        ],
        "command" => &[
            "id",
            "title",
            "type",
            "confirm",
            "timeout",
            "service",
            "environment",
            "argv",
        ],
        _ => &[
            "id",
            "title",
            "type",
            "confirm",
            "timeout",
            "service",
            "environment",
        ],
    }
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

pub(super) fn actions(ctx: &mut Ctx, raw: &Field<Vec<RawAction>>) -> Vec<Action> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "action") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[action]]");
        }
        let title = ctx.get(&raw.title, &key("title"));
        let confirm = ctx.get(&raw.confirm, &key("confirm")).unwrap_or(true);
        let timeout = ctx
            .duration(&raw.timeout, &key("timeout"), true)
            .unwrap_or(Duration::from_secs(30));
        let service = ctx.get(&raw.service, &key("service"));
        let environment = ctx.get(&raw.environment, &key("environment"));
        if !raw.kind.is_present() {
            ctx.missing(&key("type"), "\"http\"");
        }
        let kind = match ctx.choice(
            &raw.kind,
            &key("type"),
            &ACTION_TYPES.map(|kind| (kind, kind)),
        ) {
            Some("http") => {
                ctx.only_keys(&item, action_keys("http"), "an [[action]] of type `http`");
                let method = match ctx.get(&raw.method, &key("method")) {
                    Some(method) => {
                        let upper = method.to_ascii_uppercase();
                        if !METHODS.contains(&upper.as_str()) {
                            ctx.error(
                                &key("method"),
                                format!("`{method}` is not an HTTP method for an action"),
                                Some(format!("use one of {}", METHODS.join(", "))),
                            );
                        }
                        upper
                    }
                    None => "POST".to_owned(),
                };
                let url = ctx.require(&raw.url, &key("url"), "\"https://...\"");
                // A tag in the scheme or host would let an incident's text (a title, a change's
                // service) choose where the request, and its headers' credentials, go.
                let url = url.filter(|url| {
                    if !tag_in_host(url) {
                        return true;
                    }
                    ctx.error(
                        &key("url"),
                        "a template tag in the URL's scheme or host would let an incident's text \
                         choose where the request (and its headers) go",
                        Some(
                            "write the scheme and host out, and put tags only in the path or the \
                             query, like \"https://deploys.example.com/{{ change.service }}/rollback\""
                                .to_owned(),
                        ),
                    );
                    false
                });
                // Template tags (`{{ incident.id }}`) are filled in, URL-encoded, when it runs.
                let url = url.filter(|url| ctx.url(&without_tags(url), &key("url")));
                let headers: BTreeMap<String, Secret> = ctx
                    .get(&raw.headers, &key("headers"))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, value)| (name, Secret::new(value)))
                    .collect();
                let body = ctx.get(&raw.body, &key("body"));
                url.map(|url| ActionKind::Http {
                    method,
                    url,
                    headers,
                    body,
                })
            }
            Some(_) => {
                ctx.only_keys(
                    &item,
                    action_keys("command"),
                    "an [[action]] of type `command`",
                );
                let argv = ctx.require(&raw.argv, &key("argv"), "[\"/path/to/program\", \"arg\"]");
                match argv {
                    Some(argv)
                        if argv
                            .first()
                            .is_some_and(|program| !program.trim().is_empty()) =>
                    {
                        Some(ActionKind::Command { argv })
                    }
                    Some(_) => {
                        ctx.error(
                            &key("argv"),
                            "`argv` has no program",
                            Some("start `argv` with the program to run, like [\"/bin/systemctl\", \"restart\", \"app\"]".to_owned()),
                        );
                        None
                    }
                    None => None,
                }
            }
            None => None,
        };
        if let Some(kind) = &kind {
            action_templates(ctx, &item, kind);
        }
        if let (Some(id), Some(kind)) = (id, kind) {
            out.push(Action {
                title: title.unwrap_or_else(|| id.clone()),
                id,
                kind,
                confirm,
                timeout,
                service,
                environment,
            });
        }
    }
    out
}

/// Every template of an action (its URL and body, or each argument) compiles and reads only
/// `incident.*` and `change.*`.
fn action_templates(ctx: &mut Ctx, item: &str, kind: &ActionKind) {
    use super::template_vars::{ACTION, check};
    match kind {
        ActionKind::Http { url, body, .. } => {
            check(ctx, &join_key(item, "url"), url, &ACTION);
            if let Some(body) = body {
                check(ctx, &join_key(item, "body"), body, &ACTION);
            }
        }
        ActionKind::Command { argv } => {
            for (at, argument) in argv.iter().enumerate() {
                let key = crate::spans::join_index(&join_key(item, "argv"), at);
                check(ctx, &key, argument, &ACTION);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tag_in_host;

    #[test]
    fn tags_may_fill_the_path_and_query_but_not_the_host() {
        for url in [
            "https://deploys.example.com/{{ change.service }}/rollback",
            "https://deploys.example.com?id={{ incident.id }}",
            "https://deploys.example.com#{{ incident.id }}",
            "https://deploys.example.com/rollback",
        ] {
            assert!(!tag_in_host(url), "{url}");
        }
        for url in [
            "https://{{ change.service }}.example.com/rollback",
            "https://deploys.example.com:{{ incident.id }}/x",
            "https://{{ user }}@deploys.example.com/x",
            "{{ base }}/rollback",
            "http{% if x %}s{% endif %}://deploys.example.com/",
            "https://deploys.{{ change.environment }}",
        ] {
            assert!(tag_in_host(url), "{url}");
        }
    }
}
