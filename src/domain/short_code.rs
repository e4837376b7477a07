//! Short codes: the `K7` a person writes back to say which question they answer.

use std::fmt;

use rand::Rng;

/// A letter and one to three digits, e.g. `K7`. Letters that are easily
/// mistaken for digits (I, O) or for each other (Q) are never issued.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortCode(String);

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVXYZ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShortCodeError {
    #[error("a code is a letter followed by one to three digits, like K7")]
    Format,
}

impl ShortCode {
    /// Parses a code as a person might type it: case and a space between
    /// letter and digits are forgiven (`k7`, `K 7`).
    pub fn parse(input: &str) -> Result<ShortCode, ShortCodeError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let mut chars = compact.chars();
        let letter = chars.next().ok_or(ShortCodeError::Format)?;
        let digits: String = chars.collect();
        if !letter.is_ascii_alphabetic()
            || digits.is_empty()
            || digits.len() > 3
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(ShortCodeError::Format);
        }
        Ok(ShortCode(format!(
            "{}{digits}",
            letter.to_ascii_uppercase()
        )))
    }

    /// A fresh code that is not in `taken`. Two characters while those last,
    /// then three, then four.
    pub fn generate(rng: &mut impl Rng, taken: &dyn Fn(&str) -> bool) -> ShortCode {
        for (max, tries) in [(9u32, 40), (99, 200), (999, 2000)] {
            for _ in 0..tries {
                let letter = char::from(LETTERS[rng.random_range(0..LETTERS.len())]);
                let number = rng.random_range(1..=max);
                let code = format!("{letter}{number}");
                if !taken(&code) {
                    return ShortCode(code);
                }
            }
        }
        // 22 × 999 codes all taken by one phone is not a real situation;
        // fall back to a scan so the function still terminates.
        for letter in LETTERS {
            for number in 1..=999 {
                let code = format!("{}{number}", char::from(*letter));
                if !taken(&code) {
                    return ShortCode(code);
                }
            }
        }
        ShortCode("Z999".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgiving_case_and_inner_spaces() {
        assert_eq!(ShortCode::parse("k7").unwrap().as_str(), "K7");
        assert_eq!(ShortCode::parse("K 12").unwrap().as_str(), "K12");
    }

    #[test]
    fn words_and_numbers_alone_are_not_codes() {
        for input in ["JA", "7", "K", "K0", "K1234", "7K", ""] {
            assert!(ShortCode::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn a_generated_code_avoids_the_codes_already_taken() {
        let mut rng = rand::rng();
        let taken: Vec<String> = LETTERS
            .iter()
            .flat_map(|l| (1..=9).map(move |n| format!("{}{n}", char::from(*l))))
            .collect();
        let code = ShortCode::generate(&mut rng, &|c| taken.iter().any(|t| t == c));
        assert!(!taken.contains(&code.0));
        assert_eq!(ShortCode::parse(code.as_str()).unwrap(), code);
    }
}
