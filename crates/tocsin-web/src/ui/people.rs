//! `/admin/people` (admins only): people with their role, standing and sessions, the live
//! sessions, and the API tokens; forms to disable, enable, re-role or remove a person, end a
//! session, and create (its secret shown once, on the answer to the form) or revoke a token.
//! Each change to a person ends their sessions; the last-admin rule is `accounts`'.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use tocsin_core::access::Role;
use tocsin_engine::accounts::UserChange;
use tocsin_engine::accounts::{self, AccountError};
use tocsin_engine::api_tokens::{self, ApiTokenError, NewToken};

use super::csrf::Posted;
use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

#[derive(Debug, Serialize)]
struct PersonView {
    email: String,
    role: &'static str,
    disabled: Option<When>,
    created: When,
    sessions: usize,
    me: bool,
}

#[derive(Debug, Serialize)]
struct SessionView {
    id: String,
    email: String,
    role: &'static str,
    started: When,
    last_seen: When,
    ends: When,
    mine: bool,
}

#[derive(Debug, Serialize)]
struct TokenView {
    id: String,
    name: String,
    role: &'static str,
    created: When,
    expires: Option<When>,
    last_used: Option<When>,
    revoked: Option<When>,
    /// `active`, `expired` or `revoked`.
    standing: &'static str,
}

#[derive(Debug, Serialize)]
struct NewTokenView {
    id: String,
    name: String,
    role: &'static str,
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// What the page says after a form worked (fixed sentences: the query names one, it cannot put
/// text of its own on the page).
fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "disabled" => "Disabled. They cannot sign in, and their sessions have ended.",
        "enabled" => "Enabled. They can sign in again with their password.",
        "role" => "Role changed. Their sessions have ended; they sign in again to use it.",
        "removed" => "Removed. Their sessions have ended; timelines keep their name.",
        "session" => "Session ended. That browser must sign in again.",
        "revoked" => "Token revoked. Requests with it are refused from now on.",
        _ => return None,
    })
}

/// The 403 page for anyone but an admin.
fn not_admin(ui: &Ui, user: &SignedInUser) -> Response {
    ui.message(
        StatusCode::FORBIDDEN,
        Some(user),
        "Only admins manage people and tokens",
        &format!(
            "You are signed in as {} with the {} role. Nothing was changed. Ask an admin.",
            user.email,
            user.role.as_str()
        ),
    )
}

fn parse_role(text: Option<&str>) -> Option<Role> {
    text.and_then(Role::parse)
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    Query(query): Query<PageQuery>,
) -> Response {
    if user.role != Role::Admin {
        return not_admin(&ui, &user);
    }
    let done = query.done.as_deref().and_then(done_text);
    render(&state, &ui, &user, StatusCode::OK, done, None).await
}

async fn render(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    status: StatusCode,
    done: Option<&str>,
    new_token: Option<NewToken>,
) -> Response {
    let times = Times::of(state);
    let people = state.engine.users().await;
    let sessions = state.engine.live_sessions().await;
    let tokens = state.engine.api_tokens().await;
    let (people, sessions, tokens) = match (people, sessions, tokens) {
        (Ok(people), Ok(sessions), Ok(tokens)) => (people, sessions, tokens),
        (Err(error), _, _) | (_, Err(error), _) => return ui.failure(user, &error),
        (_, _, Err(error)) => return ui.failure(user, &error),
    };
    let mut per_person: HashMap<&str, usize> = HashMap::new();
    for session in &sessions {
        *per_person.entry(session.email.as_str()).or_default() += 1;
    }
    let people: Vec<PersonView> = people
        .iter()
        .map(|person| PersonView {
            email: person.email.clone(),
            role: person.role.as_str(),
            disabled: times.when_opt(person.disabled_at),
            created: times.when(person.created_at),
            sessions: per_person.get(person.email.as_str()).copied().unwrap_or(0),
            me: person.email.eq_ignore_ascii_case(&user.email),
        })
        .collect();
    let sessions: Vec<SessionView> = sessions
        .iter()
        .map(|session| SessionView {
            id: session.id.clone(),
            email: session.email.clone(),
            role: session.role.as_str(),
            started: times.when(session.created_at),
            last_seen: times.when(session.last_seen_at),
            ends: times.when(session.expires_at),
            mine: session.id == user.session_id,
        })
        .collect();
    let tokens: Vec<TokenView> = tokens
        .iter()
        .rev()
        .map(|token| TokenView {
            id: token.id.clone(),
            name: token.name.clone(),
            role: token.role.as_str(),
            created: times.when(token.created_at),
            expires: times.when_opt(token.expires_at),
            last_used: times.when_opt(token.last_used_at),
            revoked: times.when_opt(token.revoked_at),
            standing: if token.revoked_at.is_some() {
                "revoked"
            } else if api_tokens::is_usable(token, times.now) {
                "active"
            } else {
                "expired"
            },
        })
        .collect();
    let new_token = new_token.map(|token| NewTokenView {
        id: token.id,
        name: token.name,
        role: token.role.as_str(),
        token: token.token,
    });
    ui.page(
        status,
        user,
        "people",
        "ui/people.html",
        context! {
            done => done,
            people => value(people),
            sessions => value(sessions),
            tokens => value(tokens),
            new_token => new_token.map(value),
            roles => ["viewer", "responder", "admin"],
            admin_token => accounts::admin_token_configured(&state.engine.config()),
            zone => times.zone_name(),
        },
    )
}

/// The answer that refuses a posted form, unless an admin posted it.
fn refuse_unless_admin(ui: &Ui, posted: &Posted) -> Option<Response> {
    (posted.user.role != Role::Admin).then(|| not_admin(ui, &posted.user))
}

fn back(done: &str) -> Response {
    Redirect::to(&format!("/admin/people?done={done}")).into_response()
}

/// Why a change to a person was refused, as a page.
fn account_refused(ui: &Ui, user: &SignedInUser, error: &AccountError) -> Response {
    match error {
        AccountError::NoSuchUser(email) => ui.message(
            StatusCode::NOT_FOUND,
            Some(user),
            "No such person",
            &format!(
                "There is no user with the e-mail {email}; nothing was changed. Go back to \
                 /admin/people and pick one from the list."
            ),
        ),
        AccountError::LastAdmin(email) => ui.message(
            StatusCode::CONFLICT,
            Some(user),
            "The last admin stays",
            &format!(
                "{email} is the last enabled admin and no server.admin_token is set, so this \
                 would leave nobody able to manage tocsin; nothing was changed. Make someone \
                 else an admin first."
            ),
        ),
        AccountError::InvalidEmail(email) => ui.message(
            StatusCode::BAD_REQUEST,
            Some(user),
            "Not an e-mail address",
            &format!("`{email}` is not an e-mail address; nothing was changed."),
        ),
        AccountError::Store(error) => ui.failure(user, error),
    }
}

async fn change(
    state: &AppState,
    ui: &Ui,
    posted: &Posted,
    change: UserChange,
    done: &str,
) -> Response {
    if let Some(refused) = refuse_unless_admin(ui, posted) {
        return refused;
    }
    let email = posted.field("email").unwrap_or_default();
    match state.engine.change_user(email, change).await {
        Ok(changed) => {
            tracing::info!(by = %posted.user.email, user = %changed.email, ?change, "a person was changed");
            back(done)
        }
        Err(error) => account_refused(ui, &posted.user, &error),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    let at = state.engine.now();
    change(&state, &ui, &posted, UserChange::Disable { at }, "disabled").await
}

pub async fn enable(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    change(&state, &ui, &posted, UserChange::Enable, "enabled").await
}

pub async fn role(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    let Some(role) = parse_role(posted.field("role")) else {
        if let Some(refused) = refuse_unless_admin(&ui, &posted) {
            return refused;
        }
        return ui.message(
            StatusCode::BAD_REQUEST,
            Some(&posted.user),
            "Pick a role",
            "The role must be viewer, responder or admin; nothing was changed.",
        );
    };
    change(&state, &ui, &posted, UserChange::SetRole(role), "role").await
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    change(&state, &ui, &posted, UserChange::Remove, "removed").await
}

/// Ends one session, which may be the admin's own (they sign in again).
pub async fn end_session(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    if let Some(refused) = refuse_unless_admin(&ui, &posted) {
        return refused;
    }
    let id = posted.field("session").unwrap_or_default();
    match state.engine.end_session(id).await {
        Ok(()) => {
            tracing::info!(by = %posted.user.email, "a session was ended by an admin");
            back("session")
        }
        Err(error) => ui.failure(&posted.user, &error),
    }
}

/// Makes a token and shows its secret on this one answer (never again, never in a URL).
pub async fn create_token(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    if let Some(refused) = refuse_unless_admin(&ui, &posted) {
        return refused;
    }
    let user = &posted.user;
    let now = state.engine.now();
    let Some(role) = parse_role(posted.field("role")) else {
        return ui.message(
            StatusCode::BAD_REQUEST,
            Some(user),
            "Pick a role",
            "The role must be viewer, responder or admin; no token was made.",
        );
    };
    let expires = match posted
        .field("expires")
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(text) => match api_tokens::parse_expiry(text, now) {
            Ok(at) => Some(at),
            Err(error) => return token_refused(&ui, user, &error),
        },
    };
    let name = posted.field("name").unwrap_or_default();
    match state.engine.create_api_token(name, role, expires).await {
        Ok(created) => {
            tracing::info!(by = %user.email, token = %created.id, name = %created.name, role = created.role.as_str(), "an API token was created");
            render(&state, &ui, user, StatusCode::OK, None, Some(created)).await
        }
        Err(error) => token_refused(&ui, user, &error),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    if let Some(refused) = refuse_unless_admin(&ui, &posted) {
        return refused;
    }
    let id = posted.field("id").unwrap_or_default();
    match state.engine.revoke_api_token(id).await {
        Ok(_) => {
            tracing::info!(by = %posted.user.email, token = %id, "an API token was revoked");
            back("revoked")
        }
        Err(error) => token_refused(&ui, &posted.user, &error),
    }
}

fn token_refused(ui: &Ui, user: &SignedInUser, error: &ApiTokenError) -> Response {
    match error {
        ApiTokenError::Store(error) => ui.failure(user, error),
        ApiTokenError::NoSuchToken(_) => ui.message(
            StatusCode::NOT_FOUND,
            Some(user),
            "No such token",
            &format!("{error}. Nothing was changed."),
        ),
        _ => ui.message(
            StatusCode::BAD_REQUEST,
            Some(user),
            "The token was not made",
            &format!("{error}. Go back and correct the form."),
        ),
    }
}
