//! Mobile phone numbers, kept in E.164 form.

use std::fmt;

/// A phone number in E.164 form (`+4512345678`). Eight-digit numbers are
/// Danish. `Debug` shows only the last two digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a phone number has 8 digits (Danish) or starts with + or 00 and a country code")]
    Format,
}

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        let (international, rest) = if let Some(r) = trimmed.strip_prefix('+') {
            (true, r)
        } else if let Some(r) = trimmed.strip_prefix("00") {
            (true, r)
        } else {
            (false, trimmed)
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(PhoneError::Format),
            }
        }
        let e164 = match (international, digits.len()) {
            (false, 8) => format!("+45{digits}"),
            // What gateways send: country code without a plus.
            (false, 10) if digits.starts_with("45") => format!("+{digits}"),
            (true, 8..=15) if !digits.starts_with('0') => format!("+{digits}"),
            _ => return Err(PhoneError::Format),
        };
        Ok(PhoneNumber(e164))
    }

    /// `+4512345678`
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// `4512345678`, the MSISDN form SMS gateways use.
    pub fn msisdn(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = &self.0[self.0.len() - 2..];
        write!(f, "PhoneNumber(…{tail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_danish_number_in_any_common_spelling_becomes_the_same_e164() {
        for input in [
            "12345678",
            "12 34 56 78",
            "+45 12 34 56 78",
            "004512345678",
            "4512345678",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_e164(),
                "+4512345678",
                "{input}"
            );
        }
    }

    #[test]
    fn a_foreign_number_keeps_its_country_code() {
        let n = PhoneNumber::parse("+46 70 123 45 67").unwrap();
        assert_eq!(n.as_e164(), "+46701234567");
        assert_eq!(n.msisdn(), "46701234567");
    }

    #[test]
    fn letters_short_numbers_and_local_trunk_zeros_are_refused() {
        for input in ["1234567", "12345abc", "+045123456", "", "123456789"] {
            assert_eq!(
                PhoneNumber::parse(input),
                Err(PhoneError::Format),
                "{input}"
            );
        }
    }

    #[test]
    fn debug_output_shows_only_the_last_two_digits() {
        let n = PhoneNumber::parse("12345678").unwrap();
        assert_eq!(format!("{n:?}"), "PhoneNumber(…78)");
    }
}
