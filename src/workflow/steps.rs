//! Reads the `do` list of a state: `set_seat`, `send`, `start` and `notify`.

use super::definition::StepDef;
use super::diagnostic::code;
use super::model::{Audience, SeatTarget};
use super::read::{DEFAULT_CHANNELS, channels_field, choice, reference};
use super::reader::{Place, Reader};
use super::suggest::{did_you_mean, did_you_mean_help, list};
use super::yaml::{Entry, Kind, Node};

const SEAT_STATUSES: [(&str, SeatTarget); 4] = [
    ("vacant", SeatTarget::Vacant),
    ("invited", SeatTarget::Invited),
    ("confirmed", SeatTarget::Confirmed),
    ("no_show", SeatTarget::NoShow),
];

const AUDIENCES: [(&str, Audience); 2] = [
    ("secretariat", Audience::Secretariat),
    ("team", Audience::Team),
];

const STEPS: [&str; 4] = ["set_seat", "send", "start", "notify"];

/// The steps of a `do:` list; steps with errors are left out.
pub(super) fn steps(r: &mut Reader, node: &Node) -> Vec<StepDef> {
    let help = || {
        Some("start each step on its own line with `- `, e.g. `- set_seat: invited`".to_string())
    };
    let Kind::Sequence(items) = &node.kind else {
        r.wrong_type(node, "a list of steps", help());
        return Vec::new();
    };
    items.iter().filter_map(|item| step(r, item)).collect()
}

fn step(r: &mut Reader, item: &Node) -> Option<StepDef> {
    let expected = "a step like `send: invitation`";
    let entries = match &item.kind {
        Kind::Mapping(entries) if !entries.is_empty() => entries,
        Kind::Scalar(s) if !item.is_null() => {
            let first = s.text.split_whitespace().next().unwrap_or_default();
            let help = STEPS
                .contains(&first)
                .then(|| format!("put a colon after the step's name: `{first}: …`"));
            r.wrong_type(item, expected, help);
            return None;
        }
        _ => {
            r.wrong_type(item, expected, None);
            return None;
        }
    };
    let mut result: Option<Option<StepDef>> = None;
    let mut first_kind = "";
    for entry in entries {
        let Some(key) = r.key(&entry.key) else {
            continue;
        };
        let kind = if let Some(kind) = STEPS.iter().find(|k| **k == key) {
            Some(*kind)
        } else {
            let suggestion = did_you_mean(key, STEPS);
            let (message, help) = match (result.is_some(), key) {
                (true, "template" | "channels") if first_kind == "send" => (
                    format!("`{key}` must go inside the `send` step, not next to it"),
                    format!(
                        "write the step as `send: {{ template: {}, channels: {} }}`",
                        written(entries, "send"),
                        written_list(entries, "channels"),
                    ),
                ),
                (true, "to" | "message") if first_kind == "notify" => (
                    format!("`{key}` must go inside the `notify` step, not next to it"),
                    format!(
                        "write the step as `notify: {{ to: secretariat, message: \"{}\" }}`",
                        written(entries, "message"),
                    ),
                ),
                _ => (
                    format!("`{key}` is not a step"),
                    match suggestion {
                        Some(s) => did_you_mean_help(s),
                        None => format!("the steps are {}", list(STEPS, "and")),
                    },
                ),
            };
            r.error(code::UNKNOWN_KEY, entry.key.pos, message, Some(help));
            suggestion.filter(|_| result.is_none())
        };
        let Some(kind) = kind else { continue };
        if result.is_some() {
            r.error(
                code::MULTIPLE_STEPS,
                entry.key.pos,
                format!("`{kind}` is a second step in the same list item as `{first_kind}`"),
                Some(format!(
                    "each step needs its own `- `: write `- {kind}: …` on a line of its own"
                )),
            );
            continue;
        }
        first_kind = kind;
        result = Some(step_value(r, kind, &entry.value));
    }
    result.flatten()
}

/// The text written for `key` among `entries`, or `…`.
fn written<'n>(entries: &'n [Entry], key: &str) -> &'n str {
    entries
        .iter()
        .find(|e| e.key.text() == Some(key))
        .and_then(|e| e.value.text())
        .unwrap_or("…")
}

/// The list written for `key` among `entries` in brackets, or `[…]`.
fn written_list(entries: &[Entry], key: &str) -> String {
    let items = entries
        .iter()
        .find(|e| e.key.text() == Some(key))
        .and_then(|e| match &e.value.kind {
            Kind::Sequence(items) => items.iter().map(Node::text).collect::<Option<Vec<_>>>(),
            _ => None,
        });
    format!(
        "[{}]",
        items.map_or("…".to_string(), |items| items.join(", "))
    )
}

fn step_value(r: &mut Reader, kind: &str, value: &Node) -> Option<StepDef> {
    match kind {
        "set_seat" => {
            let text = r.text(value, "a seat status")?;
            choice(
                r,
                value,
                text,
                &SEAT_STATUSES,
                code::BAD_SEAT_STATUS,
                "a seat status",
            )
            .map(StepDef::SetSeat)
        }
        "send" => send(r, value),
        "start" => reference(r, value, "a workflow name").map(StepDef::Start),
        _ => notify(r, value),
    }
}

fn send(r: &mut Reader, value: &Node) -> Option<StepDef> {
    if let Kind::Mapping(entries) = &value.kind {
        let fields = r.fields(value.pos, entries, Place::Send);
        let template = r
            .required(&fields, "template", Place::Send)
            .and_then(|e| reference(r, &e.value, "a template name"));
        let channels = channels_field(r, &fields);
        return Some(StepDef::Send {
            template: template?,
            channels: channels?,
        });
    }
    let template = reference(
        r,
        value,
        "a template name, or `{ template: …, channels: […] }`",
    )?;
    Some(StepDef::Send {
        template,
        channels: DEFAULT_CHANNELS.to_vec(),
    })
}

fn notify(r: &mut Reader, value: &Node) -> Option<StepDef> {
    let audience = |r: &mut Reader, node: &Node| {
        let text = r.text(node, "who to notify")?;
        choice(
            r,
            node,
            text,
            &AUDIENCES,
            code::UNKNOWN_AUDIENCE,
            "someone to notify",
        )
    };
    if let Kind::Mapping(entries) = &value.kind {
        let fields = r.fields(value.pos, entries, Place::Notify);
        let to = r
            .required(&fields, "to", Place::Notify)
            .and_then(|e| audience(r, &e.value));
        let (message, message_en) = match fields.get("message") {
            Some(e) if !e.value.is_null() => notify_message(r, &e.value)?,
            _ => (None, None),
        };
        return Some(StepDef::Notify {
            audience: to?,
            message,
            message_en,
        });
    }
    Some(StepDef::Notify {
        audience: audience(r, value)?,
        message: None,
        message_en: None,
    })
}

/// A note's words: one text, or `{da: …, en: …}` (either may be left out;
/// the other stands in). Returns the Danish (or only) text and the
/// English one when it differs.
fn notify_message(r: &mut Reader, value: &Node) -> Option<(Option<String>, Option<String>)> {
    let Kind::Mapping(entries) = &value.kind else {
        let text = r.text(value, "a message, or `{ da: …, en: … }`")?;
        return Some((Some(text.to_string()), None));
    };
    let fields = r.fields(value.pos, entries, Place::NotifyMessage);
    let mut said = |key: &str| match fields.get(key) {
        Some(e) if !e.value.is_null() => r.text(&e.value, "a message").map(|t| Some(t.to_string())),
        _ => Some(None),
    };
    let da = said("da")?;
    let en = said("en")?;
    Some(match (da, en) {
        (Some(da), en) => (Some(da), en),
        (None, Some(en)) => (Some(en.clone()), Some(en)),
        (None, None) => (None, None),
    })
}
