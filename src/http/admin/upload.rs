//! A CSV import form as every import page sends it: the file or pasted
//! text, whether to import or only preview, and whether to leave bad rows
//! out.

use axum::extract::Multipart;

use super::error::{PageError, PageResult};

/// What the import form sent: the file (or pasted text), and what to do.
pub struct ImportForm {
    pub text: Vec<u8>,
    pub commit: bool,
    pub skip_bad: bool,
}

pub async fn read_form(mut form: Multipart) -> PageResult<ImportForm> {
    let mut out = ImportForm {
        text: Vec::new(),
        commit: false,
        skip_bad: false,
    };
    let mut pasted = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("the form could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| PageError::BadRequest(format!("the form could not be read: {e}")))?;
        match name.as_str() {
            "file" => out.text = bytes.to_vec(),
            "csv" => pasted = bytes.to_vec(),
            "action" => out.commit = &bytes[..] == b"import",
            "skip_bad" => out.skip_bad = !bytes.is_empty(),
            _ => {}
        }
    }
    if out.text.iter().all(u8::is_ascii_whitespace) {
        out.text = pasted;
    }
    Ok(out)
}
