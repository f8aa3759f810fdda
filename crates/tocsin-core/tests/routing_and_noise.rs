//! Label routes, silences and inhibition as decisions: what pages, what is only recorded, and
//! what a held incident does when nothing holds it any more. Literal times; no clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::decide::{Ctx, Decision, Effect, Input, Policy, SeverityRule, Situation, decide};
use tocsin_core::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
use tocsin_core::incident::{EventKind, IncidentState};
use tocsin_core::labels::Labels;
use tocsin_core::matcher::Matchers;
use tocsin_core::noise::{Holding, Quiet};
use tocsin_core::policy::LabelRouteRule;
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_core::silence::{Silence, SilenceRecord};

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).expect("valid")
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn severity(id: &str, within: u64) -> SeverityRule {
    SeverityRule {
        id: id.into(),
        respond_within: Duration::from_secs(within),
        notify: vec!["slack".into()],
        pages: true,
        update_every: None,
    }
}

fn ladder(id: &str, contact: &str) -> EscalationRule {
    EscalationRule {
        id: id.into(),
        repeat: 0,
        steps: vec![StepRule {
            targets: vec![PageTarget::Contact(contact.into())],
            after: Duration::from_secs(300),
        }],
    }
}

fn policy() -> Policy {
    Policy {
        severities: vec![severity("SEV-1", 900), severity("SEV-2", 1800)],
        routes: vec![RouteRule {
            category: "*".into(),
            escalation: Some("backend".into()),
        }],
        label_routes: vec![LabelRouteRule {
            matchers: Matchers::parse(&map(&[("service", "checkout"), ("env", "~prod.*")]))
                .expect("valid"),
            title: "Checkout in production".into(),
            escalation: Some("payments".into()),
            runbook: None,
        }],
        escalations: vec![ladder("backend", "ann"), ladder("payments", "bo")],
        contacts: vec![
            ContactRule {
                id: "ann".into(),
                name: "Ann".into(),
                methods: vec!["email".into()],
            },
            ContactRule {
                id: "bo".into(),
                name: "Bo".into(),
                methods: vec!["email".into()],
            },
        ],
        reopen_window: Duration::from_secs(3600),
        ..Policy::default()
    }
}

fn ctx(now: Timestamp, quiet: &Quiet) -> Ctx {
    Ctx {
        now,
        new_incident_id: format!("inc-{}", now.as_second()),
        new_alert_id: format!("al-{}", now.as_second()),
        new_comms_id: format!("c-{}", now.as_second()),
        on_call: BTreeMap::new(),
        quiet: Arc::new(quiet.clone()),
    }
}

fn signal(key: &str, severity: &str, labels: &[(&str, &str)]) -> Signal {
    Signal {
        source: "integration:am".into(),
        dedup_key: key.into(),
        status: SignalStatus::Firing,
        severity: Some(severity.into()),
        title: format!("{key} firing"),
        summary: None,
        category: None,
        component: labels
            .iter()
            .find(|(k, _)| *k == "component")
            .map(|(_, v)| (*v).to_owned()),
        runbook: None,
        occurred_at: t(0),
        details: serde_json::Value::Null,
        labels: Labels::bounded(labels.iter().copied()),
    }
}

fn silence(matchers: &[(&str, &str)], from: i64, until: i64) -> Silence {
    Silence::compile(SilenceRecord {
        id: "sil-1".into(),
        matchers: map(matchers),
        starts_at: t(from),
        ends_at: t(until),
        comment: "checkout deploy".into(),
        created_by: "sami".into(),
    })
    .expect("valid")
}

fn paged(decision: &Decision) -> Vec<String> {
    decision
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Page { contact, .. } => Some(contact.clone()),
            _ => None,
        })
        .collect()
}

fn told(decision: &Decision) -> usize {
    decision
        .effects
        .iter()
        .filter(|effect| matches!(effect, Effect::Notify { .. } | Effect::CustomerComms(_)))
        .count()
}

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
}

#[test]
fn a_label_route_sends_a_matching_signal_to_its_escalation_first_match_wins() {
    let quiet = Quiet::default();
    let checkout = signal("a", "SEV-2", &[("service", "checkout"), ("env", "prod")]);
    let decision = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(checkout),
        &ctx(t(0), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&decision), ["bo"]);
    let incident = decision.incident.expect("opened");
    assert_eq!(incident.escalation.as_deref(), Some("payments"));
    assert_eq!(incident.route_escalation.as_deref(), Some("payments"));

    // Not prod: the category route pages.
    let staging = signal("b", "SEV-2", &[("service", "checkout"), ("env", "staging")]);
    let decision = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(staging),
        &ctx(t(0), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&decision), ["ann"]);
}

#[test]
fn a_silenced_signal_is_recorded_pages_nobody_and_the_first_signal_after_the_silence_pages() {
    let quiet = Quiet {
        silences: vec![silence(&[("service", "checkout")], 0, 3600)],
        holding: vec![],
    };
    let mut situation = Situation::default();
    let first = signal("a", "SEV-2", &[("service", "checkout"), ("env", "prod")]);
    let opened = decide(
        &policy(),
        &situation,
        Input::Signal(first.clone()),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    assert!(paged(&opened).is_empty());
    assert_eq!(told(&opened), 0, "no channel, no customer");
    assert!(
        !opened
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::SetTimer { .. })),
        "no response target runs while silenced"
    );
    let incident = opened.incident.clone().expect("recorded");
    assert_eq!(incident.held_by.as_deref(), Some("silence:sil-1"));
    let silenced = opened
        .events
        .iter()
        .find(|event| event.kind == EventKind::Silenced)
        .expect("the timeline names the silence");
    assert!(silenced.text.contains("sil-1"), "{}", silenced.text);
    apply(&mut situation, &opened);

    // A repeat inside the window: counted, still quiet.
    let repeat = decide(
        &policy(),
        &situation,
        Input::Signal(first.clone()),
        &ctx(t(1800), &quiet),
    )
    .expect("decided");
    assert!(paged(&repeat).is_empty());
    assert_eq!(told(&repeat), 0);
    apply(&mut situation, &repeat);

    // The silence has ended: the next signal announces and pages, as of now.
    let after = decide(
        &policy(),
        &situation,
        Input::Signal(first),
        &ctx(t(3600), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&after), ["bo"], "the label route's ladder");
    assert_eq!(told(&after), 1, "its severity's channel");
    let incident = after.incident.expect("released");
    assert_eq!(incident.held_by, None);
    assert_eq!(incident.respond_by, t(3600 + 1800));
}

#[test]
fn an_expired_silence_matches_nothing_and_other_labels_are_not_silenced() {
    let quiet = Quiet {
        silences: vec![silence(&[("service", "checkout")], 0, 100)],
        holding: vec![],
    };
    let decision = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(signal("a", "SEV-2", &[("service", "checkout")])),
        &ctx(t(100), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&decision), ["ann"]);
    let quiet = Quiet {
        silences: vec![silence(&[("service", "checkout")], 0, 3600)],
        holding: vec![],
    };
    let decision = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(signal("b", "SEV-2", &[("service", "search")])),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&decision), ["ann"]);
}

#[test]
fn resolving_a_silenced_incident_tells_nobody() {
    let quiet = Quiet {
        silences: vec![silence(&[("service", "checkout")], 0, 3600)],
        holding: vec![],
    };
    let mut situation = Situation::default();
    let firing = signal("a", "SEV-2", &[("service", "checkout")]);
    let opened = decide(
        &policy(),
        &situation,
        Input::Signal(firing.clone()),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    apply(&mut situation, &opened);
    let resolved = Signal {
        status: SignalStatus::Resolved,
        ..firing
    };
    let decision = decide(
        &policy(),
        &situation,
        Input::Signal(resolved),
        &ctx(t(20), &quiet),
    )
    .expect("decided");
    let incident = decision.incident.clone().expect("resolved");
    assert_eq!(incident.state, IncidentState::Resolved);
    assert_eq!(
        incident.held_by.as_deref(),
        Some("silence:sil-1"),
        "the record keeps it"
    );
    assert_eq!(told(&decision), 0);
}

#[test]
fn an_open_sev1_on_a_component_holds_back_lower_pages_there_and_resolving_it_pages_nothing() {
    let quiet = Quiet {
        silences: vec![],
        holding: vec![Holding {
            incident_id: "inc-sev1".into(),
            component: "checkout".into(),
        }],
    };
    let mut situation = Situation::default();
    let lower = signal("a", "SEV-2", &[("component", "checkout")]);
    let opened = decide(
        &policy(),
        &situation,
        Input::Signal(lower.clone()),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    assert!(paged(&opened).is_empty());
    let held = opened
        .events
        .iter()
        .find(|event| event.kind == EventKind::Inhibited)
        .expect("the timeline names the holding incident");
    assert!(held.text.contains("inc-sev1"), "{}", held.text);
    assert_eq!(
        opened.incident.as_ref().and_then(|i| i.held_by.as_deref()),
        Some("incident:inc-sev1")
    );
    apply(&mut situation, &opened);

    // Another component, or the most severe level itself: paged as usual.
    let elsewhere = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(signal("b", "SEV-2", &[("component", "search")])),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&elsewhere), ["ann"]);
    let sev1 = decide(
        &policy(),
        &Situation::default(),
        Input::Signal(signal("c", "SEV-1", &[("component", "checkout")])),
        &ctx(t(10), &quiet),
    )
    .expect("decided");
    assert_eq!(paged(&sev1), ["ann"]);

    // The SEV-1 resolved: nothing is paged by that alone; the held incident's next signal is
    // decided afresh and pages.
    let free = Quiet::default();
    let next = decide(
        &policy(),
        &situation,
        Input::Signal(lower),
        &ctx(t(600), &free),
    )
    .expect("decided");
    assert_eq!(paged(&next), ["ann"]);
}

#[test]
fn a_batch_keeps_its_holding_incidents_current() {
    let policy = policy();
    let mut quiet = Quiet::default();
    let sev1 = decide(
        &policy,
        &Situation::default(),
        Input::Signal(signal("c", "SEV-1", &[("component", "checkout")])),
        &ctx(t(0), &quiet),
    )
    .expect("decided");
    let incident = sev1.incident.expect("opened");
    assert!(quiet.changed_by(&policy, &incident));
    quiet.note(&policy, &incident);
    assert_eq!(quiet.holding.len(), 1);
    // A silenced SEV-1 holds nothing: nobody was paged for it.
    let mut silenced = incident.clone();
    silenced.held_by = Some("silence:sil-1".into());
    assert!(!tocsin_core::noise::holds(&policy, &silenced));
    let mut resolved = incident.clone();
    resolved.state = IncidentState::Resolved;
    assert!(quiet.changed_by(&policy, &resolved));
    quiet.note(&policy, &resolved);
    assert!(quiet.holding.is_empty());
}

#[test]
fn a_decision_changes_holding_only_when_a_component_is_newly_held_or_freed() {
    use tocsin_core::noise::changes_holding;
    let policy = policy();
    let opened = decide(
        &policy,
        &Situation::default(),
        Input::Signal(signal("c", "SEV-1", &[("component", "checkout")])),
        &ctx(t(0), &Quiet::default()),
    )
    .expect("decided")
    .incident
    .expect("opened");
    // Opening a SEV-1 on a component holds it; leaving it as it was changes nothing.
    assert!(changes_holding(&policy, None, Some(&opened)));
    assert!(!changes_holding(&policy, Some(&opened), None));
    // Growing it (another alert, a later touch) changes nothing either.
    let mut grown = opened.clone();
    grown.alert_count += 1;
    assert!(!changes_holding(&policy, Some(&opened), Some(&grown)));
    // Resolving, silencing, moving to another component or lowering its severity frees or
    // moves what it holds.
    let mut resolved = opened.clone();
    resolved.state = IncidentState::Resolved;
    assert!(changes_holding(&policy, Some(&opened), Some(&resolved)));
    let mut silenced = opened.clone();
    silenced.held_by = Some("silence:sil-1".into());
    assert!(changes_holding(&policy, Some(&opened), Some(&silenced)));
    let mut moved = opened.clone();
    moved.component = Some("search".into());
    assert!(changes_holding(&policy, Some(&opened), Some(&moved)));
    let mut lowered = opened.clone();
    lowered.severity = "SEV-2".into();
    assert!(changes_holding(&policy, Some(&opened), Some(&lowered)));
    // A lower incident opening or growing holds nothing, before or after.
    let mut lower = opened.clone();
    lower.severity = "SEV-2".into();
    assert!(!changes_holding(&policy, None, Some(&lower)));
}
