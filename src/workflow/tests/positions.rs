//! Diagnostics point at the exact line and column of the problem.

use super::super::{Diagnostic, code};
use super::{compile_text, dedent};

/// `(code, line, column)` of every diagnostic.
fn places(yaml: &str) -> Vec<(&'static str, usize, usize)> {
    compile_text(yaml)
        .diagnostics
        .iter()
        .map(|d: &Diagnostic| (d.code, d.line, d.column))
        .collect()
}

#[test]
fn an_unknown_key_points_at_the_key() {
    assert_eq!(
        places(
            "
            workflow: invite
            starts_on: manual
            states:
              asking:
                ask:
                  template: invitation
                  anwsers: { yes: asking, no: asking }
            "
        ),
        [(code::UNKNOWN_KEY, 7, 7)]
    );
}

#[test]
fn a_missing_key_points_at_the_mapping_that_lacks_it() {
    assert_eq!(
        places(
            "
            workflow: invite
            starts_on: manual
            states:
              asking:
                ask:
                  answers: { yes: asking, no: asking }
            "
        ),
        [(code::MISSING_KEY, 6, 7)]
    );
}

#[test]
fn a_duplicate_key_points_at_its_second_occurrence() {
    assert_eq!(
        places(
            "
            workflow: invite
            starts_on: manual
            states:
              done:
            starts_on: manual
            "
        ),
        [(code::DUPLICATE_KEY, 5, 1)]
    );
}

#[test]
fn a_value_in_a_flow_list_points_at_the_value() {
    assert_eq!(
        places(
            "
            workflow: invite
            starts_on: manual
            states:
              done:
                do:
                  - send: { template: invitation, channels: [sms, smss] }
            "
        ),
        [(code::UNKNOWN_CHANNEL, 6, 55)]
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let compiled = compile_text(
        "
        workflow: invite
        starts_on: manual
        states:
          done:
            do:
              - notify: { to: secretariat, message: \"Sæt æøå\", tu: x }
        ",
    );
    let d = &compiled.diagnostics[0];
    assert_eq!((d.code, d.line, d.column), (code::UNKNOWN_KEY, 6, 56));
}

#[test]
fn a_yaml_syntax_error_points_at_the_offending_line() {
    let text = dedent(
        "
        workflow: invite
        states:
          asking:
            ask:
              template: invitation
             answers: { yes: asking }
        ",
    );
    let compiled = super::super::compile(&text, &super::ctx());
    let d = &compiled.diagnostics[0];
    assert_eq!((d.code, d.line, d.column), (code::YAML_SYNTAX, 6, 6));
}

#[test]
fn diagnostics_are_sorted_by_line_and_column() {
    let found = places(
        "
        workflow: Invite
        starts_on: never
        states:
          asking:
            ask:
              template: nope
              channels: [smss, sms, sms]
              answers: { ja: nowhere }
        ",
    );
    assert_eq!(
        found,
        [
            (code::BAD_NAME, 1, 11),
            (code::UNKNOWN_TRIGGER, 2, 12),
            (code::UNKNOWN_TEMPLATE, 6, 17),
            (code::UNKNOWN_CHANNEL, 7, 18),
            (code::DUPLICATE_CHANNEL, 7, 29),
            (code::MISSING_ANSWER, 8, 7),
            (code::UNKNOWN_ANSWER, 8, 18),
            (code::UNKNOWN_STATE, 8, 22),
        ]
    );
}

#[test]
fn rendering_puts_file_line_column_severity_code_and_message_on_one_line_and_help_on_the_next() {
    let compiled = compile_text(
        "
        workflow: invite
        starts_on: seat.asigned
        states:
          done:
        ",
    );
    assert_eq!(
        compiled.render("workflows/invite.yaml"),
        "workflows/invite.yaml:2:12: error[unknown-trigger]: `seat.asigned` is not something a workflow can start on\n  \
         = help: did you mean `seat.assigned`?\n"
    );
}
