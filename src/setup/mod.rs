//! Setting up an election from files and from last time: stations and
//! seats read from CSV files (checked row by row, nothing stored here),
//! and a new election copied from an earlier one.

pub mod duplicate;
pub mod seats_csv;
pub mod stations_csv;

use serde::Serialize;

use crate::csv_table::RowError;

/// A file's rows that passed every check, and what is wrong with the rest.
#[derive(Debug, Serialize)]
pub struct Checked<R> {
    pub rows: Vec<R>,
    pub errors: Vec<RowError>,
    /// Header names that are not a column the import knows.
    pub ignored_columns: Vec<String>,
    /// Lines with data (not the header, not blank).
    pub data_lines: usize,
}

impl<R> Checked<R> {
    pub fn bad_lines(&self) -> usize {
        crate::csv_table::bad_lines(&self.errors)
    }

    /// Whether to store the good rows: there are some, and no bad row, or
    /// the user chose to leave the bad rows out.
    pub fn importable(&self, skip_bad: bool) -> bool {
        !self.rows.is_empty() && (self.errors.is_empty() || skip_bad)
    }
}

/// A good row as the preview table shows it.
pub trait PreviewRow {
    fn line(&self) -> usize;
    fn cells(&self) -> Vec<String>;
}

/// What a preview page shows of a checked file.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub rows: Vec<(usize, Vec<String>)>,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
    pub good: usize,
    pub bad_lines: usize,
}

impl<R: PreviewRow> Checked<R> {
    pub fn preview(&self) -> Preview {
        Preview {
            rows: self.rows.iter().map(|r| (r.line(), r.cells())).collect(),
            errors: self.errors.clone(),
            ignored_columns: self.ignored_columns.clone(),
            good: self.rows.len(),
            bad_lines: self.bad_lines(),
        }
    }
}

/// Collects the errors of one row.
pub(crate) struct RowCheck<'a> {
    pub line: usize,
    pub errors: &'a mut Vec<RowError>,
    pub bad: bool,
}

impl RowCheck<'_> {
    pub fn bad(&mut self, column: &str, message: impl Into<String>) {
        self.bad = true;
        self.errors.push(RowError {
            line: self.line,
            column: column.to_string(),
            message: message.into(),
        });
    }
}

/// A date as Danish files write it: `2029-11-20`, `20-11-2029` or
/// `20.11.2029`.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(s.trim(), f).ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_read_as_iso_and_as_danish_files_write_them() {
        let d = chrono::NaiveDate::from_ymd_opt(2029, 11, 20);
        for s in ["2029-11-20", "20-11-2029", "20.11.2029", " 20/11/2029 "] {
            assert_eq!(super::parse_date(s), d, "{s}");
        }
        assert_eq!(super::parse_date("31.02.2029"), None);
    }
}
