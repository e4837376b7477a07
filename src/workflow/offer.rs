//! Reads the `offer` of a state: a vacant seat offered to standby people.

use super::definition::OfferDef;
use super::diagnostic::code;
use super::read::{DEFAULT_CHANNELS, channels_field, period, reference, yes_or_no};
use super::reader::{Place, Reader};
use super::yaml::Node;

pub(super) fn offer(r: &mut Reader, state: &str, node: &Node) -> Option<OfferDef> {
    let place = Place::Offer(state);
    let entries = r.mapping(
        node,
        "the offer's `template`, `wave`, `wait`, `filled` and `unfilled`",
        Some("indent `template:` and the rest under `offer:`".to_string()),
    )?;
    let fields = r.fields(node.pos, entries, place);
    let template = r
        .required(&fields, "template", place)
        .and_then(|e| reference(r, &e.value, "a template name"));
    let channels = channels_field(r, &fields).unwrap_or_else(|| DEFAULT_CHANNELS.to_vec());
    let wave = r.required(&fields, "wave", place).and_then(|e| {
        let text = r.text(&e.value, "a whole number")?;
        match text.parse::<u32>() {
            Ok(n) if (1..=500).contains(&n) => Some(n),
            _ => {
                r.error(
                    code::BAD_NUMBER,
                    e.value.pos,
                    format!("`wave` must be a whole number from 1 to 500, not `{text}`"),
                    Some("write how many standby people to ask at once, e.g. `wave: 3`".into()),
                );
                None
            }
        }
    });
    let wait = r
        .required(&fields, "wait", place)
        .and_then(|e| period(r, &e.value))
        .map(|(p, _)| p);
    let filled = r
        .required(&fields, "filled", place)
        .and_then(|e| reference(r, &e.value, "a state name"));
    let unfilled = r
        .required(&fields, "unfilled", place)
        .and_then(|e| reference(r, &e.value, "a state name"));
    let same_team = yes_or_no(r, &fields, "same_team", true);
    Some(OfferDef {
        template,
        channels,
        wave,
        wait,
        filled,
        unfilled,
        same_team,
    })
}
