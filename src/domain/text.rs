//! Text from outside as the databases can keep it: PostgreSQL refuses the
//! NUL character in text (SQLite keeps it), so a message that carries one
//! is stored with U+FFFD in its place, and its original, escaped, beside.

use std::borrow::Cow;

/// The character a NUL is stored as.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `text` with every NUL replaced by [`REPLACEMENT`]; borrowed when it has
/// none.
pub fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', &REPLACEMENT.to_string()))
    } else {
        Cow::Borrowed(text)
    }
}

/// The original of a text that [`storable`] changed, escaped so that it
/// can be stored too (`\0` for NUL, `\\` for a backslash); `None` when it
/// needed no change.
pub fn original_if_changed(text: &str) -> Option<String> {
    text.contains('\0').then(|| text.escape_debug().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_replaced_and_the_original_kept_escaped() {
        assert!(matches!(storable("JA K7"), Cow::Borrowed(_)));
        assert_eq!(original_if_changed("JA K7"), None);
        assert_eq!(storable("JA\0K7"), "JA\u{FFFD}K7");
        assert_eq!(
            original_if_changed("JA\0K7\\").as_deref(),
            Some("JA\\0K7\\\\")
        );
    }
}
