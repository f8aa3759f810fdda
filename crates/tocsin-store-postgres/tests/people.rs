//! PeopleStore on a real PostgreSQL: users whatever the case of their e-mail, sessions with
//! their person, API tokens, schedule overrides, and settings created once by racing replicas.

use jiff::{SignedDuration, Timestamp};
use tocsin_store::{
    ApiTokenRecord, OverrideRecord, PeopleStore, Role, SessionRecord, UserChange, UserChanged,
    UserRecord,
};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

/// A fixed instant, `seconds` after a base, so tests never depend on the clock.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("time") + SignedDuration::from_secs(seconds)
}

fn user(email: &str, role: Role) -> UserRecord {
    UserRecord {
        id: 0,
        email: email.to_owned(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$salt$hash".to_owned(),
        created_at: at(0),
        password_changed_at: at(0),
        disabled_at: None,
    }
}

fn session(id: &str, user_id: i64, created: i64, expires: i64) -> SessionRecord {
    SessionRecord {
        id: id.to_owned(),
        user_id,
        csrf_token: format!("csrf-{id}"),
        created_at: at(created),
        last_seen_at: at(created),
        expires_at: at(expires),
    }
}

async fn open(database: &PgScratch) -> PgStore {
    PgStore::open(database.url(), &PgOptions::default())
        .await
        .expect("open")
}

#[tokio::test]
async fn users_are_one_per_address_whatever_its_case() {
    let database = PgScratch::create().await;
    let store = open(&database).await;

    assert!(
        store
            .add_user(&user("Ana@Example.com", Role::Admin))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_user(&user("ana@example.COM", Role::Viewer))
            .await
            .unwrap(),
        "the same address in another case is taken"
    );
    assert!(
        store
            .add_user(&user("bo@example.com", Role::Viewer))
            .await
            .unwrap()
    );

    let ana = store
        .user_by_email("ANA@EXAMPLE.COM")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(ana.email, "Ana@Example.com", "kept as written");
    assert_eq!(ana.role, Role::Admin, "the first one stays");
    assert_eq!(ana.created_at, at(0));
    assert!(
        store
            .user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_new_password_ends_every_session_of_its_person() {
    let database = PgScratch::create().await;
    let store = open(&database).await;
    store
        .add_user(&user("ana@example.com", Role::Responder))
        .await
        .unwrap();
    store
        .add_user(&user("bo@example.com", Role::Viewer))
        .await
        .unwrap();
    let ana = store
        .user_by_email("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    let bo = store
        .user_by_email("bo@example.com")
        .await
        .unwrap()
        .unwrap();
    store
        .add_session(&session("a1", ana.id, 10, 1000))
        .await
        .unwrap();
    store
        .add_session(&session("a2", ana.id, 11, 1000))
        .await
        .unwrap();
    store
        .add_session(&session("b1", bo.id, 12, 1000))
        .await
        .unwrap();

    assert!(
        store
            .set_password("ANA@example.com", "new-hash", at(20))
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_password("nobody@example.com", "x", at(20))
            .await
            .unwrap()
    );

    let ana = store
        .user_by_email("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ana.password_hash, "new-hash");
    assert_eq!(ana.password_changed_at, at(20));
    assert!(store.session("a1").await.unwrap().is_none());
    assert!(store.session("a2").await.unwrap().is_none());
    assert!(
        store.session("b1").await.unwrap().is_some(),
        "someone else's stays"
    );
}

#[tokio::test]
async fn sessions_come_back_with_their_person() {
    let database = PgScratch::create().await;
    let store = open(&database).await;
    store
        .add_user(&user("Ana@Example.com", Role::Responder))
        .await
        .unwrap();
    let ana = store
        .user_by_email("ana@example.com")
        .await
        .unwrap()
        .unwrap();

    let first = session("s1", ana.id, 10, 100);
    store.add_session(&first).await.unwrap();
    let (found, person) = store.session("s1").await.unwrap().expect("found");
    assert_eq!(found, first);
    assert_eq!(person, ana);
    assert!(store.session("nope").await.unwrap().is_none());

    // Activity moves `last_seen_at` forward, never back.
    store.touch_session("s1", at(50)).await.unwrap();
    store.touch_session("s1", at(30)).await.unwrap();
    let (found, _) = store.session("s1").await.unwrap().unwrap();
    assert_eq!(found.last_seen_at, at(50));

    // A session added after another has expired sweeps it away.
    store
        .add_session(&session("s2", ana.id, 100, 200))
        .await
        .unwrap();
    assert!(
        store.session("s1").await.unwrap().is_none(),
        "expired at 100"
    );
    assert!(store.session("s2").await.unwrap().is_some());

    store.delete_session("s2").await.unwrap();
    assert!(store.session("s2").await.unwrap().is_none());
    store.delete_session("s2").await.unwrap();
}

fn token(id: &str, role: Role, created: i64) -> ApiTokenRecord {
    ApiTokenRecord {
        id: id.to_owned(),
        name: format!("name-{id}"),
        role,
        created_at: at(created),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    }
}

#[tokio::test]
async fn api_tokens_keep_their_role() {
    let database = PgScratch::create().await;
    let store = open(&database).await;
    let responder = token("t1", Role::Responder, 0);
    let admin = token("t2", Role::Admin, 1);
    store.add_api_token(&responder, "hash-1").await.unwrap();
    store.add_api_token(&admin, "hash-2").await.unwrap();

    assert_eq!(store.api_token("hash-1").await.unwrap(), Some(responder));
    assert_eq!(store.api_token("hash-2").await.unwrap(), Some(admin));
    assert_eq!(store.api_token("hash-3").await.unwrap(), None);
    assert!(
        store
            .add_api_token(&token("t3", Role::Viewer, 2), "hash-1")
            .await
            .is_err(),
        "one role per hash"
    );
}

/// Two replicas each demoting a different one of the last two admins at once: one wins, the
/// other is told it would leave no admin, and one admin stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_demoting_the_last_two_admins_at_once_leave_one() {
    let database = PgScratch::create().await;
    let stores = [open(&database).await, open(&database).await];
    for round in 0..10 {
        let (a, b) = (
            format!("a{round}@example.com"),
            format!("b{round}@example.com"),
        );
        for email in [&a, &b] {
            assert!(stores[0].add_user(&user(email, Role::Admin)).await.unwrap());
        }
        let (first, second) = tokio::join!(
            stores[0].change_user(&a, UserChange::SetRole(Role::Viewer), true),
            stores[1].change_user(&b, UserChange::Disable { at: at(5) }, true),
        );
        let outcomes = [first.unwrap(), second.unwrap()];
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, UserChanged::LastAdmin))
                .count(),
            1,
            "round {round}: {outcomes:?}"
        );
        let admins = stores[0]
            .users()
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin && u.disabled_at.is_none())
            .count();
        assert_eq!(admins, 1, "round {round}");
        // Make room for the next round: neither of this round's people is an admin any more.
        for email in [&a, &b] {
            stores[0]
                .change_user(email, UserChange::Remove, false)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn overrides_that_have_not_ended_in_start_order() {
    let database = PgScratch::create().await;
    let store = open(&database).await;
    let entry = |id: &str, starts: i64, ends: i64| OverrideRecord {
        id: id.to_owned(),
        schedule: "primary".to_owned(),
        contact: format!("contact-{id}"),
        starts_at: at(starts),
        ends_at: at(ends),
        created_by: "ana@example.com".to_owned(),
        created_at: at(0),
    };
    for record in [
        entry("past", 0, 100),
        entry("later", 500, 600),
        entry("b-now", 50, 400),
        entry("a-now", 50, 300),
    ] {
        store.add_override(&record).await.unwrap();
    }

    let current = store.overrides(at(100)).await.unwrap();
    let ids: Vec<&str> = current.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["a-now", "b-now", "later"], "by start, then id");
    assert_eq!(current[2], entry("later", 500, 600));

    assert!(store.delete_override("b-now").await.unwrap());
    assert!(!store.delete_override("b-now").await.unwrap());
    assert_eq!(store.overrides(at(100)).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_racing_to_create_a_setting_get_the_same_value() {
    let database = PgScratch::create().await;
    let stores = [open(&database).await, open(&database).await];

    for round in 0..20 {
        let name = format!("secret-{round}");
        let racers: Vec<_> = (0..8)
            .map(|racer| {
                let store = stores[racer % 2].clone();
                let name = name.clone();
                tokio::spawn(async move {
                    store
                        .setting_or_insert(&name, format!("value-{racer}"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut values = Vec::new();
        for racer in racers {
            values.push(racer.await.unwrap());
        }
        assert!(
            values.iter().all(|value| *value == values[0]),
            "round {round}: {values:?}"
        );
        // And later calls keep it.
        let again = stores[1]
            .setting_or_insert(&name, "other".to_owned())
            .await
            .unwrap();
        assert_eq!(again, values[0]);
    }
}
