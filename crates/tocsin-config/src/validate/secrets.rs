//! Secrets that guard tocsin's own doors (inbound credentials, heartbeat keys, the admin token,
//! signing secrets) must be hard to guess: one placeholder left in place is an open integration
//! through which anyone can page the team or resolve their incidents.

use tocsin_core::standard_webhooks::{self, MIN_KEY_BYTES};

use super::ctx::{Ctx, key_name};

/// Fewer characters than this is guessable, whatever the characters.
pub(crate) const MIN_SECRET_CHARS: usize = 16;

/// Values people leave in place from examples and tutorials, compared without case and with
/// separators and digits at the ends ignored ("Secret-123" is "secret").
const PLACEHOLDERS: &[&str] = &[
    "dev",
    "development",
    "test",
    "testing",
    "secret",
    "mysecret",
    "yoursecret",
    "supersecret",
    "topsecret",
    "changeme",
    "changethis",
    "replaceme",
    "password",
    "passw0rd",
    "token",
    "mytoken",
    "yourtoken",
    "apikey",
    "key",
    "admin",
    "default",
    "example",
    "placeholder",
    "xxxxxxxx",
    "todo",
    "insecure",
    "notasecret",
    "webhooksecret",
    "signingsecret",
    "qwerty",
    "letmein",
];

/// Why a secret's value is too weak, or `None` when it will do.
pub(crate) fn weakness(value: &str) -> Option<String> {
    let characters = value.chars().count();
    if characters < MIN_SECRET_CHARS {
        return Some(format!(
            "is {characters} characters long; at least {MIN_SECRET_CHARS} are needed"
        ));
    }
    let folded: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let core = folded.trim_matches(|c: char| c.is_ascii_digit());
    let one_character_repeated = core
        .chars()
        .next()
        .is_some_and(|first| core.chars().all(|c| c == first));
    if PLACEHOLDERS.contains(&core) || one_character_repeated {
        return Some("is a well-known placeholder value".to_owned());
    }
    None
}

/// Why a Standard Webhooks secret's key is too short, or `None` (its form is checked elsewhere).
pub(crate) fn key_weakness(value: &str) -> Option<String> {
    let bytes = standard_webhooks::decode_secret(value).ok()?.len();
    (bytes < MIN_KEY_BYTES).then(|| {
        format!("decodes to a {bytes}-byte key; at least {MIN_KEY_BYTES} random bytes are needed")
    })
}

/// Reports `path`'s value when it is too weak to guard a door, naming the environment variable it
/// came from so the fix is obvious. Returns whether the value is strong enough. The value itself is
/// never printed: the error may end up in a CI log.
pub(crate) fn check_strength(ctx: &mut Ctx, path: &str, what: &str, value: &str) -> bool {
    let weak = weakness(value).or_else(|| {
        // `whsec_` secrets are base64: the key's length, not the text's, is what resists guessing.
        value
            .starts_with(standard_webhooks::SECRET_PREFIX)
            .then(|| key_weakness(value))
            .flatten()
    });
    let Some(reason) = weak else {
        return true;
    };
    let key = key_name(path).to_owned();
    let variables = ctx.variables_in(path);
    let (source, set) = match variables.as_slice() {
        [] => (String::new(), format!("set `{key}`")),
        [one] if one.starts_with("file:") => {
            let file = one.trim_start_matches("file:").trim();
            (
                format!(" (from the file `{file}`)"),
                format!("write the file `{file}`"),
            )
        }
        [one] => (format!(" (from `{one}`)"), format!("set `{one}`")),
        many => (
            format!(
                " (from {})",
                many.iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "set them".to_owned(),
        ),
    };
    ctx.error(
        path,
        format!(
            "`{key}`{source} {reason}, so anyone could guess it and {what}"
        ),
        Some(format!(
            "{set} to a random value of at least {MIN_SECRET_CHARS} characters, e.g. the output of `openssl rand -hex 24`"
        )),
    );
    false
}

/// The optional Standard Webhooks secret tocsin signs what it sends with (a `webhook` or `http`
/// channel, a tickets webhook): none when absent or empty; a bad one is refused at `path`, with
/// `what` a forger could do.
pub(crate) fn outbound_signing_secret(
    ctx: &mut Ctx,
    field: &crate::field::Field<String>,
    path: &str,
    what: &str,
) -> Option<tocsin_core::Secret> {
    ctx.get(field, path)
        .filter(|secret: &String| !secret.is_empty())
        .filter(|secret| {
            check_standard_webhooks(
                ctx,
                path,
                what,
                secret,
                "make one with `echo whsec_$(openssl rand -base64 32)` and give the receiver the same",
            )
        })
        .map(tocsin_core::Secret::new)
}

/// A Standard Webhooks secret at `path`: refused when no library could decode it the way tocsin
/// does (with `help` saying where a good one comes from), then held to [`check_strength`].
pub(crate) fn check_standard_webhooks(
    ctx: &mut Ctx,
    path: &str,
    what: &str,
    value: &str,
    help: &str,
) -> bool {
    match standard_webhooks::decode_secret(value) {
        Ok(_) => check_strength(ctx, path, what, value),
        Err(error) => {
            ctx.error(
                path,
                format!("this Standard Webhooks `secret` cannot be used: {error}"),
                Some(help.to_owned()),
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_and_placeholders_are_weak() {
        assert!(weakness("dev").is_some());
        assert!(weakness("0123456789abcde").is_some(), "15 characters");
        assert!(
            weakness("changeme-changeme").is_none(),
            "long enough, not one word"
        );
        assert!(weakness("CHANGEME_1234567890").is_some());
        assert!(weakness("aaaaaaaaaaaaaaaaaaaa").is_some());
        assert!(weakness("4f2d9a8e-2c1b-4b7e-9a51").is_none());
    }

    #[test]
    fn a_whsec_key_is_measured_in_bytes() {
        assert!(key_weakness("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        // 12 bytes of key in 16 base64 characters.
        assert!(key_weakness("whsec_c2hvcnQta2V5LTEy").is_some());
    }
}
