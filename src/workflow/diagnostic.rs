//! Problems found in a workflow definition: where they are, what is wrong,
//! and how to put it right.

use std::fmt;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The definition cannot be used until this is fixed.
    Error,
    /// The definition works, but probably not as intended.
    Warning,
}

impl Severity {
    /// The word used for this severity in rendered reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a workflow definition, at a position in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable kebab-case identifier of the kind of problem; see [`code`].
    pub code: &'static str,
    /// What is wrong, in words for the person editing the file.
    pub message: String,
    /// 1-based line of the source.
    pub line: usize,
    /// 1-based column (in characters) of the source.
    pub column: usize,
    /// How to fix it, e.g. "did you mean `asking`?".
    pub help: Option<String>,
}

impl Diagnostic {
    pub(super) fn error(code: &'static str, line: usize, column: usize, message: String) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message,
            line,
            column,
            help: None,
        }
    }

    pub(super) fn warning(code: &'static str, line: usize, column: usize, message: String) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, line, column, message)
        }
    }

    pub(super) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(super) fn with_optional_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Renders the diagnostic for a report about `file`:
    /// `file:line:col: error[code]: message`, and when there is help, a
    /// second line `  = help: …`. No trailing newline.
    pub fn render(&self, file: &str) -> String {
        let mut out = format!(
            "{file}:{}:{}: {}[{}]: {}",
            self.line, self.column, self.severity, self.code, self.message
        );
        if let Some(help) = &self.help {
            out.push_str("\n  = help: ");
            out.push_str(help);
        }
        out
    }
}

/// The stable codes of [`Diagnostic::code`].
pub mod code {
    /// The file is not well-formed YAML.
    pub const YAML_SYNTAX: &str = "yaml-syntax";
    /// The file holds no definition at all.
    pub const EMPTY_FILE: &str = "empty-file";
    /// The file is larger than a definition can be.
    pub const TOO_LARGE: &str = "too-large";
    /// More problems than are listed.
    pub const TOO_MANY_PROBLEMS: &str = "too-many-problems";
    /// The file holds more than one YAML document (`---`).
    pub const MULTIPLE_DOCUMENTS: &str = "multiple-documents";
    /// YAML anchors (`&name`) and aliases (`*name`) are not supported.
    pub const UNSUPPORTED_ANCHOR: &str = "unsupported-anchor";
    /// The same key appears twice in one mapping.
    pub const DUPLICATE_KEY: &str = "duplicate-key";
    /// A key that is not allowed at that place.
    pub const UNKNOWN_KEY: &str = "unknown-key";
    /// A required key is missing.
    pub const MISSING_KEY: &str = "missing-key";
    /// A value of the wrong kind (a list where a name belongs, …).
    pub const WRONG_TYPE: &str = "wrong-type";
    /// A workflow or state name that is not lowercase letters, digits and underscores.
    pub const BAD_NAME: &str = "bad-name";
    /// A reference to a state that is not declared.
    pub const UNKNOWN_STATE: &str = "unknown-state";
    /// A reference to a message template that does not exist.
    pub const UNKNOWN_TEMPLATE: &str = "unknown-template";
    /// A `start` step names a workflow that does not exist.
    pub const UNKNOWN_WORKFLOW: &str = "unknown-workflow";
    /// An answer other than `yes` or `no`.
    pub const UNKNOWN_ANSWER: &str = "unknown-answer";
    /// A channel other than `preferred`, `sms`, `email` or `telegram`.
    pub const UNKNOWN_CHANNEL: &str = "unknown-channel";
    /// The same channel is listed twice.
    pub const DUPLICATE_CHANNEL: &str = "duplicate-channel";
    /// An empty list of channels.
    pub const NO_CHANNELS: &str = "no-channels";
    /// A period that is not a positive ISO 8601 duration in weeks, days, hours, minutes, seconds.
    pub const BAD_PERIOD: &str = "bad-period";
    /// A number that is not a whole number of at least 1.
    pub const BAD_NUMBER: &str = "bad-number";
    /// `starts_on` is not `seat.assigned`, `seat.vacated` or `manual`.
    pub const UNKNOWN_TRIGGER: &str = "unknown-trigger";
    /// `set_seat` is not `vacant`, `invited` or `confirmed`.
    pub const BAD_SEAT_STATUS: &str = "bad-seat-status";
    /// `notify` names someone other than `secretariat`.
    pub const UNKNOWN_AUDIENCE: &str = "unknown-audience";
    /// A list item with more than one step in it.
    pub const MULTIPLE_STEPS: &str = "multiple-steps";
    /// A state has both `ask` and `goto`.
    pub const ASK_AND_GOTO: &str = "ask-and-goto";
    /// `states` is missing its states.
    pub const NO_STATES: &str = "no-states";
    /// States that only `goto` each other would loop forever.
    pub const GOTO_LOOP: &str = "goto-loop";
    /// An `ask` without any answers.
    pub const EMPTY_ANSWERS: &str = "empty-answers";
    /// Warning: a state that can never be entered.
    pub const UNREACHABLE_STATE: &str = "unreachable-state";
    /// Warning: an `ask` that does not handle `yes` or does not handle `no`.
    pub const MISSING_ANSWER: &str = "missing-answer";
    /// Warning: the first reminder would come at or after the timeout.
    pub const REMIND_AFTER_TIMEOUT: &str = "remind-after-timeout";
    /// A schedule's `at:` is not a time relative to a date.
    pub const BAD_SCHEDULE_TIME: &str = "bad-schedule-time";
    /// A schedule's `rrule:` is not an RFC 5545 recurrence rule.
    pub const BAD_RRULE: &str = "bad-rrule";
    /// A `for_each:` is not a seat filter.
    pub const BAD_FILTER: &str = "bad-filter";
    /// A state has more than one of `ask`, `offer`, `swap` and `goto`.
    pub const CONFLICTING_NEXT: &str = "conflicting-next";
    /// `within` of a swap is neither `area` nor `municipality`.
    pub const BAD_SWAP_SCOPE: &str = "bad-swap-scope";
    /// A switch such as `same_team` is neither `yes` nor `no`.
    pub const BAD_BOOLEAN: &str = "bad-boolean";
}
