//! Sessions: the `tocsin_session` cookie, the extractor that turns it into a signed-in person
//! (or sends the browser to `/login?next=…`), and the roles that decide who may act.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tocsin_core::access::Role;
use tocsin_engine::users::{SESSION_LIFETIME, SessionUser};

use crate::AppState;

pub const COOKIE: &str = "tocsin_session";

/// A request from a valid session.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub session_id: String,
    pub csrf_token: String,
    pub email: String,
    pub role: Role,
}

impl SignedInUser {
    /// Whether this person may change incidents (responders and admins).
    pub fn can_act(&self) -> bool {
        self.role >= Role::Responder
    }
}

impl From<SessionUser> for SignedInUser {
    fn from(session: SessionUser) -> Self {
        SignedInUser {
            session_id: session.session_id,
            csrf_token: session.csrf_token,
            email: session.email,
            role: session.role,
        }
    }
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The session, if the request carries a valid one.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedInUser>, Response> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    match state.engine.session(&token).await {
        Ok(session) => Ok(session.map(SignedInUser::from)),
        Err(error) => Err(crate::ApiError::from(error).into_response()),
    }
}

impl FromRequestParts<AppState> for SignedInUser {
    /// A redirect to the sign-in page (which brings the person back afterwards).
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match current(state, &parts.headers).await? {
            Some(user) => Ok(user),
            None => {
                // A form posted after the session ended returns to the page it came from.
                let back = if parts.method == axum::http::Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map_or("/incidents", |target| target.as_str())
                        .to_owned()
                } else {
                    incident_page_of(parts.uri.path())
                };
                Err(Redirect::to(&format!("/login?next={}", percent_encode(&back))).into_response())
            }
        }
    }
}

/// `/incidents/{id}` for a form under it; the incident list otherwise.
fn incident_page_of(path: &str) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("incidents"), Some(id)) if !id.is_empty() && id != "fragment" => {
            format!("/incidents/{id}")
        }
        _ => "/incidents".to_owned(),
    }
}

/// Where to go after signing in: only a path on this site, never `//host` or `https://…`, which
/// would make tocsin's sign-in page an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    let fallback = "/incidents".to_owned();
    let Some(next) = next else {
        return fallback;
    };
    let same_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    let loops = next.starts_with("/login") || next.starts_with("/logout");
    if same_site && !loops {
        next.to_owned()
    } else {
        fallback
    }
}

/// Percent-encodes everything but unreserved characters and `/`, for a path in a query value.
pub fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// The `Set-Cookie` value that opens a session. `Secure` when tocsin is served over HTTPS.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookie(state, token, SESSION_LIFETIME.as_secs())
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn cleared_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0)
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state
        .engine
        .config()
        .server
        .public_url
        .starts_with("https://")
    {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}");
    // The token is hex, so the value is always a valid header; the fallback only guards that.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("tocsin_session=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/incidents/42?x=1")), "/incidents/42?x=1");
        assert_eq!(safe_next(Some("/monitors")), "/monitors");
        for hostile in [
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/login?next=/x",
            "/logout",
            "/a\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/incidents", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/incidents");
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tocsin_session=abc; b=2"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("tocsin_session="));
        assert_eq!(session_token(&headers), None);
    }

    #[test]
    fn a_form_posted_after_the_session_ended_comes_back_to_its_incident() {
        assert_eq!(
            incident_page_of("/incidents/abc/acknowledge"),
            "/incidents/abc"
        );
        assert_eq!(incident_page_of("/logout"), "/incidents");
        assert_eq!(
            percent_encode("/incidents?state=all&x=a b"),
            "/incidents%3Fstate%3Dall%26x%3Da%20b"
        );
    }
}
