//! Workflow definitions: YAML in, validated and compiled state machines out.
//!
//! [`compile`] reads a definition written by hand, reports every problem it
//! finds with line, column, a stable code and, where it can, a suggestion,
//! and returns the compiled [`Workflow`] when there are no errors.
//!
//! The pipeline: `yaml` reads the YAML keeping every position; `read` (with
//! `steps` and `ask`) checks the shape against the schema; `check` resolves
//! names, checks how the states connect and builds the [`model`].

mod ask;
mod check;
mod compile;
mod definition;
mod diagnostic;
pub mod diagram;
mod filter;
pub mod model;
mod offer;
mod period;
mod read;
mod reader;
pub mod schedule;
mod steps;
mod suggest;
mod swap;
mod trigger;
mod yaml;

#[cfg(test)]
mod tests;

pub use compile::{CheckContext, Compiled, compile, normalize_line_ends, workflow_name};
pub use diagnostic::{Diagnostic, Severity, code};
pub use model::*;
