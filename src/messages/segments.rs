//! How many SMS parts a text takes: GSM-7 when every character is in the
//! GSM 03.38 alphabet (the extension characters count twice), else UCS-2.

use serde::Serialize;

/// GSM 03.38's basic alphabet.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters sent as an escape and one more septet.
const EXTENDED: &str = "^{}\\[~]|€\u{c}";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segments {
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub parts: usize,
    /// The first character outside GSM-7, which made the text UCS-2.
    pub forced_by: Option<char>,
    /// What GSM-7 has in its place, if anything (`’` → `'`).
    pub replacement: Option<&'static str>,
}

/// The GSM-7 stand-in for a character word processors put in a text.
pub fn gsm_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '’' | '‘' | '´' | '`' | '′' => "'",
        '“' | '”' | '„' | '«' | '»' | '″' => "\"",
        '–' | '—' | '‑' | '−' => "-",
        '…' => "...",
        '•' | '·' => "-",
        '\u{a0}' | '\u{2009}' | '\u{202f}' => " ",
        'á' => "a",
        'í' => "i",
        'ó' => "o",
        'ú' => "u",
        'ê' | 'ë' => "e",
        _ => return None,
    })
}

pub fn count(text: &str) -> Segments {
    let mut septets = 0;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENDED.contains(c) {
            septets += 2;
        } else {
            let units = text.encode_utf16().count();
            return Segments {
                encoding: "ucs2",
                units,
                parts: parts(units, 70, 67),
                forced_by: Some(c),
                replacement: gsm_replacement(c),
            };
        }
    }
    Segments {
        encoding: "gsm7",
        units: septets,
        parts: parts(septets, 160, 153),
        forced_by: None,
        replacement: None,
    }
}

fn parts(units: usize, single: usize, each: usize) -> usize {
    match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(each),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_character_that_makes_a_text_ucs2_is_named_with_its_stand_in() {
        let s = count("Vi ses i morgen – husk kaffe");
        assert_eq!(
            (s.encoding, s.forced_by, s.replacement),
            ("ucs2", Some('–'), Some("-"))
        );
        let s = count("Tak 🙂");
        assert_eq!((s.forced_by, s.replacement), (Some('🙂'), None));
        assert_eq!(count("Hej").forced_by, None);
    }

    #[test]
    fn danish_letters_fit_gsm7_and_an_emoji_makes_it_ucs2() {
        assert_eq!(count("Hej Søren Ærø, på gensyn").encoding, "gsm7");
        let s = count(&"a".repeat(160));
        assert_eq!((s.units, s.parts), (160, 1));
        assert_eq!(count(&"a".repeat(161)).parts, 2);
        assert_eq!(count(&"a".repeat(306)).parts, 2);
        assert_eq!(count(&"a".repeat(307)).parts, 3);
        let euro = count("5 €");
        assert_eq!((euro.encoding, euro.units), ("gsm7", 4));
        let emoji = count("Tak 🙂");
        assert_eq!((emoji.encoding, emoji.units, emoji.parts), ("ucs2", 6, 1));
        assert_eq!(count(&"ő".repeat(71)).parts, 2);
    }
}
