//! One small definition for each diagnostic code.

use super::super::{CheckContext, Next, compile};
use super::super::{Severity, code};
use super::{codes, compile_text, ctx, dedent, single, with_states};

/// A valid `asking` state whose answers lead to `confirmed` and `declined`.
const ASKING: &str = "
    asking:
      ask:
        template: invitation
        answers:
          yes: confirmed
          no: declined
";

fn states_after_asking(rest: &str) -> String {
    with_states(&format!("{}{}", dedent(ASKING), dedent(rest)))
}

#[test]
fn the_small_base_definition_has_no_diagnostics() {
    assert_eq!(
        codes(&states_after_asking("confirmed:\ndeclined:")),
        Vec::<&str>::new()
    );
}

#[test]
fn broken_yaml_is_one_yaml_syntax_error() {
    let d = single(&dedent(
        "
        workflow: invite
        states: [asking, confirmed
        starts_on: manual
        ",
    ));
    assert_eq!(d.code, code::YAML_SYNTAX);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        "this is not valid YAML: a `[` or `{` above is not closed"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("every `[` needs a `]` and every `{` a `}`, with commas between the items")
    );
}

#[test]
fn a_tab_in_the_indentation_is_a_yaml_syntax_error_that_says_so() {
    let d = single("workflow: invite\nstates:\n\tasking:\n");
    assert_eq!(d.code, code::YAML_SYNTAX);
    assert_eq!(d.help.as_deref(), Some("indent with spaces, not tabs"));
}

#[test]
fn an_empty_file_is_reported_as_empty() {
    for text in ["", "# only a comment\n", "---\n", "~\n"] {
        assert_eq!(codes(text), [code::EMPTY_FILE], "{text:?}");
    }
}

#[test]
fn a_second_yaml_document_is_refused() {
    let text = format!(
        "{}---\nworkflow: other\n",
        states_after_asking("confirmed:\ndeclined:")
    );
    let d = single(&text);
    assert_eq!(d.code, code::MULTIPLE_DOCUMENTS);
}

#[test]
fn anchors_and_aliases_are_refused_with_a_clear_error() {
    let text = states_after_asking("confirmed: &done\ndeclined: *done");
    let compiled = compile(&text, &ctx());
    let found: Vec<_> = compiled
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                code::UNSUPPORTED_ANCHOR,
                "anchors like `&done` are not supported in workflow files"
            ),
            (
                code::UNSUPPORTED_ANCHOR,
                "aliases like `*name` are not supported in workflow files"
            ),
        ]
    );
}

#[test]
fn a_duplicate_key_is_reported_at_the_second_occurrence_with_the_line_of_the_first() {
    let d = single(&format!(
        "description: one\n{}description: two\n",
        states_after_asking("confirmed:\ndeclined:")
    ));
    assert_eq!(d.code, code::DUPLICATE_KEY);
    assert_eq!(d.line, 13);
    assert_eq!(
        d.message,
        "`description` is given twice here; it was already given on line 1"
    );
}

#[test]
fn yes_and_no_as_answer_keys_are_the_strings_yes_and_no() {
    let compiled = compile_text(&states_after_asking("confirmed:\ndeclined:"));
    let ask = match &compiled.workflow.expect("compiles").states[0].next {
        Next::Ask(ask) => ask.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ask.answers.len(), 2);
}

#[test]
fn a_misspelt_key_suggests_the_key_allowed_at_that_place() {
    let d = single(&with_states(
        "
        asking:
          ask:
            template: invitation
            anwsers:
              yes: confirmed
              no: declined
        confirmed:
        declined:
        ",
    ));
    assert_eq!(d.code, code::UNKNOWN_KEY);
    assert_eq!(
        d.message,
        "unknown key `anwsers` in the `ask` of state `asking`"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `answers`?"));
}

#[test]
fn an_unknown_key_without_a_likely_meaning_lists_the_keys_allowed() {
    let d = single(&format!(
        "colour: blue\n{}",
        states_after_asking("confirmed:\ndeclined:")
    ));
    assert_eq!(d.code, code::UNKNOWN_KEY);
    assert_eq!(
        d.help.as_deref(),
        Some(
            "the keys allowed here are `workflow`, `description`, `starts_on`, `initial` and `states`"
        )
    );
}

#[test]
fn a_key_in_the_wrong_place_says_where_it_belongs() {
    let text = with_states(
        "
        asking:
          ask:
            template: invitation
            answers:
              yes: confirmed
              no: declined
          timeout:
            after: P10D
            goto: declined
        confirmed:
        declined:
        ",
    );
    let compiled = compile_text(&text);
    let d = &compiled.diagnostics[0];
    assert_eq!(d.code, code::UNKNOWN_KEY);
    assert_eq!(
        d.help.as_deref(),
        Some("`timeout` belongs inside `ask:`; check its indentation")
    );
}

#[test]
fn a_missing_key_is_named() {
    let d = single(&with_states(
        "
        asking:
          ask:
            answers:
              yes: confirmed
              no: declined
        confirmed:
        declined:
        ",
    ));
    assert_eq!(d.code, code::MISSING_KEY);
    assert_eq!(
        d.message,
        "the `ask` of state `asking` is missing `template`"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("add the message template to send, e.g. `template: invitation`")
    );
}

#[test]
fn every_missing_top_level_key_is_reported() {
    let text = "description: nothing else\n";
    assert_eq!(
        codes(text),
        [code::MISSING_KEY, code::MISSING_KEY, code::MISSING_KEY]
    );
    let messages: Vec<String> = compile_text(text)
        .diagnostics
        .into_iter()
        .map(|d| d.message)
        .collect();
    assert_eq!(
        messages,
        [
            "the workflow is missing `workflow`",
            "the workflow is missing `starts_on`",
            "the workflow is missing `states`"
        ]
    );
}

#[test]
fn a_single_channel_where_a_list_belongs_is_the_wrong_type() {
    let d = single(&with_states(
        "
        asking:
          ask:
            template: invitation
            channels: sms
            answers:
              yes: confirmed
              no: declined
        confirmed:
        declined:
        ",
    ));
    assert_eq!(d.code, code::WRONG_TYPE);
    assert_eq!(d.message, "expected a list of channels, found `sms`");
    assert_eq!(
        d.help.as_deref(),
        Some("write a list in brackets: `channels: [sms]`")
    );
}

#[test]
fn steps_without_dashes_are_the_wrong_type() {
    let d = single(&states_after_asking(
        "
        confirmed:
          do:
            set_seat: confirmed
        declined:
        ",
    ));
    assert_eq!(d.code, code::WRONG_TYPE);
    assert_eq!(d.message, "expected a list of steps, found a mapping");
}

#[test]
fn a_step_without_a_colon_says_to_add_one() {
    let d = single(&states_after_asking(
        "
        confirmed:
          do:
            - send registration_confirmation
        declined:
        ",
    ));
    assert_eq!(d.code, code::WRONG_TYPE);
    assert_eq!(
        d.help.as_deref(),
        Some("put a colon after the step's name: `send: …`")
    );
}

#[test]
fn a_workflow_name_with_capitals_and_spaces_is_a_bad_name() {
    let text = states_after_asking("confirmed:\ndeclined:")
        .replace("workflow: invite", "workflow: Invite Seat");
    let d = single(&text);
    assert_eq!(d.code, code::BAD_NAME);
    assert_eq!(d.help.as_deref(), Some("write `invite_seat`"));
}

#[test]
fn a_state_name_with_a_dash_is_a_bad_name() {
    let text = with_states(
        "
        asking:
          ask:
            template: invitation
            answers:
              yes: is-confirmed
              no: declined
        is-confirmed:
        declined:
        ",
    );
    let d = single(&text);
    assert_eq!(d.code, code::BAD_NAME);
    assert_eq!(d.line, 10);
}

#[test]
fn a_misspelt_state_in_a_goto_suggests_the_declared_one() {
    let d = single(&states_after_asking(
        "
        confirmed:
          goto: declnied
        declined:
        ",
    ));
    assert_eq!(d.code, code::UNKNOWN_STATE);
    assert_eq!(d.message, "there is no state `declnied`");
    assert_eq!(d.help.as_deref(), Some("did you mean `declined`?"));
}

#[test]
fn an_unknown_state_with_no_likely_meaning_lists_the_states() {
    let d = single(&states_after_asking(
        "confirmed:\n  goto: somewhere_else\ndeclined:",
    ));
    assert_eq!(d.code, code::UNKNOWN_STATE);
    assert_eq!(
        d.help.as_deref(),
        Some("the states are `asking`, `confirmed` and `declined`")
    );
}

#[test]
fn an_unknown_initial_state_is_reported() {
    let text = format!(
        "initial: askign\n{}",
        states_after_asking("confirmed:\ndeclined:")
    );
    let d = single(&text);
    assert_eq!(d.code, code::UNKNOWN_STATE);
    assert_eq!(d.help.as_deref(), Some("did you mean `asking`?"));
}

#[test]
fn a_misspelt_template_suggests_the_existing_one() {
    let d = single(&states_after_asking(
        "confirmed:\n  do:\n    - send: registration_confirmaton\ndeclined:",
    ));
    assert_eq!(d.code, code::UNKNOWN_TEMPLATE);
    assert_eq!(
        d.message,
        "there is no message template `registration_confirmaton`"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `registration_confirmation`?")
    );
}

#[test]
fn templates_are_not_checked_when_they_are_not_known() {
    let text = states_after_asking("confirmed:\n  do:\n    - send: anything\ndeclined:");
    let compiled = compile(
        &text,
        &CheckContext {
            templates: None,
            workflows: None,
        },
    );
    assert!(compiled.diagnostics.is_empty(), "{}", compiled.render("t"));
}

#[test]
fn starting_an_unknown_workflow_suggests_a_known_one() {
    let d = single(&states_after_asking(
        "confirmed:\ndeclined:\n  do:\n    - start: fill_set",
    ));
    assert_eq!(d.code, code::UNKNOWN_WORKFLOW);
    assert_eq!(d.message, "there is no workflow `fill_set`");
    assert_eq!(d.help.as_deref(), Some("did you mean `fill_seat`?"));
}

#[test]
fn danish_and_one_letter_answers_suggest_yes_and_no() {
    for (written, meant) in [
        ("ja", "yes"),
        ("y", "yes"),
        ("nej", "no"),
        ("n", "no"),
        ("yse", "yes"),
    ] {
        let other = if meant == "yes" {
            "no: declined"
        } else {
            "yes: confirmed"
        };
        let target = if meant == "yes" {
            "confirmed"
        } else {
            "declined"
        };
        let text = with_states(&format!(
            "asking:\n  ask:\n    template: invitation\n    answers:\n      {written}: {target}\n      {other}\nconfirmed:\ndeclined:\n"
        ));
        let d = single(&text);
        assert_eq!(d.code, code::UNKNOWN_ANSWER, "{written}");
        assert_eq!(
            d.message,
            format!("`{written}` is not an answer a person can give")
        );
        assert_eq!(
            d.help,
            Some(format!("did you mean `{meant}`?")),
            "{written}"
        );
    }
}

#[test]
fn an_answer_that_means_nothing_lists_the_answers() {
    let text = states_after_asking("confirmed:\ndeclined:")
        .replace("no: declined", "no: declined\n        maybe: declined");
    let d = single(&text);
    assert_eq!(d.code, code::UNKNOWN_ANSWER);
    assert_eq!(d.help.as_deref(), Some("the answers are `yes` and `no`"));
}

#[test]
fn a_misspelt_channel_suggests_the_real_one() {
    let text = states_after_asking("confirmed:\ndeclined:").replace(
        "template: invitation",
        "template: invitation\n      channels: [smss]",
    );
    let d = single(&text);
    assert_eq!(d.code, code::UNKNOWN_CHANNEL);
    assert_eq!(d.message, "`smss` is not a channel");
    assert_eq!(d.help.as_deref(), Some("did you mean `sms`?"));
}

#[test]
fn a_channel_listed_twice_is_reported() {
    let text = states_after_asking(
        "confirmed:\n  do:\n    - send: { template: decline_receipt, channels: [sms, email, sms] }\ndeclined:",
    );
    let d = single(&text);
    assert_eq!(d.code, code::DUPLICATE_CHANNEL);
    assert_eq!(d.message, "the channel `sms` is listed twice");
}

#[test]
fn an_empty_list_of_channels_is_reported() {
    let text = states_after_asking(
        "confirmed:\n  do:\n    - send: { template: decline_receipt, channels: [] }\ndeclined:",
    );
    assert_eq!(single(&text).code, code::NO_CHANNELS);
}

#[test]
fn a_period_in_words_suggests_the_iso_form() {
    let text = states_after_asking("confirmed:\ndeclined:").replace(
        "template: invitation",
        "template: invitation\n      timeout:\n        after: 4 days\n        goto: declined",
    );
    let d = single(&text);
    assert_eq!(d.code, code::BAD_PERIOD);
    assert_eq!(d.message, "`4 days` is not an ISO 8601 duration; write P4D");
}

#[test]
fn a_reminder_count_of_zero_is_a_bad_number() {
    let text = states_after_asking("confirmed:\ndeclined:").replace(
        "template: invitation",
        "template: invitation\n      remind:\n        every: P2D\n        template: invitation_reminder\n        max: 0",
    );
    assert_eq!(single(&text).code, code::BAD_NUMBER);
}

#[test]
fn a_misspelt_trigger_suggests_the_real_one() {
    let text =
        states_after_asking("confirmed:\ndeclined:").replace("seat.assigned", "seat.asigned");
    let d = single(&text);
    assert_eq!(d.code, code::UNKNOWN_TRIGGER);
    assert_eq!(d.help.as_deref(), Some("did you mean `seat.assigned`?"));
}

#[test]
fn an_unknown_seat_status_lists_the_statuses() {
    let d = single(&states_after_asking(
        "confirmed:\ndeclined:\n  do:\n    - set_seat: free",
    ));
    assert_eq!(d.code, code::BAD_SEAT_STATUS);
    assert_eq!(d.message, "`free` is not a seat status");
    assert_eq!(
        d.help.as_deref(),
        Some("use `vacant`, `invited`, `confirmed` or `no_show`")
    );
}

#[test]
fn notifying_someone_unknown_suggests_the_secretariat() {
    let d = single(&states_after_asking(
        "confirmed:\ndeclined:\n  do:\n    - notify: secretary",
    ));
    assert_eq!(d.code, code::UNKNOWN_AUDIENCE);
    assert_eq!(d.help.as_deref(), Some("did you mean `secretariat`?"));
}

#[test]
fn two_steps_in_one_list_item_are_reported() {
    let d = single(&states_after_asking(
        "
        confirmed:
        declined:
          do:
            - set_seat: vacant
              notify: secretariat
        ",
    ));
    assert_eq!(d.code, code::MULTIPLE_STEPS);
    assert_eq!(
        d.message,
        "`notify` is a second step in the same list item as `set_seat`"
    );
}

#[test]
fn a_misspelt_step_suggests_the_real_one() {
    let d = single(&states_after_asking(
        "confirmed:\ndeclined:\n  do:\n    - sned: decline_receipt",
    ));
    assert_eq!(d.code, code::UNKNOWN_KEY);
    assert_eq!(d.message, "`sned` is not a step");
    assert_eq!(d.help.as_deref(), Some("did you mean `send`?"));
}

#[test]
fn a_state_with_both_ask_and_goto_is_reported() {
    let text = states_after_asking("confirmed:\ndeclined:")
        .replace("  confirmed:\n", "    goto: declined\n  confirmed:\n");
    let d = single(&text);
    assert_eq!(d.code, code::ASK_AND_GOTO);
    assert_eq!(d.message, "state `asking` has both `ask` and `goto`");
}

#[test]
fn a_workflow_without_states_is_reported() {
    assert_eq!(
        codes("workflow: invite\nstarts_on: manual\nstates:\n"),
        [code::NO_STATES]
    );
    assert_eq!(
        codes("workflow: invite\nstarts_on: manual\nstates: {}\n"),
        [code::NO_STATES]
    );
}

#[test]
fn states_that_only_goto_each_other_are_a_loop() {
    let d = single(&states_after_asking(
        "
        confirmed:
          goto: thanking
        thanking:
          goto: confirmed
        declined:
        ",
    ));
    assert_eq!(d.code, code::GOTO_LOOP);
    assert_eq!(
        d.message,
        "the states `confirmed` → `thanking` → `confirmed` go to each other with `goto` and never wait for an answer, so they would loop forever"
    );
    assert_eq!((d.line, d.column), (11, 11));
}

#[test]
fn a_goto_that_passes_through_an_ask_is_not_a_loop() {
    let text = states_after_asking("confirmed:\ndeclined:\n  goto: asking");
    assert_eq!(codes(&text), Vec::<&str>::new());
}

#[test]
fn an_ask_with_no_answers_is_reported() {
    let text = with_states("asking:\n  ask:\n    template: invitation\n    answers: {}\n");
    assert_eq!(codes(&text), [code::EMPTY_ANSWERS]);
    let text = with_states("asking:\n  ask:\n    template: invitation\n    answers:\n");
    assert_eq!(codes(&text), [code::EMPTY_ANSWERS]);
}

#[test]
fn a_state_nothing_leads_to_is_a_warning() {
    let compiled = compile_text(&states_after_asking("confirmed:\ndeclined:\nforgotten:"));
    assert_eq!(compiled.diagnostics.len(), 1);
    let d = &compiled.diagnostics[0];
    assert_eq!(
        (d.code, d.severity),
        (code::UNREACHABLE_STATE, Severity::Warning)
    );
    assert_eq!(
        d.message,
        "state `forgotten` can never be reached from the first state `asking`"
    );
    assert!(
        compiled.workflow.is_some(),
        "warnings do not stop compiling"
    );
}

#[test]
fn a_misspelt_reference_does_not_also_make_its_state_unreachable() {
    let text =
        states_after_asking("confirmed:\ndeclined:").replace("yes: confirmed", "yes: confimred");
    assert_eq!(codes(&text), [code::UNKNOWN_STATE]);
}

#[test]
fn an_ask_without_a_no_answer_is_a_warning() {
    let text = with_states(
        "
        asking:
          ask:
            template: invitation
            answers:
              yes: confirmed
            timeout:
              after: P10D
              goto: declined
        confirmed:
        declined:
        ",
    );
    let d = single(&text);
    assert_eq!(
        (d.code, d.severity),
        (code::MISSING_ANSWER, Severity::Warning)
    );
    assert_eq!(
        d.message,
        "the question in state `asking` does not handle the answer `no`"
    );
}

#[test]
fn a_reminder_not_before_the_timeout_is_a_warning() {
    let text = states_after_asking("confirmed:\ndeclined:").replace(
        "template: invitation",
        "template: invitation\n      remind:\n        every: P10D\n        template: invitation_reminder\n      timeout:\n        after: P1WT72H\n        goto: declined",
    );
    let d = single(&text);
    assert_eq!(
        (d.code, d.severity),
        (code::REMIND_AFTER_TIMEOUT, Severity::Warning)
    );
    assert_eq!(
        d.message,
        "the first reminder would come after P10D, but the question times out after P7DT72H, so no reminder would ever be sent"
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = with_states(
        "
        asking:
          ask:
            template: invitaton
            channels: [smss]
            answers:
              ja: confirmed
              no: declnied
            remind:
              every: 4 days
              template: invitation_reminder
        confirmed:
          do:
            - set_seat: free
        declined:
        ",
    );
    assert_eq!(
        codes(&text),
        [
            code::UNKNOWN_TEMPLATE,
            code::UNKNOWN_CHANNEL,
            code::UNKNOWN_ANSWER,
            code::UNKNOWN_STATE,
            code::BAD_PERIOD,
            code::BAD_SEAT_STATUS
        ]
    );
}

#[test]
fn a_definition_too_large_is_refused_before_it_is_read() {
    let huge: String = (0..160_000).map(|i| format!("k{i}: 1\n")).collect();
    let compiled = compile(&huge, &ctx());
    assert_eq!(compiled.diagnostics.len(), 1);
    assert_eq!(compiled.diagnostics[0].code, code::TOO_LARGE);
    assert!(compiled.diagnostics[0].message.contains("at most 256 KB"));
}

#[test]
fn thousands_of_problems_are_listed_up_to_a_limit_and_counted() {
    // 10,000 unknown keys and as many given twice, within the size limit.
    let many: String = (0..10_000).map(|i| format!("k{i}: 1\nk{i}: 2\n")).collect();
    let compiled = compile(&many, &ctx());
    let last = compiled.diagnostics.last().unwrap();
    assert_eq!(compiled.diagnostics.len(), 201);
    assert_eq!(last.code, code::TOO_MANY_PROBLEMS);
    assert!(
        last.message
            .ends_with("more problems after this one are not listed"),
        "{}",
        last.message
    );
}
