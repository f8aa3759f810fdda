//! Per-key transaction locks: what keeps one open incident per dedup key (and per alert group)
//! when several replicas decide at once.
//!
//! SQLite decided every batch under its one writer's lock. Here a batch takes, before it reads
//! any situation, a PostgreSQL transaction-scoped advisory lock (`pg_advisory_xact_lock`) on
//! every key its items look up: a second replica deciding the same key waits until the first
//! commits, then reads what it wrote. Keys are taken all at once, in ascending order, so two
//! batches never wait on each other's keys in a cycle; they are released by the commit or the
//! rollback.

use sqlx::PgConnection;
use tocsin_store::{GroupKey, Item, Lookup, Result};

/// Takes the locks of every key `items` look up, in ascending order, waiting for each.
pub(super) async fn lock_lookups(tx: &mut PgConnection, items: &[Item]) -> Result<()> {
    let keys = lock_keys(items);
    if keys.is_empty() {
        return Ok(());
    }
    // Since PostgreSQL 9.6 a volatile function in the select list runs after the ORDER BY
    // sort, so the locks are taken in this order (the array is sorted already, too).
    sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::BIGINT[]) AS k ORDER BY k")
        .bind(&keys)
        .execute(tx)
        .await?;
    Ok(())
}

/// Takes the one lock of `parts` (like `["postmortem", file]`), waiting for it: the same
/// keys as the lookups', so every advisory lock tocsin takes is named one way.
pub(crate) async fn lock_one(tx: &mut PgConnection, parts: &[Option<&str>]) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock_key(parts))
        .execute(tx)
        .await?;
    Ok(())
}

/// The lock keys of a batch's lookups, sorted, each once: a signal's dedup key and its group,
/// a person's incident.
fn lock_keys(items: &[Item]) -> Vec<i64> {
    let mut keys: Vec<i64> = items
        .iter()
        .flat_map(|item| match &item.lookup {
            Lookup::Nothing => vec![],
            Lookup::Key { dedup_key, group } => {
                let mut keys = vec![lock_key(&[Some("key"), Some(dedup_key)])];
                keys.extend(group.as_ref().map(group_lock_key));
                keys
            }
            Lookup::Incident(id) | Lookup::IncidentPages(id) => {
                vec![lock_key(&[Some("incident"), Some(id)])]
            }
            Lookup::Merge { from, into } => vec![
                lock_key(&[Some("incident"), Some(from)]),
                lock_key(&[Some("incident"), Some(into)]),
            ],
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A group's key: its source, category and component (not `since`, which only narrows the
/// lookup).
fn group_lock_key(group: &GroupKey) -> i64 {
    lock_key(&[
        Some("group"),
        Some(&group.source),
        group.category.as_deref(),
        group.component.as_deref(),
    ])
}

/// A stable 64-bit hash of `parts`: FNV-1a (64 bit) over each part's encoding, a 0 byte for a
/// missing part and a 1 byte, its length (8 bytes, little-endian) and its UTF-8 bytes for a
/// present one — so no two different lists encode alike (`("a", "bc")` ≠ `("ab", "c")`,
/// `None` ≠ `Some("")`). Every replica, whatever its build, must compute the same key for the
/// same lookup: hence not std's randomly seeded hasher. Two lookups that collide only wait
/// for each other needlessly.
fn lock_key(parts: &[Option<&str>]) -> i64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for part in parts {
        match part {
            None => feed(&[0]),
            Some(text) => {
                feed(&[1]);
                feed(&(text.len() as u64).to_le_bytes());
                feed(text.as_bytes());
            }
        }
    }
    // The advisory lock takes a BIGINT: the same 64 bits, read as signed.
    i64::from_le_bytes(hash.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(dedup_key: &str, component: Option<&str>) -> Item {
        Item {
            lookup: Lookup::Key {
                dedup_key: dedup_key.to_owned(),
                group: Some(GroupKey {
                    source: "s".to_owned(),
                    category: None,
                    component: component.map(str::to_owned),
                    since: jiff::Timestamp::UNIX_EPOCH,
                }),
            },
            delivery: None,
        }
    }

    #[test]
    fn the_hash_is_fnv_1a_and_stable() {
        // FNV-1a of the empty input is its offset basis; of the one byte 0, a known value.
        assert_eq!(lock_key(&[]), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(lock_key(&[None]), 0xaf63_bd4c_8601_b7df_u64 as i64);
    }

    #[test]
    fn different_lookups_get_different_keys() {
        let keys = [
            lock_key(&[Some("key"), Some("ab")]),
            lock_key(&[Some("key"), Some("a"), Some("b")]),
            lock_key(&[Some("group"), Some("s"), None, Some("")]),
            lock_key(&[Some("group"), Some("s"), Some(""), None]),
            lock_key(&[Some("incident"), Some("ab")]),
        ];
        let distinct: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
    }

    #[test]
    fn a_batch_locks_each_key_once_in_ascending_order() {
        let items = [
            signal("a", Some("db")),
            signal("b", Some("db")),
            signal("a", Some("db")),
            Item {
                lookup: Lookup::Incident("i".to_owned()),
                delivery: None,
            },
            Item {
                lookup: Lookup::Nothing,
                delivery: None,
            },
        ];
        let keys = lock_keys(&items);
        assert_eq!(keys.len(), 4, "a, b, the group and the incident: {keys:?}");
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
