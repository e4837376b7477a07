//! Reads the `swap` of a state: the person is offered the stations with a
//! free seat like theirs and may move to one.

use super::definition::{ApprovalDef, SwapDef};
use super::diagnostic::code;
use super::model::SwapScope;
use super::read::{DEFAULT_CHANNELS, channels_field, choice, period, reference, yes_or_no};
use super::reader::{Place, Reader};
use super::yaml::Node;

/// How many stations a swap message lists when `options` is not given.
pub const DEFAULT_OPTIONS: u32 = 5;

const SCOPES: [(&str, SwapScope); 2] = [
    ("area", SwapScope::Area),
    ("municipality", SwapScope::Municipality),
];

pub(super) fn swap(r: &mut Reader, state: &str, node: &Node) -> Option<SwapDef> {
    let place = Place::Swap(state);
    let entries = r.mapping(
        node,
        "the swap's `template`, `within`, `wait`, `moved`, `none` and `kept`",
        Some("indent `template:` and the rest under `swap:`".to_string()),
    )?;
    let fields = r.fields(node.pos, entries, place);
    let template = r
        .required(&fields, "template", place)
        .and_then(|e| reference(r, &e.value, "a template name"));
    let channels = channels_field(r, &fields).unwrap_or_else(|| DEFAULT_CHANNELS.to_vec());
    let within = r.required(&fields, "within", place).and_then(|e| {
        let text = r.text(&e.value, "`area` or `municipality`")?;
        choice(
            r,
            &e.value,
            text,
            &SCOPES,
            code::BAD_SWAP_SCOPE,
            "where a swap may go",
        )
    });
    let options = match fields.get("options") {
        None => Some(DEFAULT_OPTIONS),
        Some(e) => {
            let text = r.text(&e.value, "a whole number")?;
            match text.parse::<u32>() {
                Ok(n) if (1..=9).contains(&n) => Some(n),
                _ => {
                    r.error(
                        code::BAD_NUMBER,
                        e.value.pos,
                        format!("`options` must be a whole number from 1 to 9, not `{text}`"),
                        Some(
                            "the person answers with the station's number, one digit: \
                             e.g. `options: 5`"
                                .into(),
                        ),
                    );
                    None
                }
            }
        }
    };
    let wait = r
        .required(&fields, "wait", place)
        .and_then(|e| period(r, &e.value))
        .map(|(p, _)| p);
    let mut target = |key: &'static str| {
        r.required(&fields, key, place)
            .and_then(|e| reference(r, &e.value, "a state name"))
    };
    let moved = target("moved");
    let none = target("none");
    let kept = target("kept");
    let approval = fields
        .get("approval")
        .and_then(|e| approval(r, state, &e.value));
    let same_team = yes_or_no(r, &fields, "same_team", true);
    Some(SwapDef {
        template,
        channels,
        within,
        options,
        wait,
        moved,
        none,
        kept,
        approval,
        same_team,
    })
}

/// `approval: {template, refused}`: the secretariat approves each move.
fn approval(r: &mut Reader, state: &str, node: &Node) -> Option<ApprovalDef> {
    let place = Place::Approval(state);
    let entries = r.mapping(
        node,
        "the approval's `template` and `refused`",
        Some("indent `template:` and `refused:` under `approval:`".to_string()),
    )?;
    let fields = r.fields(node.pos, entries, place);
    let template = r
        .required(&fields, "template", place)
        .and_then(|e| reference(r, &e.value, "a template name"));
    let refused = r
        .required(&fields, "refused", place)
        .and_then(|e| reference(r, &e.value, "a state name"));
    Some(ApprovalDef { template, refused })
}
