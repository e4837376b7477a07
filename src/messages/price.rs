//! What SMS cost: a price per part as the secretariat's gateway charges,
//! and sums of it written as a Danish (or English) reader expects.

use crate::domain::Language;

/// A price in kroner as typed (`0.25`, `0,25`, `1`) in øre, to the
/// hundredth; refused unless it is a number from 0 to 100 kroner.
pub fn parse_part_price(s: &str) -> Result<i64, String> {
    let text = s.trim().replace(',', ".");
    match text.parse::<f64>() {
        Ok(kr) if kr.is_finite() && (0.0..=100.0).contains(&kr) => Ok((kr * 100.0).round() as i64),
        _ => Err(format!(
            "{s:?} is not a price: give kroner per SMS part, such as 0.25"
        )),
    }
}

/// `parts` × `ore_each`, in kroner with øre and grouped thousands:
/// `1.234,50 kr.` in Danish, `DKK 1,234.50` in English.
pub fn total(parts: i64, ore_each: i64, language: Language) -> String {
    let ore = parts.saturating_mul(ore_each);
    let (kr, rest) = (ore / 100, ore % 100);
    match language {
        Language::Da => format!("{},{rest:02} kr.", grouped(kr, '.')),
        Language::En => format!("DKK {}.{rest:02}", grouped(kr, ',')),
    }
}

/// A whole number with its thousands grouped by `separator`.
pub fn grouped(n: i64, separator: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(d);
    }
    match n < 0 {
        true => format!("-{out}"),
        false => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0, '.'), "0");
        assert_eq!(grouped(500, '.'), "500");
        assert_eq!(grouped(5500, '.'), "5.500");
        assert_eq!(grouped(125000, ','), "125,000");
        assert_eq!(grouped(-1234567, '.'), "-1.234.567");
    }

    #[test]
    fn a_price_is_read_in_either_decimal_style_and_summed_in_the_readers() {
        assert_eq!(parse_part_price("0,25"), Ok(25));
        assert_eq!(parse_part_price(" 0.245 "), Ok(25));
        assert!(parse_part_price("gratis").is_err());
        assert!(parse_part_price("-1").is_err());
        assert_eq!(total(5_000, 25, Language::Da), "1.250,00 kr.");
        assert_eq!(total(3, 33, Language::En), "DKK 0.99");
    }
}
