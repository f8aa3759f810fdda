//! The contacts and the routes as static pages: who to call, how to reach them, and for each kind
//! of incident the escalation ladder and the outside parties.

use std::fmt::Write as _;

use tocsin_config::{Config, Contact, Target};

use super::html::escape;

fn cell(value: Option<&str>) -> String {
    value.map(escape).unwrap_or_default()
}

fn phone(contact: &Contact) -> String {
    match &contact.phone {
        Some(phone) => format!("<a href=\"tel:{0}\">{0}</a>", escape(phone)),
        None => String::new(),
    }
}

fn email(contact: &Contact) -> String {
    match &contact.email {
        Some(email) => format!("<a href=\"mailto:{0}\">{0}</a>", escape(email)),
        None => String::new(),
    }
}

fn link(contact: &Contact) -> String {
    match &contact.url {
        Some(url) => format!("<a href=\"{0}\">{0}</a>", escape(url)),
        None => String::new(),
    }
}

/// `contacts.html`: the people (with phone and e-mail), the outside parties, the rotations.
pub fn contacts(config: &Config) -> String {
    let mut out = String::from(
        "<h1>Contacts</h1>\n<h2>People</h2>\n<table>\n<tr><th>Name</th><th>Role</th><th>Phone</th><th>E-mail</th><th>Verified on</th></tr>\n",
    );
    for contact in config.contacts.iter().filter(|contact| !contact.external) {
        let _ = writeln!(
            out,
            "<tr id=\"contact-{id}\"><td>{name}</td><td>{title}</td><td dir=\"ltr\">{phone}</td><td dir=\"ltr\">{email}</td><td>{verified}</td></tr>",
            id = escape(&contact.id),
            name = escape(&contact.name),
            title = cell(contact.title.as_deref()),
            phone = phone(contact),
            email = email(contact),
            verified = contact
                .verified_on
                .map(|date| date.to_string())
                .unwrap_or_default(),
        );
    }
    out.push_str("</table>\n<h2>Outside parties</h2>\n<table>\n<tr><th>Name</th><th>Role</th><th>Phone</th><th>E-mail</th><th>Link</th></tr>\n");
    for contact in config.contacts.iter().filter(|contact| contact.external) {
        let _ = writeln!(
            out,
            "<tr id=\"contact-{id}\"><td>{name}</td><td>{title}</td><td dir=\"ltr\">{phone}</td><td dir=\"ltr\">{email}</td><td dir=\"ltr\">{link}</td></tr>",
            id = escape(&contact.id),
            name = escape(&contact.name),
            title = cell(contact.title.as_deref()),
            phone = phone(contact),
            email = email(contact),
            link = link(contact),
        );
    }
    out.push_str("</table>\n<h2>On-call rotations</h2>\n<p>Where a schedule has several layers, a later layer is on call in its hours, else the one before it.</p>\n<table>\n<tr><th>Schedule</th><th>Members, in turn</th><th>Each for</th><th>Hand-off</th><th>On call</th></tr>\n");
    for schedule in &config.schedules {
        for (at, layer) in schedule.layers.iter().enumerate() {
            let members: Vec<String> = layer
                .members
                .iter()
                .map(|id| contact_link(config, id))
                .collect();
            let id = if schedule.layers.len() > 1 {
                format!("{} (layer {})", schedule.id, at + 1)
            } else {
                schedule.id.clone()
            };
            let _ = writeln!(
                out,
                "<tr><td>{id}</td><td>{members}</td><td>{every}</td><td>{handoff} ({zone})</td><td>{hours}</td></tr>",
                id = escape(&id),
                members = members.join(", "),
                every = escape(&tocsin_core::format_duration(layer.every)),
                handoff = escape(&layer.handoff.to_string()),
                zone = escape(&schedule.timezone),
                hours = escape(&layer.hours()),
            );
        }
    }
    out.push_str("</table>\n");
    out
}

/// A contact's name, linking to its row on the contacts page.
fn contact_link(config: &Config, id: &str) -> String {
    let name = config
        .contact(id)
        .map_or(id, |contact| contact.name.as_str());
    format!(
        "<a href=\"contacts.html#contact-{}\">{}</a>",
        escape(id),
        escape(name)
    )
}

fn target(config: &Config, target: &Target) -> String {
    match target {
        Target::Contact(id) => contact_link(config, id),
        Target::Schedule(id) => format!("whoever is on call in <em>{}</em>", escape(id)),
    }
}

/// `routes.html`: per category, the escalation ladder and the outside parties to call.
pub fn routes(config: &Config) -> String {
    let mut out = String::from("<h1>Routes</h1>\n");
    for route in &config.routes {
        let _ = writeln!(
            out,
            "<h2 id=\"route-{category}\">{title} <small>({category})</small></h2>",
            category = escape(&route.category),
            title = escape(&route.title),
        );
        match route
            .escalation
            .as_deref()
            .and_then(|id| config.escalation(id))
        {
            Some(escalation) => {
                let _ = writeln!(
                    out,
                    "<p>Escalation <em>{}</em>:</p>\n<ol>",
                    escape(&escalation.id)
                );
                for step in &escalation.steps {
                    let targets: Vec<String> =
                        step.targets.iter().map(|t| target(config, t)).collect();
                    let _ = writeln!(
                        out,
                        "<li>{}, then waits {} for an acknowledgement</li>",
                        targets.join(", "),
                        escape(&tocsin_core::format_duration(step.after)),
                    );
                }
                out.push_str("</ol>\n");
                if escalation.repeat > 0 {
                    let _ = writeln!(
                        out,
                        "<p>Then the whole ladder again, {} more time(s).</p>",
                        escalation.repeat
                    );
                }
            }
            None => out.push_str("<p>No escalation: nobody is paged for this category.</p>\n"),
        }
        if !route.call.is_empty() {
            let parties: Vec<String> = route
                .call
                .iter()
                .map(|id| contact_link(config, id))
                .collect();
            let _ = writeln!(
                out,
                "<p>Outside parties to call: {}</p>",
                parties.join(", ")
            );
        }
    }
    if config.routes.is_empty() {
        out.push_str("<p>No routes are configured.</p>\n");
    }
    out
}
