//! The pure engine: `decide(policy, situation, input, ctx)` returns the state changes, timeline
//! events and effects of one input. It reads no clock, socket or file; the shell commits its
//! decision in one transaction.

use jiff::Timestamp;

// The shell names these through `decide` (`tocsin_core::decide::Policy`, …); they are defined in
// their own modules so that the rules (`checklist`, `escalation`, `postmortem`,
// `update_reminder`) import them without importing the dispatcher that imports the rules.
pub use crate::decision::{
    ActionRequest, ActionResult, Ctx, Decision, Declaration, Effect, Input, PageState, Refusal,
    RoleAssignment, Situation, TimerKind,
};
pub use crate::policy::{Policy, SeverityRule};

use crate::incident::{Alert, AlertStatus, EventKind, Incident, IncidentState, TimelineEvent};
use crate::noise::Hold;
use crate::notice::{CommsEvent, Notice, NoticeEvent};
use crate::signal::{Signal, SignalStatus};

pub fn decide(
    policy: &Policy,
    situation: &Situation,
    input: Input,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let mut decision = decide_input(policy, situation, input, ctx)?;
    // Channels that follow an incident in one message hear of what the others are not told.
    let follow = crate::live::follow(policy, situation.incident.as_ref(), &decision);
    decision.effects.extend(follow);
    Ok(decision)
}

fn decide_input(
    policy: &Policy,
    situation: &Situation,
    input: Input,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    match input {
        Input::Signal(signal) => {
            // A merged incident's alerts moved to the incident it merged into; one found by a
            // key read as the merge committed is not the signal's to reopen.
            let unmerged;
            let situation = match &situation.incident {
                Some(incident) if incident.merged_into.is_some() => {
                    unmerged = Situation {
                        incident: None,
                        alerts: Vec::new(),
                        ..situation.clone()
                    };
                    &unmerged
                }
                _ => situation,
            };
            match signal.status {
                SignalStatus::Firing => firing(policy, situation, signal, ctx),
                SignalStatus::Resolved => Ok(cleared(policy, situation, &signal, ctx)),
            }
        }
        Input::Declare(declaration) => declare(policy, declaration, ctx),
        Input::Acknowledge { actor } => acknowledge(situation, actor, ctx),
        Input::Resolve { actor } => resolve_by_hand(policy, situation, actor, ctx),
        Input::Note { actor, text } => note(situation, actor, text, ctx),
        Input::Update {
            actor,
            text,
            public,
        } => update(situation, actor, text, public, ctx).map(|mut decision| {
            // The promise restarts: the next reminder is `update_every` after this update.
            decision.effects.extend(crate::update_reminder::on_update(
                policy, situation, ctx.now,
            ));
            decision
        }),
        Input::ChangeSeverity { actor, severity } => {
            change_severity(policy, situation, actor, severity, ctx)
        }
        Input::SetPublicTitle { actor, title } => set_public_title(situation, actor, &title, ctx),
        Input::ResponseDue => Ok(response_due(policy, situation, ctx)),
        Input::EscalationDue { due_at } => Ok(escalation_due(policy, situation, due_at, ctx)),
        Input::PageFailed => Ok(crate::escalation::page_failed(policy, situation, ctx)),
        Input::PostmortemReminder => Ok(postmortem_nudge(policy, situation, false, ctx)),
        Input::PostmortemDue => Ok(postmortem_nudge(policy, situation, true, ctx)),
        Input::PublishPostmortem {
            actor,
            untracked_items,
        } => publish_postmortem(policy, situation, actor, &untracked_items, ctx),
        Input::PhaseDue { due_at } => {
            Ok(crate::checklist::phase_due(policy, situation, due_at, ctx))
        }
        Input::Tick { actor, item, done } => {
            crate::checklist::tick(policy, situation, actor, &item, done, ctx)
        }
        Input::UpdateDue { due_at } => Ok(crate::update_reminder::update_due(
            policy, situation, due_at, ctx,
        )),
        Input::RequestAction(request) => crate::mitigation::request(situation, request, ctx),
        Input::ActionFinished(result) => crate::mitigation::finished(situation, *result, ctx),
        Input::AssignRole(assignment) => crate::role_assign::assign(situation, assignment, ctx),
        Input::Merge { actor, into } => crate::merge::merge(situation, actor, &into, ctx),
        Input::Snooze { actor, until } => crate::snooze::snooze(situation, actor, until, ctx),
        Input::SnoozeEnds { due_at } => Ok(crate::snooze::ended(policy, situation, due_at, ctx)),
        Input::TicketOpened(ticket) => Ok(crate::tickets::opened(*ticket, ctx)),
        Input::TicketChanged {
            ticket,
            closed,
            actor,
        } => crate::tickets::changed(&ticket, closed, &actor, ctx),
    }
}

/// The decision with the customer notices its `event` calls for (`customer_comms`) appended:
/// last, after paging and post-mortem, so they read last on the timeline.
fn tell_customers(
    policy: &Policy,
    mut decision: Decision,
    what: CommsEvent,
    ctx: &Ctx,
) -> Decision {
    if let Some(incident) = decision.incident.as_ref() {
        let (events, effects) = crate::customer_comms::notices(policy, incident, what, ctx);
        decision.events.extend(events);
        decision.effects.extend(effects);
    }
    decision
}

/// Who resolves an incident, in the timeline's words.
struct Resolution<'a> {
    /// The timeline event's actor.
    actor: &'a str,
    text: String,
    /// The person the team channels are told resolved it; `None` when nobody did by hand.
    by: Option<&'a str>,
}

/// The one way an incident becomes resolved — by hand, by its last alert clearing (a source's
/// resolved signal, a monitor recovering, a heartbeat coming back): the state, the `resolved`
/// event, the team channels told, the response and update timers cancelled, the ladder stopped
/// and unsent pages withdrawn, the post-mortem required when its rule says so, and the
/// customers told. The caller adds the alerts it ends.
fn resolve(policy: &Policy, incident: &Incident, how: Resolution<'_>, ctx: &Ctx) -> Decision {
    let now = ctx.now;
    let mut incident = incident.clone();
    incident.state = IncidentState::Resolved;
    incident.resolved_at = Some(now);
    // Resolving ends a snooze: nothing is left to wake up.
    incident.snoozed_until = None;
    let mut events = vec![event(
        &incident,
        now,
        EventKind::Resolved,
        how.actor,
        how.text,
    )];
    // A held incident was never announced, so its resolution is not announced either.
    let held = incident.held_by.is_some();
    let mut effects = policy
        .severity(&incident.severity)
        .filter(|_| !held)
        .map(|rule| notify_all(rule, &incident, NoticeEvent::Resolved, how.by))
        .unwrap_or_default();
    effects.push(Effect::CancelTimers {
        kind: TimerKind::ResponseDue,
        incident_id: incident.id.clone(),
    });
    effects.push(crate::update_reminder::cancel(&incident));
    effects.push(crate::snooze::cancel(&incident));
    effects.extend(crate::escalation::stop(&mut incident));
    let (more_events, more_effects) =
        crate::postmortem::on_resolve(policy.postmortem.as_ref(), &incident, now);
    events.extend(more_events);
    effects.extend(more_effects);
    let decision = Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    };
    if held {
        return decision;
    }
    tell_customers(policy, decision, CommsEvent::Resolved, ctx)
}

fn event(
    incident: &Incident,
    at: Timestamp,
    kind: EventKind,
    actor: &str,
    text: String,
) -> TimelineEvent {
    TimelineEvent {
        incident_id: incident.id.clone(),
        at,
        kind,
        actor: actor.to_owned(),
        text,
        data: serde_json::Value::Null,
    }
}

fn notify_all(
    rule: &SeverityRule,
    incident: &Incident,
    what: NoticeEvent,
    actor: Option<&str>,
) -> Vec<Effect> {
    rule.notify
        .iter()
        .map(|channel| Effect::Notify {
            channel: channel.clone(),
            notice: Notice {
                actor: actor.map(str::to_owned),
                ..Notice::about(incident, what)
            },
        })
        .collect()
}

fn respond_by(now: Timestamp, rule: &SeverityRule) -> Timestamp {
    let within =
        jiff::SignedDuration::try_from(rule.respond_within).unwrap_or(jiff::SignedDuration::MAX);
    now.saturating_add(within).unwrap_or(now)
}

fn firing(
    policy: &Policy,
    situation: &Situation,
    signal: Signal,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let severity = signal
        .severity
        .clone()
        .ok_or_else(|| Refusal::Invalid("a firing signal needs a severity".into()))?;
    let rule = policy
        .severity(&severity)
        .ok_or_else(|| Refusal::UnknownSeverity(severity.clone()))?;
    let now = ctx.now;
    match &situation.incident {
        Some(incident) if incident.state.is_open() => {
            let joined = join_open_incident(incident, situation, &signal, now);
            Ok(release_if_free(policy, incident, joined, &signal, ctx))
        }
        _ if situation
            .group
            .as_ref()
            .is_some_and(|group| group.state.is_open()) =>
        {
            let group = situation
                .group
                .as_ref()
                .unwrap_or_else(|| unreachable!("checked just above"));
            let joined = join_group(group, &signal, ctx);
            Ok(release_if_free(policy, group, joined, &signal, ctx))
        }
        Some(incident)
            if incident.resolved_at.is_some_and(|resolved| {
                jiff::SignedDuration::try_from(policy.reopen_window)
                    .ok()
                    .and_then(|window| resolved.checked_add(window).ok())
                    .is_some_and(|until| now <= until)
            }) =>
        {
            let rule = policy.severity(&incident.severity).unwrap_or(rule);
            Ok(reopen(policy, rule, incident, &signal, ctx))
        }
        _ => {
            let hold = crate::noise::hold(
                policy,
                &ctx.quiet,
                &signal,
                &severity,
                signal.component.as_deref(),
                None,
                now,
            );
            let held = hold.is_some();
            let decision = open(policy, rule, &signal, severity, hold, ctx);
            if held {
                return Ok(decision);
            }
            Ok(tell_customers(policy, decision, CommsEvent::Opened, ctx))
        }
    }
}

/// What a (re)opened incident's announcement is: its severity's channels told, the response
/// target's timer, update reminders, the runbook's phases (`phases`) and the ladder started.
/// A held incident gets none of it until a signal reaches it with nothing holding it.
fn announce(
    policy: &Policy,
    rule: &SeverityRule,
    incident: &mut Incident,
    phases: bool,
    ctx: &Ctx,
) -> (Vec<TimelineEvent>, Vec<Effect>) {
    let mut effects = notify_all(rule, incident, NoticeEvent::Opened, None);
    effects.push(Effect::SetTimer {
        kind: TimerKind::ResponseDue,
        incident_id: incident.id.clone(),
        due_at: incident.respond_by,
    });
    if phases {
        effects.extend(crate::checklist::phase_timers(policy, incident));
    }
    effects.extend(crate::update_reminder::on_open(policy, incident, ctx.now));
    if crate::tickets::instead_of_paging(policy, &incident.severity) {
        // A ticketed severity pages nobody: it asks for its ticket when it is first announced
        // and keeps that ticket when it reopens.
        if !phases {
            return (Vec::new(), effects);
        }
        let (event, ticket) = crate::tickets::open_instead_of_paging(incident, ctx);
        effects.push(ticket);
        return (vec![event], effects);
    }
    let paging = crate::escalation::start(policy, incident, ctx);
    effects.extend(paging.effects);
    (paging.events, effects)
}

/// A firing signal reached a held incident: if nothing holds it any more (the silence ended
/// or was expired, the holding incident resolved), the incident is announced now, as if it
/// had just opened — nothing is paged retroactively for the time it was held. If something
/// still holds it, the decision is the join's as it was.
fn release_if_free(
    policy: &Policy,
    incident: &Incident,
    mut decision: Decision,
    signal: &Signal,
    ctx: &Ctx,
) -> Decision {
    let Some(held_by) = incident.held_by.as_deref() else {
        return decision;
    };
    let Some(rule) = policy.severity(&incident.severity) else {
        return decision;
    };
    let hold = crate::noise::hold(
        policy,
        &ctx.quiet,
        signal,
        &incident.severity,
        incident.component.as_deref(),
        Some(&incident.id),
        ctx.now,
    );
    if let Some(hold) = hold {
        // Still held (perhaps by another silence): the row says by what, quietly. A plain
        // repeat leaves the incident unwritten, as it would unheld.
        if hold.key() != held_by {
            let mut incident = decision.incident.take().unwrap_or_else(|| incident.clone());
            incident.held_by = Some(hold.key());
            decision.incident = Some(incident);
        }
        return decision;
    }
    let mut incident = decision.incident.take().unwrap_or_else(|| incident.clone());
    incident.held_by = None;
    let mut released = event(
        &incident,
        ctx.now,
        EventKind::Note,
        "tocsin",
        format!("No longer held back ({held_by} no longer applies): announced and paged as of now"),
    );
    released.data = serde_json::json!({ "released": held_by });
    decision.events.push(released);
    if incident.state == IncidentState::Triggered {
        incident.respond_by = respond_by(ctx.now, rule);
        let (events, effects) = announce(policy, rule, &mut incident, false, ctx);
        decision.events.extend(events);
        decision.effects.extend(effects);
    }
    decision.incident = Some(incident);
    tell_customers(policy, decision, CommsEvent::Opened, ctx)
}

/// The alert a signal with this key speaks of: the firing one if any (after a reopen an
/// incident holds the old, resolved alert too), else the latest.
fn alert_for<'a>(situation: &'a Situation, key: &str) -> Option<&'a Alert> {
    let mut same_key = situation
        .alerts
        .iter()
        .rev()
        .filter(|alert| alert.dedup_key == key);
    let latest = same_key.clone().next();
    same_key
        .find(|alert| alert.status == AlertStatus::Firing)
        .or(latest)
}

fn join_open_incident(
    incident: &Incident,
    situation: &Situation,
    signal: &Signal,
    now: Timestamp,
) -> Decision {
    let mut decision = Decision::default();
    match alert_for(situation, &signal.dedup_key) {
        Some(alert) if alert.status == AlertStatus::Firing => {
            // A repeat (Alertmanager resends every repeat_interval): count it, say nothing.
            let mut alert = alert.clone();
            alert.count = alert.count.saturating_add(1);
            alert.last_seen = now;
            decision.alerts.push(alert);
        }
        Some(alert) => {
            let mut alert = alert.clone();
            alert.status = AlertStatus::Firing;
            alert.resolved_at = None;
            alert.last_seen = now;
            alert.count = alert.count.saturating_add(1);
            decision.events.push(event(
                incident,
                now,
                EventKind::Alert,
                &signal.source,
                format!("Firing again: {}", signal.title),
            ));
            decision.alerts.push(alert);
            decision.incident = Some(incident.clone());
        }
        None => {
            // Not reachable through a dedup-key lookup; kept total so grouping can join later.
            decision.events.push(event(
                incident,
                now,
                EventKind::Alert,
                &signal.source,
                format!("Alert joined: {}", signal.title),
            ));
        }
    }
    decision
}

/// A new alert joins an open incident of its group: recorded, counted, and nobody paged again —
/// a flood of 500 alerts during one outage is one incident and one page.
fn join_group(incident: &Incident, signal: &Signal, ctx: &Ctx) -> Decision {
    let alert = new_alert(signal, &incident.id, &ctx.new_alert_id, ctx.now);
    let mut incident = incident.clone();
    incident.alert_count = incident.alert_count.saturating_add(1);
    let events = joined_line(incident.alert_count, &signal.title)
        .map(|text| event(&incident, ctx.now, EventKind::Alert, &signal.source, text))
        .into_iter()
        .collect();
    Decision {
        incident: Some(incident),
        alerts: vec![alert],
        alerts_end_at: None,
        events,
        effects: vec![],
    }
}

/// How many joining alerts the timeline names one by one; past them it says how many have
/// joined at each power of ten. Every alert is still kept and listed with the incident: the
/// timeline is what responders read and write, and a storm of 100,000 alerts must not bury
/// their notes (nor cost a timeline row each).
const JOINS_NAMED: u32 = 10;

/// The timeline line for the incident's `count`th alert joining, if it gets one.
fn joined_line(count: u32, title: &str) -> Option<String> {
    if count <= JOINS_NAMED {
        return Some(format!("Alert joined: {title}"));
    }
    let power_of_ten = count
        .checked_ilog10()
        .is_some_and(|exponent| 10u32.pow(exponent) == count);
    power_of_ten.then(|| format!("{count} alerts have joined; the latest: {title}"))
}

fn new_alert(signal: &Signal, incident_id: &str, id: &str, now: Timestamp) -> Alert {
    Alert {
        id: id.to_owned(),
        incident_id: incident_id.to_owned(),
        dedup_key: signal.dedup_key.clone(),
        source: signal.source.clone(),
        status: AlertStatus::Firing,
        summary: signal
            .summary
            .clone()
            .unwrap_or_else(|| signal.title.clone()),
        first_seen: now,
        last_seen: now,
        resolved_at: None,
        count: 1,
    }
}

fn open(
    policy: &Policy,
    rule: &SeverityRule,
    signal: &Signal,
    severity: String,
    hold: Option<Hold>,
    ctx: &Ctx,
) -> Decision {
    let now = ctx.now;
    // A label route, when one matches, is decided once, at opening: later decisions about the
    // incident (a reopening, a severity change) have no labels to match.
    let route = policy.label_route(signal);
    let runbook = policy.runbooks.resolve(
        signal
            .runbook
            .as_deref()
            .or(route.and_then(|route| route.runbook.as_deref())),
        signal.category.as_deref(),
        &severity,
    );
    let mut incident = Incident {
        id: ctx.new_incident_id.clone(),
        title: signal.title.clone(),
        public_title: None,
        severity,
        state: IncidentState::Triggered,
        category: signal.category.clone(),
        component: signal.component.clone(),
        summary: signal.summary.clone(),
        runbook,
        source: signal.source.clone(),
        opened_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        respond_by: respond_by(now, rule),
        alert_count: 1,
        escalation: None,
        escalation_step: 0,
        escalation_round: 0,
        escalation_due_at: None,
        escalation_ladder: 0,
        roles: Default::default(),
        merged_into: None,
        snoozed_until: None,
        held_by: hold.as_ref().map(Hold::key),
        route_escalation: route.and_then(|route| route.escalation.clone()),
    };
    let alert = new_alert(signal, &incident.id, &ctx.new_alert_id, now);
    let mut opened = event(
        &incident,
        now,
        EventKind::Opened,
        &signal.source,
        format!("Opened: {}", incident.title),
    );
    opened.data = serde_json::json!({ "severity": incident.severity, "source_occurred_at": signal.occurred_at });
    let alert_event = event(
        &incident,
        now,
        EventKind::Alert,
        &signal.source,
        signal
            .summary
            .clone()
            .unwrap_or_else(|| signal.title.clone()),
    );
    let mut events = vec![opened, alert_event];
    let mut effects = Vec::new();
    match hold {
        Some(hold) => events.push(hold.event(&incident, now)),
        None => {
            let (more_events, more_effects) = announce(policy, rule, &mut incident, true, ctx);
            events.extend(more_events);
            effects = more_effects;
        }
    }
    Decision {
        alerts: vec![alert],
        alerts_end_at: None,
        events,
        effects,
        incident: Some(incident),
    }
}

fn reopen(
    policy: &Policy,
    rule: &SeverityRule,
    incident: &Incident,
    signal: &Signal,
    ctx: &Ctx,
) -> Decision {
    let now = ctx.now;
    let mut incident = incident.clone();
    incident.state = IncidentState::Triggered;
    incident.resolved_at = None;
    incident.acknowledged_at = None;
    incident.acknowledged_by = None;
    incident.respond_by = respond_by(now, rule);
    // As PagerDuty does: after a resolve, the same key firing again is a new alert.
    let alerts = vec![new_alert(signal, &incident.id, &ctx.new_alert_id, now)];
    incident.alert_count = incident.alert_count.saturating_add(1);
    let mut events = vec![event(
        &incident,
        now,
        EventKind::Reopened,
        &signal.source,
        format!("Reopened: {} is firing again", signal.title),
    )];
    let hold = crate::noise::hold(
        policy,
        &ctx.quiet,
        signal,
        &incident.severity,
        incident.component.as_deref(),
        Some(&incident.id),
        now,
    );
    incident.held_by = hold.as_ref().map(Hold::key);
    let mut effects = Vec::new();
    if let Some(hold) = &hold {
        events.push(hold.event(&incident, now));
    } else {
        let (more_events, more_effects) = announce(policy, rule, &mut incident, false, ctx);
        events.extend(more_events);
        effects = more_effects;
    }
    let decision = Decision {
        incident: Some(incident),
        alerts,
        alerts_end_at: None,
        events,
        effects,
    };
    if hold.is_some() {
        return decision;
    }
    tell_customers(policy, decision, CommsEvent::Reopened, ctx)
}

fn cleared(policy: &Policy, situation: &Situation, signal: &Signal, ctx: &Ctx) -> Decision {
    let now = ctx.now;
    let Some(incident) = situation
        .incident
        .as_ref()
        .filter(|incident| incident.state.is_open())
    else {
        return Decision::default();
    };
    let Some(alert) =
        alert_for(situation, &signal.dedup_key).filter(|alert| alert.status == AlertStatus::Firing)
    else {
        return Decision::default();
    };
    let mut decision = Decision::default();
    let mut alert = alert.clone();
    alert.status = AlertStatus::Resolved;
    alert.resolved_at = Some(now);
    alert.last_seen = now;
    decision.events.push(event(
        incident,
        now,
        EventKind::Alert,
        &signal.source,
        format!("Cleared: {}", signal.title),
    ));
    let still_firing = situation.others_firing
        || situation
            .alerts
            .iter()
            .any(|other| other.id != alert.id && other.status == AlertStatus::Firing);
    decision.alerts.push(alert);
    if still_firing {
        decision.incident = Some(incident.clone());
        return decision;
    }
    let resolved = resolve(
        policy,
        incident,
        Resolution {
            actor: "tocsin",
            text: "Resolved automatically: every alert has cleared".to_owned(),
            by: None,
        },
        ctx,
    );
    decision.incident = resolved.incident;
    decision.events.extend(resolved.events);
    decision.effects.extend(resolved.effects);
    decision
}

fn declare(policy: &Policy, declaration: Declaration, ctx: &Ctx) -> Result<Decision, Refusal> {
    let title = declaration.title.trim();
    if title.is_empty() {
        return Err(Refusal::Invalid("an incident needs a title".into()));
    }
    let rule = policy
        .severity(&declaration.severity)
        .ok_or_else(|| Refusal::UnknownSeverity(declaration.severity.clone()))?;
    let signal = Signal {
        source: "manual".into(),
        dedup_key: format!("manual:{}", ctx.new_incident_id),
        status: SignalStatus::Firing,
        severity: Some(declaration.severity.clone()),
        title: title.to_owned(),
        summary: declaration.summary,
        category: declaration.category,
        component: declaration.component,
        runbook: None,
        occurred_at: ctx.now,
        details: serde_json::Value::Null,
        labels: Default::default(),
    };
    // A person declared it: nothing holds it back.
    let mut decision = open(policy, rule, &signal, declaration.severity, None, ctx);
    for event in &mut decision.events {
        event.actor.clone_from(&declaration.actor);
    }
    // A declared incident has no alert to clear; it is resolved by a person.
    decision.alerts.clear();
    decision
        .events
        .retain(|event| event.kind != EventKind::Alert);
    if let Some(incident) = decision.incident.as_mut() {
        incident.alert_count = 0;
        // A person wrote this title, knowing the status page and customers may read it. One
        // unfit for a headline (over-long, control characters) leaves the derived title in
        // place rather than refusing the declaration: opening the incident matters more.
        incident.public_title = crate::public_title::check_written(title).ok();
    }
    // Told after the rewrite above: customer notices are tocsin's doing, not the declarer's.
    Ok(tell_customers(policy, decision, CommsEvent::Opened, ctx))
}

fn set_public_title(
    situation: &Situation,
    actor: String,
    title: &str,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let title = crate::public_title::check_written(title).map_err(Refusal::Invalid)?;
    if incident.public_title.as_deref() == Some(title.as_str()) {
        return Err(Refusal::Invalid(format!(
            "the public title is already “{title}”"
        )));
    }
    // Resolved incidents stay on the status page's history, so their title can still be fixed.
    let mut incident = incident.clone();
    let from = incident.public_title.replace(title.clone());
    let mut set = event(
        &incident,
        ctx.now,
        EventKind::PublicTitleSet,
        &actor,
        format!("Public title set: {title}"),
    );
    set.data = serde_json::json!({ "from": from, "to": title });
    Ok(Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events: vec![set],
        effects: vec![],
    })
}

fn open_incident<'a>(
    situation: &'a Situation,
    action: &'static str,
) -> Result<&'a Incident, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    if !incident.state.is_open() {
        return Err(Refusal::State {
            state: incident.state.as_str(),
            action,
        });
    }
    Ok(incident)
}

fn acknowledge(situation: &Situation, actor: String, ctx: &Ctx) -> Result<Decision, Refusal> {
    let incident = open_incident(situation, "acknowledging")?;
    if incident.state == IncidentState::Acknowledged {
        return Err(Refusal::State {
            state: "acknowledged",
            action: "acknowledging again",
        });
    }
    let mut incident = incident.clone();
    incident.state = IncidentState::Acknowledged;
    incident.acknowledged_at = Some(ctx.now);
    incident.acknowledged_by = Some(actor.clone());
    let events = vec![event(
        &incident,
        ctx.now,
        EventKind::Acknowledged,
        &actor,
        format!("Acknowledged by {actor}"),
    )];
    let mut effects = vec![Effect::CancelTimers {
        kind: TimerKind::ResponseDue,
        incident_id: incident.id.clone(),
    }];
    // Acknowledgement stops the ladder at once.
    effects.extend(crate::escalation::stop(&mut incident));
    Ok(Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    })
}

fn resolve_by_hand(
    policy: &Policy,
    situation: &Situation,
    actor: String,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = open_incident(situation, "resolving")?;
    let mut decision = resolve(
        policy,
        incident,
        Resolution {
            actor: &actor,
            text: format!("Resolved by {actor}"),
            by: Some(&actor),
        },
        ctx,
    );
    // Its alerts end with it, so the same alert firing again reopens (or opens) an incident.
    decision.alerts_end_at = Some(ctx.now);
    Ok(decision)
}

fn note(
    situation: &Situation,
    actor: String,
    text: String,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Invalid("a note needs text".into()));
    }
    let events = vec![event(
        incident,
        ctx.now,
        EventKind::Note,
        &actor,
        text.to_owned(),
    )];
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects: vec![],
    })
}

fn update(
    situation: &Situation,
    actor: String,
    text: String,
    public: bool,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Invalid("an update needs text".into()));
    }
    if text.chars().count() > 5000 {
        return Err(Refusal::Invalid(
            "an update is at most 5000 characters".into(),
        ));
    }
    let mut posted = event(
        incident,
        ctx.now,
        EventKind::Update,
        &actor,
        text.to_owned(),
    );
    posted.data = serde_json::json!({ "public": public, "state": incident.state.as_str() });
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![posted],
        effects: vec![],
    })
}

fn change_severity(
    policy: &Policy,
    situation: &Situation,
    actor: String,
    severity: String,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = open_incident(situation, "changing the severity")?;
    let rule = policy
        .severity(&severity)
        .ok_or_else(|| Refusal::UnknownSeverity(severity.clone()))?;
    if incident.severity == severity {
        return Err(Refusal::Invalid(format!(
            "the incident is already {severity}"
        )));
    }
    let mut incident = incident.clone();
    let from = std::mem::replace(&mut incident.severity, severity.clone());
    let mut changed = event(
        &incident,
        ctx.now,
        EventKind::SeverityChanged,
        &actor,
        format!("Severity {from} → {severity}"),
    );
    changed.data = serde_json::json!({ "from": from, "to": severity });
    let mut effects = Vec::new();
    // A held incident stays quiet: its next signal, once nothing holds it, announces it.
    let held = incident.held_by.is_some();
    if incident.state == IncidentState::Triggered && !held {
        // The target follows the new level, counted from the opening; one already past is due now.
        incident.respond_by = respond_by(incident.opened_at, rule).max(ctx.now);
        effects.push(Effect::CancelTimers {
            kind: TimerKind::ResponseDue,
            incident_id: incident.id.clone(),
        });
        effects.push(Effect::SetTimer {
            kind: TimerKind::ResponseDue,
            incident_id: incident.id.clone(),
            due_at: incident.respond_by,
        });
    }
    let mut events = vec![changed];
    // Raised to a level that pages (a SEV-3 becoming a SEV-1): the ladder starts now.
    let routed = crate::escalation::policy_of(policy, &incident).is_some();
    if incident.state == IncidentState::Triggered
        && !held
        && incident.escalation.is_none()
        && rule.pages
        && routed
    {
        let paging = crate::escalation::start(policy, &mut incident, ctx);
        events.extend(paging.events);
        effects.extend(paging.effects);
    }
    Ok(Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    })
}

fn response_due(policy: &Policy, situation: &Situation, ctx: &Ctx) -> Decision {
    let Some(incident) = situation.incident.as_ref() else {
        return Decision::default();
    };
    // A stale timer (acknowledged, resolved, or moved by a severity change) does nothing; a
    // held incident has no response target running.
    if incident.state != IncidentState::Triggered
        || ctx.now < incident.respond_by
        || incident.held_by.is_some()
    {
        return Decision::default();
    }
    let late = event(
        incident,
        ctx.now,
        EventKind::ResponseOverdue,
        "tocsin",
        format!(
            "Not acknowledged within the {} response target",
            incident.severity
        ),
    );
    let mut effects = policy
        .severity(&incident.severity)
        .map(|rule| notify_all(rule, incident, NoticeEvent::ResponseOverdue, None))
        .unwrap_or_default();
    let mut events = vec![late];
    let mut changed = None;
    if incident.escalation_due_at.is_some() {
        // The target is missed: the ladder jumps to its next step now.
        let mut incident = incident.clone();
        let paging =
            crate::escalation::advance(policy, &mut incident, ctx, "Response target missed");
        events.extend(paging.events);
        effects.extend(paging.effects);
        changed = Some(incident);
    }
    Decision {
        incident: changed,
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    }
}

/// The escalation timer fired: if it is still the ladder's current deadline and nobody has
/// acknowledged, the next step runs.
fn escalation_due(
    policy: &Policy,
    situation: &Situation,
    due_at: Timestamp,
    ctx: &Ctx,
) -> Decision {
    let Some(incident) = situation.incident.as_ref() else {
        return Decision::default();
    };
    if incident.state != IncidentState::Triggered
        || incident.escalation_due_at != Some(due_at)
        || ctx.now < due_at
    {
        return Decision::default();
    }
    let mut incident = incident.clone();
    let paging = crate::escalation::advance(policy, &mut incident, ctx, "Not acknowledged");
    Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events: paging.events,
        effects: paging.effects,
    }
}

/// A post-mortem reminder timer fired. Publishing cancels these timers, so a timer that fires
/// belongs to a post-mortem still in draft; one on an incident reopened since does nothing.
fn postmortem_nudge(policy: &Policy, situation: &Situation, overdue: bool, ctx: &Ctx) -> Decision {
    let Some(incident) = situation.incident.as_ref() else {
        return Decision::default();
    };
    if incident.state != IncidentState::Resolved {
        return Decision::default();
    }
    let (kind, notice, text) = if overdue {
        (
            EventKind::PostmortemOverdue,
            NoticeEvent::PostmortemOverdue,
            "The post-mortem is overdue",
        )
    } else {
        (
            EventKind::PostmortemReminder,
            NoticeEvent::PostmortemReminder,
            "The post-mortem is due within 24 hours",
        )
    };
    let effects = policy
        .severity(&incident.severity)
        .map(|rule| notify_all(rule, incident, notice, None))
        .unwrap_or_default();
    Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event(incident, ctx.now, kind, "tocsin", text.to_owned())],
        effects,
    }
}

/// A person marked the post-mortem done: its reminders stop.
fn publish_postmortem(
    policy: &Policy,
    situation: &Situation,
    actor: String,
    untracked_items: &[String],
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    if incident.state != IncidentState::Resolved {
        return Err(Refusal::State {
            state: incident.state.as_str(),
            action: "publishing its post-mortem",
        });
    }
    let mut effects = vec![Effect::PublishPostmortem {
        incident_id: incident.id.clone(),
    }];
    for kind in [TimerKind::PostmortemReminder, TimerKind::PostmortemDue] {
        effects.push(Effect::CancelTimers {
            kind,
            incident_id: incident.id.clone(),
        });
    }
    let mut events = vec![event(
        incident,
        ctx.now,
        EventKind::PostmortemPublished,
        &actor,
        format!("Post-mortem published by {actor}"),
    )];
    let (ticket_events, tickets) =
        crate::tickets::for_action_items(policy, incident, untracked_items, ctx);
    events.extend(ticket_events);
    effects.extend(tickets);
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + seconds).expect("valid timestamp")
    }

    fn policy() -> Policy {
        use crate::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
        Policy {
            severities: vec![
                SeverityRule {
                    id: "SEV-1".into(),
                    respond_within: Duration::from_secs(900),
                    notify: vec!["slack".into()],
                    pages: true,
                    update_every: None,
                },
                SeverityRule {
                    id: "SEV-4".into(),
                    respond_within: Duration::from_secs(86_400),
                    notify: vec![],
                    pages: false,
                    update_every: None,
                },
            ],
            reopen_window: Duration::from_secs(3600),
            postmortem: None,
            runbooks: Default::default(),
            customer_comms: Default::default(),
            tickets: None,
            live_channels: vec![],
            routes: vec![RouteRule {
                category: "backend".into(),
                escalation: Some("backend".into()),
            }],
            label_routes: vec![],
            escalations: vec![EscalationRule {
                id: "backend".into(),
                repeat: 1,
                steps: vec![
                    StepRule {
                        targets: vec![PageTarget::Contact("a".into())],
                        after: Duration::from_secs(300),
                    },
                    StepRule {
                        targets: vec![PageTarget::Schedule("primary".into())],
                        after: Duration::from_secs(600),
                    },
                ],
            }],
            contacts: vec![
                ContactRule {
                    id: "a".into(),
                    name: "Ann".into(),
                    methods: vec!["sms".into(), "email".into()],
                },
                ContactRule {
                    id: "b".into(),
                    name: "Bo".into(),
                    methods: vec!["email".into()],
                },
            ],
        }
    }

    fn ctx(now: Timestamp) -> Ctx {
        Ctx {
            now,
            new_incident_id: format!("inc-{}", now.as_second()),
            new_alert_id: format!("al-{}", now.as_second()),
            new_comms_id: format!("c-{}", now.as_second()),
            quiet: Default::default(),
            on_call: [("primary".to_owned(), "b".to_owned())]
                .into_iter()
                .collect(),
        }
    }

    /// (contact, method, step, round) of every page in a decision.
    fn pages(decision: &Decision) -> Vec<(String, String, u32, u32)> {
        decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Page {
                    contact,
                    method,
                    step,
                    round,
                    ..
                } => Some((contact.clone(), method.clone(), *step, *round)),
                _ => None,
            })
            .collect()
    }

    fn due(situation: &Situation) -> Timestamp {
        situation
            .incident
            .as_ref()
            .and_then(|i| i.escalation_due_at)
            .expect("the ladder is moving")
    }

    #[test]
    fn the_ladder_pages_each_step_by_every_method_then_repeats_then_stops() {
        let mut situation = Situation::default();
        let opened = step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        assert_eq!(
            pages(&opened),
            [
                ("a".into(), "sms".into(), 0, 0),
                ("a".into(), "email".into(), 0, 0)
            ]
        );
        assert_eq!(due(&situation), t(300));
        // A timer firing early, or for another deadline, does nothing.
        assert!(
            decide(
                &policy(),
                &situation,
                Input::EscalationDue { due_at: t(300) },
                &ctx(t(299))
            )
            .unwrap()
            .is_empty()
        );
        assert!(
            decide(
                &policy(),
                &situation,
                Input::EscalationDue { due_at: t(301) },
                &ctx(t(301))
            )
            .unwrap()
            .is_empty()
        );
        let second = step(
            &mut situation,
            Input::EscalationDue { due_at: t(300) },
            t(300),
        );
        assert_eq!(
            pages(&second),
            [("b".into(), "email".into(), 1, 0)],
            "the schedule's on-call person"
        );
        let again = step(
            &mut situation,
            Input::EscalationDue { due_at: t(900) },
            t(900),
        );
        assert_eq!(
            pages(&again).len(),
            2,
            "repeat 1: the ladder runs once more"
        );
        assert!(
            pages(&again)
                .iter()
                .all(|(_, _, step, round)| (*step, *round) == (0, 1))
        );
        let due_at = due(&situation);
        step(&mut situation, Input::EscalationDue { due_at }, due_at);
        let due_at = due(&situation);
        let last = step(&mut situation, Input::EscalationDue { due_at }, due_at);
        assert!(pages(&last).is_empty());
        assert!(
            last.events[0].text.contains("every step"),
            "{}",
            last.events[0].text
        );
        assert_eq!(situation.incident.unwrap().escalation_due_at, None);
    }

    #[test]
    fn acknowledging_stops_the_ladder_and_withdraws_pending_pages() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        let ack = step(
            &mut situation,
            Input::Acknowledge { actor: "a".into() },
            t(10),
        );
        assert!(
            ack.effects
                .iter()
                .any(|e| matches!(e, Effect::CancelPages { .. }))
        );
        assert!(
            decide(
                &policy(),
                &situation,
                Input::EscalationDue { due_at: t(300) },
                &ctx(t(300))
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn a_missed_response_target_jumps_the_ladder_to_its_next_step() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        // Steps of 5 and 10 minutes; SEV-1's 15-minute target arrives while step 2 waits.
        step(
            &mut situation,
            Input::EscalationDue { due_at: t(300) },
            t(300),
        );
        let overdue = step(&mut situation, Input::ResponseDue, t(900));
        assert!(
            overdue
                .events
                .iter()
                .any(|e| e.kind == EventKind::ResponseOverdue)
        );
        assert_eq!(
            pages(&overdue).first().map(|p| (p.2, p.3)),
            Some((0, 1)),
            "the next step (a repeat) now"
        );
    }

    #[test]
    fn a_level_that_does_not_page_says_so_and_raising_it_starts_paging() {
        let mut situation = Situation::default();
        let mut low = signal(SignalStatus::Firing);
        low.severity = Some("SEV-4".into());
        let opened = step(&mut situation, Input::Signal(low), t(0));
        assert!(pages(&opened).is_empty());
        assert!(
            opened
                .events
                .iter()
                .any(|e| e.text.contains("does not page"))
        );
        let raised = step(
            &mut situation,
            Input::ChangeSeverity {
                actor: "x".into(),
                severity: "SEV-1".into(),
            },
            t(60),
        );
        assert_eq!(pages(&raised).len(), 2);
    }

    #[test]
    fn an_incident_no_route_covers_pages_nobody_and_says_so() {
        let mut situation = Situation::default();
        let mut other = signal(SignalStatus::Firing);
        other.category = Some("dns".into());
        let opened = step(&mut situation, Input::Signal(other), t(0));
        assert!(pages(&opened).is_empty());
        assert!(
            opened
                .events
                .iter()
                .any(|e| e.text.contains("Nobody is paged"))
        );
        assert_eq!(
            notified(&opened).len(),
            1,
            "the severity's channels are still told"
        );
    }

    #[test]
    fn a_ticketed_severity_opens_one_ticket_and_pages_nobody_even_when_it_would_page() {
        let mut ticketing = policy();
        ticketing.tickets = Some(crate::policy::TicketRule {
            severities: vec!["SEV-1".into()],
        });
        let opened = decide(
            &ticketing,
            &Situation::default(),
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(0)),
        )
        .unwrap();
        assert!(pages(&opened).is_empty(), "nobody is paged");
        let tickets: Vec<_> = opened
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::OpenTicket { ticket, .. } => Some(ticket.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(tickets.len(), 1);
        assert_eq!(tickets[0].item, None);
        assert!(!opened.effects.iter().any(|e| matches!(
            e,
            Effect::SetTimer {
                kind: TimerKind::Escalate,
                ..
            }
        )));
        let incident = opened.incident.clone().expect("opened");
        assert_eq!(incident.escalation, None);
        assert!(!kinds(&opened).contains(&"escalated"));
        // Without `[tickets]` the same signal pages.
        let paged = decide(
            &policy(),
            &Situation::default(),
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(0)),
        )
        .unwrap();
        assert!(!pages(&paged).is_empty());
    }

    fn signal(status: SignalStatus) -> Signal {
        Signal {
            source: "monitor:api-health".into(),
            dedup_key: "monitor:api-health".into(),
            status,
            severity: Some("SEV-1".into()),
            title: "API /healthz is down".into(),
            summary: Some("status 503, expected 200-299".into()),
            category: Some("backend".into()),
            component: Some("api".into()),
            runbook: Some("sev1-full-outage".into()),
            occurred_at: t(0),
            details: serde_json::Value::Null,
            labels: Default::default(),
        }
    }

    /// Applies a decision to a situation the way the store would.
    fn apply(situation: &mut Situation, decision: &Decision) {
        if let Some(incident) = &decision.incident {
            situation.incident = Some(incident.clone());
        }
        for alert in &decision.alerts {
            match situation.alerts.iter_mut().find(|a| a.id == alert.id) {
                Some(existing) => *existing = alert.clone(),
                None => situation.alerts.push(alert.clone()),
            }
        }
        if let Some(at) = decision.alerts_end_at {
            for alert in &mut situation.alerts {
                if alert.status == AlertStatus::Firing {
                    alert.status = AlertStatus::Resolved;
                    alert.resolved_at = Some(at);
                }
            }
        }
    }

    fn step(situation: &mut Situation, input: Input, now: Timestamp) -> Decision {
        let decision = decide(&policy(), situation, input, &ctx(now)).unwrap();
        apply(situation, &decision);
        decision
    }

    fn kinds(decision: &Decision) -> Vec<&'static str> {
        decision.events.iter().map(|e| e.kind.as_str()).collect()
    }

    fn notified(decision: &Decision) -> Vec<(String, NoticeEvent)> {
        decision
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Notify { channel, notice } => Some((channel.clone(), notice.event)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_firing_signal_opens_an_incident_pages_and_sets_the_response_timer() {
        let mut situation = Situation::default();
        let decision = decide(
            &policy(),
            &situation,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(10)),
        )
        .unwrap();
        apply(&mut situation, &decision);
        let incident = situation.incident.as_ref().unwrap();
        assert_eq!(incident.state, IncidentState::Triggered);
        assert_eq!(incident.respond_by, t(10 + 900));
        assert_eq!(kinds(&decision), ["opened", "alert", "escalated"]);
        assert_eq!(
            notified(&decision),
            [("slack".to_string(), NoticeEvent::Opened)]
        );
        assert!(decision.effects.contains(&Effect::SetTimer {
            kind: TimerKind::ResponseDue,
            incident_id: incident.id.clone(),
            due_at: t(910)
        }));
    }

    #[test]
    fn repeats_of_a_firing_alert_count_but_never_page_again() {
        let mut situation = Situation::default();
        let first = decide(
            &policy(),
            &situation,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(0)),
        )
        .unwrap();
        apply(&mut situation, &first);
        for minute in 1..=10 {
            let repeat = decide(
                &policy(),
                &situation,
                Input::Signal(signal(SignalStatus::Firing)),
                &ctx(t(minute * 60)),
            )
            .unwrap();
            assert!(notified(&repeat).is_empty());
            assert!(repeat.events.is_empty());
            apply(&mut situation, &repeat);
        }
        assert_eq!(situation.alerts[0].count, 11);
    }

    #[test]
    fn clearing_the_last_alert_resolves_and_says_why() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        let decision = decide(
            &policy(),
            &situation,
            Input::Signal(signal(SignalStatus::Resolved)),
            &ctx(t(60)),
        )
        .unwrap();
        assert_eq!(kinds(&decision), ["alert", "resolved"]);
        assert!(decision.events[1].text.contains("every alert has cleared"));
        assert_eq!(
            notified(&decision),
            [("slack".to_string(), NoticeEvent::Resolved)]
        );
        assert_eq!(decision.incident.as_ref().unwrap().resolved_at, Some(t(60)));
    }

    #[test]
    fn acknowledging_stops_the_response_timer_and_a_late_timer_does_nothing() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        let ack = decide(
            &policy(),
            &situation,
            Input::Acknowledge {
                actor: "sami".into(),
            },
            &ctx(t(30)),
        )
        .unwrap();
        assert_eq!(kinds(&ack), ["acknowledged"]);
        apply(&mut situation, &ack);
        let late = decide(&policy(), &situation, Input::ResponseDue, &ctx(t(900))).unwrap();
        assert!(late.is_empty());
        let again = decide(
            &policy(),
            &situation,
            Input::Acknowledge {
                actor: "sami".into(),
            },
            &ctx(t(31)),
        );
        assert!(matches!(again, Err(Refusal::State { .. })));
    }

    #[test]
    fn an_unacknowledged_incident_is_overdue_at_respond_by_not_before() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        assert!(
            decide(&policy(), &situation, Input::ResponseDue, &ctx(t(899)))
                .unwrap()
                .is_empty()
        );
        let due = decide(&policy(), &situation, Input::ResponseDue, &ctx(t(900))).unwrap();
        assert_eq!(kinds(&due), ["response_overdue", "escalated"]);
    }

    #[test]
    fn firing_again_within_the_window_reopens_and_after_it_opens_anew() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Resolved)),
            t(60),
        );
        let soon = decide(
            &policy(),
            &situation,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(120)),
        )
        .unwrap();
        assert_eq!(kinds(&soon), ["reopened", "escalated"]);
        assert_eq!(
            soon.incident.as_ref().unwrap().id,
            situation.incident.as_ref().unwrap().id
        );
        let later = decide(
            &policy(),
            &situation,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(60 + 3601)),
        )
        .unwrap();
        assert_eq!(kinds(&later), ["opened", "alert", "escalated"]);
        assert_ne!(
            later.incident.as_ref().unwrap().id,
            situation.incident.as_ref().unwrap().id
        );
    }

    #[test]
    fn a_storm_of_joining_alerts_names_the_first_ten_then_counts_at_each_power_of_ten() {
        let mut situation = Situation::default();
        let opened = step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        let mut group = opened.incident.expect("opened");
        let mut lines = Vec::new();
        for n in 2..=1_000u32 {
            let mut other = signal(SignalStatus::Firing);
            other.dedup_key = format!("am:fingerprint-{n}");
            let situation = Situation {
                group: Some(group.clone()),
                ..Situation::default()
            };
            let joined = decide(&policy(), &situation, Input::Signal(other), &ctx(t(30))).unwrap();
            assert_eq!(joined.alerts.len(), 1, "every alert is kept");
            lines.extend(joined.events.iter().map(|event| event.text.clone()));
            group = joined.incident.expect("counted");
        }
        assert_eq!(group.alert_count, 1_000);
        assert_eq!(
            lines.len(),
            (super::JOINS_NAMED as usize - 1) + 2,
            "{lines:#?}"
        );
        assert!(
            lines[..9]
                .iter()
                .all(|line| line.starts_with("Alert joined: "))
        );
        assert!(
            lines[9].starts_with("100 alerts have joined; the latest: "),
            "{}",
            lines[9]
        );
        assert!(
            lines[10].starts_with("1000 alerts have joined; the latest: "),
            "{}",
            lines[10]
        );
    }

    #[test]
    fn a_new_alert_of_an_open_group_joins_it_without_a_page() {
        let mut situation = Situation::default();
        let opened = step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        let group = Situation {
            group: opened.incident.clone(),
            ..Situation::default()
        };
        let mut other = signal(SignalStatus::Firing);
        other.dedup_key = "am:fingerprint-2".into();
        let joined = decide(&policy(), &group, Input::Signal(other), &ctx(t(30))).unwrap();
        assert_eq!(kinds(&joined), ["alert"]);
        assert!(notified(&joined).is_empty(), "no second page");
        assert_eq!(joined.alerts[0].incident_id, opened.incident.unwrap().id);
        assert_eq!(joined.incident.unwrap().alert_count, 2);
    }

    #[test]
    fn after_a_reopen_clearing_the_new_alert_resolves_again() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Resolved)),
            t(10),
        );
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(20),
        );
        assert_eq!(situation.alerts.len(), 2, "a new alert after the resolve");
        let cleared = step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Resolved)),
            t(30),
        );
        assert_eq!(kinds(&cleared), ["alert", "resolved"]);
    }

    #[test]
    fn bad_inputs_are_refused_and_change_nothing() {
        let situation = Situation::default();
        let mut unknown = signal(SignalStatus::Firing);
        unknown.severity = Some("SEV-9".into());
        assert_eq!(
            decide(&policy(), &situation, Input::Signal(unknown), &ctx(t(0))),
            Err(Refusal::UnknownSeverity("SEV-9".into()))
        );
        assert_eq!(
            decide(
                &policy(),
                &situation,
                Input::Acknowledge { actor: "x".into() },
                &ctx(t(0))
            ),
            Err(Refusal::NoIncident)
        );
        // A resolve for an alert nobody knows changes nothing.
        assert!(
            decide(
                &policy(),
                &situation,
                Input::Signal(signal(SignalStatus::Resolved)),
                &ctx(t(0))
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn a_declared_incident_has_no_alert_and_resolves_by_hand() {
        let mut situation = Situation::default();
        let declaration = Declaration {
            title: "Checkout broken".into(),
            severity: "SEV-1".into(),
            category: None,
            component: None,
            summary: None,
            actor: "sami".into(),
        };
        let opened = decide(
            &policy(),
            &situation,
            Input::Declare(declaration),
            &ctx(t(0)),
        )
        .unwrap();
        assert_eq!(
            kinds(&opened),
            ["opened", "note"],
            "opened; nobody paged (no category)"
        );
        assert_eq!(opened.events[0].actor, "sami");
        assert_eq!(
            opened
                .incident
                .as_ref()
                .and_then(|i| i.public_title.as_deref()),
            Some("Checkout broken"),
            "a person wrote it: it is the public title too"
        );
        apply(&mut situation, &opened);
        let resolved = decide(
            &policy(),
            &situation,
            Input::Resolve {
                actor: "sami".into(),
            },
            &ctx(t(10)),
        )
        .unwrap();
        assert_eq!(resolved.incident.unwrap().state, IncidentState::Resolved);
    }

    #[test]
    fn raising_the_severity_moves_the_response_target() {
        let mut situation = Situation::default();
        let mut low = signal(SignalStatus::Firing);
        low.severity = Some("SEV-4".into());
        step(&mut situation, Input::Signal(low), t(0));
        let raised = decide(
            &policy(),
            &situation,
            Input::ChangeSeverity {
                actor: "sami".into(),
                severity: "SEV-1".into(),
            },
            &ctx(t(60)),
        )
        .unwrap();
        assert_eq!(kinds(&raised), ["severity_changed", "escalated"]);
        let incident = raised.incident.unwrap();
        assert_eq!(incident.severity, "SEV-1");
        assert_eq!(incident.respond_by, t(900));
    }

    #[test]
    fn an_alert_title_stays_internal_until_a_person_sets_a_public_one() {
        let mut situation = Situation::default();
        let opened = step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        assert_eq!(
            opened.incident.and_then(|i| i.public_title),
            None,
            "an alert's words are not a public title"
        );
        let set = step(
            &mut situation,
            Input::SetPublicTitle {
                actor: "sami".into(),
                title: "  API\n unavailable ".into(),
            },
            t(60),
        );
        assert_eq!(kinds(&set), ["public_title_set"]);
        assert_eq!(set.events[0].actor, "sami");
        assert_eq!(
            set.events[0].data,
            serde_json::json!({ "from": null, "to": "API unavailable" })
        );
        assert_eq!(
            situation
                .incident
                .as_ref()
                .and_then(|i| i.public_title.as_deref()),
            Some("API unavailable")
        );
        assert_eq!(
            situation.incident.as_ref().map(|i| i.title.as_str()),
            Some("API /healthz is down"),
            "the internal title is kept for the team"
        );
    }

    #[test]
    fn a_bad_public_title_is_refused_and_changes_nothing() {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        for (title, why) in [
            ("   ", "cannot be empty"),
            ("bell\u{7}", "control characters"),
            (&"x".repeat(201), "at most 200"),
        ] {
            let refused = decide(
                &policy(),
                &situation,
                Input::SetPublicTitle {
                    actor: "sami".into(),
                    title: title.to_owned(),
                },
                &ctx(t(60)),
            );
            match refused {
                Err(Refusal::Invalid(message)) => assert!(message.contains(why), "{message}"),
                other => panic!("{title:?} was not refused: {other:?}"),
            }
        }
        let none = decide(
            &policy(),
            &Situation::default(),
            Input::SetPublicTitle {
                actor: "sami".into(),
                title: "API unavailable".into(),
            },
            &ctx(t(60)),
        );
        assert_eq!(none, Err(Refusal::NoIncident));
    }

    /// The policy with customer notices: SEV-1 tells subscribers through `status`, with
    /// templates for every event, and a post-mortem is required.
    fn telling_policy() -> Policy {
        use crate::policy::{CustomerChannel, PostmortemRule, SeverityComms};
        let mut policy = policy();
        policy.customer_comms.by_severity.insert(
            "SEV-1".into(),
            SeverityComms {
                draft: false,
                channels: vec![CustomerChannel {
                    id: "status".into(),
                    audience: "subscribers".into(),
                    template: "outage".into(),
                }],
            },
        );
        policy.customer_comms.templates = ["outage", "outage-reopened", "outage-resolved"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        policy.customer_comms.default_locale = "en".into();
        policy.postmortem = Some(PostmortemRule {
            due_after: [("SEV-1".to_owned(), Duration::from_secs(86_400))]
                .into_iter()
                .collect(),
            file: "{id}.md".into(),
            zone: jiff::tz::TimeZone::UTC,
        });
        policy
    }

    /// The effects of a resolution with the parts that name who resolved it left out.
    fn resolution_effects(decision: &Decision) -> Vec<Effect> {
        decision
            .effects
            .iter()
            .cloned()
            .map(|effect| match effect {
                Effect::Notify {
                    channel,
                    mut notice,
                } => {
                    notice.actor = None;
                    Effect::Notify { channel, notice }
                }
                Effect::CustomerComms(mut notice) => {
                    notice.id = String::new();
                    Effect::CustomerComms(notice)
                }
                other => other,
            })
            .collect()
    }

    #[test]
    fn every_way_of_resolving_is_the_same_resolution_customers_included() {
        let policy = telling_policy();
        let mut open = Situation::default();
        let opened = decide(
            &policy,
            &open,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(0)),
        )
        .unwrap();
        apply(&mut open, &opened);
        let told: Vec<_> = opened
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::CustomerComms(notice) => {
                    Some((notice.channel.as_str(), notice.template.as_str()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(told, [("status", "outage")], "the opening tells customers");

        let by_hand = decide(
            &policy,
            &open,
            Input::Resolve {
                actor: "ann".into(),
            },
            &ctx(t(600)),
        )
        .unwrap();
        let cleared = decide(
            &policy,
            &open,
            Input::Signal(signal(SignalStatus::Resolved)),
            &ctx(t(600)),
        )
        .unwrap();
        for (how, decision, events) in [
            ("by hand", &by_hand, vec!["resolved", "postmortem_required"]),
            (
                "by its signal",
                &cleared,
                vec!["alert", "resolved", "postmortem_required"],
            ),
        ] {
            let incident = decision.incident.as_ref().expect("the incident changes");
            assert_eq!(incident.state, IncidentState::Resolved, "{how}");
            assert_eq!(incident.resolved_at, Some(t(600)), "{how}");
            assert_eq!(incident.escalation_due_at, None, "{how}: the ladder stops");
            assert_eq!(kinds(decision), events, "{how}");
            assert!(
                decision
                    .alerts
                    .iter()
                    .all(|alert| alert.status == AlertStatus::Resolved),
                "{how}: its alerts end"
            );
            assert!(
                !decision.alerts.is_empty() || decision.alerts_end_at == Some(t(600)),
                "{how}: its alerts end, one by one or all at once"
            );
        }
        assert_eq!(
            resolution_effects(&by_hand),
            resolution_effects(&cleared),
            "the same timers cancelled, pages withdrawn, post-mortem and customer notice"
        );
        assert!(resolution_effects(&by_hand).iter().any(|effect| matches!(
            effect,
            Effect::CustomerComms(notice) if notice.template == "outage-resolved"
        )));
        assert!(
            by_hand
                .effects
                .iter()
                .any(|effect| matches!(effect, Effect::CancelPages { .. })),
            "unsent pages are withdrawn"
        );
    }

    #[test]
    fn a_reopening_tells_customers_with_its_own_template_and_a_declaration_as_tocsin() {
        let policy = telling_policy();
        let mut situation = Situation::default();
        for (input, at) in [
            (Input::Signal(signal(SignalStatus::Firing)), t(0)),
            (Input::Signal(signal(SignalStatus::Resolved)), t(60)),
        ] {
            let decision = decide(&policy, &situation, input, &ctx(at)).unwrap();
            apply(&mut situation, &decision);
        }
        let reopened = decide(
            &policy,
            &situation,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(120)),
        )
        .unwrap();
        assert!(reopened.effects.iter().any(|effect| matches!(
            effect,
            Effect::CustomerComms(notice) if notice.template == "outage-reopened"
        )));

        // SEV-1 drafts now: the draft line is tocsin's, not the declarer's.
        let mut policy = policy;
        if let Some(comms) = policy.customer_comms.by_severity.get_mut("SEV-1") {
            comms.draft = true;
        }
        let declared = decide(
            &policy,
            &Situation::default(),
            Input::Declare(Declaration {
                title: "Checkout broken".into(),
                severity: "SEV-1".into(),
                category: None,
                component: None,
                summary: None,
                actor: "sami".into(),
            }),
            &ctx(t(0)),
        )
        .unwrap();
        let drafted = declared
            .events
            .iter()
            .find(|event| event.kind == EventKind::CommsDrafted)
            .expect("a draft awaits approval");
        assert_eq!(drafted.actor, "tocsin");
        assert_eq!(declared.events[0].actor, "sami");
    }

    // ── roles, merging, snoozing ──

    fn person(id: &str, name: &str) -> crate::roles::Person {
        crate::roles::Person {
            id: id.into(),
            name: name.into(),
            kind: crate::roles::PersonKind::User,
        }
    }

    fn assign(actor: &str, role: &str, user: &str, who: Option<crate::roles::Person>) -> Input {
        Input::AssignRole(crate::decision::RoleAssignment {
            actor: actor.into(),
            role: role.into(),
            user: user.into(),
            person: who,
        })
    }

    /// An open incident from the usual signal, opened at t(0).
    fn opened() -> Situation {
        let mut situation = Situation::default();
        step(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        situation
    }

    #[test]
    fn a_role_is_assigned_on_the_timeline_and_a_take_over_names_who_handed_over() {
        let mut situation = opened();
        let sami = person("sami@example.com", "Sami");
        let ana = person("ana@example.com", "Ana");
        let first = step(
            &mut situation,
            assign("admin", "commander", "sami@example.com", Some(sami.clone())),
            t(10),
        );
        assert_eq!(kinds(&first), ["role_assigned"]);
        assert_eq!(
            first.events[0].text,
            "Sami is now the incident commander (assigned by admin)"
        );
        assert_eq!(
            first.events[0].data["from"],
            serde_json::Value::Null,
            "nobody held it before"
        );
        assert_eq!(
            situation.incident.as_ref().unwrap().roles.commander,
            Some(sami.clone())
        );
        // Ana takes it over herself: the timeline names Sami as handing over.
        let taken = step(
            &mut situation,
            assign(
                "ana@example.com",
                "commander",
                "ana@example.com",
                Some(ana.clone()),
            ),
            t(20),
        );
        let event = &taken.events[0];
        assert_eq!(event.text, "Ana took over as incident commander from Sami");
        assert_eq!(event.data["role"], "commander");
        assert_eq!(event.data["user"], "ana@example.com");
        assert_eq!(event.data["from"], "sami@example.com");
        let roles = &situation.incident.as_ref().unwrap().roles;
        assert_eq!(roles.commander, Some(ana));
        assert_eq!(roles.scribe, None);
        assert!(taken.effects.is_empty(), "assigning a role pages nobody");
    }

    #[test]
    fn an_unknown_role_or_person_or_a_closed_incident_is_refused_and_changes_nothing() {
        let situation = opened();
        let sami = person("sami@example.com", "Sami");
        let refused = |situation: &Situation, input: Input| {
            decide(&policy(), situation, input, &ctx(t(30))).unwrap_err()
        };
        assert!(matches!(
            refused(&situation, assign("admin", "boss", "sami@example.com", Some(sami.clone()))),
            Refusal::Invalid(message) if message.contains("unknown role `boss`")
        ));
        assert!(matches!(
            refused(&situation, assign("admin", "scribe", "nobody@example.com", None)),
            Refusal::Invalid(message) if message.contains("nobody is `nobody@example.com`")
        ));
        let mut holding = situation.clone();
        step(
            &mut holding,
            assign("admin", "scribe", "sami@example.com", Some(sami.clone())),
            t(5),
        );
        assert!(matches!(
            refused(&holding, assign("admin", "scribe", "sami@example.com", Some(sami.clone()))),
            Refusal::Invalid(message) if message.contains("already the scribe")
        ));
        let mut resolved = situation.clone();
        step(
            &mut resolved,
            Input::Resolve {
                actor: "sami".into(),
            },
            t(6),
        );
        assert!(matches!(
            refused(
                &resolved,
                assign("admin", "scribe", "sami@example.com", Some(sami))
            ),
            Refusal::State {
                state: "resolved",
                ..
            }
        ));
    }

    /// Two open incidents: `from` (the usual signal's, with one firing alert) and `into`.
    fn merging() -> (Situation, Incident) {
        let from = opened();
        let mut other = Situation::default();
        let mut second = signal(SignalStatus::Firing);
        second.dedup_key = "monitor:db".into();
        second.title = "Database is down".into();
        let decision = decide(&policy(), &other, Input::Signal(second), &ctx(t(1))).unwrap();
        apply(&mut other, &decision);
        let into = other.incident.clone().unwrap();
        (
            Situation {
                target: Some(into.clone()),
                ..from
            },
            into,
        )
    }

    fn merge_into(into: &str) -> Input {
        Input::Merge {
            actor: "sami".into(),
            into: into.into(),
        }
    }

    #[test]
    fn merging_ends_the_merged_incident_moves_its_alerts_and_tells_both_timelines() {
        let (situation, into) = merging();
        let from = situation.incident.clone().unwrap();
        let decision = decide(&policy(), &situation, merge_into(&into.id), &ctx(t(60))).unwrap();
        let ended = decision.incident.as_ref().unwrap();
        assert_eq!(ended.id, from.id);
        assert_eq!(ended.state, IncidentState::Resolved);
        assert_eq!(ended.merged_into.as_deref(), Some(into.id.as_str()));
        assert_eq!(ended.escalation_due_at, None, "its ladder stops");
        let events: Vec<(&str, &str, &str)> = decision
            .events
            .iter()
            .map(|e| (e.incident_id.as_str(), e.kind.as_str(), e.text.as_str()))
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].0, from.id);
        assert_eq!(events[0].2, format!("Merged into {} by sami", into.id));
        assert_eq!(events[1].0, into.id);
        assert!(
            events[1]
                .2
                .starts_with(&format!("{} merged in by sami", from.id)),
            "{events:?}"
        );
        assert!(events.iter().all(|e| e.1 == "merged"));
        assert_eq!(decision.events[1].data["from"], from.id.as_str());
        // Its alerts lead to the target; its pages and timers stop; the target is written.
        assert!(decision.effects.contains(&Effect::MoveAlerts {
            from: from.id.clone(),
            into: into.id.clone(),
        }));
        assert!(decision.effects.contains(&Effect::CancelPages {
            incident_id: from.id.clone()
        }));
        for kind in [
            TimerKind::Escalate,
            TimerKind::ResponseDue,
            TimerKind::SnoozeEnds,
        ] {
            assert!(decision.effects.contains(&Effect::CancelTimers {
                kind,
                incident_id: from.id.clone()
            }));
        }
        let target = decision
            .effects
            .iter()
            .find_map(|effect| match effect {
                Effect::WriteIncident(target) => Some(target),
                _ => None,
            })
            .expect("the target is written");
        assert_eq!(target.alert_count, into.alert_count + 1);
        assert_eq!(target.state, into.state, "the target's response goes on");
        assert!(
            pages(&decision).is_empty(),
            "a merge pages nobody and tells no customer"
        );
        assert!(
            !decision
                .effects
                .iter()
                .any(|e| matches!(e, Effect::RequirePostmortem { .. } | Effect::Notify { .. })),
            "{:?}",
            decision.effects
        );
    }

    #[test]
    fn merging_into_itself_a_resolved_or_a_merged_incident_is_refused() {
        let (situation, into) = merging();
        let from = situation.incident.clone().unwrap();
        let refused = |situation: &Situation, into: &str| {
            decide(&policy(), situation, merge_into(into), &ctx(t(60))).unwrap_err()
        };
        assert!(matches!(
            refused(&situation, &from.id),
            Refusal::Invalid(message) if message.contains("into itself")
        ));
        assert!(matches!(
            refused(&situation, "inc-nope"),
            Refusal::Invalid(message) if message.contains("no incident with id `inc-nope`")
        ));
        let resolved_target = Situation {
            target: Some(Incident {
                state: IncidentState::Resolved,
                ..into.clone()
            }),
            ..situation.clone()
        };
        assert!(matches!(
            refused(&resolved_target, &into.id),
            Refusal::Conflict(message) if message.contains("is resolved; merge into an open incident")
        ));
        let merged_target = Situation {
            target: Some(Incident {
                merged_into: Some("inc-elsewhere".into()),
                ..into.clone()
            }),
            ..situation.clone()
        };
        assert!(matches!(
            refused(&merged_target, &into.id),
            Refusal::Conflict(message) if message.contains("was itself merged into inc-elsewhere")
        ));
        let resolved_source = Situation {
            incident: Some(Incident {
                state: IncidentState::Resolved,
                ..from.clone()
            }),
            ..situation.clone()
        };
        assert!(matches!(
            refused(&resolved_source, &into.id),
            Refusal::State {
                state: "resolved",
                ..
            }
        ));
    }

    #[test]
    fn a_signal_that_finds_a_merged_incident_never_reopens_it() {
        let (situation, into) = merging();
        let decision = decide(&policy(), &situation, merge_into(&into.id), &ctx(t(60))).unwrap();
        let merged = Situation {
            incident: decision.incident.clone(),
            ..Situation::default()
        };
        let again = decide(
            &policy(),
            &merged,
            Input::Signal(signal(SignalStatus::Firing)),
            &ctx(t(120)),
        )
        .unwrap();
        assert!(!kinds(&again).contains(&"reopened"), "{:?}", kinds(&again));
        assert_ne!(
            again.incident.as_ref().map(|i| i.id.clone()),
            decision.incident.as_ref().map(|i| i.id.clone())
        );
    }

    fn snooze_until(until: Timestamp) -> Input {
        Input::Snooze {
            actor: "sami".into(),
            until,
        }
    }

    #[test]
    fn only_an_acknowledged_incident_snoozes_until_a_time_within_a_week() {
        let mut situation = opened();
        let refused = |situation: &Situation, until: Timestamp| {
            decide(&policy(), situation, snooze_until(until), &ctx(t(100))).unwrap_err()
        };
        assert!(matches!(
            refused(&situation, t(3600)),
            Refusal::State {
                state: "triggered",
                ..
            }
        ));
        step(
            &mut situation,
            Input::Acknowledge {
                actor: "sami".into(),
            },
            t(50),
        );
        assert!(matches!(
            refused(&situation, t(100)),
            Refusal::Invalid(message) if message.contains("not in the future")
        ));
        assert!(matches!(
            refused(&situation, t(100 + 7 * 86_400 + 1)),
            Refusal::Invalid(message) if message.contains("more than 7 days")
        ));
        let snoozed = step(&mut situation, snooze_until(t(3700)), t(100));
        assert_eq!(kinds(&snoozed), ["snoozed"]);
        let incident = situation.incident.clone().unwrap();
        assert_eq!(incident.snoozed_until, Some(t(3700)));
        assert!(snoozed.effects.contains(&Effect::SetTimer {
            kind: TimerKind::SnoozeEnds,
            incident_id: incident.id.clone(),
            due_at: t(3700),
        }));
        let mut resolved = situation.clone();
        step(
            &mut resolved,
            Input::Resolve {
                actor: "sami".into(),
            },
            t(200),
        );
        assert!(matches!(
            refused(&resolved, t(3600)),
            Refusal::State {
                state: "resolved",
                ..
            }
        ));
    }

    #[test]
    fn while_snoozed_reminders_are_held_and_at_its_end_it_pages_from_the_first_step_again() {
        let mut policy = policy();
        policy.severities[0].update_every = Some(Duration::from_secs(1800));
        let mut situation = Situation::default();
        let run = |situation: &mut Situation, input: Input, now: Timestamp| {
            let decision = decide(&policy, situation, input, &ctx(now)).unwrap();
            apply(situation, &decision);
            decision
        };
        run(
            &mut situation,
            Input::Signal(signal(SignalStatus::Firing)),
            t(0),
        );
        run(
            &mut situation,
            Input::Acknowledge {
                actor: "sami".into(),
            },
            t(60),
        );
        run(&mut situation, snooze_until(t(7200)), t(120));
        // The update reminder falls due during the snooze: held, the cadence kept.
        let held = run(
            &mut situation,
            Input::UpdateDue { due_at: t(1800) },
            t(1800),
        );
        assert!(held.events.is_empty(), "{:?}", kinds(&held));
        assert!(notified(&held).is_empty());
        assert!(held.effects.iter().any(|e| matches!(
            e,
            Effect::SetTimer {
                kind: TimerKind::UpdateDue,
                ..
            }
        )));
        // A stale timer (an earlier snooze's) does nothing.
        assert!(
            run(
                &mut situation,
                Input::SnoozeEnds { due_at: t(3600) },
                t(3600)
            )
            .is_empty()
        );
        let ended = run(
            &mut situation,
            Input::SnoozeEnds { due_at: t(7200) },
            t(7200),
        );
        assert_eq!(kinds(&ended), ["snooze_ended", "escalated"]);
        let incident = situation.incident.clone().unwrap();
        assert_eq!(incident.state, IncidentState::Triggered);
        assert_eq!(incident.acknowledged_by, None);
        assert_eq!(incident.snoozed_until, None);
        assert_eq!(incident.escalation_step, 0);
        assert_eq!(
            incident.escalation_ladder, 2,
            "a new ladder: its pages are new"
        );
        assert_eq!(
            pages(&ended),
            [
                ("a".to_owned(), "sms".to_owned(), 0, 0),
                ("a".to_owned(), "email".to_owned(), 0, 0)
            ]
        );
        assert!(ended.effects.contains(&Effect::SetTimer {
            kind: TimerKind::ResponseDue,
            incident_id: incident.id.clone(),
            due_at: t(7200 + 900),
        }));
    }

    #[test]
    fn resolving_ends_the_snooze() {
        let mut situation = opened();
        step(
            &mut situation,
            Input::Acknowledge {
                actor: "sami".into(),
            },
            t(60),
        );
        step(&mut situation, snooze_until(t(7200)), t(120));
        let resolved = step(
            &mut situation,
            Input::Resolve {
                actor: "sami".into(),
            },
            t(300),
        );
        let incident = situation.incident.clone().unwrap();
        assert_eq!(incident.snoozed_until, None);
        assert!(resolved.effects.contains(&Effect::CancelTimers {
            kind: TimerKind::SnoozeEnds,
            incident_id: incident.id.clone(),
        }));
        // Its timer, had it fired anyway, changes nothing.
        assert!(
            decide(
                &policy(),
                &situation,
                Input::SnoozeEnds { due_at: t(7200) },
                &ctx(t(7200))
            )
            .unwrap()
            .is_empty()
        );
    }
}
