//! People from a CSV file, as a municipality has them: a header row naming
//! the columns (Danish or English), `;` or `,` between fields, UTF-8 or the
//! Windows-1252 that Danish Excel writes. Every row is checked; a bad row
//! is reported with its line and column, and nothing is stored here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::csv_table::TableError;
use crate::domain::eligibility::{parse_citizenship, parse_flag};
use crate::domain::{Cpr, Facts, Language, MunicipalityCode, PhoneNumber};

/// A column the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    Cpr,
    Phone,
    Email,
    Channel,
    Language,
    Teams,
    Municipality,
    Citizen,
    Guardianship,
    Deceased,
}

impl Column {
    /// The column a header names: lower-cased, without spaces, dashes and
    /// underscores.
    fn from_header(h: &str) -> Option<Column> {
        let key = crate::csv_table::header_key(h);
        Some(match key.as_str() {
            "navn" | "name" | "fuldenavn" | "fulltname" | "fullname" => Column::Name,
            "cpr" | "cprnummer" | "cprnr" | "personnummer" => Column::Cpr,
            "telefon" | "telefonnummer" | "mobil" | "mobilnummer" | "tlf" | "phone" => {
                Column::Phone
            }
            "email" | "mail" | "emailadresse" => Column::Email,
            "kanal" | "channel" | "preferredchannel" | "foretrukkenkanal" => Column::Channel,
            "sprog" | "language" => Column::Language,
            "hold" | "team" | "teams" | "parti" | "party" => Column::Teams,
            "kommunekode" | "kommunenr" | "kommune" | "municipalitycode" | "municipality" => {
                Column::Municipality
            }
            "danskstatsborger" | "statsborger" | "statsborgerskab" | "citizenship"
            | "danishcitizen" => Column::Citizen,
            "umyndiggjort" | "værgemål" | "vaergemaal" | "guardianship" | "underguardianship" => {
                Column::Guardianship
            }
            "død" | "doed" | "afdød" | "deceased" | "dead" => Column::Deceased,
            _ => return None,
        })
    }
}

/// A row that passed every check.
#[derive(Clone, Serialize)]
pub struct Row {
    /// The line of the file (the header is line 1).
    pub line: usize,
    pub name: String,
    #[serde(skip)]
    pub cpr: Cpr,
    #[serde(skip)]
    pub phone: Option<PhoneNumber>,
    pub email: Option<String>,
    pub channel: String,
    #[serde(skip)]
    pub language: Language,
    pub teams: Vec<String>,
    /// The eligibility facts, when the file has any of their columns (an
    /// empty cell is not known).
    #[serde(skip)]
    pub facts: Option<Facts>,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Row(line {})", self.line)
    }
}

pub use crate::csv_table::RowError;

/// A file read and checked.
#[derive(Debug, Serialize)]
pub struct Checked {
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
    /// Header names that are not a column the import knows.
    pub ignored_columns: Vec<String>,
    pub delimiter: char,
    /// Lines with data (not the header, not blank).
    pub data_lines: usize,
}

impl Checked {
    /// Lines with at least one error.
    pub fn bad_lines(&self) -> usize {
        crate::csv_table::bad_lines(&self.errors)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error(transparent)]
    File(#[from] TableError),
    #[error(
        "Første linje skal navngive kolonnerne; «{0}» mangler (navn, cpr; og telefon, email, kanal, sprog, hold, hvis du har dem). / The first line must name the columns; `{0}` is missing (navn, cpr; and telefon, email, kanal, sprog, hold if you have them)."
    )]
    MissingColumn(&'static str),
    #[error(
        "Kolonnen «{0}» står to gange i første linje. / The column `{0}` is named twice in the first line."
    )]
    DuplicateColumn(String),
}

pub use crate::csv_table::decode;

/// A problem in both languages, `Dansk / English`: the page shows the
/// reader's half.
fn said(da: &str, en: &str) -> String {
    format!("{da} / {en}")
}

/// Reads and checks a file. `teams` are the team names that exist.
pub fn check(bytes: &[u8], teams: &[String]) -> Result<Checked, CsvError> {
    let table = crate::csv_table::read(bytes)?;
    let mut columns: BTreeMap<Column, usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    for (i, h) in table.headers.iter().enumerate() {
        match Column::from_header(h) {
            Some(c) if columns.contains_key(&c) => {
                return Err(CsvError::DuplicateColumn(h.to_string()));
            }
            Some(c) => {
                columns.insert(c, i);
            }
            None if h.trim().is_empty() => {}
            None => ignored.push(h.to_string()),
        }
    }
    for (c, word) in [(Column::Name, "navn"), (Column::Cpr, "cpr")] {
        if !columns.contains_key(&c) {
            return Err(CsvError::MissingColumn(word));
        }
    }
    let mut out = Checked {
        rows: Vec::new(),
        errors: Vec::new(),
        ignored_columns: ignored,
        delimiter: table.delimiter,
        data_lines: 0,
    };
    let mut seen_cpr: BTreeMap<String, usize> = BTreeMap::new();
    for record in &table.records {
        let line = record.line;
        out.data_lines += 1;
        let field = |c: Column| record.get(columns.get(&c).copied());
        let mut bad = |column: &str, message: String| {
            out.errors.push(RowError {
                line,
                column: column.to_string(),
                message,
            })
        };
        let name = field(Column::Name).map(str::to_string);
        if name.is_none() {
            bad("navn", said("Navnet er tomt.", "The name is empty."));
        }
        let cpr = match field(Column::Cpr).map(Cpr::parse) {
            None => {
                bad(
                    "cpr",
                    said("CPR-nummeret er tomt.", "The CPR number is empty."),
                );
                None
            }
            Some(Err(e)) => {
                let da = match e {
                    crate::domain::CprError::Format => {
                        "Et CPR-nummer har ti cifre, skrevet DDMMÅÅ-SSSS eller DDMMÅÅSSSS."
                    }
                    crate::domain::CprError::Date => {
                        "De første seks cifre i et CPR-nummer skal være en rigtig dato (DDMMÅÅ)."
                    }
                };
                bad("cpr", said(da, &e.to_string()));
                None
            }
            Some(Ok(c)) => match seen_cpr.insert(c.as_string(), line) {
                Some(first) => {
                    bad(
                        "cpr",
                        said(
                            &format!("Samme CPR-nummer som linje {first}."),
                            &format!("The same CPR number as line {first}."),
                        ),
                    );
                    None
                }
                None => Some(c),
            },
        };
        let phone = match field(Column::Phone).map(PhoneNumber::parse) {
            None => Ok(None),
            Some(Ok(p)) => Ok(Some(p)),
            Some(Err(e)) => {
                bad(
                    "telefon",
                    said(
                        "Et telefonnummer har 8 cifre (dansk) eller begynder med + eller 00 og en landekode.",
                        &e.to_string(),
                    ),
                );
                Err(())
            }
        };
        let email = field(Column::Email).map(str::to_string);
        if let Some(e) = &email
            && !super::form::is_email(e)
        {
            bad(
                "email",
                said(
                    &format!("«{e}» er ikke en e-mailadresse."),
                    &format!("`{e}` is not an e-mail address."),
                ),
            );
        }
        let channel = match field(Column::Channel).map(str::to_lowercase).as_deref() {
            None => match (&phone, &email) {
                (Ok(None), Some(_)) => "email".to_string(),
                _ => "sms".to_string(),
            },
            Some("sms") => "sms".into(),
            Some("email" | "e-mail" | "mail") => "email".into(),
            Some(other) => {
                bad(
                    "kanal",
                    said(
                        &format!("«{other}» er hverken sms eller email."),
                        &format!("`{other}` is not sms or email."),
                    ),
                );
                "sms".into()
            }
        };
        if channel == "sms" && matches!(phone, Ok(None)) && email.is_none() {
            bad(
                "telefon",
                said(
                    "Der skal være et telefonnummer eller en e-mailadresse, så personen kan nås.",
                    "A phone number or an e-mail address is needed to reach the person.",
                ),
            );
        }
        if channel == "email" && email.is_none() {
            bad(
                "email",
                said(
                    "Kanalen er email, men der er ingen e-mailadresse.",
                    "The channel is email, but there is no e-mail address.",
                ),
            );
        }
        let language = match field(Column::Language) {
            None => Some(Language::Da),
            Some(l) => Language::parse(l).or_else(|| {
                bad(
                    "sprog",
                    said(
                        &format!("«{l}» er hverken da eller en."),
                        &format!("`{l}` is not da or en."),
                    ),
                );
                None
            }),
        };
        let mut row_teams = Vec::new();
        for t in field(Column::Teams)
            .unwrap_or_default()
            .split([',', '|', '/'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match teams
                .iter()
                .find(|x| x.eq_ignore_ascii_case(t) || x.to_lowercase() == t.to_lowercase())
            {
                Some(x) => row_teams.push(x.clone()),
                None => bad(
                    "hold",
                    said(
                        &format!("Der er intet hold, der hedder «{t}»."),
                        &format!("There is no team named `{t}`."),
                    ),
                ),
            }
        }
        let has_facts = [
            Column::Municipality,
            Column::Citizen,
            Column::Guardianship,
            Column::Deceased,
        ]
        .iter()
        .any(|c| columns.contains_key(c));
        let mut facts = Facts::default();
        if let Some(m) = field(Column::Municipality) {
            match MunicipalityCode::parse(m) {
                Ok(code) => facts.municipality = Some(code),
                Err(e) => bad(
                    "kommunekode",
                    said(
                        &format!(
                            "En kommunekode er et til fire cifre, som 0101 eller 461, ikke «{m}»."
                        ),
                        &e.to_string(),
                    ),
                ),
            }
        }
        match parse_citizenship(field(Column::Citizen).unwrap_or_default()) {
            Ok(v) => facts.danish_citizen = v,
            Err(_) => bad(
                "statsborger",
                said(
                    "Skriv ja eller nej, DK eller CPR-registrets landekode (5100 er Danmark).",
                    "Write ja or nej, DK, or the CPR register's country code (5100 is Denmark).",
                ),
            ),
        }
        for (column, word, slot) in [
            (
                Column::Guardianship,
                "umyndiggjort",
                &mut facts.under_guardianship,
            ),
            (Column::Deceased, "død", &mut facts.deceased),
        ] {
            match parse_flag(field(column).unwrap_or_default()) {
                Ok(v) => *slot = v,
                Err(_) => bad(
                    word,
                    said(
                        "Skriv ja eller nej, eller lad feltet stå tomt.",
                        "Write ja or nej, or leave it empty.",
                    ),
                ),
            }
        }
        if out.errors.last().is_some_and(|e| e.line == line) {
            continue;
        }
        if let (Some(name), Some(cpr), Ok(phone), Some(language)) = (name, cpr, phone, language) {
            out.rows.push(Row {
                line,
                name,
                cpr,
                phone,
                email,
                channel,
                language,
                teams: row_teams,
                facts: has_facts.then_some(facts),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Vec<String> {
        vec!["Venstre".into(), "Socialdemokratiet".into()]
    }

    #[test]
    fn a_danish_excel_file_with_semicolons_and_windows_1252_is_read() {
        let text = "Navn;CPR-nummer;Telefon;Hold\nSøren Ærø;120385-1234;20 00 00 01;Venstre\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let c = check(&bytes, &teams()).unwrap();
        assert_eq!(c.delimiter, ';');
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(c.rows[0].name, "Søren Ærø");
        assert_eq!(c.rows[0].teams, ["Venstre"]);
        assert_eq!(c.rows[0].phone.as_ref().unwrap().as_e164(), "+4520000001");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_column() {
        let text = "\u{feff}name,cpr,phone,email,team\n\
            Anna,120385-1234,20000001,,\n\
            Bo,311385-1234,20000002,,\n\
            \n\
            Carla,250999-4321,,carla@,Konservative\n\
            Dennis,120385-1234,20000004,,\n";
        let c = check(text.as_bytes(), &teams()).unwrap();
        assert_eq!(c.rows.len(), 1);
        assert_eq!(c.data_lines, 4);
        let got: Vec<(usize, &str)> = c
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(got, [(3, "cpr"), (5, "email"), (5, "hold"), (6, "cpr")]);
        assert_eq!(
            c.errors[3].message,
            "Samme CPR-nummer som linje 2. / The same CPR number as line 2."
        );
        assert_eq!(c.bad_lines(), 3);
    }

    #[test]
    fn the_eligibility_facts_are_read_where_the_file_has_them() {
        let text = "navn;cpr;telefon;kommunekode;statsborgerskab;umyndiggjort\n\
            Anna;120385-1234;20000001;461;5100;nej\n\
            Bo;110385-1234;20000002;;;\n\
            Carl;100385-1234;20000003;46a1;Sverige;måske\n";
        let c = check(text.as_bytes(), &[]).unwrap();
        let anna = c.rows[0].facts.clone().expect("facts");
        assert_eq!(anna.municipality.unwrap().as_str(), "0461");
        assert_eq!(anna.danish_citizen, Some(true));
        assert_eq!(anna.under_guardianship, Some(false));
        assert_eq!(
            c.rows[1].facts,
            Some(Facts::default()),
            "empty is not known"
        );
        let got: Vec<(usize, &str)> = c
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [(4, "kommunekode"), (4, "statsborger"), (4, "umyndiggjort")]
        );
        let plain = check(b"navn;cpr;telefon\nAnna;120385-1234;20000001\n", &[]).unwrap();
        assert_eq!(
            plain.rows[0].facts, None,
            "no such columns: facts stay as known"
        );
    }

    #[test]
    fn a_file_without_a_name_or_cpr_column_is_refused_as_a_whole() {
        assert_eq!(
            check(b"navn;telefon\nAnna;20000001\n", &[]).unwrap_err(),
            CsvError::MissingColumn("cpr")
        );
        assert_eq!(
            check(b"  \n", &[]).unwrap_err(),
            CsvError::File(TableError::Empty)
        );
        assert!(matches!(
            check(b"navn;name;cpr\n", &[]).unwrap_err(),
            CsvError::DuplicateColumn(_)
        ));
    }
}
