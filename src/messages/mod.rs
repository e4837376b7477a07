//! Message templates and what fills their placeholders.

pub mod bounds;
mod catalog;
mod context;
pub mod price;
pub mod segments;
mod templates;

pub use catalog::{Catalog, Edited, RenderError, render_text};
pub use context::{
    Contact, MessageContext, QuestionSummary, SeatLine, SwapOption, format_date, format_short_date,
};
pub use templates::Templates;
