//! Reads the YAML tree of a definition into a [`Definition`], reporting
//! every problem of shape and spelling it finds on the way.

use super::definition::{AskDef, Definition, Ref, RemindDef, StateDef, StepDef, TimeoutDef};
use super::diagnostic::code;
use super::model::{Answer, Audience, Channel, Period, SeatTarget, Trigger};
use super::period::parse_period;
use super::reader::{Fields, Place, Reader};
use super::suggest::{did_you_mean, did_you_mean_help, list};
use super::yaml::{Entry, Kind, Node, Pos};

/// The channels used when none are given.
pub(super) const DEFAULT_CHANNELS: [Channel; 3] =
    [Channel::Preferred, Channel::Sms, Channel::Email];

const CHANNELS: [(&str, Channel); 4] = [
    ("preferred", Channel::Preferred),
    ("sms", Channel::Sms),
    ("email", Channel::Email),
    ("telegram", Channel::Telegram),
];

const TRIGGERS: [(&str, Trigger); 3] = [
    ("seat.assigned", Trigger::SeatAssigned),
    ("seat.vacated", Trigger::SeatVacated),
    ("manual", Trigger::Manual),
];

const SEAT_STATUSES: [(&str, SeatTarget); 3] = [
    ("vacant", SeatTarget::Vacant),
    ("invited", SeatTarget::Invited),
    ("confirmed", SeatTarget::Confirmed),
];

const AUDIENCES: [(&str, Audience); 1] = [("secretariat", Audience::Secretariat)];

const STEPS: [&str; 4] = ["set_seat", "send", "start", "notify"];

/// Reads a whole definition from its root node.
pub(super) fn read(root: &Node, r: &mut Reader) -> Definition {
    let mut def = Definition::default();
    let Some(entries) = r.mapping(
        root,
        "a workflow definition with keys like `workflow:` and `states:`",
        Some("see workflows/invite.yaml for an example".to_string()),
    ) else {
        return def;
    };
    let place = Place::Root;
    let fields = r.fields(root.pos, entries, place);
    if let Some(e) = r.required(&fields, "workflow", place) {
        def.name = r.name(&e.value, "workflow");
    }
    if let Some(e) = fields.get("description")
        && !e.value.is_null()
    {
        def.description = r.text(&e.value, "a description").map(str::to_string);
    }
    if let Some(e) = r.required(&fields, "starts_on", place) {
        def.trigger = r.text(&e.value, "what starts the workflow").and_then(|t| {
            choice(
                r,
                &e.value,
                t,
                &TRIGGERS,
                code::UNKNOWN_TRIGGER,
                "something a workflow can start on",
            )
        });
    }
    if let Some(e) = fields.get("initial") {
        def.initial = reference(r, &e.value, "a state name");
    }
    if let Some(e) = r.required(&fields, "states", place) {
        def.states = states(r, e);
    }
    def.incomplete = r.incomplete;
    def
}

fn states(r: &mut Reader, entry: &Entry) -> Vec<StateDef> {
    let node = &entry.value;
    let no_states = |r: &mut Reader| {
        r.error(
            code::NO_STATES,
            entry.key.pos,
            "`states` lists no states; a workflow needs at least one".to_string(),
            Some("write each state as a name indented under `states:`, e.g. `asking:`".to_string()),
        );
    };
    if node.is_null() {
        no_states(r);
        return Vec::new();
    }
    let Some(entries) = r.mapping(
        node,
        "the states, each a name indented under `states:`",
        Some("write each state as `name:` indented under `states:`, without `- `".to_string()),
    ) else {
        return Vec::new();
    };
    if entries.is_empty() {
        no_states(r);
    }
    entries
        .iter()
        .filter_map(|e| {
            let name = r.name(&e.key, "state")?;
            Some(state(r, name, e))
        })
        .collect()
}

fn state(r: &mut Reader, name: String, entry: &Entry) -> StateDef {
    let mut state = StateDef {
        pos: entry.key.pos,
        steps: Vec::new(),
        ask: None,
        goto: None,
        name,
    };
    // A state with nothing under it is a final state without steps.
    if entry.value.is_null() {
        return state;
    }
    let Some(entries) = r.mapping(
        &entry.value,
        "the state's `do`, `ask` or `goto`",
        Some("leave the state empty for a final state without steps".to_string()),
    ) else {
        return state;
    };
    let place = Place::State(&state.name);
    let fields = r.fields(entry.value.pos, entries, place);
    if let Some(e) = fields.get("do") {
        state.steps = steps(r, &e.value);
    }
    if let Some(e) = fields.get("ask") {
        state.ask = ask(r, &state.name, &e.value);
    }
    if let Some(e) = fields.get("goto") {
        state.goto = reference(r, &e.value, "a state name");
        if fields.get("ask").is_some() {
            r.error(
                code::ASK_AND_GOTO,
                e.key.pos,
                format!("state `{}` has both `ask` and `goto`", state.name),
                Some(
                    "a state either waits for an answer (`ask`) or moves on at once (`goto`); \
                     to move on when no answer comes, use `timeout:` inside `ask:`"
                        .to_string(),
                ),
            );
        }
    }
    state
}

fn steps(r: &mut Reader, node: &Node) -> Vec<StepDef> {
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
        let message = match fields.get("message") {
            Some(e) if !e.value.is_null() => {
                Some(r.text(&e.value, "a message").map(str::to_string)?)
            }
            _ => None,
        };
        return Some(StepDef::Notify {
            audience: to?,
            message,
        });
    }
    Some(StepDef::Notify {
        audience: audience(r, value)?,
        message: None,
    })
}

fn ask(r: &mut Reader, state: &str, node: &Node) -> Option<AskDef> {
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
    Some(TimeoutDef { after, goto })
}

fn channels_field(r: &mut Reader, fields: &Fields<'_>) -> Option<Vec<Channel>> {
    match fields.get("channels") {
        Some(e) => channels(r, &e.value),
        None => Some(DEFAULT_CHANNELS.to_vec()),
    }
}

fn channels(r: &mut Reader, node: &Node) -> Option<Vec<Channel>> {
    let items = match &node.kind {
        Kind::Sequence(items) => items,
        Kind::Scalar(s) if !node.is_null() => {
            let help = format!("write a list in brackets: `channels: [{}]`", s.text);
            r.wrong_type(node, "a list of channels", Some(help));
            return None;
        }
        _ => {
            let help = "write a list in brackets, e.g. `channels: [sms, email]`, \
                        or leave `channels` out to use preferred, sms and email";
            r.wrong_type(node, "a list of channels", Some(help.to_string()));
            return None;
        }
    };
    if items.is_empty() {
        r.error(
            code::NO_CHANNELS,
            node.pos,
            "the list of channels is empty, so nothing could be sent".to_string(),
            Some(
                "name at least one channel, or leave `channels` out to use preferred, sms and email"
                    .to_string(),
            ),
        );
        return None;
    }
    let mut channels: Vec<Channel> = Vec::new();
    let mut ok = true;
    for item in items {
        let Some(text) = r.text(item, "a channel") else {
            ok = false;
            continue;
        };
        let Some(channel) = CHANNELS.iter().find(|(n, _)| *n == text).map(|(_, c)| *c) else {
            let names = CHANNELS.map(|(n, _)| n);
            let help = match did_you_mean(text, names) {
                Some(s) => did_you_mean_help(s),
                None => format!("the channels are {}", list(names, "and")),
            };
            r.error(
                code::UNKNOWN_CHANNEL,
                item.pos,
                format!("`{text}` is not a channel"),
                Some(help),
            );
            ok = false;
            continue;
        };
        if channels.contains(&channel) {
            r.error(
                code::DUPLICATE_CHANNEL,
                item.pos,
                format!("the channel `{text}` is listed twice"),
                Some("remove one of them".to_string()),
            );
            continue;
        }
        channels.push(channel);
    }
    ok.then_some(channels)
}

fn period(r: &mut Reader, node: &Node) -> Option<(Period, Pos)> {
    let text = r.text(node, "a duration like P4D")?;
    match parse_period(text) {
        Ok(period) => Some((period, node.pos)),
        Err(e) => {
            r.error(code::BAD_PERIOD, node.pos, e.message, e.help);
            None
        }
    }
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

fn reference(r: &mut Reader, node: &Node, expected: &str) -> Option<Ref> {
    let name = r.text(node, expected)?;
    Some(Ref {
        name: name.to_string(),
        pos: node.pos,
    })
}

/// One of a fixed set of words, or a diagnostic with `code` and a suggestion.
fn choice<T: Copy>(
    r: &mut Reader,
    node: &Node,
    text: &str,
    options: &[(&'static str, T)],
    code: &'static str,
    what: &str,
) -> Option<T> {
    if let Some((_, value)) = options.iter().find(|(n, _)| *n == text) {
        return Some(*value);
    }
    let names = options.iter().map(|(n, _)| *n);
    let help = match did_you_mean(text, names.clone()) {
        Some(s) => did_you_mean_help(s),
        None => format!("use {}", list(names, "or")),
    };
    r.error(
        code,
        node.pos,
        format!("`{text}` is not {what}"),
        Some(help),
    );
    None
}
