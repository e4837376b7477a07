//! People in bulk: a CSV file of them in, and participant lists out (CSV,
//! Excel, and the file Valg Central imports).

pub mod csv_import;
pub mod export;
pub mod form;
