//! The conformance story suite: what every backend must do, told as stories through the
//! [`Store`] trait alone. A backend's tests run it with [`conformance_suite!`] and a
//! [`Backend`] that opens handles on one fresh database; SQLite runs it in
//! `tocsin-store-sqlite/tests/conformance.rs`, and PostgreSQL plugs in the same way.

mod chat;
mod failed_pages;
mod fixtures;
mod incidents;
mod leases;
mod merging;
mod people;
mod records;
mod reply_codes;
mod retention;
mod silences;
mod subscribers;
mod tickets;

use std::sync::Arc;

use async_trait::async_trait;

use crate::Store;

pub use chat::a_chat_message_is_kept_once_per_incident_and_channel;
pub use failed_pages::a_step_whose_every_page_failed_moves_on_once;
pub use incidents::{
    a_committed_decision_reads_back,
    a_storm_in_group_commits_joins_one_incident_and_counts_every_alert,
    resolving_by_hand_ends_every_firing_alert_of_a_storm,
    two_stores_deciding_one_key_at_once_open_one_incident,
};
pub use leases::{
    a_lease_holds_until_it_expires_then_another_owner_reclaims,
    a_stale_owners_failure_leaves_the_delivery_to_its_new_holder,
    deliveries_handed_over_at_commit_are_leased_to_the_committer,
    release_frees_only_the_owners_leases,
};
pub use merging::a_merge_moves_the_alerts_so_their_keys_find_the_incident_merged_into;
pub use people::{
    a_changed_person_loses_their_sessions_and_the_last_admin_stays,
    an_api_token_is_found_touched_listed_and_revoked,
};
pub use records::{
    a_delivery_outcome_is_recorded_once, a_page_is_queued_once_per_key,
    a_sender_delivery_id_is_decided_once, delivery_ids_are_pruned_by_age,
    replay_guards_are_pruned_only_past_their_bounds,
};
pub use reply_codes::a_reply_code_is_kept_once_and_found_by_channel_and_code;
pub use retention::{
    old_checks_are_rolled_up_then_pruned,
    uptime_is_exact_from_outages_after_the_raw_checks_are_pruned,
};
pub use silences::{
    inhibiting_names_the_open_incidents_of_a_severity_and_their_components,
    silences_are_in_force_until_they_end_or_are_expired,
};
pub use subscribers::unconfirmed_sign_ups_are_purged_and_confirmed_ones_kept;
pub use tickets::a_ticket_is_queued_with_its_incident_then_opened_and_closed;

/// A backend under test: one fresh, empty database per `Backend`, and any number of handles on
/// it, each leasing due work as its own `owner` (as replicas would).
#[async_trait]
pub trait Backend: Send + Sync {
    async fn open(&self, owner: &str) -> Arc<dyn Store>;
}

/// One `#[tokio::test]` per story. `$backend` is an expression (evaluated inside each test, so
/// it may `.await`) giving a fresh [`Backend`] for that story:
///
/// ```ignore
/// tocsin_store::conformance_suite!(SqliteBackend::fresh());
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($backend:expr) => {
        $crate::conformance_suite!(@stories $backend;
            a_committed_decision_reads_back,
            two_stores_deciding_one_key_at_once_open_one_incident,
            a_storm_in_group_commits_joins_one_incident_and_counts_every_alert,
            resolving_by_hand_ends_every_firing_alert_of_a_storm,
            a_lease_holds_until_it_expires_then_another_owner_reclaims,
            a_stale_owners_failure_leaves_the_delivery_to_its_new_holder,
            release_frees_only_the_owners_leases,
            deliveries_handed_over_at_commit_are_leased_to_the_committer,
            a_page_is_queued_once_per_key,
            a_delivery_outcome_is_recorded_once,
            a_sender_delivery_id_is_decided_once,
            delivery_ids_are_pruned_by_age,
            replay_guards_are_pruned_only_past_their_bounds,
            old_checks_are_rolled_up_then_pruned,
            uptime_is_exact_from_outages_after_the_raw_checks_are_pruned,
            a_changed_person_loses_their_sessions_and_the_last_admin_stays,
            an_api_token_is_found_touched_listed_and_revoked,
            unconfirmed_sign_ups_are_purged_and_confirmed_ones_kept,
            a_merge_moves_the_alerts_so_their_keys_find_the_incident_merged_into,
            silences_are_in_force_until_they_end_or_are_expired,
            inhibiting_names_the_open_incidents_of_a_severity_and_their_components,
            a_reply_code_is_kept_once_and_found_by_channel_and_code,
            a_ticket_is_queued_with_its_incident_then_opened_and_closed,
            a_chat_message_is_kept_once_per_incident_and_channel,
            a_step_whose_every_page_failed_moves_on_once,
        );
    };
    (@stories $backend:expr; $($story:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() {
                let backend = $backend;
                $crate::conformance::$story(&backend).await;
            }
        )*
    };
}
