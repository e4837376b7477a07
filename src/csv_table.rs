//! A CSV file as a municipality has it: a header row, `;` or `,` between
//! fields, UTF-8 or the Windows-1252 that Danish Excel writes. Read into
//! rows that each know the line they started on, so that every import can
//! point at the line of a bad row.

/// A file read, blank lines left out.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub records: Vec<Record>,
    pub delimiter: char,
}

/// A row and the line of the file it starts on (the header is line 1).
#[derive(Debug)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// What is wrong with a row: its line, the column, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

/// The number of lines with at least one error.
pub fn bad_lines(errors: &[RowError]) -> usize {
    errors
        .iter()
        .map(|e| e.line)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("Filen er tom. / The file is empty.")]
    Empty,
    #[error("Linje {line} kan ikke læses ({message}). / Line {line}: {message}.")]
    Unreadable { line: usize, message: String },
    #[error(
        "Kolonnen «{0}» står to gange i første linje. / The column `{0}` is named twice in the first line."
    )]
    DuplicateColumn(String),
    #[error(
        "Første linje skal navngive kolonnerne; «{missing}» mangler. Kolonnerne er {expected}; dem i parentes kan udelades. / The first line must name the columns; `{missing}` is missing. The columns are {expected}; those in brackets may be left out."
    )]
    MissingColumn {
        missing: &'static str,
        expected: &'static str,
    },
}

/// Where each known column is: `known` gives each column's name and the
/// header keys (see [`header_key`]) that mean it. Headers that mean no
/// known column are returned to be shown as ignored.
pub fn find_columns(
    headers: &[String],
    known: &[(&'static str, &[&str])],
) -> Result<(std::collections::BTreeMap<&'static str, usize>, Vec<String>), TableError> {
    let mut found = std::collections::BTreeMap::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = header_key(h);
        match known.iter().find(|(_, keys)| keys.contains(&key.as_str())) {
            Some((name, _)) if found.contains_key(name) => {
                return Err(TableError::DuplicateColumn(h.clone()));
            }
            Some((name, _)) => {
                found.insert(*name, i);
            }
            None if key.is_empty() => {}
            None => ignored.push(h.clone()),
        }
    }
    Ok((found, ignored))
}

/// The file's text: UTF-8 (a byte-order mark is dropped), or else
/// Windows-1252.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// `;` when the header has more of them than commas (Danish Excel).
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    match header.matches(';').count() > header.matches(',').count() {
        true => b';',
        false => b',',
    }
}

/// A header as a key: lower-cased, without spaces, dashes, dots and
/// underscores (`CPR-nummer` is `cprnummer`).
pub fn header_key(h: &str) -> String {
    h.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect()
}

pub fn read(bytes: &[u8]) -> Result<Table, TableError> {
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(TableError::Empty);
    }
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| TableError::Unreadable {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_string)
        .collect();
    // The line a record starts on, from its byte offset: the reader's own
    // line count slips on blank lines and CRLF. A record's position is
    // where the reader began it, before the line ends (and blank lines) it
    // skipped.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |byte: u64| {
        let start = text.as_bytes()[(byte as usize).min(text.len())..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count()
            + byte as usize;
        newlines.partition_point(|&i| i < start) + 1
    };
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Unreadable {
            line: e.position().map_or(0, |p| line_at(p.byte())),
            message: e.to_string(),
        })?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        records.push(Record {
            line: record.position().map_or(0, |p| line_at(p.byte())),
            fields: record.iter().map(|f| f.trim().to_string()).collect(),
        });
    }
    Ok(Table {
        headers,
        records,
        delimiter: delim as char,
    })
}

impl Record {
    /// The field at `index`, if there is one and it is not empty.
    pub fn get(&self, index: Option<usize>) -> Option<&str> {
        index
            .and_then(|i| self.fields.get(i))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_knows_its_line_across_blank_lines_and_crlf() {
        let t = read(b"a;b\r\n1;2\r\n\r\n3;4\r\n").unwrap();
        assert_eq!(t.delimiter, ';');
        let lines: Vec<usize> = t.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(t.records[1].get(Some(1)), Some("4"));
        assert_eq!(t.records[1].get(Some(7)), None);
    }

    #[test]
    fn windows_1252_is_read_when_the_file_is_not_utf_8() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("navn\nRådhushallen\n");
        assert_eq!(read(&bytes).unwrap().records[0].fields, ["Rådhushallen"]);
    }
}
