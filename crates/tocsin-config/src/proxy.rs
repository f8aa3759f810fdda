//! The outbound proxy from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, or their
//! lower-case spellings), read once at load through the same look-up as `${VAR}`, so a test or
//! an embedding passes it in instead of it being read from the process behind everyone's back.
//!
//! Notifications, actions and the watchdog go through it; monitors' probes never do (a probe
//! measures the path to the service itself), and the CLI's own client reads the environment
//! itself. `git push` inherits the environment and so honours the same variables.

use tocsin_core::Secret;

/// The proxy settings outbound requests use. URLs are secrets: they may carry credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundProxy {
    /// For `http://` URLs: `HTTP_PROXY` (or `http_proxy`).
    pub http: Option<Secret>,
    /// For `https://` URLs: `HTTPS_PROXY` (or `https_proxy`).
    pub https: Option<Secret>,
    /// Hosts, domains and address ranges reached directly, comma-separated (`NO_PROXY`, or
    /// `no_proxy`), like `localhost,127.0.0.1,.internal,10.0.0.0/8`.
    pub no_proxy: Option<String>,
}

impl OutboundProxy {
    /// Reads the variables through `env`; an empty one counts as unset. The upper-case name
    /// wins when both are set.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let read = |upper: &str| {
            env(upper)
                .or_else(|| env(&upper.to_ascii_lowercase()))
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        OutboundProxy {
            http: read("HTTP_PROXY").map(Secret::new),
            https: read("HTTPS_PROXY").map(Secret::new),
            no_proxy: read("NO_PROXY"),
        }
    }

    /// Whether any proxy is set.
    pub fn is_set(&self) -> bool {
        self.http.is_some() || self.https.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_either_spelling_and_ignores_empty_values() {
        let env = |name: &str| match name {
            "HTTPS_PROXY" => Some("http://user:pw@proxy:3128".to_owned()),
            "https_proxy" => Some("http://other:3128".to_owned()),
            "http_proxy" => Some("http://proxy:3128".to_owned()),
            "NO_PROXY" => Some(" ".to_owned()),
            _ => None,
        };
        let proxy = OutboundProxy::from_env(&env);
        assert_eq!(
            proxy.https.as_ref().map(Secret::expose),
            Some("http://user:pw@proxy:3128")
        );
        assert_eq!(
            proxy.http.as_ref().map(Secret::expose),
            Some("http://proxy:3128")
        );
        assert_eq!(proxy.no_proxy, None);
        assert!(proxy.is_set());
        assert!(!OutboundProxy::from_env(&|_| None).is_set());
        assert!(!format!("{proxy:?}").contains("pw"));
    }
}
