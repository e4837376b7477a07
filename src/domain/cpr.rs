//! Danish CPR numbers (personnummer).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A CPR number that has been checked: ten digits, a real birth date, and a
/// century given by the seventh digit. The modulus-11 check is not applied:
/// CPR numbers issued since 2007 need not satisfy it.
///
/// `Debug` hides the number so that it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cpr {
    digits: [u8; 10],
    birth_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    #[error("a CPR number has ten digits, written DDMMYY-SSSS or DDMMYYSSSS")]
    Format,
    #[error("the first six digits of a CPR number must be a real date (DDMMYY)")]
    Date,
}

impl Cpr {
    pub fn parse(input: &str) -> Result<Cpr, CprError> {
        let trimmed = input.trim();
        let compact: String = match trimmed.len() {
            10 => trimmed.to_string(),
            11 if trimmed.as_bytes()[6] == b'-' => {
                format!("{}{}", &trimmed[..6], &trimmed[7..])
            }
            _ => return Err(CprError::Format),
        };
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CprError::Format);
        }
        let mut digits = [0u8; 10];
        for (d, b) in digits.iter_mut().zip(compact.bytes()) {
            *d = b - b'0';
        }
        let day = u32::from(digits[0] * 10 + digits[1]);
        let month = u32::from(digits[2] * 10 + digits[3]);
        let yy = i32::from(digits[4] * 10 + digits[5]);
        let year = century(digits[6], yy) + yy;
        let birth_date = NaiveDate::from_ymd_opt(year, month, day).ok_or(CprError::Date)?;
        Ok(Cpr { digits, birth_date })
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Whole years of age on `date`. Someone born on 29 February turns a year
    /// older on 1 March in years without that date.
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        let born = self.birth_date;
        let mut age = date.year() - born.year();
        if (date.month(), date.day()) < (born.month(), born.day()) {
            age -= 1;
        }
        age
    }

    /// The number as pages show it unless it is revealed: the birth date
    /// and `xxxx`, `120385-xxxx`.
    pub fn masked(&self) -> String {
        let s: String = self.digits[..6]
            .iter()
            .map(|d| char::from(b'0' + d))
            .collect();
        format!("{s}-xxxx")
    }

    /// Whether `text` is this number's masked form, as a form sends it back
    /// when the number was not changed.
    pub fn is_masked_as(&self, text: &str) -> bool {
        text.trim().eq_ignore_ascii_case(&self.masked())
    }

    /// The number as `DDMMYY-SSSS`.
    pub fn as_string(&self) -> String {
        let s: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{}-{}", &s[..6], &s[6..])
    }
}

/// The century rule of the CPR office: the seventh digit and the two-digit
/// year together give the century.
fn century(seventh: u8, yy: i32) -> i32 {
    match (seventh, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (5..=8, 0..=57) => 2000,
        (5..=8, _) => 1800,
        _ => 1900,
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpr(******-****)")
    }
}

impl FromStr for Cpr {
    type Err = CprError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpr::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_masked_form_shows_the_birth_date_only() {
        let cpr = Cpr::parse("1203851234").unwrap();
        assert_eq!(cpr.masked(), "120385-xxxx");
        assert!(cpr.is_masked_as(" 120385-XXXX "));
        assert!(!cpr.is_masked_as("120385-1234"));
    }

    #[test]
    fn a_cpr_with_or_without_a_dash_parses_to_its_birth_date() {
        assert_eq!(
            Cpr::parse("010190-1234").unwrap().birth_date(),
            date(1990, 1, 1)
        );
        assert_eq!(
            Cpr::parse("0101901234").unwrap().birth_date(),
            date(1990, 1, 1)
        );
    }

    #[test]
    fn the_seventh_digit_decides_the_century() {
        assert_eq!(
            Cpr::parse("010105-4000").unwrap().birth_date(),
            date(2005, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010140-4000").unwrap().birth_date(),
            date(1940, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010105-5000").unwrap().birth_date(),
            date(2005, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010160-5000").unwrap().birth_date(),
            date(1860, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010136-9000").unwrap().birth_date(),
            date(2036, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010137-9000").unwrap().birth_date(),
            date(1937, 1, 1)
        );
        assert_eq!(
            Cpr::parse("010199-3000").unwrap().birth_date(),
            date(1999, 1, 1)
        );
    }

    #[test]
    fn impossible_dates_and_wrong_lengths_are_refused_with_a_reason() {
        assert_eq!(Cpr::parse("310290-1234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("011390-1234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("01019-1234"), Err(CprError::Format));
        assert_eq!(Cpr::parse("0101901234x"), Err(CprError::Format));
        assert_eq!(Cpr::parse("01019a1234"), Err(CprError::Format));
    }

    #[test]
    fn age_counts_whole_years_and_turns_on_the_birthday() {
        let cpr = Cpr::parse("151108-4321").unwrap();
        assert_eq!(cpr.age_on(date(2026, 11, 14)), 17);
        assert_eq!(cpr.age_on(date(2026, 11, 15)), 18);
    }

    #[test]
    fn a_leap_day_birthday_turns_a_year_older_on_the_first_of_march() {
        let cpr = Cpr::parse("290208-4321").unwrap();
        assert_eq!(cpr.age_on(date(2026, 2, 28)), 17);
        assert_eq!(cpr.age_on(date(2026, 3, 1)), 18);
    }

    #[test]
    fn debug_output_never_shows_the_number() {
        let cpr = Cpr::parse("010190-1234").unwrap();
        assert!(!format!("{cpr:?}").contains("0101"));
        assert_eq!(cpr.as_string(), "010190-1234");
    }
}
