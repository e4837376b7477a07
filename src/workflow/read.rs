//! Reads the YAML tree of a definition into a [`Definition`], reporting
//! every problem of shape and spelling it finds on the way. Steps are read
//! in [`super::steps`], questions in [`super::ask`].

use super::ask::ask;
use super::definition::{Definition, Ref, StateDef};
use super::diagnostic::code;
use super::model::{Channel, Period};
use super::offer::offer;
use super::period::parse_period;
use super::reader::{Fields, Place, Reader};
use super::steps::steps;
use super::suggest::{did_you_mean, did_you_mean_help, list};
use super::swap::swap;
use super::trigger::trigger;
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
        def.trigger = trigger(r, &e.value);
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
        offer: None,
        swap: None,
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
    if let Some(e) = fields.get("offer") {
        state.offer = offer(r, &state.name, &e.value);
        if let Some(other) = ["ask", "goto"]
            .into_iter()
            .find(|k| fields.get(k).is_some())
        {
            r.error(
                code::CONFLICTING_NEXT,
                e.key.pos,
                format!("state `{}` has both `offer` and `{other}`", state.name),
                Some(
                    "a state that offers the seat moves on by itself, to `filled` or \
                     `unfilled`; put the `{other}` in another state"
                        .replace("{other}", other),
                ),
            );
        }
    }
    if let Some(e) = fields.get("swap") {
        state.swap = swap(r, &state.name, &e.value);
        if let Some(other) = ["ask", "offer", "goto"]
            .into_iter()
            .find(|k| fields.get(k).is_some())
        {
            r.error(
                code::CONFLICTING_NEXT,
                e.key.pos,
                format!("state `{}` has both `swap` and `{other}`", state.name),
                Some(
                    "a state that offers a swap moves on by itself, to `moved`, `none` or \
                     `kept`; put the `{other}` in another state"
                        .replace("{other}", other),
                ),
            );
        }
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

pub(super) fn channels_field(r: &mut Reader, fields: &Fields<'_>) -> Option<Vec<Channel>> {
    match fields.get("channels") {
        Some(e) => channels(r, &e.value),
        None => Some(DEFAULT_CHANNELS.to_vec()),
    }
}

pub(super) fn channels(r: &mut Reader, node: &Node) -> Option<Vec<Channel>> {
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

pub(super) fn period(r: &mut Reader, node: &Node) -> Option<(Period, Pos)> {
    let text = r.text(node, "a duration like P4D")?;
    match parse_period(text) {
        Ok(period) => Some((period, node.pos)),
        Err(e) => {
            r.error(code::BAD_PERIOD, node.pos, e.message, e.help);
            None
        }
    }
}

pub(super) fn reference(r: &mut Reader, node: &Node, expected: &str) -> Option<Ref> {
    let name = r.text(node, expected)?;
    Some(Ref {
        name: name.to_string(),
        pos: node.pos,
    })
}

/// `yes` or `no` (also `true` or `false`) for `key`; absent is `default`.
pub(super) fn yes_or_no(
    r: &mut Reader,
    fields: &Fields<'_>,
    key: &str,
    default: bool,
) -> Option<bool> {
    let Some(e) = fields.get(key) else {
        return Some(default);
    };
    let text = r.text(&e.value, "`yes` or `no`")?;
    match text {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        other => {
            r.error(
                code::BAD_BOOLEAN,
                e.value.pos,
                format!("`{key}` is `yes` or `no`, not `{other}`"),
                Some(format!("write `{key}: no` or leave it out")),
            );
            None
        }
    }
}

/// One of a fixed set of words, or a diagnostic with `code` and a suggestion.
pub(super) fn choice<T: Clone>(
    r: &mut Reader,
    node: &Node,
    text: &str,
    options: &[(&'static str, T)],
    code: &'static str,
    what: &str,
) -> Option<T> {
    if let Some((_, value)) = options.iter().find(|(n, _)| *n == text) {
        return Some(value.clone());
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
