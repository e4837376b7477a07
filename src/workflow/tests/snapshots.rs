//! Snapshots of whole reports, to be read by eye: every message should be
//! clear to the secretariat staff who edit the files.

use super::super::compile;
use super::{compile_text, ctx};

/// Snapshot files are named without the crate's module path.
fn snapshot(name: &str, report: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, report));
}

#[test]
fn a_broken_invite_definition_reports_every_problem() {
    let source = include_str!("../../../tests/fixtures/workflows/invalid_invite.yaml");
    let compiled = compile(source, &ctx());
    assert!(compiled.workflow.is_none());
    snapshot(
        "invalid_invite",
        &compiled.render("tests/fixtures/workflows/invalid_invite.yaml"),
    );
}

#[test]
fn a_yaml_syntax_error_is_reported_with_its_position_and_a_hint() {
    let compiled = compile_text(
        "
        workflow: invite
        starts_on: seat.assigned
        states:
          asking:
            ask:
              template: invitation
              answers:
                yes: confirmed
               no: declined
          confirmed:
          declined:
        ",
    );
    snapshot(
        "yaml_syntax_error",
        &compiled.render("workflows/invite.yaml"),
    );
}
