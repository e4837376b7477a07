//! Schedules, seat filters, offers and swaps: read, compiled, and each mistake
//! reported at its line and column.

use super::super::{Next, SeatStatus, SwapScope, Trigger, code, compile};
use super::{ctx, dedent, single};

fn scheduled(at: &str, rrule: &str, for_each: &str) -> String {
    dedent(&format!(
        "
        workflow: eve
        starts_on:
          schedule:
            at: {at}
            rrule: {rrule}
          for_each: {for_each}
        states:
          remind:
            do:
              - send: invitation
        "
    ))
}

#[test]
fn a_scheduled_start_compiles_with_its_time_repeat_and_filter() {
    let c = compile(
        &scheduled(
            "election_day - P1D 18:00",
            "FREQ=DAILY;COUNT=2",
            "seat where status = confirmed and task_type = \"Valgstyrer\"",
        ),
        &ctx(),
    );
    assert!(c.diagnostics.is_empty(), "{}", c.render("eve.yaml"));
    let Trigger::Schedule(start) = c.workflow.unwrap().trigger else {
        panic!("not a schedule");
    };
    assert_eq!(start.schedule.at.to_string(), "election_day - P1D 18:00");
    assert_eq!(start.schedule.rrule.as_deref(), Some("FREQ=DAILY;COUNT=2"));
    assert_eq!(start.schedule.catch_up.to_string(), "PT6H");
    assert_eq!(start.seats.any[0].status, Some(SeatStatus::Confirmed));
    assert_eq!(start.seats.any[0].task_type.as_deref(), Some("Valgstyrer"));
}

#[test]
fn a_misspelt_status_in_the_filter_is_reported_at_the_word() {
    let d = single(&scheduled(
        "election_day - P1D 18:00",
        "FREQ=DAILY;COUNT=1",
        "seat where status = confimed",
    ));
    assert_eq!(d.code, code::BAD_FILTER);
    assert_eq!((d.line, d.column), (6, 33));
    assert_eq!(d.help.as_deref(), Some("did you mean `confirmed`?"));
}

#[test]
fn a_bad_time_and_a_bad_rrule_are_each_reported_where_written() {
    let d = single(&scheduled(
        "electionday - P1D 18:00",
        "FREQ=DAILY;COUNT=1",
        "seat",
    ));
    assert_eq!((d.code, d.line, d.column), (code::BAD_SCHEDULE_TIME, 4, 9));
    assert_eq!(d.help.as_deref(), Some("did you mean `election_day`?"));
    let d = single(&scheduled("election_day 18:00", "FREQ=SOMETIMES", "seat"));
    assert_eq!((d.code, d.line, d.column), (code::BAD_RRULE, 5, 12));
    assert!(
        d.message
            .starts_with("`FREQ=SOMETIMES` is not a recurrence rule"),
        "{}",
        d.message
    );
}

const OFFERING: &str = "
    workflow: fill
    starts_on: seat.vacated
    states:
      offering:
        offer:
          template: invitation
          wave: 3
          wait: PT2H
          filled: filled
          unfilled: nobody
      filled:
      nobody:
    ";

#[test]
fn an_offer_compiles_and_leads_to_its_filled_and_unfilled_states() {
    let c = compile(&dedent(OFFERING), &ctx());
    assert!(c.diagnostics.is_empty(), "{}", c.render("fill.yaml"));
    let w = c.workflow.unwrap();
    let Next::Offer(offer) = &w.states[0].next else {
        panic!("not an offer");
    };
    assert_eq!(offer.wave, 3);
    assert!(offer.same_team, "only the seat's party, unless widened");
    assert_eq!(w.states[offer.filled.0].name, "filled");
    assert_eq!(w.states[offer.unfilled.0].name, "nobody");
}

#[test]
fn an_offer_with_a_wave_of_zero_or_a_misspelt_state_is_refused() {
    let d = single(&dedent(OFFERING).replace("wave: 3", "wave: 0"));
    assert_eq!((d.code, d.line, d.column), (code::BAD_NUMBER, 7, 13));
    let d = single(&dedent(OFFERING).replace("unfilled: nobody", "unfilled: nobdy"));
    assert_eq!(d.code, code::UNKNOWN_STATE);
    assert_eq!(d.help.as_deref(), Some("did you mean `nobody`?"));
}

#[test]
fn an_offer_beside_a_goto_is_refused() {
    let text = dedent(OFFERING).replace("\n  filled:\n", "\n    goto: filled\n  filled:\n");
    let d = single(&text);
    assert_eq!(d.code, code::CONFLICTING_NEXT);
    assert_eq!(d.line, 5);
}

const SWAPPING: &str = "
    workflow: swap
    starts_on: swap.requested
    states:
      choosing:
        swap:
          template: invitation
          within: area
          wait: P1D
          moved: moved
          none: none
          kept: kept
      moved:
      none:
      kept:
    ";

#[test]
fn a_swap_compiles_with_its_scope_default_options_and_three_ways_on() {
    let c = compile(&dedent(SWAPPING), &ctx());
    assert!(c.diagnostics.is_empty(), "{}", c.render("swap.yaml"));
    let w = c.workflow.unwrap();
    assert_eq!(w.trigger, Trigger::SwapRequested);
    let Next::Swap(swap) = &w.states[0].next else {
        panic!("not a swap");
    };
    assert_eq!(swap.within, SwapScope::Area);
    assert_eq!(swap.options, 5);
    let names = [swap.moved, swap.none, swap.kept].map(|s| w.states[s.0].name.as_str());
    assert_eq!(names, ["moved", "none", "kept"]);
}

#[test]
fn a_swap_with_an_unknown_scope_ten_options_or_no_kept_state_is_refused_where_written() {
    let d = single(&dedent(SWAPPING).replace("within: area", "within: aera"));
    assert_eq!((d.code, d.line, d.column), (code::BAD_SWAP_SCOPE, 7, 15));
    assert_eq!(d.help.as_deref(), Some("did you mean `area`?"));
    let d = single(&dedent(SWAPPING).replace("within: area", "within: area\n      options: 10"));
    assert_eq!((d.code, d.line, d.column), (code::BAD_NUMBER, 8, 16));
    let d = single(
        &dedent(SWAPPING)
            .replace("      kept: kept\n", "")
            .replace("  kept:\n", ""),
    );
    assert_eq!((d.code, d.line, d.column), (code::MISSING_KEY, 6, 7));
    assert_eq!(
        d.message,
        "the `swap` of state `choosing` is missing `kept`"
    );
}

#[test]
fn a_swap_keeps_to_the_seats_team_unless_told_same_team_no() {
    let c = compile(&dedent(SWAPPING), &ctx());
    let Next::Swap(swap) = &c.workflow.unwrap().states[0].next else {
        panic!("not a swap");
    };
    assert!(swap.same_team, "the council's constitution by default");
    let widened = dedent(SWAPPING).replace("within: area", "within: area\n      same_team: no");
    let c = compile(&widened, &ctx());
    assert!(c.diagnostics.is_empty(), "{}", c.render("swap.yaml"));
    let Next::Swap(swap) = &c.workflow.unwrap().states[0].next else {
        panic!("not a swap");
    };
    assert!(!swap.same_team);
    let d =
        single(&dedent(SWAPPING).replace("within: area", "within: area\n      same_team: maybe"));
    assert_eq!((d.code, d.line, d.column), (code::BAD_BOOLEAN, 8, 18));
    assert_eq!(d.message, "`same_team` is `yes` or `no`, not `maybe`");
}

#[test]
fn a_swap_beside_an_ask_is_refused() {
    let text = dedent(SWAPPING).replace(
        "\n  moved:\n",
        "\n    ask:\n      template: invitation\n      answers: { yes: moved }\n  moved:\n",
    );
    let c = compile(&text, &ctx());
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == code::CONFLICTING_NEXT && d.line == 5),
        "{}",
        c.render("swap.yaml")
    );
}

#[test]
fn a_swap_with_approval_leads_to_its_refused_state() {
    let text = dedent(SWAPPING).replace(
        "      kept: kept\n",
        "      kept: kept\n      approval:\n        template: invitation\n        refused: kept\n",
    );
    let c = compile(&text, &ctx());
    assert!(c.diagnostics.is_empty(), "{}", c.render("swap.yaml"));
    let w = c.workflow.unwrap();
    let Next::Swap(swap) = &w.states[0].next else {
        panic!("not a swap");
    };
    let approval = swap.approval.as_ref().expect("an approval");
    assert_eq!(approval.template, "invitation");
    assert_eq!(w.states[approval.refused.0].name, "kept");
    let Next::Swap(plain) = &compile(&dedent(SWAPPING), &ctx()).workflow.unwrap().states[0].next
    else {
        panic!("not a swap");
    };
    assert!(
        plain.approval.is_none(),
        "without `approval` a choice moves at once"
    );
}

#[test]
fn an_approval_with_a_misspelt_state_or_no_template_is_refused_where_written() {
    let with = |approval: &str| {
        dedent(SWAPPING).replace(
            "      kept: kept\n",
            &format!("      kept: kept\n{approval}"),
        )
    };
    let d = single(&with(
        "      approval:\n        template: invitation\n        refused: kpet\n",
    ));
    assert_eq!((d.code, d.line, d.column), (code::UNKNOWN_STATE, 14, 18));
    assert_eq!(d.help.as_deref(), Some("did you mean `kept`?"));
    let d = single(&with("      approval:\n        refused: kept\n"));
    assert_eq!(d.code, code::MISSING_KEY);
    assert_eq!(
        d.message,
        "the `approval` of state `choosing` is missing `template`"
    );
}
