//! Templates are checked when the configuration loads, not at 3 a.m. when they first render:
//! each must compile, and every variable it reads must exist where it renders (customer
//! `[[template]]`s, `[[action]]` URLs, bodies and arguments). The renderers use minijinja's
//! strict undefined behaviour too, so a name this check cannot see (`x[key]`) is an error when
//! rendered, never an empty string.

use minijinja::{Environment, UndefinedBehavior};

use super::ctx::Ctx;

/// The variables a kind of template may read: plain values, and objects with their fields.
#[derive(Debug)]
pub(crate) struct Vars {
    scalars: &'static [&'static str],
    objects: &'static [(&'static str, &'static [&'static str])],
}

/// A customer `[[template]]`'s subject and body (see tocsin-engine's `comms.rs`).
pub(crate) const CUSTOMER: Vars = Vars {
    scalars: &["event", "status_url"],
    objects: &[
        ("org", &["name"]),
        (
            "incident",
            &[
                "id",
                "public_title",
                "title",
                "severity",
                "component",
                "state",
                "url",
            ],
        ),
    ],
};

/// An `[[action]]`'s URL, body or argument (see tocsin-engine's `actions.rs`).
pub(crate) const ACTION: Vars = Vars {
    scalars: &[],
    objects: &[
        (
            "incident",
            &["id", "title", "severity", "category", "component"],
        ),
        (
            "change",
            &[
                "id",
                "previous_deploy_id",
                "service",
                "environment",
                "commit",
                "branch",
                "author",
                "status",
                "url",
                "summary",
            ],
        ),
    ],
};

impl Vars {
    /// Whether `name` (`incident.title`, `event`, `change`) can be read.
    fn knows(&self, name: &str) -> bool {
        let mut parts = name.split('.');
        let top = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        if self.scalars.contains(&top) {
            return rest.is_empty();
        }
        let Some((_, fields)) = self.objects.iter().find(|(object, _)| *object == top) else {
            return false;
        };
        match rest.as_slice() {
            [] => true,
            [field] => fields.contains(field),
            _ => false,
        }
    }

    /// Every readable name, for the error's help.
    fn list(&self) -> String {
        let mut names: Vec<String> = self.scalars.iter().map(|s| (*s).to_owned()).collect();
        for (object, fields) in self.objects {
            names.extend(fields.iter().map(|field| format!("{object}.{field}")));
        }
        names.join(", ")
    }
}

/// Checks the template at `key`; each problem is an error at that key naming the variable.
pub(crate) fn check(ctx: &mut Ctx, key: &str, source: &str, vars: &Vars) {
    for (message, help) in problems(key, source, vars) {
        ctx.error(key, message, Some(help));
    }
}

fn problems(key: &str, source: &str, vars: &Vars) -> Vec<(String, String)> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let template = match env.template_from_str(source) {
        Ok(template) => template,
        Err(error) => {
            return vec![(
                format!("`{key}` is not a valid template: {error}"),
                "fix the template's syntax (https://docs.rs/minijinja/latest/minijinja/syntax)"
                    .to_owned(),
            )];
        }
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|name| !vars.knows(name))
        .collect();
    unknown.sort();
    unknown
        .into_iter()
        .map(|name| {
            (
                format!("`{key}` uses the variable `{name}`, which does not exist here"),
                format!("use one of: {}", vars.list()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_variables_pass_and_unknown_ones_are_named() {
        assert!(
            problems(
                "t",
                "{{ org.name }}: {{ incident.public_title }} {{ event }}",
                &CUSTOMER
            )
            .is_empty()
        );
        assert!(
            problems(
                "t",
                "{% for x in [1] %}{{ x }}{% endfor %}{{ incident }}",
                &CUSTOMER
            )
            .is_empty()
        );
        let found = problems(
            "template[0].body",
            "{{ incident.titel }} {{ orgname }}",
            &CUSTOMER,
        );
        let messages: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`template[0].body` uses the variable `incident.titel`, which does not exist here",
                "`template[0].body` uses the variable `orgname`, which does not exist here",
            ]
        );
        assert!(found[0].1.contains("incident.public_title"));
        assert_eq!(problems("a", "{{ event.kind }}", &CUSTOMER).len(), 1);
        assert!(problems("a", "{{ change.previous_deploy_id }}", &ACTION).is_empty());
        assert_eq!(problems("a", "{{ event }}", &ACTION).len(), 1);
        assert!(
            problems("a", "{{ incident.id", &ACTION)[0]
                .0
                .contains("not a valid template")
        );
    }
}
