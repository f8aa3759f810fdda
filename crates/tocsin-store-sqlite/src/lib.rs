//! tocsin-store-sqlite: the SQLite backend of `tocsin_store`: WAL, one writer connection (SQLite allows one writer at a time anyway),
//! a small pool of readers, `synchronous=FULL` unless configured otherwise.

mod actions;
mod chat_messages;
mod copy;
mod drill;
mod files;
#[cfg(test)]
mod full_disk_tests;
mod history;
mod lease;
#[cfg(test)]
mod migration_tests;
mod ops;
mod people;
mod postmortem;
mod read;
mod reply_codes;
mod review;
mod rollups;
mod rows;
mod runbooks;
mod schedule_row;
mod silences;
mod status;
mod tickets;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tocsin_core::decide::Situation;
use tocsin_core::inbound::ChangeKind;
use tocsin_core::incident::{Incident, TimelineEvent};

use rows::{ms, ts, ts_opt};
use tocsin_store::*;
use tocsin_store::{OpsGauges, Queue, Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// `FULL` (the default) survives power loss; `NORMAL` survives a process crash only.
    pub synchronous_full: bool,
    /// Who this store's claims are leased to (see `tocsin_store::Queue`).
    pub lease_owner: String,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: true,
            lease_owner: tocsin_store::DEFAULT_LEASE_OWNER.to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The sqlx writer: the writes that have not moved to `write` yet, each taken with the
    /// write turn both share (see `writer.rs`).
    writer: writer::SqlxWriter,
    reader: SqlitePool,
    /// The reads on the way from a signal to its first page, on the caller's thread.
    quick: Arc<read::QuickReads>,
    /// Every decision's writes: one connection, statements cached, no hand-off per statement.
    write: write::Writer,
    /// For `sqlite::memory:` only: the private folder its database lives in, removed with the
    /// last clone of the store.
    _scratch: Option<Arc<tempfile::TempDir>>,
    page_cap: writer::PageCap,
    lease_owner: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://path` URL or a plain path, and
    /// applies the migrations. `sqlite::memory:` gives a private database that lives only as
    /// long as the store: a file in a fresh temporary folder, so the writer and the readers
    /// (separate connections) see one database, exactly as with a named file.
    pub async fn open(url: &str, options: &SqliteOptions) -> Result<Self> {
        let folder_error = |folder: &Path, error: std::io::Error| {
            StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "cannot create the database's folder or file {}: {error}",
                    folder.display()
                )
                .into(),
            ))
        };
        let (path, scratch) = if url.contains(":memory:") {
            let scratch = tempfile::Builder::new()
                .prefix("tocsin-memory-")
                .tempdir()
                .map_err(|error| folder_error(&std::env::temp_dir(), error))?;
            (scratch.path().join("tocsin.db"), Some(Arc::new(scratch)))
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            (PathBuf::from(path), None)
        };
        // Private from the start: the folder 0700 and the file 0600 when tocsin creates them.
        files::prepare(&path).map_err(|(at, error)| folder_error(&at, error))?;
        let connect = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if options.synchronous_full {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let page_cap = writer::PageCap::default();
        // One connection: SQLite allows one writer at a time anyway. A writer left inside a
        // transaction by a failed write is discarded on release and a fresh one opened.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // Checked on every release instead (`release_if_clean`).
            .test_before_acquire(false)
            .after_connect(page_cap.apply_on_connect())
            .after_release(writer::release_if_clean())
            // Its writes are the rare ones now (the write path has its own connection), so it
            // keeps a small page cache: SQLite's default 2 MiB would be memory held for little.
            .connect_with(connect.clone().pragma("cache_size", "-256"))
            .await?;
        MIGRATOR.run(&writer).await?;
        let turn = writer::WriteTurn::default();
        let write = write::Writer::open(&path, options.synchronous_full, turn.clone())?;
        let writer = writer::SqlxWriter::new(writer, turn);
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            // sqlx would ping each connection before handing it out: one more round trip to
            // the connection's thread per read, for a local file that cannot drop the link.
            .test_before_acquire(false)
            .connect_with(connect.read_only(true))
            .await?;
        Ok(SqliteStore {
            writer,
            reader,
            write,
            quick: Arc::new(read::QuickReads::new(&path)),
            _scratch: scratch,
            page_cap,
            lease_owner: options.lease_owner.clone(),
        })
    }

    /// Stands in for a full disk in tests: the writer may grow the database to `pages` pages
    /// at most (`PRAGMA max_page_count`), on this connection and on any that replaces it;
    /// `None` lifts the limit. Writes past it fail with SQLITE_FULL, as on a full disk.
    #[doc(hidden)]
    pub async fn limit_pages_for_tests(&self, pages: Option<u32>) -> Result<()> {
        self.page_cap.set(pages.unwrap_or(0));
        sqlx::raw_sql(sqlx::AssertSqlSafe(self.page_cap.pragma()))
            .execute(&*self.writer.turn().await)
            .await?;
        self.write.execute_batch(&self.page_cap.pragma())
    }

    /// The database's size in pages, as the writer sees it (for `limit_pages_for_tests`).
    #[doc(hidden)]
    pub async fn page_count_for_tests(&self) -> Result<u32> {
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&*self.writer.turn().await)
            .await?;
        Ok(u32::try_from(pages).unwrap_or(u32::MAX))
    }
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn incident(&self, incident_id: &str) -> Result<Option<tocsin_core::incident::Incident>> {
        incident_row(&self.reader, incident_id).await
    }

    // For display (API, UI, links): decisions read their situations inside their own write
    // transaction (`transact`), so this read goes to the reader pool and never queues behind
    // commits on the one writer connection.
    async fn situation_for_incident(&self, incident_id: &str) -> Result<Situation> {
        // One read transaction: the incident, its ticks and its alerts as of one instant.
        let mut tx = self.reader.begin().await?;
        let Some(incident) = incident_row(&mut *tx, incident_id).await? else {
            return Ok(Situation::default());
        };
        let checklist = runbooks::ticks_in(&mut tx, incident_id).await?;
        let alerts =
            sqlx::query("SELECT * FROM alerts WHERE incident_id = ? ORDER BY first_seen, id")
                .bind(incident_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(rows::alert)
                .collect::<Result<Vec<_>>>()?;
        tx.rollback().await?;
        Ok(Situation {
            incident: Some(incident),
            alerts,
            checklist,
            ..Situation::default()
        })
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        self.write
            .write(move |tx| write::write_commit(tx, commit))
            .await
    }

    async fn transact(
        &self,
        items: Vec<Item>,
        hand_over_until: Option<Timestamp>,
        decider: &mut Decider<'_>,
    ) -> Result<Transacted> {
        // IMMEDIATE (as every write): the situations are read under the write lock, so a second
        // process on the same file (or a second store) waits for this decision instead of
        // deciding on what it read before this one committed.
        let owner = self.lease_owner.as_str();
        // Returned before the flush: the caller waits on `durable` before answering, and the
        // next group is written meanwhile.
        let (mut transacted, durable) = self
            .write
            .write_unflushed(write::PATIENCE, move |tx| {
                let hand_over = hand_over_until.map(|until| write::HandOver {
                    owner,
                    until,
                    handed: Vec::new(),
                });
                write::transact_in(tx, items, hand_over, decider)
            })
            .await?;
        transacted.durable = durable;
        Ok(transacted)
    }

    async fn changes(&self, kind: Option<ChangeKind>, limit: u32) -> Result<Vec<ChangeRecord>> {
        let rows = match kind {
            Some(kind) => sqlx::query(
                "SELECT * FROM changes WHERE kind = ? ORDER BY occurred_at DESC, seq DESC LIMIT ?",
            )
            .bind(kind.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?,
            None => {
                sqlx::query("SELECT * FROM changes ORDER BY occurred_at DESC, seq DESC LIMIT ?")
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?
            }
        };
        rows.iter().map(rows::change).collect()
    }

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let mut sql = String::from("SELECT * FROM incidents WHERE 1 = 1");
        match filter.state {
            Some(StateFilter::Open) => sql.push_str(" AND state != 'resolved'"),
            Some(StateFilter::Resolved) => sql.push_str(" AND state = 'resolved'"),
            Some(StateFilter::Is(_)) => sql.push_str(" AND state = ?"),
            None => {}
        }
        if filter.severity.is_some() {
            sql.push_str(" AND severity = ?");
        }
        if filter.before.is_some() {
            sql.push_str(" AND id < ?");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        // Built only from the fixed fragments above; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(StateFilter::Is(state)) = filter.state {
            query = query.bind(state.as_str());
        }
        if let Some(severity) = &filter.severity {
            query = query.bind(severity);
        }
        if let Some(before) = &filter.before {
            query = query.bind(before);
        }
        query
            .bind(i64::from(filter.limit))
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::incident)
            .collect()
    }

    async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>> {
        sqlx::query("SELECT * FROM timeline_events WHERE incident_id = ? ORDER BY seq")
            .bind(incident_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::event)
            .collect()
    }

    async fn deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        let rows = match incident_id {
            Some(id) => sqlx::query(
                "SELECT * FROM deliveries WHERE incident_id = ? ORDER BY created_at, id LIMIT ?",
            )
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?,
            None => {
                sqlx::query("SELECT * FROM deliveries ORDER BY created_at DESC, id DESC LIMIT ?")
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?
            }
        };
        rows.iter().map(rows::delivery).collect()
    }

    async fn token_used(&self, nonce: &str) -> Result<bool> {
        let used: Option<i64> = sqlx::query_scalar("SELECT 1 FROM used_tokens WHERE nonce = ?")
            .bind(nonce)
            .fetch_optional(&self.reader)
            .await?;
        Ok(used.is_some())
    }

    async fn prune_replay_guards(
        &self,
        deliveries_before: Timestamp,
        nonces_before: Timestamp,
    ) -> Result<u64> {
        let writer = self.writer.turn().await;
        let deliveries = sqlx::query("DELETE FROM seen_deliveries WHERE seen_at < ?")
            .bind(ms(deliveries_before))
            .execute(&*writer)
            .await?;
        let nonces = sqlx::query("DELETE FROM used_tokens WHERE used_at < ?")
            .bind(ms(nonces_before))
            .execute(&*writer)
            .await?;
        Ok(deliveries.rows_affected() + nonces.rows_affected())
    }

    async fn last_signal_at(&self, source: &str) -> Result<Option<Timestamp>> {
        self.last_signal_at_sql(source).await
    }

    async fn incidents_opened(&self, from: Timestamp, until: Timestamp) -> Result<Vec<Incident>> {
        self.incidents_opened_sql(from, until).await
    }

    async fn changes_in(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
        self.changes_in_sql(query).await
    }
}

#[async_trait]
impl DueWork for SqliteStore {
    async fn release_leases(&self) -> Result<()> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        lease::release(&mut tx, &self.lease_owner).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_due_monitors(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<MonitorRecord>> {
        lease::claim(self, Queue::Monitors, now, lease_until, limit)
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Timer>> {
        let rows = lease::claim(self, Queue::Timers, now, lease_until, limit).await?;
        rows.iter().map(rows::timer).collect()
    }

    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>> {
        let rows = lease::claim(self, Queue::Deliveries, now, lease_until, limit).await?;
        rows.iter().map(rows::pending_delivery).collect()
    }

    async fn page_sends(
        &self,
        recipient: &str,
        channel: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let sent: Vec<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM deliveries WHERE recipient = ? AND channel = ? AND status = 'sent' \
             AND sent_at >= ? ORDER BY sent_at",
        )
        .bind(recipient)
        .bind(channel)
        .bind(ms(since))
        // Under the write turn, after any commit in progress: the per-contact throttle counts
        // every send recorded so far (on a reader, a flood test let a sixth SMS through once
        // under load). Pages are rare; this read costs nothing at ingest.
        .fetch_all(&*self.writer.turn().await)
        .await?;
        sent.into_iter().map(ts).collect()
    }

    async fn postpone_delivery(&self, delivery_id: &str, until: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?, claimed_until = NULL, \
               last_error = 'held back by the per-contact throttle' WHERE id = ? AND status = 'pending'",
        )
        .bind(ms(until))
        .bind(delivery_id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        let owner = self.lease_owner.clone();
        self.write
            .write(move |tx| write::record_attempt(tx, &attempt, &owner))
            .await
    }

    async fn record_reply_code(&self, code: &tocsin_core::reply_code::ReplyCode) -> Result<()> {
        self.record_reply_code_sql(code).await
    }

    async fn reply_codes(
        &self,
        channel: &str,
        code: &str,
    ) -> Result<Vec<tocsin_core::reply_code::ReplyCode>> {
        self.reply_codes_sql(channel, code).await
    }

    async fn chat_message(&self, incident_id: &str, channel: &str) -> Result<Option<ChatMessage>> {
        self.chat_message_sql(incident_id, channel).await
    }

    async fn remember_chat_message(&self, message: &ChatMessage) -> Result<()> {
        self.remember_chat_message_sql(message).await
    }

    async fn next_due(&self) -> Result<Option<Timestamp>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(due) FROM (\
               SELECT min(due_at) AS due FROM timers \
               UNION ALL SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' \
               UNION ALL SELECT min(next_check_at) FROM monitors WHERE active = 1)",
        )
        .fetch_one(&self.reader)
        .await?;
        ts_opt(next)
    }

    async fn ops_gauges(&self, now: Timestamp) -> Result<OpsGauges> {
        self.ops_gauges_sql(now).await
    }

    async fn claim_subscriber_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>> {
        self.claim_subscriber_mail_sql(now, lease_until, limit)
            .await
    }

    async fn record_subscriber_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        self.record_subscriber_mail_sql(mail_id, at, outcome).await
    }

    async fn claim_drills_to_close(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        self.claim_drills_to_close_sql(now, lease_until).await
    }

    async fn claim_unwritten_postmortems(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        self.claim_unwritten_postmortems_sql(now, lease_until, limit)
            .await
    }

    async fn mark_postmortem_written(&self, incident_id: &str, at: Timestamp) -> Result<()> {
        self.mark_postmortem_written_sql(incident_id, at).await
    }

    async fn claim_comms_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>> {
        self.claim_comms_mail_sql(now, lease_until, limit).await
    }

    async fn record_comms_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        self.record_comms_mail_sql(mail_id, at, outcome).await
    }

    async fn claim_unsent_review_digests(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<tocsin_store::ReviewDigest>> {
        self.claim_unsent_review_digests_sql(now, lease_until).await
    }

    async fn record_review_digest(&self, id: &str, at: Timestamp, result: &str) -> Result<()> {
        self.record_review_digest_sql(id, at, result).await
    }
}

#[async_trait]
impl MonitorStore for SqliteStore {
    async fn sync_monitors(&self, monitors: &[(String, Timestamp)]) -> Result<()> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        sqlx::query("UPDATE monitors SET active = 0")
            .execute(&mut *tx)
            .await?;
        for (id, first_due) in monitors {
            sqlx::query(
                "INSERT INTO monitors (id, active, status, next_check_at) VALUES (?, 1, 'pending', ?) \
                 ON CONFLICT (id) DO UPDATE SET active = 1",
            )
            .bind(id)
            .bind(ms(*first_due))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // A quick read: the first message's card lists every monitor.
    async fn monitors(&self) -> Result<Vec<MonitorRecord>> {
        self.quick.read(|connection| {
            read::all(
                connection,
                "SELECT * FROM monitors WHERE active = 1 ORDER BY id",
                [],
                |row| rows::monitor(row),
            )
        })
    }

    // On a reader: it sees every committed write (WAL), and a heartbeat reading its monitor
    // before each group commit must not queue behind the writer or cost it a release check.
    async fn monitor(&self, id: &str) -> Result<Option<MonitorRecord>> {
        sqlx::query("SELECT * FROM monitors WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .map(|row| rows::monitor(&row))
            .transpose()
    }

    async fn monitors_by_id(&self, ids: &[String]) -> Result<Vec<MonitorRecord>> {
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("SELECT * FROM monitors WHERE id IN (SELECT value FROM json_each(?))")
            .bind(ids)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    // A quick read: the card finds the outage's first failed check in these.
    async fn recent_checks(&self, monitor_id: &str, limit: u32) -> Result<Vec<CheckRecord>> {
        self.quick.read(|connection| {
            read::all(
                connection,
                "SELECT * FROM check_results WHERE monitor = (SELECT key FROM monitors WHERE id = ?1) \
                 ORDER BY at DESC, n DESC LIMIT ?2",
                rusqlite::params![monitor_id, i64::from(limit)],
                |row| rows::check(row),
            )
        })
    }

    async fn check_counts(&self, monitor_id: &str, since: Timestamp) -> Result<CheckCounts> {
        self.check_counts_sql(monitor_id, since).await
    }

    async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: Duration,
    ) -> Result<Vec<LatencyBucket>> {
        self.latency_buckets_sql(monitor_id, since, bucket).await
    }

    async fn daily_checks(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>> {
        self.daily_checks_sql(monitor_id, day_starts).await
    }

    async fn record_checks(&self, checks: &[CheckCommit]) -> Result<()> {
        self.record_checks_sql(checks).await
    }

    async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<tocsin_core::uptime::MonitorHistory> {
        self.monitor_history_sql(monitor_id, from, to).await
    }

    async fn rollups(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>> {
        self.rollups_sql(monitor_id, span, from, to).await
    }

    async fn roll_up_and_prune(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping> {
        self.roll_up_and_prune_sql(now, retention).await
    }

    async fn last_check(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>> {
        self.last_check_sql(monitor_id, ok, before).await
    }
}

#[async_trait]
impl StatusPageStore for SqliteStore {
    async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>> {
        self.status_incidents_sql(since).await
    }

    async fn public_updates(&self, incident_ids: &[String]) -> Result<Vec<PublicUpdate>> {
        self.public_updates_sql(incident_ids).await
    }

    async fn add_subscriber(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed> {
        self.add_subscriber_sql(email, locale, now, ask_again_after)
            .await
    }

    async fn add_subscriber_token(&self, token: &SubscriberToken) -> Result<()> {
        self.add_subscriber_token_sql(token).await
    }

    async fn subscriber_token(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>> {
        self.subscriber_token_sql(selector).await
    }

    async fn confirm_subscriber(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        self.confirm_subscriber_sql(subscriber_id, at).await
    }

    async fn unsubscribe(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        self.unsubscribe_sql(subscriber_id, at).await
    }

    async fn purge_unconfirmed_subscribers(&self, asked_before: Timestamp) -> Result<u64> {
        self.purge_unconfirmed_subscribers_sql(asked_before).await
    }

    async fn queue_subscriber_updates(&self, severities: &[String], now: Timestamp) -> Result<u64> {
        self.queue_subscriber_updates_sql(severities, now).await
    }
}

#[async_trait]
impl FollowUpStore for SqliteStore {
    async fn sync_drill_schedule(&self, expr: Option<&str>, first_due: Timestamp) -> Result<()> {
        self.sync_drill_schedule_sql(expr, first_due).await
    }

    async fn drill_due_at(&self) -> Result<Option<Timestamp>> {
        self.drill_due_at_sql().await
    }

    async fn start_drill(
        &self,
        drill: &DrillRecord,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<bool> {
        self.start_drill_sql(drill, schedule).await
    }

    async fn set_drill_item(
        &self,
        drill_id: &str,
        seq: i64,
        status: DrillItemStatus,
        reason: &str,
    ) -> Result<()> {
        self.set_drill_item_sql(drill_id, seq, status, reason).await
    }

    async fn expire_drill_items(&self, drill_id: &str, reason: &str) -> Result<()> {
        self.expire_drill_items_sql(drill_id, reason).await
    }

    async fn set_drill_outcome(
        &self,
        drill_id: &str,
        status: DrillStatus,
        finished_at: Option<Timestamp>,
        incident_id: Option<&str>,
        report_sent: Option<&str>,
    ) -> Result<()> {
        self.set_drill_outcome_sql(drill_id, status, finished_at, incident_id, report_sent)
            .await
    }

    async fn drills(&self, limit: u32) -> Result<Vec<DrillRecord>> {
        self.drills_sql(limit).await
    }

    async fn drill(&self, id: &str) -> Result<Option<DrillRecord>> {
        self.drill_sql(id).await
    }

    async fn drill_item_by_nonce(&self, nonce: &str) -> Result<Option<(String, DrillItem)>> {
        self.drill_item_by_nonce_sql(nonce).await
    }

    async fn confirm_drill_item(
        &self,
        nonce: &str,
        at: Timestamp,
        reason: &str,
        verified: Option<(&str, jiff::civil::Date)>,
    ) -> Result<bool> {
        self.confirm_drill_item_sql(nonce, at, reason, verified)
            .await
    }

    async fn contact_verifications(&self) -> Result<Vec<ContactVerification>> {
        self.contact_verifications_sql().await
    }

    async fn postmortems(&self) -> Result<Vec<PostmortemRecord>> {
        self.postmortems_sql().await
    }

    async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>> {
        self.postmortem_sql(incident_id).await
    }

    async fn action_runs(&self, incident_id: &str) -> Result<Vec<ActionRun>> {
        self.action_runs_sql(incident_id).await
    }

    async fn comms(&self, incident_id: &str) -> Result<Vec<CommsRecord>> {
        self.comms_sql(incident_id).await
    }

    async fn approve_comms(
        &self,
        incident_id: &str,
        comms_id: &str,
        approved_by: &str,
        texts: Option<&std::collections::BTreeMap<String, tocsin_core::notice::CustomerText>>,
        event: &TimelineEvent,
    ) -> Result<ApproveOutcome> {
        self.write
            .write(|tx| write::approve_comms(tx, incident_id, comms_id, approved_by, texts, event))
            .await
    }

    async fn add_affected(
        &self,
        incident_id: &str,
        emails: &[String],
        event: &TimelineEvent,
    ) -> Result<Vec<String>> {
        self.write
            .write(|tx| write::add_affected(tx, incident_id, emails, event))
            .await
    }

    async fn affected(&self, incident_id: &str) -> Result<Vec<String>> {
        self.affected_sql(incident_id).await
    }

    async fn sync_review_schedule(&self, rule: Option<&str>, first_due: Timestamp) -> Result<()> {
        self.sync_review_schedule_sql(rule, first_due).await
    }

    async fn review_due_at(&self) -> Result<Option<Timestamp>> {
        self.review_due_at_sql().await
    }

    async fn start_review_digest(
        &self,
        digest: &tocsin_store::ReviewDigest,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        self.start_review_digest_sql(digest, due, next).await
    }

    async fn review_digests(&self, limit: u32) -> Result<Vec<tocsin_store::ReviewDigest>> {
        self.review_digests_sql(limit).await
    }

    async fn tickets(&self, incident_id: &str) -> Result<Vec<tocsin_core::ticket_record::Ticket>> {
        self.tickets_sql(incident_id).await
    }

    async fn ticket(&self, id: &str) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
        self.ticket_sql(id).await
    }

    async fn ticket_by_number(
        &self,
        number: i64,
    ) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
        self.ticket_by_number_sql(number).await
    }
}

/// The incident with this id as it is read (on a reader, or inside a read transaction).
async fn incident_row<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    incident_id: &str,
) -> Result<Option<tocsin_core::incident::Incident>> {
    sqlx::query("SELECT * FROM incidents WHERE id = ?")
        .bind(incident_id)
        .fetch_optional(executor)
        .await?
        .map(|row| rows::incident(&row))
        .transpose()
}
