//! Message templates and what fills their placeholders.

mod catalog;
mod context;
pub mod segments;

pub use catalog::{Catalog, RenderError};
pub use context::{
    Contact, MessageContext, QuestionSummary, SeatLine, SwapOption, format_date, format_short_date,
};
