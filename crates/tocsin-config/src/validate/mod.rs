//! Phase three: from the raw document to the typed, validated [`Config`], collecting every
//! problem rather than stopping at the first.

pub(crate) mod channels;
mod comms;
mod core;
pub(crate) mod ctx;
pub(crate) mod extras;
mod fields;
pub(crate) mod hints;
mod http_limits;
pub(crate) mod integrations;
mod label_routes;
pub(crate) mod maintenance;
pub(crate) mod monitors;
mod ops;
mod people;
mod reach;
pub(crate) mod runbooks;
mod schedules;
pub(crate) mod secrets;
mod sms;
mod template_vars;
pub(crate) mod tickets;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::config::Config;
use crate::error::ConfigWarning;
use crate::raw::RawRoot;
use ctx::Ctx;
use hints::Known;
use runbooks::RunbookFile;

/// The ids each section defines, read from the raw document before validation so that every
/// cross-reference can be checked where it is written.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub severities: Known,
    pub channels: Known,
    /// Channel id → its `type`.
    pub channel_types: HashMap<String, String>,
    pub contacts: Known,
    pub external: HashSet<String>,
    /// Contacts with at least one paging method.
    pub pageable: HashSet<String>,
    pub schedules: Known,
    pub escalations: Known,
    pub templates: Known,
    pub monitors: Known,
    pub actions: Known,
    pub components: Known,
    pub runbooks: Known,
    pub has_smtp: bool,
    pub locales: Vec<String>,
}

impl Names {
    fn collect(raw: &RawRoot, runbooks: &[RunbookFile]) -> Names {
        let ids =
            |list: Vec<Option<&String>>| list.into_iter().flatten().cloned().collect::<Known>();
        let mut names = Names {
            severities: ids(raw
                .severity
                .ok()
                .into_iter()
                .flatten()
                .map(|s| s.id.ok())
                .collect()),
            channels: ids(raw
                .channel
                .ok()
                .into_iter()
                .flatten()
                .map(|c| c.id.ok())
                .collect()),
            contacts: ids(raw
                .contact
                .ok()
                .into_iter()
                .flatten()
                .map(|c| c.id.ok())
                .collect()),
            schedules: ids(raw
                .schedule
                .ok()
                .into_iter()
                .flatten()
                .map(|s| s.id.ok())
                .collect()),
            escalations: ids(raw
                .escalation
                .ok()
                .into_iter()
                .flatten()
                .map(|e| e.id.ok())
                .collect()),
            templates: ids(raw
                .template
                .ok()
                .into_iter()
                .flatten()
                .map(|t| t.id.ok())
                .collect()),
            monitors: ids(raw
                .monitor
                .ok()
                .into_iter()
                .flatten()
                .map(|m| m.id.ok())
                .collect()),
            actions: ids(raw
                .action
                .ok()
                .into_iter()
                .flatten()
                .map(|a| a.id.ok())
                .collect()),
            components: ids(raw
                .status_page
                .ok()
                .and_then(|page| page.components.ok())
                .into_iter()
                .flatten()
                .map(|c| c.id.ok())
                .collect()),
            runbooks: runbooks.iter().map(|file| file.id.clone()).collect(),
            has_smtp: raw.smtp.is_present(),
            ..Names::default()
        };
        for channel in raw.channel.ok().into_iter().flatten() {
            if let (Some(id), Some(kind)) = (channel.id.ok(), channel.kind.ok()) {
                names.channel_types.insert(id.clone(), kind.clone());
            }
        }
        for contact in raw.contact.ok().into_iter().flatten() {
            let Some(id) = contact.id.ok() else { continue };
            if contact.external.ok() == Some(&true) {
                names.external.insert(id.clone());
            }
            if contact
                .methods
                .ok()
                .is_some_and(|methods| !methods.is_empty())
            {
                names.pageable.insert(id.clone());
            }
        }
        names.locales = raw
            .org
            .ok()
            .and_then(|org| org.locales.ok().cloned())
            .filter(|locales| !locales.is_empty())
            .unwrap_or_else(|| vec!["en".to_owned()]);
        names
    }
}

/// Validates a deserialized document (and its runbook files) into a [`Config`]; the problems
/// found go to `ctx` and to each runbook file's own context.
pub(crate) fn validate(
    ctx: &mut Ctx,
    raw: &RawRoot,
    path: &Path,
    runbook_files: &mut [RunbookFile],
) -> Config {
    let names = Names::collect(raw, runbook_files);
    let base = path.parent().unwrap_or_else(|| Path::new(""));

    let server = core::server(ctx, &raw.server);
    let org = core::org(ctx, &raw.org);
    let severities = core::severities(ctx, &raw.severity, &names);
    let engine = core::engine(ctx, &raw.engine);
    let contacts = people::contacts(ctx, &raw.contact, &names);
    let schedules = schedules::schedules(ctx, &raw.schedule, &names, &org.timezone);
    let escalations = people::escalations(ctx, &raw.escalation, &names);
    let routes = people::routes(ctx, &raw.route, &names);
    let label_routes = label_routes::label_routes(ctx, &raw.route, &names);
    let smtp = channels::smtp(ctx, &raw.smtp);
    let channel_list = channels::channels(ctx, &raw.channel, &names);
    let templates = channels::templates(ctx, &raw.template, &names);
    comms::resolved_templates(ctx, &raw.severity, &channel_list, &templates);
    let monitors = monitors::monitors(ctx, &raw.monitor, &names);
    let integrations = integrations::integrations(ctx, &raw.integration, &names);
    let status_page = extras::status_page(ctx, &raw.status_page, &org);
    let postmortem = extras::postmortem(ctx, &raw.postmortem, &names, base);
    let drill = extras::drill(ctx, &raw.drill, &names);
    let actions = extras::actions(ctx, &raw.action);
    let maintenance = maintenance::windows(ctx, &raw.maintenance, &names);
    let runbooks = runbooks::validate_all(runbook_files, &names);
    let watchdog = ops::watchdog(ctx, &raw.watchdog);
    let self_monitoring = ops::self_monitoring(ctx, &raw.self_monitoring, &names);
    let tickets = tickets::tickets(ctx, &raw.tickets, &names);
    reach::severities_reach_someone(
        ctx,
        &raw.severity,
        &severities,
        &routes,
        &label_routes,
        &names,
    );

    // Sections that must be present as a whole.
    if !raw.org.is_present() {
        ctx.error_at(
            0,
            "missing required section [org]",
            Some("add `[org]` with at least `name = \"...\"`".to_owned()),
        );
    }
    let mut config = Config {
        path: path.to_path_buf(),
        warnings: std::mem::take(&mut ctx.warnings)
            .into_iter()
            .map(ConfigWarning)
            .collect(),
        server,
        org,
        severities,
        contacts,
        schedules,
        escalations,
        routes,
        label_routes,
        smtp,
        channels: channel_list,
        templates,
        monitors,
        integrations,
        runbooks,
        status_page,
        postmortem,
        drill,
        actions,
        engine,
        maintenance,
        watchdog,
        self_monitoring,
        tickets,
        redactor: Default::default(),
        // Read from the environment by `load_str`, after validation.
        outbound_proxy: Default::default(),
    };
    config.redactor = crate::secret_values::redactor(&config, &ctx.expanded_secrets);
    config
}
