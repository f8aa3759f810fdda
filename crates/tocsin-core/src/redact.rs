//! Taking secrets out of text that is shown or stored (run records, the timeline, errors, the
//! configuration page): a URL's credentials and secret-named query values, and every configured
//! secret's value wherever it appears. Viewers read run records, so redaction happens before the
//! text is kept, never when it is shown.

use std::fmt;

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Words that make a name (a query parameter, an environment variable) name a secret. Compared
/// without case, anywhere in the name: `api_key`, `access_token`, `DB_PASSWORD`, `X-Auth`.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "auth",
    "credential",
    "signature",
    "session",
    "dsn",
];

/// Whether `name` (a query parameter, an environment variable, a header) names a secret.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word)) || lower == "sig" || lower == "code"
}

/// `url` with its user information (`user:password@`) and the values of secret-named query
/// parameters replaced by [`REDACTED`]. Text that is not a URL comes back unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    match authority.rsplit_once('@') {
        Some((_, host)) => {
            out.push_str(REDACTED);
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    let (before_fragment, fragment) = match tail.find('#') {
        Some(at) => tail.split_at(at),
        None => (tail, ""),
    };
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, value))
                        if !value.is_empty() && is_secret_name(&percent_decode(name)) =>
                    {
                        format!("{name}={REDACTED}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(before_fragment),
    }
    out.push_str(fragment);
    out
}

/// The secrets inside a URL or a `key=value` connection string: the user information (whole,
/// and the password alone) and the values of secret-named query parameters or keys, as written
/// and percent-decoded.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut keep = |value: &str| {
        if !value.is_empty() {
            found.push(value.to_owned());
            let decoded = percent_decode(value);
            if decoded != value {
                found.push(decoded);
            }
        }
    };
    let Some(scheme_end) = url.find("://") else {
        // `host=db password=hunter2 user=x`: a libpq-style connection string.
        for pair in url.split_whitespace() {
            if let Some((name, value)) = pair.split_once('=')
                && is_secret_name(name)
            {
                keep(value.trim_matches(['\'', '"']));
            }
        }
        return found;
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        keep(userinfo);
        if let Some((_, password)) = userinfo.split_once(':') {
            keep(password);
        }
    }
    let before_fragment = tail.split('#').next().unwrap_or("");
    if let Some((_, query)) = before_fragment.split_once('?') {
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=')
                && is_secret_name(&percent_decode(name))
            {
                keep(value);
            }
        }
    }
    found
}

/// Every URL inside `text` (a `scheme://` run up to white space or a quote) through
/// [`redact_url`]: for error messages and arguments that carry a URL among other words.
pub fn redact_urls_in(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // The scheme: letters, digits, `+`, `-`, `.` before `://`.
        let scheme_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || "+-.".contains(*c))
            .last()
            .map_or(at, |(index, _)| index);
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || "\"'<>`()[]{}".contains(c))
            .map_or(rest.len(), |offset| at + offset);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("{text}=").as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(name, _)| name.into_owned())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (how a secret looks once
/// put in a URL).
fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// The configured secrets' values, to take out of any text before it is kept or shown.
/// `Debug` prints how many it holds, never them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    values: Vec<String>,
}

impl Redactor {
    /// Values shorter than this are not looked for: they would blank out ordinary words. The
    /// secrets that guard tocsin's doors are refused under 16 characters anyway.
    pub const MIN_CHARS: usize = 6;

    /// A redactor for `values` (and, for each, how it looks percent-encoded in a URL).
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut redactor = Redactor::default();
        for value in values {
            redactor.add(&value);
        }
        redactor
    }

    /// Adds a secret's value; one too short to look for is skipped (see [`Self::MIN_CHARS`]).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < Self::MIN_CHARS {
            return;
        }
        for form in [value.to_owned(), percent_encode(value)] {
            if !self.values.contains(&form) {
                self.values.push(form);
            }
        }
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// How many values it looks for.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values it looks for, for a test that checks a text holds none of them.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// `text` with every URL's credentials and every configured secret replaced by
    /// [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = redact_urls_in(text);
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), REDACTED);
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secret values)", self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_loses_its_credentials_and_secret_query_values() {
        assert_eq!(
            redact_url(
                "https://deploy:hunter2-long@api.example.com/v1/rollback?token=abc&env=prod#x"
            ),
            "https://[redacted]@api.example.com/v1/rollback?token=[redacted]&env=prod#x"
        );
        assert_eq!(
            redact_url("http://h/p?api_key=1&Access_Token=2&sig=3&page=4"),
            "http://h/p?api_key=[redacted]&Access_Token=[redacted]&sig=[redacted]&page=4"
        );
        assert_eq!(redact_url("http://h:8080/p"), "http://h:8080/p");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn urls_inside_text_are_redacted_in_place() {
        assert_eq!(
            redact_urls_in(
                "error sending request for url (https://u:p@h.example/x?key=k): refused"
            ),
            "error sending request for url (https://[redacted]@h.example/x?key=[redacted]): refused"
        );
        assert_eq!(
            redact_urls_in(r#"["/bin/deploy","--to=https://u:p@h/"]"#),
            r#"["/bin/deploy","--to=https://[redacted]@h/"]"#
        );
    }

    #[test]
    fn configured_values_are_replaced_wherever_they_appear() {
        let redactor = Redactor::new(["s3cret-value-1".to_owned(), "short".to_owned()]);
        assert_eq!(
            redactor.scrub(r#"["/bin/deploy","--token","s3cret-value-1"] short"#),
            r#"["/bin/deploy","--token","[redacted]"] short"#
        );
        let encoded = Redactor::new(["a b/c+d=efg".to_owned()]);
        assert_eq!(
            encoded.scrub("http://h/p?x=a%20b%2Fc%2Bd%3Defg"),
            "http://h/p?x=[redacted]"
        );
        assert!(!format!("{redactor:?}").contains("s3cret"));
    }

    #[test]
    fn the_secrets_of_a_url_or_connection_string_are_found() {
        assert_eq!(
            url_secrets("postgres://tocsin:pa%24%24word@db/tocsin?sslmode=require&api_key=k1"),
            vec![
                "tocsin:pa%24%24word",
                "tocsin:pa$$word",
                "pa%24%24word",
                "pa$$word",
                "k1"
            ]
        );
        assert_eq!(
            url_secrets("host=db user=tocsin password='hunter22'"),
            vec!["hunter22"]
        );
        assert!(url_secrets("https://status.example.com/api").is_empty());
    }

    #[test]
    fn secret_names_are_recognised() {
        for name in [
            "TOKEN",
            "HOST_API_TOKEN",
            "api_key",
            "SMTP_PASSWORD",
            "client_secret",
            "X-Auth",
            "APP_DATABASE_DSN",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["APP_URL", "page", "env", "SMTP_HOST"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
