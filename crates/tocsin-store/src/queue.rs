//! Due work: every kind of leased queue, and the one lease rule they share.
//!
//! A row of due work is free when it has no lease or its lease has ended (`claimed_until <=
//! now`); claiming sets `claimed_until` and `claimed_by` (the claiming store's lease owner) on
//! the due rows, earliest first, in one statement. Finishing the work clears the lease. At
//! start-up a store releases the leases its own owner still holds (work a killed process had
//! claimed is due again at once); another owner's leases are left to expire.

/// The kinds of due work, each a leased queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Monitors whose next check is due.
    Monitors,
    /// Escalation, response, phase, update and post-mortem timers.
    Timers,
    /// Pages and channel notices to send.
    Deliveries,
    /// Status-page mail (confirmations and updates).
    SubscriberMail,
    /// Customer notices' mail.
    CustomerMail,
    /// Drills whose confirm window ended.
    DrillsToClose,
    /// Post-mortem files to write.
    Postmortems,
    /// Weekly review digests to send.
    ReviewDigests,
}

impl Queue {
    /// Every queue: the start-up release goes through all of them.
    pub const ALL: [Queue; 8] = [
        Queue::Monitors,
        Queue::Timers,
        Queue::Deliveries,
        Queue::SubscriberMail,
        Queue::CustomerMail,
        Queue::DrillsToClose,
        Queue::Postmortems,
        Queue::ReviewDigests,
    ];

    /// Where the queue's rows live, the same in every backend's schema. The fragments are
    /// constants, safe to build a statement from, and plain SQL both dialects read alike.
    pub fn table(self) -> QueueTable {
        let (table, key, due, pending) = match self {
            Queue::Monitors => ("monitors", "id", "next_check_at", "active = 1"),
            Queue::Timers => ("timers", "id", "due_at", "1 = 1"),
            Queue::Deliveries => ("deliveries", "id", "next_attempt_at", "status = 'pending'"),
            Queue::SubscriberMail => (
                "subscriber_mail",
                "id",
                "next_attempt_at",
                "status = 'pending'",
            ),
            Queue::CustomerMail => ("comms_mail", "id", "next_attempt_at", "status = 'pending'"),
            Queue::DrillsToClose => ("drills", "id", "confirm_by", "finished_at IS NULL"),
            Queue::Postmortems => (
                "postmortems",
                "incident_id",
                "created_at",
                "written_at IS NULL",
            ),
            Queue::ReviewDigests => ("review_digests", "id", "created_at", "result IS NULL"),
        };
        QueueTable {
            table,
            key,
            due,
            pending,
        }
    }
}

/// Where a queue's rows live: the table, its key, the due column and what makes a row pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueTable {
    pub table: &'static str,
    pub key: &'static str,
    pub due: &'static str,
    pub pending: &'static str,
}

/// The lease owner of a single-process store that is given none.
pub const DEFAULT_LEASE_OWNER: &str = "tocsin";
