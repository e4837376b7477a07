//! A workflow definition as written, after its YAML shape is checked but
//! before names are resolved: states and templates are still names with
//! positions, so that references can be checked and reported.

use super::model::{Answer, Audience, Channel, Period, SeatTarget, SwapScope, Trigger};
use super::yaml::Pos;

/// A name that refers to something declared elsewhere, and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ref {
    pub name: String,
    pub pos: Pos,
}

/// Whatever could be read of a definition. Parts with errors are left out.
#[derive(Debug, Default)]
pub(super) struct Definition {
    pub name: Option<String>,
    pub description: Option<String>,
    pub trigger: Option<Trigger>,
    pub initial: Option<Ref>,
    pub states: Vec<StateDef>,
    /// Some part that may lead from one state to another could not be read,
    /// so reachability cannot be judged.
    pub incomplete: bool,
}

#[derive(Debug)]
pub(super) struct StateDef {
    pub name: String,
    pub pos: Pos,
    pub steps: Vec<StepDef>,
    pub ask: Option<AskDef>,
    pub offer: Option<OfferDef>,
    pub swap: Option<SwapDef>,
    pub goto: Option<Ref>,
}

#[derive(Debug)]
pub(super) struct OfferDef {
    pub template: Option<Ref>,
    pub channels: Vec<Channel>,
    pub wave: Option<u32>,
    pub wait: Option<Period>,
    pub filled: Option<Ref>,
    pub unfilled: Option<Ref>,
    pub same_team: Option<bool>,
}

#[derive(Debug)]
pub(super) struct SwapDef {
    pub template: Option<Ref>,
    pub channels: Vec<Channel>,
    pub within: Option<SwapScope>,
    pub options: Option<u32>,
    pub wait: Option<Period>,
    pub moved: Option<Ref>,
    pub none: Option<Ref>,
    pub kept: Option<Ref>,
    pub approval: Option<ApprovalDef>,
    pub same_team: Option<bool>,
}

#[derive(Debug)]
pub(super) struct ApprovalDef {
    pub template: Option<Ref>,
    pub refused: Option<Ref>,
}

#[derive(Debug)]
pub(super) enum StepDef {
    SetSeat(SeatTarget),
    Send {
        template: Ref,
        channels: Vec<Channel>,
    },
    Start(Ref),
    Notify {
        audience: Audience,
        message: Option<String>,
        message_en: Option<String>,
    },
}

#[derive(Debug)]
pub(super) struct AskDef {
    pub template: Option<Ref>,
    pub channels: Vec<Channel>,
    pub answers: Vec<(Answer, Ref)>,
    /// Where `answers:` was written, when it was and has at least one answer.
    pub answers_pos: Option<Pos>,
    pub remind: Option<RemindDef>,
    pub timeout: Option<TimeoutDef>,
}

#[derive(Debug)]
pub(super) struct RemindDef {
    pub every: Option<(Period, Pos)>,
    pub template: Option<Ref>,
    pub max: Option<u32>,
}

#[derive(Debug)]
pub(super) struct TimeoutDef {
    /// `Some(None)` when not written (the default); `None` when written
    /// wrong.
    pub before_start: Option<Option<Period>>,
    pub after: Option<(Period, Pos)>,
    pub goto: Option<Ref>,
}
