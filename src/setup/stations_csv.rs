//! Polling stations from a CSV file: area, name, address and voting area
//! per row. A station whose name is known is updated; an area that is not
//! known yet is created.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Checked, PreviewRow, RowCheck};
use crate::csv_table::{self, TableError};

const COLUMNS: &[(&str, &[&str])] = &[
    (
        "area",
        &["område", "omraade", "area", "valgkreds", "distrikt"],
    ),
    (
        "name",
        &["valgsted", "navn", "name", "station", "stemmested"],
    ),
    ("address", &["adresse", "address"]),
    (
        "voting_area",
        &[
            "afstemningsområde",
            "afstemningsomraade",
            "afstemningsområdenummer",
            "votingarea",
            "nummer",
        ],
    ),
];

const EXPECTED: &str = "område, valgsted, adresse (afstemningsområde)";

#[derive(Debug, Clone, Serialize)]
pub struct StationRow {
    pub line: usize,
    pub area: String,
    pub name: String,
    pub address: String,
    pub voting_area: Option<String>,
}

impl PreviewRow for StationRow {
    fn line(&self) -> usize {
        self.line
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.area.clone(),
            self.name.clone(),
            self.address.clone(),
            self.voting_area.clone().unwrap_or_default(),
        ]
    }
}

pub fn check(bytes: &[u8]) -> Result<Checked<StationRow>, TableError> {
    let table = csv_table::read(bytes)?;
    let (cols, ignored) = csv_table::find_columns(&table.headers, COLUMNS)?;
    for (c, word) in [
        ("area", "område"),
        ("name", "valgsted"),
        ("address", "adresse"),
    ] {
        if !cols.contains_key(c) {
            return Err(TableError::MissingColumn {
                missing: word,
                expected: EXPECTED,
            });
        }
    }
    let mut out = Checked {
        rows: Vec::new(),
        errors: Vec::new(),
        ignored_columns: ignored,
        data_lines: table.records.len(),
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for record in &table.records {
        let field = |c: &str| record.get(cols.get(c).copied()).map(str::to_string);
        let mut row = RowCheck {
            line: record.line,
            errors: &mut out.errors,
            bad: false,
        };
        let area = field("area");
        if area.is_none() {
            row.bad("område", "the area is empty");
        }
        let name = field("name");
        match &name {
            None => row.bad("valgsted", "the station's name is empty"),
            Some(n) if n.chars().count() > 200 => {
                row.bad("valgsted", "the name is too long (200 characters at most)")
            }
            Some(n) => {
                if let Some(first) = seen.insert(n.to_lowercase(), record.line) {
                    row.bad("valgsted", format!("the same station as line {first}"));
                }
            }
        }
        let address = field("address");
        if address.is_none() {
            row.bad("adresse", "the address is empty");
        }
        if row.bad {
            continue;
        }
        if let (Some(area), Some(name), Some(address)) = (area, name, address) {
            out.rows.push(StationRow {
                line: record.line,
                area,
                name,
                address,
                voting_area: field("voting_area"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stations_are_read_with_danish_headers_and_a_bad_row_is_pointed_at() {
        let c = check(
            "Område;Valgsted;Adresse;Afstemningsområde\n\
             Midtbyen;Rådhushallen;Rådhuspladsen 1;1\n\
             Midtbyen;;Skolevej 12;2\n\
             Nord;rådhushallen;Nordvej 3;\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(c.rows.len(), 1);
        assert_eq!(c.rows[0].voting_area.as_deref(), Some("1"));
        let got: Vec<(usize, &str)> = c
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "the station's name is empty"),
                (4, "the same station as line 2")
            ]
        );
    }

    #[test]
    fn a_file_without_an_address_column_is_refused_as_a_whole() {
        let e = check(b"omraade,valgsted\nNord,Skolen\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Første linje skal navngive kolonnerne; «adresse» mangler. Kolonnerne er {EXPECTED}; dem i parentes kan udelades. / The first line must name the columns; `adresse` is missing. The columns are {EXPECTED}; those in brackets may be left out."
            )
        );
    }
}
