//! valgvagt staffs elections: it invites poll workers to seats, takes their
//! answers by SMS, e-mail and chat, reminds them, and fills the seats left
//! empty. See ARCHITECTURE.md for the code map.

pub mod app;
pub mod bench;
pub mod clock;
pub mod csv_table;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod generate;
pub mod http;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod messages;
pub mod people;
pub mod process;
pub mod rehearse;
pub mod retention;
pub mod setup;
pub mod sms;
pub mod store;
pub mod users;
pub mod workflow;
