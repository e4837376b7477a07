//! Participant lists out: the columns the secretariat chooses, as CSV
//! (what Danish Excel opens: UTF-8 with a byte-order mark, `;`, CRLF) or
//! as an Excel workbook.

use crate::domain::Language;
use crate::store::participants::Participant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportColumn {
    Name,
    Cpr,
    Phone,
    Email,
    Area,
    Station,
    Address,
    VotingArea,
    TaskType,
    Team,
    Date,
    Start,
    End,
    Status,
    Code,
    CheckedIn,
}

impl ExportColumn {
    pub const ALL: [ExportColumn; 16] = [
        ExportColumn::Name,
        ExportColumn::Cpr,
        ExportColumn::Phone,
        ExportColumn::Email,
        ExportColumn::Area,
        ExportColumn::Station,
        ExportColumn::Address,
        ExportColumn::VotingArea,
        ExportColumn::TaskType,
        ExportColumn::Team,
        ExportColumn::Date,
        ExportColumn::Start,
        ExportColumn::End,
        ExportColumn::Status,
        ExportColumn::Code,
        ExportColumn::CheckedIn,
    ];

    /// The name in a query string (`columns=name,phone`).
    pub fn key(self) -> &'static str {
        match self {
            ExportColumn::Name => "name",
            ExportColumn::Cpr => "cpr",
            ExportColumn::Phone => "phone",
            ExportColumn::Email => "email",
            ExportColumn::Area => "area",
            ExportColumn::Station => "station",
            ExportColumn::Address => "address",
            ExportColumn::VotingArea => "voting_area",
            ExportColumn::TaskType => "task_type",
            ExportColumn::Team => "team",
            ExportColumn::Date => "date",
            ExportColumn::Start => "start",
            ExportColumn::End => "end",
            ExportColumn::Status => "status",
            ExportColumn::Code => "code",
            ExportColumn::CheckedIn => "checked_in",
        }
    }

    pub fn parse(key: &str) -> Option<ExportColumn> {
        ExportColumn::ALL
            .into_iter()
            .find(|c| c.key() == key.trim())
    }

    pub fn header(self, language: Language) -> &'static str {
        let (da, en) = match self {
            ExportColumn::Name => ("Navn", "Name"),
            ExportColumn::Cpr => ("CPR-nummer", "CPR number"),
            ExportColumn::Phone => ("Telefon", "Phone"),
            ExportColumn::Email => ("E-mail", "E-mail"),
            ExportColumn::Area => ("Område", "Area"),
            ExportColumn::Station => ("Valgsted", "Polling station"),
            ExportColumn::Address => ("Adresse", "Address"),
            ExportColumn::VotingArea => ("Afstemningsområde", "Voting area"),
            ExportColumn::TaskType => ("Opgave", "Task"),
            ExportColumn::Team => ("Hold", "Team"),
            ExportColumn::Date => ("Dato", "Date"),
            ExportColumn::Start => ("Start", "Start"),
            ExportColumn::End => ("Slut", "End"),
            ExportColumn::Status => ("Status", "Status"),
            ExportColumn::Code => ("Kode", "Code"),
            ExportColumn::CheckedIn => ("Mødt", "Checked in"),
        };
        match language {
            Language::Da => da,
            Language::En => en,
        }
    }

    fn value(self, p: &Participant, language: Language) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            ExportColumn::Name => opt(&p.name),
            ExportColumn::Cpr => p
                .cpr
                .as_deref()
                .map(|c| match c.len() {
                    10 => format!("{}-{}", &c[..6], &c[6..]),
                    _ => c.to_string(),
                })
                .unwrap_or_default(),
            ExportColumn::Phone => opt(&p.phone),
            ExportColumn::Email => opt(&p.email),
            ExportColumn::Area => p.area.clone(),
            ExportColumn::Station => p.station.clone(),
            ExportColumn::Address => p.address.clone(),
            ExportColumn::VotingArea => opt(&p.voting_area),
            ExportColumn::TaskType => p.task_type.clone(),
            ExportColumn::Team => p.team.clone(),
            ExportColumn::Date => p.date.format("%d-%m-%Y").to_string(),
            ExportColumn::Start => p.start_time.format("%H:%M").to_string(),
            ExportColumn::End => p.end_time.format("%H:%M").to_string(),
            ExportColumn::Status => status_word(&p.status, language).to_string(),
            ExportColumn::Code => opt(&p.code),
            ExportColumn::CheckedIn => match (p.checked_in_at.is_some(), language) {
                (true, Language::Da) => "ja".into(),
                (true, Language::En) => "yes".into(),
                (false, _) => String::new(),
            },
        }
    }
}

fn status_word(status: &str, language: Language) -> &str {
    match (status, language) {
        ("vacant", Language::Da) => "ledig",
        ("invited", Language::Da) => "inviteret",
        ("confirmed", Language::Da) => "bekræftet",
        (s, _) => s,
    }
}

/// Columns from `name,phone,…`; unknown names are an error naming them.
pub fn columns(keys: &str) -> Result<Vec<ExportColumn>, String> {
    let mut out = Vec::new();
    for k in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let c = ExportColumn::parse(k).ok_or_else(|| format!("there is no column `{k}`"))?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err("choose at least one column".into());
    }
    Ok(out)
}

/// A cell a spreadsheet would run as a formula (`=`, `@`, or `+`/`-`
/// followed by more than a number) is kept as text with a leading `'`.
fn inert(cell: String) -> String {
    let risky = match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !cell[1..].chars().all(|c| c.is_ascii_digit() || c == ' '),
        _ => false,
    };
    match risky {
        true => format!("'{cell}"),
        false => cell,
    }
}

/// CSV as Danish Excel opens it.
pub fn to_csv(rows: &[Participant], columns: &[ExportColumn], language: Language) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(columns.iter().map(|c| c.header(language)));
    for p in rows {
        let _ = w.write_record(columns.iter().map(|c| inert(c.value(p, language))));
    }
    w.into_inner().unwrap_or_default()
}

/// An Excel workbook with one sheet, the header row bold and frozen.
pub fn to_xlsx(
    rows: &[Participant],
    columns: &[ExportColumn],
    language: Language,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(match language {
        Language::Da => "Deltagere",
        Language::En => "Participants",
    })?;
    for (c, col) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, col.header(language), &bold)?;
    }
    for (r, p) in rows.iter().enumerate() {
        for (c, col) in columns.iter().enumerate() {
            sheet.write_string((r + 1) as u32, c as u16, col.value(p, language))?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    book.save_to_buffer()
}

/// The participant file the election system (Valg Central) imports, as
/// OS2valghalla writes it: `Rolle,Fulde navn,Fødselsdato,Afstemningsområde,
/// Brugernavn,CPR-nummer`, comma-separated, UTF-8 without a byte-order
/// mark, LF between rows; only seats with a person, by name, then date.
/// The user name is left empty; the birth date comes from the CPR number.
pub fn valg_central(rows: &[Participant]) -> Vec<u8> {
    let mut with_person: Vec<&Participant> =
        rows.iter().filter(|p| p.person_id.is_some()).collect();
    with_person.sort_by(|a, b| (&a.name, a.date).cmp(&(&b.name, b.date)));
    let mut w = csv::WriterBuilder::new()
        .delimiter(b',')
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record([
        "Rolle",
        "Fulde navn",
        "Fødselsdato",
        "Afstemningsområde",
        "Brugernavn",
        "CPR-nummer",
    ]);
    for p in with_person {
        let cpr = p
            .cpr
            .as_deref()
            .and_then(|c| crate::domain::Cpr::parse(c).ok());
        let _ = w.write_record([
            inert(p.task_type.clone()),
            inert(p.name.clone().unwrap_or_default()),
            cpr.as_ref()
                .map(|c| c.birth_date().format("%d-%m-%Y").to_string())
                .unwrap_or_default(),
            inert(p.voting_area.clone().unwrap_or_default()),
            String::new(),
            ExportColumn::Cpr.value(p, Language::Da),
        ]);
    }
    let mut out = w.into_inner().unwrap_or_default();
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_kept_as_text_and_a_phone_number_is_not_touched() {
        assert_eq!(inert("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(
            inert("-2+3+cmd|' /C calc'!A0".into()),
            "'-2+3+cmd|' /C calc'!A0"
        );
        assert_eq!(inert("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(inert("+4520000001".into()), "+4520000001");
        assert_eq!(inert("Anna Jensen".into()), "Anna Jensen");
    }

    #[test]
    fn unknown_columns_are_named_and_none_is_refused() {
        assert_eq!(
            columns("name, phone,name").unwrap(),
            [ExportColumn::Name, ExportColumn::Phone]
        );
        assert_eq!(
            columns("name,shoe").unwrap_err(),
            "there is no column `shoe`"
        );
        assert!(columns(" ").is_err());
    }
}
