//! Valid definitions compile to the expected workflows.

use super::super::{
    Answer, Ask, Audience, Channel, CheckContext, Next, Period, Remind, SeatTarget, State, StateId,
    Step, Timeout, Trigger, Workflow, compile, workflow_name,
};
use super::{compile_text, ctx, set};

const INVITE: &str = include_str!("../../../workflows/invite.yaml");

fn notify(da: &str, en: &str) -> Step {
    Step::Notify {
        audience: Audience::Secretariat,
        message: Some(da.to_string()),
        message_en: Some(en.to_string()),
    }
}

#[test]
fn the_shipped_invite_workflow_compiles_without_any_diagnostics() {
    let ctx = CheckContext {
        templates: Some(set(&[
            "invitation",
            "invitation_reminder",
            "registration_confirmation",
            "decline_receipt",
        ])),
        workflows: Some(set(&["invite"])),
    };
    let compiled = compile(INVITE, &ctx);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        compiled.render("workflows/invite.yaml")
    );
    assert_eq!(compiled.render("workflows/invite.yaml"), "");
    let all = [Channel::Preferred, Channel::Sms, Channel::Email];
    let expected = Workflow {
        name: "invite".to_string(),
        description: Some("Invite the person assigned to a seat and get a yes or no.".to_string()),
        trigger: Trigger::SeatAssigned,
        initial: StateId(0),
        states: vec![
            State {
                name: "asking".to_string(),
                steps: vec![Step::SetSeat(SeatTarget::Invited)],
                next: Next::Ask(Ask {
                    template: "invitation".to_string(),
                    channels: all.to_vec(),
                    answers: vec![(Answer::Yes, StateId(1)), (Answer::No, StateId(2))],
                    remind: Some(Remind {
                        every: Period {
                            days: 4,
                            seconds: 0,
                        },
                        template: "invitation_reminder".to_string(),
                        max: Some(2),
                    }),
                    timeout: Some(Timeout {
                        after: Period {
                            days: 10,
                            seconds: 0,
                        },
                        goto: StateId(3),
                        before_start: Timeout::DEFAULT_BEFORE_START,
                    }),
                }),
            },
            State {
                name: "confirmed".to_string(),
                steps: vec![
                    Step::SetSeat(SeatTarget::Confirmed),
                    Step::Send {
                        template: "registration_confirmation".to_string(),
                        channels: all.to_vec(),
                    },
                ],
                next: Next::Final,
            },
            State {
                name: "declined".to_string(),
                steps: vec![
                    Step::SetSeat(SeatTarget::Vacant),
                    Step::Send {
                        template: "decline_receipt".to_string(),
                        channels: all.to_vec(),
                    },
                    notify("Personen sagde nej tak; pladsen er ledig igen.", "Declined; the seat is free again."),
                    Step::Notify {
                        audience: Audience::Team,
                        message: Some("Jeres medlem har sagt nej tak; pladsen er ledig igen og tilbydes partiets reserver.".to_string()),
                        message_en: Some("Your member declined; the seat is free again and offered to the party's standby.".to_string()),
                    },
                ],
                next: Next::Final,
            },
            State {
                name: "unanswered".to_string(),
                steps: vec![
                    Step::SetSeat(SeatTarget::Vacant),
                    notify("Intet svar på invitationen; pladsen er ledig igen.", "No answer to the invitation; the seat is free again."),
                    Step::Notify {
                        audience: Audience::Team,
                        message: Some("Jeres medlem har ikke svaret på invitationen; pladsen er ledig igen og tilbydes partiets reserver.".to_string()),
                        message_en: Some("Your member did not answer the invitation; the seat is free again and offered to the party's standby.".to_string()),
                    },
                ],
                next: Next::Final,
            },
        ],
    };
    assert_eq!(compiled.workflow, Some(expected));
}

#[test]
fn long_forms_initial_goto_and_start_compile_to_the_model() {
    let compiled = compile_text(
        "
        workflow: fill_seat
        starts_on: seat.vacated
        initial: announcing
        states:
          done:
          announcing:
            do:
              - send: { template: invitation, channels: [telegram, sms] }
              - notify: secretariat
              - start: invite
            goto: done
        ",
    );
    assert!(compiled.diagnostics.is_empty(), "{}", compiled.render("t"));
    let expected = Workflow {
        name: "fill_seat".to_string(),
        description: None,
        trigger: Trigger::SeatVacated,
        initial: StateId(1),
        states: vec![
            State {
                name: "done".to_string(),
                steps: vec![],
                next: Next::Final,
            },
            State {
                name: "announcing".to_string(),
                steps: vec![
                    Step::Send {
                        template: "invitation".to_string(),
                        channels: vec![Channel::Telegram, Channel::Sms],
                    },
                    Step::Notify {
                        audience: Audience::Secretariat,
                        message: None,
                        message_en: None,
                    },
                    Step::Start {
                        workflow: "invite".to_string(),
                    },
                ],
                next: Next::Goto(StateId(0)),
            },
        ],
    };
    assert_eq!(compiled.workflow, Some(expected));
}

#[test]
fn a_timeout_without_a_reminder_and_a_period_in_hours_compile() {
    let compiled = compile_text(
        "
        workflow: quick
        starts_on: manual
        states:
          asking:
            ask:
              template: invitation
              channels: [email]
              answers:
                'yes': done
                \"no\": done
              timeout: { after: P1DT12H, goto: done }
          done:
        ",
    );
    assert!(compiled.diagnostics.is_empty(), "{}", compiled.render("t"));
    let workflow = compiled.workflow.expect("compiles");
    let Next::Ask(ask) = &workflow.states[0].next else {
        panic!("{:?}", workflow.states[0].next)
    };
    assert_eq!(ask.remind, None);
    assert_eq!(
        ask.timeout,
        Some(Timeout {
            after: Period {
                days: 1,
                seconds: 12 * 3600
            },
            goto: StateId(1),
            before_start: Timeout::DEFAULT_BEFORE_START,
        })
    );
    assert_eq!(ask.channels, [Channel::Email]);
}

#[test]
fn a_definition_with_errors_gives_no_workflow() {
    let compiled = compile(
        "workflow: invite\nstarts_on: manual\nstates:\n  done:\n    goto: nowhere\n",
        &ctx(),
    );
    assert!(compiled.has_errors());
    assert_eq!(compiled.workflow, None);
}

#[test]
fn the_workflow_name_is_peeked_without_reading_the_rest() {
    assert_eq!(workflow_name(INVITE).as_deref(), Some("invite"));
    assert_eq!(
        workflow_name("# header\nworkflow: fill_seat\nstates: [this is not checked").as_deref(),
        Some("fill_seat")
    );
    assert_eq!(
        workflow_name("description: x\nstates:\n  a:\n    workflow: nested\nworkflow: late\n")
            .as_deref(),
        Some("late")
    );
}

#[test]
fn there_is_no_workflow_name_to_peek_when_it_is_missing_or_not_a_name() {
    assert_eq!(workflow_name(""), None);
    assert_eq!(workflow_name("states:\n  workflow: nested\n"), None);
    assert_eq!(workflow_name("workflow: [a, b]\n"), None);
    assert_eq!(workflow_name("- workflow: x\n"), None);
    assert_eq!(workflow_name("workflow"), None);
}
