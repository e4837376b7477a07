//! Who may hold a seat: the rules an election type keeps (those of
//! OS2valghalla: alive, age on the seat's date, resident in the
//! municipality, Danish citizen, not under guardianship), checked against
//! what is known about a person.
//!
//! A fact that is not known (not given in the import or the form, and not
//! yet looked up in the CPR register) does not refuse anyone: the rule is
//! checked where the fact is known, and the admin shows a person whose
//! facts were never checked. Age is always known, from the CPR number.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Cpr;

/// A municipality's code in the CPR register (`0101` København, `0461`
/// Odense): four digits, kept with leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a municipality code is one to four digits, like 0101 or 461, not {0:?}")]
pub struct MunicipalityCodeError(pub String);

impl MunicipalityCode {
    pub fn parse(text: &str) -> Result<MunicipalityCode, MunicipalityCodeError> {
        let t = text.trim();
        let ok = (1..=4).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_digit())
            && t.bytes().any(|b| b != b'0');
        match ok {
            true => Ok(MunicipalityCode(format!("{t:0>4}"))),
            false => Err(MunicipalityCodeError(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MunicipalityCode {
    type Error = MunicipalityCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MunicipalityCode::parse(&s)
    }
}

impl From<MunicipalityCode> for String {
    fn from(c: MunicipalityCode) -> String {
        c.0
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A written yes or no that is neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("write ja or nej (yes or no), or leave it empty")]
pub struct NotAFlag;

/// A yes or no as a file or form writes it (`ja`, `nej`, `x`, `1`,
/// `true`, …); empty is not known.
pub fn parse_flag(text: &str) -> Result<Option<bool>, NotAFlag> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "ja" | "j" | "yes" | "y" | "true" | "1" | "x" => Ok(Some(true)),
        "nej" | "n" | "no" | "false" | "0" => Ok(Some(false)),
        _ => Err(NotAFlag),
    }
}

/// Whether someone is a Danish citizen, as a file writes it: a yes or no,
/// `DK`, `dansk`, or the register's country code (5100 is Denmark; any
/// other four digits another country). Empty is not known.
pub fn parse_citizenship(text: &str) -> Result<Option<bool>, NotAFlag> {
    if let Ok(flag) = parse_flag(text) {
        return Ok(flag);
    }
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "dk" | "dansk" | "danmark" | "denmark" | "danish" | "5100" => Ok(Some(true)),
        "udenlandsk" | "foreign" | "anden" | "other" => Ok(Some(false)),
        _ if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(false)),
        _ => Err(NotAFlag),
    }
}

/// The rules of an election type; "alive" is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// At least this old on the seat's date; `None` when the rule is off.
    pub min_age: Option<i32>,
    pub residence: bool,
    pub citizenship: bool,
    pub guardianship: bool,
}

impl Default for Rules {
    /// What every type keeps unless told otherwise: age 18 and residence.
    fn default() -> Rules {
        Rules {
            min_age: Some(18),
            residence: true,
            citizenship: false,
            guardianship: false,
        }
    }
}

impl Rules {
    /// The rules a new election type starts with, by its name: general
    /// elections (Folketingsvalg) and referendums also need Danish
    /// citizenship and no guardianship.
    pub fn for_new_type(name: &str, min_age: i32) -> Rules {
        let folded = name.to_lowercase();
        let general = folded.contains("folketing") || folded.contains("afstemning");
        Rules {
            min_age: Some(min_age),
            citizenship: general,
            guardianship: general,
            ..Rules::default()
        }
    }
}

/// What is known about a person that the rules need; `None` is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Where they live.
    pub municipality: Option<MunicipalityCode>,
    pub danish_citizen: Option<bool>,
    pub under_guardianship: Option<bool>,
    /// Dead or missing, by the register.
    pub deceased: Option<bool>,
}

impl Facts {
    /// The facts as given with a person (an API call, a file): `None` when
    /// none of them was, so that those known stay as they are.
    pub fn given(
        municipality: Option<MunicipalityCode>,
        danish_citizen: Option<bool>,
        under_guardianship: Option<bool>,
        deceased: Option<bool>,
    ) -> Option<Facts> {
        let facts = Facts {
            municipality,
            danish_citizen,
            under_guardianship,
            deceased,
        };
        (facts != Facts::default()).then_some(facts)
    }
}

/// The rule a person fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Ineligible {
    /// The register says dead or missing.
    Alive,
    Age {
        age: i32,
        min_age: i32,
        on: NaiveDate,
    },
    /// The CPR number does not parse, so neither age nor anything else can
    /// be known.
    Cpr,
    Residence {
        lives_in: MunicipalityCode,
        required: MunicipalityCode,
    },
    Citizenship,
    Guardianship,
}

impl Ineligible {
    /// The rule's name, as the API and the admin's words name it.
    pub fn rule(&self) -> &'static str {
        match self {
            Ineligible::Alive => "alive",
            Ineligible::Age { .. } => "age",
            Ineligible::Cpr => "cpr",
            Ineligible::Residence { .. } => "residence",
            Ineligible::Citizenship => "citizenship",
            Ineligible::Guardianship => "guardianship",
        }
    }
}

impl fmt::Display for Ineligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ineligible::Alive => write!(f, "is dead or missing according to the CPR register"),
            Ineligible::Age { age, min_age, on } => write!(
                f,
                "is {age} on {on}; this election requires {min_age} on the day of the task"
            ),
            Ineligible::Cpr => write!(f, "has a CPR number that does not parse"),
            Ineligible::Residence { lives_in, required } => write!(
                f,
                "lives in municipality {lives_in}; this election requires residence in {required}"
            ),
            Ineligible::Citizenship => {
                write!(f, "is not a Danish citizen; this election requires it")
            }
            Ineligible::Guardianship => write!(
                f,
                "is under guardianship (umyndiggjort); this election does not allow it"
            ),
        }
    }
}

/// Whether a person with `cpr` and `facts` may hold a seat on `on` under
/// `rules`, where the municipality's own code is `home` (without it the
/// residence rule cannot be checked). The first rule failed, in the order
/// alive, age, residence, citizenship, guardianship.
pub fn check(
    rules: &Rules,
    cpr: Option<&Cpr>,
    facts: &Facts,
    on: NaiveDate,
    home: Option<&MunicipalityCode>,
) -> Result<(), Ineligible> {
    if facts.deceased == Some(true) {
        return Err(Ineligible::Alive);
    }
    if let Some(min_age) = rules.min_age {
        let age = cpr.ok_or(Ineligible::Cpr)?.age_on(on);
        if age < min_age {
            return Err(Ineligible::Age { age, min_age, on });
        }
    }
    if rules.residence
        && let (Some(lives_in), Some(required)) = (&facts.municipality, home)
        && lives_in != required
    {
        return Err(Ineligible::Residence {
            lives_in: lives_in.clone(),
            required: required.clone(),
        });
    }
    if rules.citizenship && facts.danish_citizen == Some(false) {
        return Err(Ineligible::Citizenship);
    }
    if rules.guardianship && facts.under_guardianship == Some(true) {
        return Err(Ineligible::Guardianship);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2029, 11, 20).unwrap()
    }

    fn odense() -> MunicipalityCode {
        MunicipalityCode::parse("461").unwrap()
    }

    #[test]
    fn a_municipality_code_keeps_four_digits() {
        assert_eq!(MunicipalityCode::parse("461").unwrap().as_str(), "0461");
        assert_eq!(MunicipalityCode::parse(" 0101 ").unwrap().as_str(), "0101");
        for bad in ["", "0000", "12345", "46a", "-461"] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn age_is_counted_on_the_seats_date() {
        // Born 21 November 2011: 17 on the day, 18 the day after.
        let cpr = Cpr::parse("211111-4000").ok();
        let cpr = cpr.as_ref();
        let rules = Rules::default();
        let facts = Facts::default();
        assert_eq!(
            check(&rules, cpr, &facts, day(), None),
            Err(Ineligible::Age {
                age: 17,
                min_age: 18,
                on: day()
            })
        );
        assert_eq!(
            check(&rules, cpr, &facts, day().succ_opt().unwrap(), None),
            Ok(())
        );
        let off = Rules {
            min_age: None,
            ..rules
        };
        assert_eq!(check(&off, cpr, &facts, day(), None), Ok(()));
    }

    #[test]
    fn each_rule_refuses_only_when_on_and_its_fact_is_known() {
        let adult = Cpr::parse("120385-1234").ok();
        let adult = adult.as_ref();
        let all = Rules {
            min_age: Some(18),
            residence: true,
            citizenship: true,
            guardianship: true,
        };
        let unknown = Facts::default();
        assert_eq!(check(&all, adult, &unknown, day(), Some(&odense())), Ok(()));
        let aarhus = Facts {
            municipality: Some(MunicipalityCode::parse("751").unwrap()),
            ..Facts::default()
        };
        assert_eq!(
            check(&all, adult, &aarhus, day(), Some(&odense()))
                .unwrap_err()
                .rule(),
            "residence"
        );
        assert_eq!(
            check(&all, adult, &aarhus, day(), None),
            Ok(()),
            "no home code"
        );
        let foreign = Facts {
            danish_citizen: Some(false),
            ..Facts::default()
        };
        assert_eq!(
            check(&all, adult, &foreign, day(), None),
            Err(Ineligible::Citizenship)
        );
        assert_eq!(
            check(&Rules::default(), adult, &foreign, day(), None),
            Ok(())
        );
        let ward = Facts {
            under_guardianship: Some(true),
            ..Facts::default()
        };
        assert_eq!(
            check(&all, adult, &ward, day(), None),
            Err(Ineligible::Guardianship)
        );
        let dead = Facts {
            deceased: Some(true),
            ..Facts::default()
        };
        let none = Rules {
            min_age: None,
            residence: false,
            citizenship: false,
            guardianship: false,
        };
        assert_eq!(
            check(&none, adult, &dead, day(), None),
            Err(Ineligible::Alive),
            "alive is always a rule"
        );
    }

    #[test]
    fn flags_and_citizenship_read_as_files_write_them() {
        assert_eq!(parse_flag(" Ja "), Ok(Some(true)));
        assert_eq!(parse_flag("nej"), Ok(Some(false)));
        assert_eq!(parse_flag(""), Ok(None));
        assert_eq!(parse_flag("måske"), Err(NotAFlag));
        assert_eq!(parse_citizenship("5100"), Ok(Some(true)));
        assert_eq!(parse_citizenship("DK"), Ok(Some(true)));
        assert_eq!(parse_citizenship("5180"), Ok(Some(false)));
        assert_eq!(parse_citizenship("nej"), Ok(Some(false)));
        assert_eq!(parse_citizenship("Sverige"), Err(NotAFlag));
    }

    #[test]
    fn a_general_election_or_referendum_also_needs_citizenship_and_no_guardianship() {
        let f = Rules::for_new_type("Folketingsvalg", 18);
        assert!(f.citizenship && f.guardianship && f.residence);
        let k = Rules::for_new_type("Kommunalvalg", 18);
        assert!(!k.citizenship && !k.guardianship && k.residence);
        assert!(Rules::for_new_type("Folkeafstemning", 18).citizenship);
    }
}
