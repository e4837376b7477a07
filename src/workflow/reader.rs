//! Helpers for reading the YAML tree against the schema: mappings with
//! known keys, texts, names; each problem becomes a diagnostic and reading
//! goes on.

use super::diagnostic::{Diagnostic, code};
use super::suggest::{did_you_mean, did_you_mean_help, list};
use super::yaml::{Entry, Kind, Node, Pos};

/// A mapping in the schema: which keys it takes and how to name it in messages.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place<'s> {
    Root,
    State(&'s str),
    Ask(&'s str),
    Remind(&'s str),
    Timeout(&'s str),
    Approval(&'s str),
    Send,
    Notify,
    /// `message: {da: …, en: …}` of a `notify` step.
    NotifyMessage,
    StartsOn,
    Schedule,
    Offer(&'s str),
    Swap(&'s str),
}

impl Place<'_> {
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Place::Root => &["workflow", "description", "starts_on", "initial", "states"],
            Place::State(_) => &["do", "ask", "offer", "swap", "goto"],
            Place::Ask(_) => &["template", "channels", "answers", "remind", "timeout"],
            Place::Remind(_) => &["every", "template", "max"],
            Place::Timeout(_) => &["after", "goto", "before_start"],
            Place::Approval(_) => &["template", "refused"],
            Place::Send => &["template", "channels"],
            Place::Notify => &["to", "message"],
            Place::NotifyMessage => &["da", "en"],
            Place::StartsOn => &["schedule", "for_each", "one_per_person"],
            Place::Schedule => &["at", "rrule", "catch_up"],
            Place::Offer(_) => &[
                "template",
                "channels",
                "wave",
                "wait",
                "filled",
                "unfilled",
                "same_team",
            ],
            Place::Swap(_) => &[
                "template",
                "channels",
                "within",
                "options",
                "wait",
                "moved",
                "none",
                "kept",
                "approval",
                "same_team",
            ],
        }
    }

    /// "the workflow", "state `asking`", "the `ask` of state `asking`", …
    pub fn describe(self) -> String {
        match self {
            Place::Root => "the workflow".to_string(),
            Place::State(s) => format!("state `{s}`"),
            Place::Ask(s) => format!("the `ask` of state `{s}`"),
            Place::Remind(s) => format!("the `remind` of state `{s}`"),
            Place::Timeout(s) => format!("the `timeout` of state `{s}`"),
            Place::Approval(s) => format!("the `approval` of state `{s}`"),
            Place::Send => "the `send` step".to_string(),
            Place::Notify => "the `notify` step".to_string(),
            Place::NotifyMessage => "the `message` of the `notify` step".to_string(),
            Place::StartsOn => "`starts_on`".to_string(),
            Place::Schedule => "the `schedule`".to_string(),
            Place::Offer(s) => format!("the `offer` of state `{s}`"),
            Place::Swap(s) => format!("the `swap` of state `{s}`"),
        }
    }
}

/// Where a key belongs when it is written in the wrong place.
fn belongs(key: &str) -> Option<&'static str> {
    Some(match key {
        "workflow" | "description" | "starts_on" | "initial" | "states" => {
            "at the top of the file, not indented"
        }
        "do" | "ask" | "offer" | "swap" => "directly under a state's name",
        "schedule" | "for_each" | "one_per_person" => "inside `starts_on:`",
        "at" | "rrule" | "catch_up" => "inside `schedule:`",
        "wave" | "filled" | "unfilled" => "inside `offer:`",
        "wait" | "same_team" => "inside `offer:` or `swap:`",
        "within" | "options" | "moved" | "none" | "kept" => "inside `swap:`",
        "goto" => "directly under a state's name, or inside `timeout:`",
        "template" => "inside `ask:`, `remind:` or a `send` step",
        "channels" => "inside `ask:` or a `send` step",
        "answers" | "remind" | "timeout" => "inside `ask:`",
        "every" | "max" => "inside `remind:`",
        "after" | "before_start" => "inside `timeout:`",
        "to" | "message" => "inside a `notify` step",
        _ => return None,
    })
}

/// How to add a required key that is missing.
fn missing_help(key: &str) -> String {
    match key {
        "workflow" => "add the workflow's name, e.g. `workflow: invite`".to_string(),
        "starts_on" => "add what starts the workflow: `starts_on: seat.assigned`, `seat.vacated`, \
             `seat.no_show`, `manual`, or a `schedule:`"
            .to_string(),
        "states" => "add `states:` with at least one state under it".to_string(),
        "template" => "add the message template to send, e.g. `template: invitation`".to_string(),
        "answers" => {
            "add where each answer leads, e.g. `answers: { yes: confirmed, no: declined }`"
                .to_string()
        }
        "every" => "add how often to remind, e.g. `every: P4D`".to_string(),
        "after" => "add how long to wait, e.g. `after: P10D`".to_string(),
        "goto" => "add the state to go to, e.g. `goto: unanswered`".to_string(),
        "to" => "add who to notify: `to: secretariat` or `to: team`".to_string(),
        "schedule" => {
            "add when it runs, e.g. `schedule: { at: election_day - P1D 18:00 }`".to_string()
        }
        "for_each" => {
            "add the seats it runs for, e.g. `for_each: seat where status = confirmed`".to_string()
        }
        "at" => "add the time, e.g. `at: election_day - P1D 18:00`".to_string(),
        "wave" => "add how many to ask at once, e.g. `wave: 3`".to_string(),
        "wait" => {
            "add how long to wait for a yes before asking more, e.g. `wait: PT2H`".to_string()
        }
        "filled" => {
            "add the state to go to when someone says yes, e.g. `filled: filled`".to_string()
        }
        "unfilled" => {
            "add the state to go to when nobody took the seat, e.g. `unfilled: nobody`".to_string()
        }
        _ => format!("add `{key}`"),
    }
}

/// The entries of a mapping, under the schema key each one counts as.
pub(super) struct Fields<'n> {
    pub pos: Pos,
    found: Vec<(&'static str, &'n Entry)>,
}

impl<'n> Fields<'n> {
    /// The entry for `key`, if written (or misspelt in a way that was reported).
    pub fn get(&self, key: &str) -> Option<&'n Entry> {
        self.found.iter().find(|(k, _)| *k == key).map(|(_, e)| *e)
    }
}

/// Collects diagnostics while the tree is read.
#[derive(Default)]
pub(super) struct Reader {
    pub diagnostics: Vec<Diagnostic>,
    /// Set when some part could not be read at all; see
    /// [`super::definition::Definition::incomplete`].
    pub incomplete: bool,
}

impl Reader {
    pub fn error(&mut self, code: &'static str, pos: Pos, message: String, help: Option<String>) {
        self.diagnostics
            .push(Diagnostic::error(code, pos.line, pos.column, message).with_optional_help(help));
    }

    pub fn warning(&mut self, code: &'static str, pos: Pos, message: String, help: Option<String>) {
        self.diagnostics.push(
            Diagnostic::warning(code, pos.line, pos.column, message).with_optional_help(help),
        );
    }

    /// Reports `node` as not being what was `expected` ("a list of steps").
    pub fn wrong_type(&mut self, node: &Node, expected: &str, help: Option<String>) {
        self.incomplete = true;
        self.error(
            code::WRONG_TYPE,
            node.pos,
            format!("expected {expected}, found {}", node.describe()),
            help,
        );
    }

    /// The entries of a mapping node, or `None` (reported) if it is not one.
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        expected: &str,
        help: Option<String>,
    ) -> Option<&'n [Entry]> {
        match &node.kind {
            Kind::Mapping(entries) => Some(entries),
            _ => {
                self.wrong_type(node, expected, help);
                None
            }
        }
    }

    /// Reads the keys of a mapping at `place`. Unknown keys are reported;
    /// one that looks like a misspelling of an allowed key not otherwise
    /// written is then read as that key, so its value is checked too.
    pub fn fields<'n>(&mut self, pos: Pos, entries: &'n [Entry], place: Place<'_>) -> Fields<'n> {
        let allowed = place.keys();
        let written: std::collections::HashSet<&str> =
            entries.iter().filter_map(|e| e.key.text()).collect();
        let mut found = Vec::new();
        for entry in entries {
            let Some(key) = self.key(&entry.key) else {
                continue;
            };
            if let Some(known) = allowed.iter().find(|k| **k == key) {
                found.push((*known, entry));
                continue;
            }
            let suggestion =
                did_you_mean(key, allowed.iter().copied()).filter(|s| !written.contains(*s));
            let help = match (belongs(key), suggestion) {
                (Some(place), _) => format!("`{key}` belongs {place}; check its indentation"),
                (None, Some(s)) => did_you_mean_help(s),
                (None, None) => format!(
                    "the keys allowed here are {}",
                    list(allowed.iter().copied(), "and")
                ),
            };
            self.error(
                code::UNKNOWN_KEY,
                entry.key.pos,
                format!("unknown key `{key}` in {}", place.describe()),
                Some(help),
            );
            match suggestion {
                Some(s) if belongs(key).is_none() => {
                    if let Some(known) = allowed.iter().find(|k| **k == s) {
                        found.push((*known, entry));
                    }
                }
                _ => self.incomplete = true,
            }
        }
        Fields { pos, found }
    }

    /// The text of a mapping key, or `None` (reported) if it is not a plain name.
    pub fn key<'n>(&mut self, key: &'n Node) -> Option<&'n str> {
        match &key.kind {
            Kind::Scalar(s) => Some(&s.text),
            _ => {
                self.wrong_type(key, "a key name", None);
                None
            }
        }
    }

    /// The entry for a required key, or `None` (reported at the mapping) if it is missing.
    pub fn required<'n>(
        &mut self,
        fields: &Fields<'n>,
        key: &'static str,
        place: Place<'_>,
    ) -> Option<&'n Entry> {
        let entry = fields.get(key);
        if entry.is_none() {
            self.error(
                code::MISSING_KEY,
                fields.pos,
                format!("{} is missing `{key}`", place.describe()),
                Some(missing_help(key)),
            );
        }
        entry
    }

    /// The text of a scalar, or `None` (reported) if the node is empty, a list or a mapping.
    pub fn text<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n str> {
        let text = node.text();
        if text.is_none() {
            self.wrong_type(node, expected, None);
        }
        text
    }

    /// A workflow or state name. A badly formed name is reported but still
    /// returned, so that references to it can be checked.
    pub fn name(&mut self, node: &Node, what: &str) -> Option<String> {
        let name = self.text(node, &format!("a {what} name"))?;
        if !is_valid_name(name) {
            let help = match normalized(name) {
                Some(better) => format!("write `{better}`"),
                None => "for example `fill_seat`".to_string(),
            };
            self.error(
                code::BAD_NAME,
                node.pos,
                format!(
                    "`{name}` is not a valid {what} name; names use lowercase letters, digits \
                     and underscores, \
                     and start with a letter"
                ),
                Some(help),
            );
        }
        Some(name.to_string())
    }
}

/// Lowercase ASCII letters, digits and underscores, starting with a letter.
pub(super) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A valid name close to `name`: `Fill Seat` → `fill_seat`, `Påmindelse` → `paamindelse`.
fn normalized(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'æ' => out.push_str("ae"),
            'ø' => out.push_str("oe"),
            'å' => out.push_str("aa"),
            _ => {
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
        }
    }
    let out = out.trim_matches('_').to_string();
    (is_valid_name(&out) && out != name).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_letters_digits_and_underscores_starting_with_a_letter() {
        for good in ["invite", "fill_seat", "step2", "a"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in [
            "",
            "Invite",
            "2nd",
            "_x",
            "fill-seat",
            "fill seat",
            "påmind",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_bad_name_suggests_a_good_one() {
        assert_eq!(normalized("Fill Seat").as_deref(), Some("fill_seat"));
        assert_eq!(normalized("fill-seat").as_deref(), Some("fill_seat"));
        assert_eq!(normalized("Påmindelse").as_deref(), Some("paamindelse"));
        assert_eq!(normalized("2nd"), None);
    }
}
