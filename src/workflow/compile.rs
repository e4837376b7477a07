//! The front door: YAML source in, a [`Workflow`] and diagnostics out.

use std::collections::BTreeSet;

use super::check::check;
use super::diagnostic::{Diagnostic, Severity, code};
use super::model::Workflow;
use super::read::read;
use super::reader::Reader;
use super::yaml;

/// What a definition may refer to outside itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckContext {
    /// The names of the message templates; `None` means templates are not checked.
    pub templates: Option<BTreeSet<String>>,
    /// The names of the workflows a `start` step may name; `None` means
    /// they are not checked.
    pub workflows: Option<BTreeSet<String>>,
}

/// The outcome of [`compile`].
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The compiled workflow; `Some` exactly when there are no errors
    /// (warnings allowed).
    pub workflow: Option<Workflow>,
    /// Every problem found, sorted by line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// All diagnostics rendered for `file`, one after another, each ending
    /// with a newline; empty when there are none.
    pub fn render(&self, file: &str) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(file) + "\n")
            .collect()
    }
}

/// Reads, checks and compiles a workflow definition, reporting every
/// problem found rather than only the first.
/// The largest definition, in bytes: the shipped ones are a few
/// kilobytes.
pub const MAX_SOURCE: usize = 256 * 1024;
/// The most problems listed for one definition.
pub const MAX_DIAGNOSTICS: usize = 200;

pub fn compile(source: &str, ctx: &CheckContext) -> Compiled {
    if source.len() > MAX_SOURCE {
        return Compiled {
            workflow: None,
            diagnostics: vec![
                Diagnostic::error(
                    code::TOO_LARGE,
                    1,
                    1,
                    format!(
                        "the definition is {} KB; a workflow definition may be at most {} KB",
                        source.len().div_ceil(1024),
                        MAX_SOURCE / 1024
                    ),
                )
                .with_help(
                    "a workflow needs a few kilobytes; check that the right file was chosen",
                ),
            ],
        };
    }
    let tree = yaml::parse(source);
    let mut r = Reader {
        diagnostics: tree.diagnostics,
        incomplete: false,
    };
    let mut workflow = None;
    match tree.root {
        Some(root) if !root.is_null() => {
            let def = read(&root, &mut r);
            workflow = check(&def, ctx, &mut r);
        }
        // A syntax error was reported already.
        None if !r.diagnostics.is_empty() => {}
        _ => r.error(
            code::EMPTY_FILE,
            yaml::Pos { line: 1, column: 1 },
            "the file has no workflow definition in it".to_string(),
            Some(
                "a workflow needs at least `workflow:`, `starts_on:` and `states:`; \
                 see workflows/invite.yaml for an example"
                    .to_string(),
            ),
        ),
    }
    let mut diagnostics = r.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    if diagnostics.len() > MAX_DIAGNOSTICS {
        let more = diagnostics.len() - MAX_DIAGNOSTICS;
        diagnostics.truncate(MAX_DIAGNOSTICS);
        let (line, column) = diagnostics.last().map_or((1, 1), |d| (d.line, d.column));
        diagnostics.push(
            Diagnostic::error(
                code::TOO_MANY_PROBLEMS,
                line,
                column,
                format!("{more} more problems after this one are not listed"),
            )
            .with_help("fix the problems above and check again"),
        );
    }
    let mut compiled = Compiled {
        workflow,
        diagnostics,
    };
    if compiled.has_errors() {
        compiled.workflow = None;
    }
    compiled
}

/// A definition's text with every line ended by `\n` alone: browsers send
/// a form's text with `\r\n`, and an editor may save it so. Every
/// definition is stored and compared in this form, so a two-line edit
/// shows as two lines in a review.
pub fn normalize_line_ends(source: &str) -> String {
    source.replace("\r\n", "\n").replace('\r', "\n")
}

/// The name given by the top-level `workflow:` key, read without checking
/// the rest of the file; for collecting the names of sibling definitions.
pub fn workflow_name(source: &str) -> Option<String> {
    yaml::peek_top_level(source, "workflow")
}
