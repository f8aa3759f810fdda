//! The weekly review digest (`postmortem.review`): at `at` in the organisation's time zone,
//! every `every`, the week's review (the same figures as `/review`) goes to `channel`.
//!
//! Like the drill it is sent **directly, not through the outbox**: outbox rows belong to
//! incidents. Exactly once per period: the durable due time is advanced in the same transaction
//! that inserts the period's digest (so a restart neither skips nor doubles it), and the send
//! happens after that commit and is then recorded. A digest left unsent by a crash between the
//! two is claimed again when its lease ends.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use tocsin_config::{Review as ReviewRule, WeeklyTime};
use tocsin_core::format_duration;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::Delivery;
use tocsin_store::ReviewDigest;

use crate::probes::add;
use crate::response::Review;
use crate::{Engine, EngineError};

/// Longer than one send may take (tocsin-notify's own timeout is 15 s).
const LEASE: Duration = Duration::from_secs(60);

/// The first instant after `after` that falls on `at` in `tz`. A wall-clock time skipped by a
/// DST change is taken at the moment after the gap (jiff's "compatible" choice).
pub fn first_after(at: &WeeklyTime, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
    let start = after.to_zoned(tz.clone()).date();
    (0..=7)
        .filter_map(|offset| start.checked_add(jiff::Span::new().days(offset)).ok())
        .filter(|day| day.weekday() == at.weekday)
        .filter_map(|day| {
            tz.to_ambiguous_timestamp(DateTime::from_parts(day, at.time))
                .compatible()
                .ok()
        })
        .find(|instant| *instant > after)
}

/// The due time after the one at `due`: `every` later (in whole days, at least one, so the
/// wall-clock time stays put across DST), skipping periods already past `now` so that a server
/// down for a month sends one digest when it is back, not four.
pub fn next_due(
    rule: &ReviewRule,
    tz: &TimeZone,
    due: Timestamp,
    now: Timestamp,
) -> Option<Timestamp> {
    let days = i64::try_from(rule.every.as_secs() / 86_400)
        .unwrap_or(i64::MAX)
        .max(1);
    let mut next = due.to_zoned(tz.clone());
    loop {
        let day = next
            .date()
            .checked_add(jiff::Span::new().try_days(days).ok()?)
            .ok()?;
        next = tz
            .to_ambiguous_zoned(DateTime::from_parts(day, rule.at.time))
            .compatible()
            .ok()?;
        if next.timestamp() > now {
            return Some(next.timestamp());
        }
    }
}

/// What identifies the schedule: changing any part of the rule starts it afresh.
fn rule_key(rule: &ReviewRule) -> String {
    format!(
        "every {} at {:?} {} to {}",
        format_duration(rule.every),
        rule.at.weekday,
        rule.at.time,
        rule.channel
    )
}

fn human(seconds: Option<u64>) -> String {
    seconds.map_or_else(
        || "n/a".to_owned(),
        |seconds| format_duration(Duration::from_secs(seconds)),
    )
}

/// The digest's text: the week's incidents per severity, response against target, post-mortems
/// due and overdue, open action items, incidents without a runbook, and the review page's link.
pub fn digest_text(review: &Review, tz: &TimeZone, review_url: &str) -> String {
    let day = |at: Timestamp| at.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string();
    let mut lines = vec![format!(
        "Week {} to {} ({})",
        day(review.from),
        day(review.until),
        tz.iana_name().unwrap_or("UTC")
    )];
    let per_severity: Vec<String> = review
        .response
        .iter()
        .map(|row| format!("{} {}", row.severity, row.incidents))
        .collect();
    lines.push(if per_severity.is_empty() {
        "Incidents: 0".to_owned()
    } else {
        format!(
            "Incidents: {} ({})",
            review.incidents.len(),
            per_severity.join(", ")
        )
    });
    for row in &review.response {
        let target = review
            .targets
            .get(&row.severity)
            .map_or_else(|| "none".to_owned(), |within| format_duration(*within));
        lines.push(format!(
            "{}: MTTA {}, MTTR {}; target {}, {:.0}% acknowledged within it",
            row.severity,
            human(row.mtta_seconds),
            human(row.mttr_seconds),
            target,
            row.acknowledged_within_target * 100.0
        ));
    }
    let overdue = review
        .postmortems
        .iter()
        .filter(|view| view.status == "overdue")
        .count();
    lines.push(format!(
        "Post-mortems: {} due, {} overdue",
        review.postmortems.len() - overdue,
        overdue
    ));
    lines.push(format!("Open action items: {}", review.action_items.len()));
    lines.push(format!(
        "Incidents without a runbook: {}",
        review.without_runbook.len()
    ));
    lines.push(format!("Review: {review_url}"));
    lines.join("\n")
}

impl Engine {
    fn review_url(&self) -> String {
        format!("{}/review", self.config().server.public_url)
    }

    /// Registers the digest's schedule (or removes it), first due at the next `at`.
    pub(crate) async fn sync_review_schedule(&self) -> Result<(), EngineError> {
        let config = self.config();
        let now = self.now();
        let rule = config
            .postmortem
            .as_ref()
            .and_then(|postmortem| postmortem.review.as_ref());
        match rule {
            Some(rule) => {
                let first =
                    first_after(&rule.at, &config.org.time_zone(), now).unwrap_or(Timestamp::MAX);
                self.store
                    .sync_review_schedule(Some(&rule_key(rule)), first)
                    .await?;
            }
            None => self.store.sync_review_schedule(None, now).await?,
        }
        Ok(())
    }

    /// Starts the period's digest when it is due, then sends the digests not sent yet: the test
    /// harness's and the timer worker's step. Returns how many digests it moved.
    pub(crate) async fn review_digest_round(&self) -> Result<usize, EngineError> {
        let config = self.config();
        let mut moved = 0;
        let now = self.now();
        let rule = config
            .postmortem
            .as_ref()
            .and_then(|postmortem| postmortem.review.as_ref());
        if let Some(rule) = rule
            && let Some(due) = self.store.review_due_at().await?
            && due <= now
        {
            let tz = config.org.time_zone();
            let next = next_due(rule, &tz, due, now).unwrap_or(Timestamp::MAX);
            let review = self.weekly_review().await?;
            let digest = ReviewDigest {
                id: uuid::Uuid::now_v7().to_string(),
                due_at: due,
                channel: rule.channel.clone(),
                text: digest_text(&review, &tz, &self.review_url()),
                created_at: now,
                sent_at: None,
                result: None,
            };
            if self.store.start_review_digest(&digest, due, next).await? {
                moved += 1;
            }
        }
        for digest in self
            .store
            .claim_unsent_review_digests(now, add(now, LEASE))
            .await?
        {
            let result = match self.send_review_digest(&digest).await {
                Ok(()) => "sent".to_owned(),
                Err(error) => {
                    tracing::warn!(channel = %digest.channel, %error, "the weekly review digest could not be sent");
                    format!("not sent: {error}")
                }
            };
            self.store
                .record_review_digest(&digest.id, self.now(), &result)
                .await?;
            moved += 1;
        }
        Ok(moved)
    }

    /// One attempt, recorded by the caller: a digest is a summary, not a page, so a failure is
    /// logged and kept rather than retried for hours.
    async fn send_review_digest(&self, digest: &ReviewDigest) -> Result<(), String> {
        let live = self.live();
        let target = live.targets.get(&digest.channel).ok_or_else(|| {
            format!(
                "channel `{}` cannot take the digest (only Slack and webhook channels can)",
                digest.channel
            )
        })?;
        let notice = Notice {
            event: NoticeEvent::ReviewDigest,
            incident_id: digest.id.clone(),
            title: "Weekly review".to_owned(),
            severity: "review".to_owned(),
            category: None,
            component: None,
            summary: Some(digest.text.clone()),
            opened_at: digest.due_at,
            runbook: None,
            actor: None,
            source: None,
        };
        let links = NoticeLinks {
            incident_url: self.review_url(),
            ack_url: None,
        };
        let delivery_id = format!("review-{}", digest.id);
        live.sender
            .send(
                target,
                &Delivery {
                    id: &delivery_id,
                    notice: &notice,
                    links: &links,
                    now: self.now(),
                    to: None,
                    reply_code: None,
                },
            )
            .await
            .map_err(|error| match error.status {
                Some(status) if !error.detail.contains(&status.to_string()) => {
                    format!("HTTP {status}: {}", error.detail)
                }
                _ => error.detail,
            })
    }

    /// The digests sent so far, newest first.
    pub async fn review_digests(&self, limit: u32) -> Result<Vec<ReviewDigest>, EngineError> {
        Ok(self.store.review_digests(limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(every: &str) -> ReviewRule {
        ReviewRule {
            every: tocsin_core::parse_duration(every).unwrap(),
            at: WeeklyTime::parse("sun 10:00").unwrap(),
            channel: "slack".into(),
        }
    }

    #[test]
    fn the_digest_is_due_sundays_at_ten_in_riyadh_and_a_long_outage_sends_one() {
        let riyadh = TimeZone::get("Asia/Riyadh").unwrap();
        let thursday: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let first = first_after(&rule("1w").at, &riyadh, thursday).unwrap();
        assert_eq!(first, "2026-11-29T07:00:00Z".parse::<Timestamp>().unwrap());
        // Exactly at the due time, the next one is a week later.
        assert_eq!(
            next_due(&rule("1w"), &riyadh, first, first).unwrap(),
            "2026-12-06T07:00:00Z".parse::<Timestamp>().unwrap()
        );
        // Back after three weeks down: the next one after now, not the missed ones.
        let later: Timestamp = "2026-12-20T12:00:00Z".parse().unwrap();
        assert_eq!(
            next_due(&rule("1w"), &riyadh, first, later).unwrap(),
            "2026-12-27T07:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            next_due(&rule("2w"), &riyadh, first, first).unwrap(),
            "2026-12-13T07:00:00Z".parse::<Timestamp>().unwrap()
        );
    }
}
