//! Stories of people and API tokens: every change to a person ends their sessions, the last
//! enabled admin stays when asked to, and a token is found, touched and revoked by its record.

use super::Backend;
use super::fixtures::t;
use crate::{ApiTokenRecord, Role, SessionRecord, UserChange, UserChanged, UserRecord};

fn person(email: &str, role: Role) -> UserRecord {
    UserRecord {
        id: 0,
        email: email.to_owned(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$salt$hash".to_owned(),
        created_at: t(0),
        password_changed_at: t(0),
        disabled_at: None,
    }
}

fn session(id: &str, user_id: i64) -> SessionRecord {
    SessionRecord {
        id: id.to_owned(),
        user_id,
        csrf_token: format!("csrf-{id}"),
        created_at: t(10),
        last_seen_at: t(10),
        expires_at: t(100_000),
    }
}

/// Disabling, enabling, a new role and removal each end the person's sessions and no one
/// else's; a change that would leave no enabled admin is refused, changing nothing, when the
/// caller asks to keep one.
pub async fn a_changed_person_loses_their_sessions_and_the_last_admin_stays(backend: &dyn Backend) {
    let store = backend.open("a").await;
    for (email, role) in [
        ("ana@example.com", Role::Admin),
        ("bo@example.com", Role::Responder),
    ] {
        assert!(store.add_user(&person(email, role)).await.expect("add"));
    }
    let id_of = |email: &'static str| {
        let store = store.clone();
        async move {
            store
                .user_by_email(email)
                .await
                .expect("read")
                .expect("the person")
                .id
        }
    };
    let (ana, bo) = (
        id_of("ana@example.com").await,
        id_of("bo@example.com").await,
    );
    let alive = |id: &'static str| {
        let store = store.clone();
        async move { store.session(id).await.expect("session").is_some() }
    };

    let changes = [
        UserChange::Disable { at: t(20) },
        UserChange::Enable,
        UserChange::SetRole(Role::Viewer),
    ];
    for change in changes {
        store
            .add_session(&session("ana-1", ana))
            .await
            .expect("add");
        store.add_session(&session("bo-1", bo)).await.expect("add");
        let changed = store
            .change_user("BO@example.com", change, true)
            .await
            .expect("change");
        assert!(
            matches!(changed, UserChanged::Changed(_)),
            "{change:?}: {changed:?}"
        );
        assert!(!alive("bo-1").await, "{change:?} ends bo's session");
        assert!(alive("ana-1").await, "{change:?} leaves ana's alone");
        store.delete_session("ana-1").await.expect("delete");
    }
    let bo_now = store
        .user_by_email("bo@example.com")
        .await
        .expect("read")
        .expect("bo");
    assert_eq!(bo_now.role, Role::Viewer);
    assert_eq!(bo_now.disabled_at, None, "enabled again");

    let disabled = store
        .change_user("bo@example.com", UserChange::Disable { at: t(30) }, true)
        .await
        .expect("disable");
    let UserChanged::Changed(disabled) = disabled else {
        panic!("{disabled:?}");
    };
    assert_eq!(disabled.disabled_at, Some(t(30)));
    let again = store
        .change_user("bo@example.com", UserChange::Disable { at: t(40) }, true)
        .await
        .expect("disable again");
    assert!(
        matches!(&again, UserChanged::Changed(user) if user.disabled_at == Some(t(30))),
        "the first time is kept: {again:?}"
    );

    // Ana is the only enabled admin: each way of losing her is refused and changes nothing.
    store
        .add_session(&session("ana-2", ana))
        .await
        .expect("add");
    for change in [
        UserChange::Disable { at: t(50) },
        UserChange::SetRole(Role::Responder),
        UserChange::Remove,
    ] {
        assert_eq!(
            store
                .change_user("ana@example.com", change, true)
                .await
                .expect("refused"),
            UserChanged::LastAdmin,
            "{change:?}"
        );
        assert!(alive("ana-2").await, "a refused {change:?} ends nothing");
    }
    let ana_now = store
        .user_by_email("ana@example.com")
        .await
        .expect("read")
        .expect("ana");
    assert_eq!(
        (ana_now.role, ana_now.disabled_at),
        (Role::Admin, None),
        "unchanged"
    );

    // Without the rule (a bootstrap token stands in), she can go; so can an unknown address not.
    assert!(matches!(
        store
            .change_user("ana@example.com", UserChange::Remove, false)
            .await
            .expect("remove"),
        UserChanged::Changed(_)
    ));
    assert!(!alive("ana-2").await);
    assert!(
        store
            .user_by_email("ana@example.com")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store
            .change_user("nobody@example.com", UserChange::Enable, false)
            .await
            .expect("change"),
        UserChanged::NoSuchUser
    );
    let listed: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|user| user.email)
        .collect();
    assert_eq!(listed, ["bo@example.com"]);

    // Live sessions are listed with their people, newest first; an ended one is not.
    store.add_session(&session("bo-2", bo)).await.expect("add");
    let mut old = session("bo-old", bo);
    old.created_at = t(5);
    old.expires_at = t(15);
    store.add_session(&old).await.expect("add");
    let live = store.live_sessions(t(20)).await.expect("live");
    let listed: Vec<(&str, &str)> = live
        .iter()
        .map(|(session, user)| (session.id.as_str(), user.email.as_str()))
        .collect();
    assert_eq!(listed, [("bo-2", "bo@example.com")]);
}

/// A token is found by its hash with its name and expiry, touched without ever moving back,
/// listed without its secret, and revoked once: a second revoke keeps the first time.
pub async fn an_api_token_is_found_touched_listed_and_revoked(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let deploy = ApiTokenRecord {
        id: "tok_ab12cd34".to_owned(),
        name: "ci-deploy".to_owned(),
        role: Role::Responder,
        created_at: t(0),
        expires_at: Some(t(3600)),
        last_used_at: None,
        revoked_at: None,
    };
    let grafana = ApiTokenRecord {
        id: "tok_ef56ab78".to_owned(),
        name: "grafana".to_owned(),
        role: Role::Viewer,
        created_at: t(1),
        expires_at: None,
        ..deploy.clone()
    };
    store.add_api_token(&deploy, "hash-1").await.expect("add");
    store.add_api_token(&grafana, "hash-2").await.expect("add");

    assert_eq!(
        store.api_token("hash-1").await.expect("read"),
        Some(deploy.clone())
    );
    assert_eq!(store.api_token("hash-3").await.expect("read"), None);

    store
        .touch_api_token("tok_ab12cd34", t(100))
        .await
        .expect("touch");
    store
        .touch_api_token("tok_ab12cd34", t(50))
        .await
        .expect("touch");
    let touched = store
        .api_token("hash-1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(touched.last_used_at, Some(t(100)), "never moved back");

    assert_eq!(
        store
            .revoke_api_token("tok_ab12cd34", t(200))
            .await
            .expect("revoke"),
        Some(t(200))
    );
    assert_eq!(
        store
            .revoke_api_token("tok_ab12cd34", t(300))
            .await
            .expect("revoke"),
        Some(t(200)),
        "the first revocation stands"
    );
    assert_eq!(
        store
            .revoke_api_token("tok_nope", t(300))
            .await
            .expect("revoke"),
        None
    );

    let listed = store.api_tokens().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|token| (token.name.as_str(), token.revoked_at))
            .collect::<Vec<_>>(),
        [("ci-deploy", Some(t(200))), ("grafana", None)],
        "revoked tokens stay listed, oldest first"
    );
}
