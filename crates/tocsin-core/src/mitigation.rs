//! Mitigation actions as decisions: a request records its run (running, or failed at once with
//! the reason it cannot run) and says so on the timeline; a run's end records how it ended. The
//! shell runs the command or the HTTP call between the two and feeds the result back.

use crate::action_run::{ActionRun, RunStatus};
use crate::decision::{ActionRequest, ActionResult, Ctx, Decision, Effect, Refusal, Situation};
use crate::incident::{EventKind, TimelineEvent};

/// A person asked for an action: the run is recorded with its timeline event, in one
/// transaction. A refused request (`refused`) is a finished, failed run: nothing is sent.
pub fn request(
    situation: &Situation,
    request: ActionRequest,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let ActionRequest {
        actor,
        run_id,
        action_id,
        title,
        what,
        refused,
    } = request;
    let mut run = ActionRun {
        id: run_id,
        incident_id: incident.id.clone(),
        action_id,
        requested_by: actor.clone(),
        requested_at: ctx.now,
        what,
        status: RunStatus::Running,
        exit_status: None,
        output: None,
        finished_at: None,
    };
    let event = match refused {
        Some(reason) => {
            run.status = RunStatus::Failed;
            run.output = Some(reason.clone());
            run.finished_at = Some(ctx.now);
            TimelineEvent {
                incident_id: incident.id.clone(),
                at: ctx.now,
                kind: EventKind::ActionFailed,
                actor,
                text: format!("The action “{title}” was not run: {reason}. Nothing was sent."),
                data: serde_json::json!({
                    "action": run.action_id,
                    "run": run.id,
                    "refused": reason,
                }),
            }
        }
        None => TimelineEvent {
            incident_id: incident.id.clone(),
            at: ctx.now,
            kind: EventKind::ActionRequested,
            actor,
            text: format!("Ran the action “{title}”"),
            data: serde_json::json!({ "action": run.action_id, "run": run.id, "what": run.what }),
        },
    };
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![Effect::RecordActionRun(run)],
    })
}

/// A run ended: its status, exit status and output are recorded with the timeline's line.
pub fn finished(
    situation: &Situation,
    result: ActionResult,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let ActionResult {
        mut run,
        title,
        ok,
        exit_status,
        output,
        summary,
    } = result;
    if run.incident_id != incident.id {
        return Err(Refusal::Invalid(format!(
            "the run `{}` belongs to another incident",
            run.id
        )));
    }
    run.status = if ok {
        RunStatus::Succeeded
    } else {
        RunStatus::Failed
    };
    run.exit_status = exit_status;
    run.output = Some(output.clone());
    run.finished_at = Some(ctx.now);
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: if ok {
            EventKind::ActionSucceeded
        } else {
            EventKind::ActionFailed
        },
        actor: "tocsin".into(),
        text: format!(
            "The action “{title}” {}: {summary}",
            if ok { "succeeded" } else { "failed" },
        ),
        data: serde_json::json!({
            "action": run.action_id,
            "run": run.id,
            "exit_status": exit_status,
            "output": output,
        }),
    };
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![Effect::RecordActionRun(run)],
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::incident::{Incident, IncidentState};

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + seconds).expect("valid timestamp")
    }

    fn ctx(now: Timestamp) -> Ctx {
        Ctx {
            now,
            new_incident_id: "unused".into(),
            new_alert_id: "unused".into(),
            on_call: Default::default(),
            new_comms_id: "unused".into(),
            quiet: Default::default(),
        }
    }

    fn situation(state: IncidentState) -> Situation {
        Situation {
            incident: Some(Incident {
                id: "inc-1".into(),
                title: "db down".into(),
                public_title: None,
                severity: "SEV-1".into(),
                state,
                category: None,
                component: None,
                summary: None,
                runbook: None,
                source: "manual".into(),
                opened_at: t(0),
                acknowledged_at: None,
                acknowledged_by: None,
                resolved_at: None,
                respond_by: t(900),
                alert_count: 0,
                escalation: None,
                escalation_step: 0,
                escalation_round: 0,
                escalation_due_at: None,
                escalation_ladder: 0,
                roles: Default::default(),
                merged_into: None,
                snoozed_until: None,
                held_by: None,
                route_escalation: None,
            }),
            ..Situation::default()
        }
    }

    fn ask(refused: Option<&str>) -> ActionRequest {
        ActionRequest {
            actor: "ann".into(),
            run_id: "run-1".into(),
            action_id: "restart".into(),
            title: "Restart the API".into(),
            what: r#"["/bin/restart"]"#.into(),
            refused: refused.map(str::to_owned),
        }
    }

    fn run_of(decision: &Decision) -> &ActionRun {
        match decision.effects.as_slice() {
            [Effect::RecordActionRun(run)] => run,
            other => panic!("one recorded run, not {other:?}"),
        }
    }

    #[test]
    fn a_request_records_a_running_run_and_its_result_finishes_it() {
        let situation = situation(IncidentState::Acknowledged);
        let asked = request(&situation, ask(None), &ctx(t(60))).expect("recorded");
        let run = run_of(&asked).clone();
        assert_eq!(
            (run.status, run.requested_at, run.requested_by.as_str()),
            (RunStatus::Running, t(60), "ann")
        );
        assert_eq!(asked.events.len(), 1);
        assert_eq!(asked.events[0].kind, EventKind::ActionRequested);
        assert_eq!(asked.events[0].text, "Ran the action “Restart the API”");
        assert!(asked.incident.is_none(), "the incident itself is untouched");

        for (ok, kind, status, words) in [
            (
                true,
                EventKind::ActionSucceeded,
                RunStatus::Succeeded,
                "The action “Restart the API” succeeded: exit 0",
            ),
            (
                false,
                EventKind::ActionFailed,
                RunStatus::Failed,
                "The action “Restart the API” failed: exit 0",
            ),
        ] {
            let ended = finished(
                &situation,
                ActionResult {
                    run: run.clone(),
                    title: "Restart the API".into(),
                    ok,
                    exit_status: Some(0),
                    output: "done".into(),
                    summary: "exit 0".into(),
                },
                &ctx(t(65)),
            )
            .expect("recorded");
            let ran = run_of(&ended);
            assert_eq!(
                (
                    ran.status,
                    ran.finished_at,
                    ran.output.as_deref(),
                    ran.requested_at
                ),
                (status, Some(t(65)), Some("done"), t(60))
            );
            assert_eq!(ended.events[0].kind, kind);
            assert_eq!(ended.events[0].text, words);
            assert_eq!(ended.events[0].actor, "tocsin");
        }
    }

    #[test]
    fn a_refused_request_is_a_failed_run_that_says_why_and_sends_nothing() {
        // A resolved incident still records runs (a clean-up after the fact), as before.
        let refused = request(
            &situation(IncidentState::Resolved),
            ask(Some("no deploy is recorded")),
            &ctx(t(60)),
        )
        .expect("recorded");
        let run = run_of(&refused);
        assert_eq!(
            (run.status, run.finished_at, run.output.as_deref()),
            (
                RunStatus::Failed,
                Some(t(60)),
                Some("no deploy is recorded")
            )
        );
        assert_eq!(refused.events[0].kind, EventKind::ActionFailed);
        assert_eq!(
            refused.events[0].text,
            "The action “Restart the API” was not run: no deploy is recorded. Nothing was sent."
        );
        assert_eq!(refused.events[0].data["refused"], "no deploy is recorded");
    }

    #[test]
    fn no_incident_no_run() {
        assert_eq!(
            request(&Situation::default(), ask(None), &ctx(t(0))),
            Err(Refusal::NoIncident)
        );
    }
}
