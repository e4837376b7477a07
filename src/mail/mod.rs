//! E-mail: composing a message from its plain-text template (subject on
//! the first line, an HTML part drawn from the text) and sending it over
//! SMTP.

pub mod calendar;
pub mod compose;
mod smtp;

pub use compose::{Composed, compose};
pub use smtp::{EmailConfig, OutgoingMail, Smtp};
