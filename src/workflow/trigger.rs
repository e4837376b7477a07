//! Reads `starts_on:`: an event (`seat.assigned`, `seat.vacated`,
//! `seat.no_show`, `seat.retracted`, `seat.removed`,
//! `seat.removed_by_validation`, `seat.cancelled`, `swap.requested`,
//! `manual`) or a schedule fanned out over seats.

use super::diagnostic::code;
use super::filter::parse_filter;
use super::model::{Period, ScheduledStart, Trigger};
use super::read::{choice, period, yes_or_no};
use super::reader::{Place, Reader};
use super::schedule::{At, Schedule, check_rrule};
use super::yaml::{Kind, Node, Pos};

const EVENTS: [(&str, Trigger); 9] = [
    ("seat.assigned", Trigger::SeatAssigned),
    ("seat.vacated", Trigger::SeatVacated),
    ("seat.no_show", Trigger::SeatNoShow),
    ("seat.retracted", Trigger::SeatRetracted),
    ("seat.removed", Trigger::SeatRemoved),
    (
        "seat.removed_by_validation",
        Trigger::SeatRemovedByValidation,
    ),
    ("seat.cancelled", Trigger::SeatCancelled),
    ("swap.requested", Trigger::SwapRequested),
    ("manual", Trigger::Manual),
];

/// How late a missed occurrence may still run when `catch_up` is not given.
pub const DEFAULT_CATCH_UP: Period = Period {
    days: 0,
    seconds: 6 * 3600,
};

pub(super) fn trigger(r: &mut Reader, node: &Node) -> Option<Trigger> {
    if let Kind::Mapping(entries) = &node.kind {
        let fields = r.fields(node.pos, entries, Place::StartsOn);
        let schedule = r
            .required(&fields, "schedule", Place::StartsOn)
            .and_then(|e| schedule(r, &e.value));
        let seats = r
            .required(&fields, "for_each", Place::StartsOn)
            .and_then(|e| {
                let text = r.text(
                    &e.value,
                    "a seat filter like `seat where status = confirmed`",
                )?;
                match parse_filter(text) {
                    Ok(f) => Some(f),
                    Err(err) => {
                        r.error(
                            code::BAD_FILTER,
                            inside(&e.value, err.offset),
                            err.message,
                            err.help,
                        );
                        None
                    }
                }
            });
        let one_per_person = yes_or_no(r, &fields, "one_per_person", false);
        return Some(Trigger::Schedule(ScheduledStart {
            schedule: schedule?,
            seats: seats?,
            one_per_person: one_per_person?,
        }));
    }
    let text = r.text(node, "what starts the workflow")?;
    choice(
        r,
        node,
        text,
        &EVENTS,
        code::UNKNOWN_TRIGGER,
        "something a workflow can start on",
    )
}

fn schedule(r: &mut Reader, node: &Node) -> Option<Schedule> {
    let entries = r.mapping(
        node,
        "the schedule's `at` and, if it repeats, `rrule`",
        Some("write e.g. `schedule: { at: election_day - P1D 18:00 }`".to_string()),
    )?;
    let fields = r.fields(node.pos, entries, Place::Schedule);
    let at = r.required(&fields, "at", Place::Schedule).and_then(|e| {
        let text = r.text(&e.value, "a time like `election_day - P1D 18:00`")?;
        match At::parse(text) {
            Ok(at) => Some(at),
            Err(err) => {
                r.error(code::BAD_SCHEDULE_TIME, e.value.pos, err.message, err.help);
                None
            }
        }
    });
    let rrule = match fields.get("rrule") {
        Some(e) if !e.value.is_null() => {
            let text = r.text(&e.value, "an RRULE like `FREQ=DAILY;COUNT=3`")?;
            if let Err(err) = check_rrule(text) {
                r.error(
                    code::BAD_RRULE,
                    e.value.pos,
                    format!("`{text}` is not a recurrence rule: {err}"),
                    Some(
                        "write an RFC 5545 RRULE without DTSTART, e.g. `FREQ=DAILY;COUNT=3` \
                         or `FREQ=WEEKLY;BYDAY=MO;COUNT=4`; the time comes from `at`"
                            .to_string(),
                    ),
                );
                return None;
            }
            Some(text.to_string())
        }
        _ => None,
    };
    let catch_up = match fields.get("catch_up") {
        Some(e) => period(r, &e.value)?.0,
        None => DEFAULT_CATCH_UP,
    };
    Some(Schedule {
        at: at?,
        rrule,
        catch_up,
    })
}

/// The position of the character `offset` into a one-line scalar.
fn inside(node: &Node, offset: usize) -> Pos {
    let quote = match &node.kind {
        Kind::Scalar(s) if !s.plain => 1,
        _ => 0,
    };
    Pos {
        line: node.pos.line,
        column: node.pos.column + quote + offset,
    }
}
