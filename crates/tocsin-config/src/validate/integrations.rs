//! `[[integration]]`.

use std::collections::{BTreeMap, HashMap};

use tocsin_core::Secret;

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;
use crate::integration::{Integration, IntegrationKind};
use crate::raw::RawIntegration;
use crate::spans::join_key;

/// Each type, the key holding its credential, and whether it sends alerts.
pub(crate) const TYPES: [(&str, &str, bool); 7] = [
    ("sentry", "secret", true),
    ("pagerduty", "key", true),
    ("alertmanager", "token", true),
    ("uptimerobot", "token", true),
    ("github", "secret", false),
    ("railway", "token", false),
    ("generic", "secret", true),
];

/// Ids an integration may not have: an integration's alerts are keyed `<id>:<its key>`, and
/// tocsin keys its own alerts `monitor:<monitor id>` (probes and heartbeats), `manual:<incident
/// id>` (declared by a person) and `tocsin:self:<check>` (self-monitoring). An integration with
/// one of these ids could send an alert that joins, or resolves, a monitor's incident. Refusing
/// the three names keeps every key that exists today as it is (renaming integrations' keys
/// would orphan their open incidents on upgrade) and breaks no contract: the example
/// configurations use none of them.
pub(crate) const RESERVED_IDS: [&str; 3] = ["monitor", "manual", "tocsin"];

/// Keys of integrations that open incidents.
pub(crate) const ALERT_KEYS: [&str; 5] = [
    "severity",
    "category",
    "component",
    "runbook",
    "severity_map",
];

/// Every key an integration of type `kind` accepts, in order.
pub(crate) fn allowed_keys(kind: &str) -> Vec<&'static str> {
    let Some((_, credential_key, alerts)) = TYPES.iter().find(|(name, _, _)| *name == kind) else {
        return vec!["id", "type"];
    };
    let mut allowed = vec!["id", "type", credential_key, "expect_every"];
    if *alerts {
        allowed.extend(ALERT_KEYS);
    }
    if kind == "alertmanager" {
        allowed.push("severity_label");
    }
    allowed
}

pub(super) fn integrations(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawIntegration>>,
    names: &Names,
) -> Vec<Integration> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    let choices: Vec<(&str, (&str, &str, bool))> = TYPES.iter().map(|t| (t.0, *t)).collect();
    for (item, raw) in ctx.items(raw, "integration") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[integration]]");
        }
        let id = id.filter(|id| {
            let reserved = RESERVED_IDS.contains(&id.as_str());
            if reserved {
                ctx.error(
                    &key("id"),
                    format!(
                        "the integration id `{id}` is reserved: tocsin keys its own alerts \
                         `{id}:…`, and this integration's alerts would share their keys"
                    ),
                    Some(format!(
                        "choose another id, like `{id}-hooks` (the webhook URL changes with it); \
                         reserved: {}",
                        RESERVED_IDS.join(", ")
                    )),
                );
            }
            !reserved
        });
        if !raw.kind.is_present() {
            ctx.missing(&key("type"), "\"generic\"");
        }
        let Some((kind_name, credential_key, _)) = ctx.choice(&raw.kind, &key("type"), &choices)
        else {
            continue;
        };
        let allowed = allowed_keys(kind_name);
        ctx.only_keys(
            &item,
            &allowed,
            &format!("an [[integration]] of type `{kind_name}`"),
        );

        let field = match credential_key {
            "secret" => &raw.secret,
            "key" => &raw.key,
            _ => &raw.token,
        };
        let credential = ctx.require(field, &key(credential_key), "\"${...}\"");
        let credential = credential.filter(|value| {
            if value.is_empty() {
                ctx.error(
                    &key(credential_key),
                    format!(
                        "`{credential_key}` is empty, so anyone could send to this integration"
                    ),
                    Some("set it to the value configured in the sending tool".to_owned()),
                );
            }
            !value.is_empty()
        });
        let credential = credential.filter(|value| {
            let what = "send alerts that page the team";
            if kind_name == "generic" {
                super::secrets::check_standard_webhooks(
                    ctx,
                    &key(credential_key),
                    what,
                    value,
                    "copy the whole secret from the sending tool, `whsec_` and all, or make one: `echo whsec_$(openssl rand -base64 32)`",
                )
            } else {
                super::secrets::check_strength(ctx, &key(credential_key), what, value)
            }
        });

        let severity = ctx.get(&raw.severity, &key("severity"));
        if let Some(severity) = &severity {
            ctx.reference(
                severity,
                &key("severity"),
                "severity",
                "[[severity]]",
                &names.severities,
            );
        }
        let category = ctx.get(&raw.category, &key("category"));
        let component = ctx.get(&raw.component, &key("component"));
        if let Some(component) = &component {
            ctx.reference(
                component,
                &key("component"),
                "status-page component",
                "[status_page] component",
                &names.components,
            );
        }
        let runbook = ctx.get(&raw.runbook, &key("runbook"));
        if let Some(runbook) = &runbook {
            ctx.reference(
                runbook,
                &key("runbook"),
                "runbook",
                "runbook",
                &names.runbooks,
            );
        }
        let severity_map: BTreeMap<String, String> = ctx
            .get(&raw.severity_map, &key("severity_map"))
            .unwrap_or_default();
        for (theirs, ours) in &severity_map {
            let path = join_key(&key("severity_map"), theirs);
            ctx.reference(ours, &path, "severity", "[[severity]]", &names.severities);
        }
        let needs_severity = matches!(
            kind_name,
            "sentry" | "pagerduty" | "alertmanager" | "uptimerobot"
        );
        if needs_severity && !raw.severity.is_present() && !raw.severity_map.is_present() {
            ctx.error(
                &item,
                format!("{} integration `{}` has neither `severity` nor `severity_map`", kind_name, id.as_deref().unwrap_or("")),
                Some("add `severity = \"SEV-2\"`, or a `severity_map` from the tool's levels to severity ids".to_owned()),
            );
        }
        let severity_label = ctx
            .get(&raw.severity_label, &key("severity_label"))
            .or_else(|| (kind_name == "alertmanager").then(|| "severity".to_owned()));

        let expect_every = ctx.duration(&raw.expect_every, &key("expect_every"), true);

        let Some(credential) = credential.map(Secret::new) else {
            continue;
        };
        let kind = match kind_name {
            "sentry" => IntegrationKind::Sentry { secret: credential },
            "pagerduty" => IntegrationKind::Pagerduty { key: credential },
            "alertmanager" => IntegrationKind::Alertmanager { token: credential },
            "uptimerobot" => IntegrationKind::Uptimerobot { token: credential },
            "github" => IntegrationKind::Github { secret: credential },
            "railway" => IntegrationKind::Railway { token: credential },
            _ => IntegrationKind::Generic { secret: credential },
        };
        if let Some(id) = id {
            out.push(Integration {
                id,
                kind,
                severity,
                category,
                component,
                runbook,
                severity_map,
                severity_label,
                expect_every,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::fields_of;

    #[test]
    fn every_type_key_is_an_integration_key() {
        let fields = fields_of::<RawIntegration>();
        for (_, credential, _) in TYPES {
            assert!(fields.contains(&credential));
        }
        for key in ALERT_KEYS
            .iter()
            .chain(&["id", "type", "severity_label", "expect_every"])
        {
            assert!(fields.contains(key), "{key}");
        }
        // id, type; three credentials; the alert keys; severity_label; expect_every (any type).
        assert_eq!(
            fields.len(),
            2 + 3 + ALERT_KEYS.len() + 2,
            "a new key needs a type that uses it"
        );
    }
}
