//! Tests of the whole pipeline, from YAML text to diagnostics and workflows.

mod codes;
mod lifecycle;
mod positions;
mod robustness;
mod snapshots;
mod valid;

use std::collections::BTreeSet;

use super::{CheckContext, Compiled, Diagnostic, compile};

/// The templates the shipped definitions use.
const TEMPLATES: [&str; 4] = [
    "invitation",
    "invitation_reminder",
    "registration_confirmation",
    "decline_receipt",
];

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Templates and workflows both known and checked.
fn ctx() -> CheckContext {
    CheckContext {
        templates: Some(set(&TEMPLATES)),
        workflows: Some(set(&["invite", "fill_seat"])),
    }
}

/// Strips the indentation common to all lines, and a first empty line, so
/// that YAML can be written indented in the test code.
fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn compile_text(yaml: &str) -> Compiled {
    compile(&dedent(yaml), &ctx())
}

/// A small valid workflow with the states given, already indented by two.
fn with_states(states: &str) -> String {
    format!(
        "workflow: invite\nstarts_on: seat.assigned\nstates:\n{}",
        dedent(states)
            .lines()
            .map(|l| if l.is_empty() {
                String::new()
            } else {
                format!("  {l}\n")
            })
            .collect::<String>()
    )
}

/// The only diagnostic of a text; fails showing them all if there are more.
fn single(yaml: &str) -> Diagnostic {
    let compiled = compile(yaml, &ctx());
    assert_eq!(
        compiled.diagnostics.len(),
        1,
        "expected exactly one diagnostic, got:\n{}",
        compiled.render("test.yaml")
    );
    compiled.diagnostics[0].clone()
}

/// The codes of all diagnostics of a text, in order.
fn codes(yaml: &str) -> Vec<&'static str> {
    compile(yaml, &ctx())
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}
