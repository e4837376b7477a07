//! Reads the `ask` of a state: the question, its answers, reminders and timeout.

use super::definition::{AskDef, Ref, RemindDef, TimeoutDef};
use super::diagnostic::code;
use super::model::Answer;
use super::read::{DEFAULT_CHANNELS, channels_field, period, reference};
use super::reader::{Place, Reader};
use super::suggest::{did_you_mean, did_you_mean_help};
use super::yaml::{Entry, Node, Pos};

/// The question of state `state`, or `None` (reported) if it is not a mapping.
pub(super) fn ask(r: &mut Reader, state: &str, node: &Node) -> Option<AskDef> {
    let place = Place::Ask(state);
    let entries = r.mapping(
        node,
        "the question's `template` and `answers`",
        Some("indent `template:` and `answers:` under `ask:`".to_string()),
    )?;
    let fields = r.fields(node.pos, entries, place);
    let template = r
        .required(&fields, "template", place)
        .and_then(|e| reference(r, &e.value, "a template name"));
    let channels = channels_field(r, &fields).unwrap_or_else(|| DEFAULT_CHANNELS.to_vec());
    let (answers, answers_pos) = match r.required(&fields, "answers", place) {
        Some(e) => answers(r, e),
        None => (Vec::new(), None),
    };
    let remind = fields
        .get("remind")
        .and_then(|e| remind(r, state, &e.value));
    let timeout = fields
        .get("timeout")
        .and_then(|e| timeout(r, state, &e.value));
    Some(AskDef {
        template,
        channels,
        answers,
        answers_pos,
        remind,
        timeout,
    })
}

fn answers(r: &mut Reader, entry: &Entry) -> (Vec<(Answer, Ref)>, Option<Pos>) {
    let empty = |r: &mut Reader| {
        r.error(
            code::EMPTY_ANSWERS,
            entry.key.pos,
            "`answers` lists no answers".to_string(),
            Some(
                "say where each answer leads, e.g. `yes: confirmed` and `no: declined`".to_string(),
            ),
        );
    };
    if entry.value.is_null() {
        empty(r);
        return (Vec::new(), None);
    }
    let Some(entries) = r.mapping(
        &entry.value,
        "the answers and where they lead, like `yes: confirmed`",
        None,
    ) else {
        return (Vec::new(), None);
    };
    if entries.is_empty() {
        empty(r);
        return (Vec::new(), None);
    }
    let written: Vec<&str> = entries.iter().filter_map(|e| e.key.text()).collect();
    let mut answers = Vec::new();
    for e in entries {
        let Some(key) = r.key(&e.key) else { continue };
        let answer = match Answer::ALL.into_iter().find(|a| a.as_str() == key) {
            Some(answer) => Some(answer),
            None => {
                let suggestion = answer_suggestion(key).filter(|a| !written.contains(&a.as_str()));
                let help = match suggestion {
                    Some(a) => did_you_mean_help(a.as_str()),
                    None => "the answers are `yes` and `no`".to_string(),
                };
                r.error(
                    code::UNKNOWN_ANSWER,
                    e.key.pos,
                    format!("`{key}` is not an answer a person can give"),
                    Some(help),
                );
                suggestion
            }
        };
        let target = reference(r, &e.value, "the state the answer leads to");
        if let (Some(answer), Some(target)) = (answer, target) {
            answers.push((answer, target));
        }
    }
    (answers, Some(entry.key.pos))
}

/// The answer someone most likely meant: also Danish and one-letter forms.
fn answer_suggestion(key: &str) -> Option<Answer> {
    match key.trim().to_lowercase().as_str() {
        "y" | "j" | "ja" | "yes" | "true" | "on" | "ok" => Some(Answer::Yes),
        "n" | "nej" | "no" | "false" | "off" => Some(Answer::No),
        other => did_you_mean(other, Answer::ALL.map(Answer::as_str))
            .and_then(|s| Answer::ALL.into_iter().find(|a| a.as_str() == s)),
    }
}

fn remind(r: &mut Reader, state: &str, node: &Node) -> Option<RemindDef> {
    let place = Place::Remind(state);
    let entries = r.mapping(node, "the reminder's `every` and `template`", None)?;
    let fields = r.fields(node.pos, entries, place);
    let every = r
        .required(&fields, "every", place)
        .and_then(|e| period(r, &e.value));
    let template = r
        .required(&fields, "template", place)
        .and_then(|e| reference(r, &e.value, "a template name"));
    let max = fields.get("max").and_then(|e| max(r, &e.value));
    Some(RemindDef {
        every,
        template,
        max,
    })
}

fn timeout(r: &mut Reader, state: &str, node: &Node) -> Option<TimeoutDef> {
    let place = Place::Timeout(state);
    let entries = r.mapping(node, "the timeout's `after` and `goto`", None)?;
    let fields = r.fields(node.pos, entries, place);
    let after = r
        .required(&fields, "after", place)
        .and_then(|e| period(r, &e.value));
    let goto = r
        .required(&fields, "goto", place)
        .and_then(|e| reference(r, &e.value, "a state name"));
    let before_start = match fields.get("before_start") {
        None => Some(None),
        Some(e) => period(r, &e.value).map(|(p, _)| Some(p)),
    };
    Some(TimeoutDef {
        after,
        goto,
        before_start,
    })
}

fn max(r: &mut Reader, node: &Node) -> Option<u32> {
    let text = r.text(node, "a whole number")?;
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            r.error(
                code::BAD_NUMBER,
                node.pos,
                format!("`max` must be a whole number of at least 1, not `{text}`"),
                Some(
                    "write e.g. `max: 2`, or leave `max` out to remind until the wait ends"
                        .to_string(),
                ),
            );
            None
        }
    }
}
