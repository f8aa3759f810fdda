//! The request-template body of an `http` or `sms` channel: the names it may use, and the check
//! configuration runs on an operator's template (it compiles, and every name is known). The
//! sender that fills it in is `tocsin-notify`'s `http_template`.

use minijinja::Environment;

/// The names a body template may use.
pub const VARIABLES: [&str; 9] = [
    "to",
    "text",
    "code",
    "incident",
    "link",
    "title",
    "severity",
    "event",
    "delivery_id",
];

/// Whether `template` compiles and uses only [`VARIABLES`]; the error says which names are
/// unknown, or why it does not compile.
pub fn check(template: &str) -> Result<(), String> {
    let env = Environment::new();
    let compiled = env
        .template_from_str(template)
        .map_err(|err| format!("the body template does not compile: {err}"))?;
    let mut unknown: Vec<String> = compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !VARIABLES.contains(&name.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(format!(
        "the body template uses unknown variables: {} (known: {})",
        unknown.join(", "),
        VARIABLES.join(", ")
    ))
}
