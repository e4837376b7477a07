//! One person as the admin's form sends them: every field is parsed, and
//! each problem is named by its field and a key to the page's words, so
//! that the form shows it beside the field, in the user's language.

use serde::Deserialize;

use crate::domain::eligibility::parse_flag;
use crate::domain::{Cpr, CprError, Facts, Language, MunicipalityCode, PhoneNumber};

/// The form's fields, as typed.
#[derive(Default, Clone, Deserialize, serde::Serialize)]
pub struct PersonFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cpr: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub preferred_channel: String,
    #[serde(default)]
    pub language: String,
    /// The ids of the teams ticked (the form sends `team` once per box).
    #[serde(default)]
    pub teams: Vec<String>,
    /// The CPR register's code of the municipality they live in, or empty.
    #[serde(default)]
    pub municipality_code: String,
    /// `ja`, `nej` or empty (not known), for each fact below.
    #[serde(default)]
    pub danish_citizen: String,
    #[serde(default)]
    pub under_guardianship: String,
    #[serde(default)]
    pub deceased: String,
    /// Ticked: SMS again for someone who wrote STOP.
    #[serde(default)]
    pub sms_on: String,
    /// `1` when the person wrote STOP (the form then offers `sms_on`).
    #[serde(default)]
    pub stopped: String,
}

/// A person that passed every check.
pub struct ValidPerson {
    pub name: String,
    pub cpr: Cpr,
    pub phone: Option<PhoneNumber>,
    pub email: Option<String>,
    pub preferred_channel: &'static str,
    pub language: Language,
    /// Every team ticked, each once.
    pub teams: Vec<i64>,
    pub facts: Facts,
    /// SMS again after STOP.
    pub sms_on: bool,
}

// Personal data stays out of logs: neither shows its fields.
impl std::fmt::Debug for PersonFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonFields")
    }
}

impl std::fmt::Debug for ValidPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValidPerson")
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    NameEmpty,
    CprFormat,
    CprDate,
    /// Another person has this CPR number.
    CprTaken,
    Phone,
    Email,
    Unreachable,
    EmailChannelWithoutEmail,
    Channel,
    Language,
    Team,
    /// A team taken off while the person holds a seat of it to come.
    TeamSeatHeld,
    Municipality,
    /// A yes/no fact that is neither.
    Flag(&'static str),
}

impl FieldError {
    pub const ALL: [FieldError; 16] = [
        FieldError::NameEmpty,
        FieldError::CprFormat,
        FieldError::CprDate,
        FieldError::CprTaken,
        FieldError::Phone,
        FieldError::Email,
        FieldError::Unreachable,
        FieldError::EmailChannelWithoutEmail,
        FieldError::Channel,
        FieldError::Language,
        FieldError::Team,
        FieldError::TeamSeatHeld,
        FieldError::Municipality,
        FieldError::Flag("danish_citizen"),
        FieldError::Flag("under_guardianship"),
        FieldError::Flag("deceased"),
    ];

    /// The form field the problem is shown at.
    pub fn field(self) -> &'static str {
        match self {
            FieldError::NameEmpty => "name",
            FieldError::CprFormat | FieldError::CprDate | FieldError::CprTaken => "cpr",
            FieldError::Phone | FieldError::Unreachable => "phone",
            FieldError::Email | FieldError::EmailChannelWithoutEmail => "email",
            FieldError::Channel => "preferred_channel",
            FieldError::Language => "language",
            FieldError::Team | FieldError::TeamSeatHeld => "team",
            FieldError::Municipality => "municipality_code",
            FieldError::Flag(field) => field,
        }
    }

    /// The key of its words in `templates/admin/strings.<lang>.yaml`.
    pub fn key(self) -> &'static str {
        match self {
            FieldError::NameEmpty => "err_name_empty",
            FieldError::CprFormat => "err_cpr_format",
            FieldError::CprDate => "err_cpr_date",
            FieldError::CprTaken => "err_cpr_taken",
            FieldError::Phone => "err_phone",
            FieldError::Email => "err_email",
            FieldError::Unreachable => "err_unreachable",
            FieldError::EmailChannelWithoutEmail => "err_email_channel",
            FieldError::Channel => "err_channel",
            FieldError::Language => "err_language",
            FieldError::Team => "err_team",
            FieldError::TeamSeatHeld => "err_team_seat_held",
            FieldError::Municipality => "err_municipality_code",
            FieldError::Flag(_) => "err_flag",
        }
    }
}

/// Whether `s` looks like an e-mail address: something, `@`, a domain
/// with a dot, no spaces.
pub fn is_email(s: &str) -> bool {
    s.split_once('@')
        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !s.contains(char::is_whitespace))
}

impl PersonFields {
    /// The fields from a form's pairs: every `team` collected, the last
    /// value of any other field kept, unknown fields left out.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> PersonFields {
        let mut f = PersonFields::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "team" => {
                    f.teams.push(value);
                    continue;
                }
                "name" => &mut f.name,
                "cpr" => &mut f.cpr,
                "phone" => &mut f.phone,
                "email" => &mut f.email,
                "preferred_channel" => &mut f.preferred_channel,
                "language" => &mut f.language,
                "municipality_code" => &mut f.municipality_code,
                "danish_citizen" => &mut f.danish_citizen,
                "under_guardianship" => &mut f.under_guardianship,
                "deceased" => &mut f.deceased,
                "sms_on" => &mut f.sms_on,
                "stopped" => &mut f.stopped,
                _ => continue,
            };
            *slot = value;
        }
        f
    }

    /// Parses every field; all problems at once, in the form's order.
    /// `teams` are the ids of the teams that exist.
    pub fn parse(&self, teams: &[i64]) -> Result<ValidPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::NameEmpty);
        }
        let cpr = Cpr::parse(&self.cpr)
            .map_err(|e| {
                errors.push(match e {
                    CprError::Format => FieldError::CprFormat,
                    CprError::Date => FieldError::CprDate,
                })
            })
            .ok();
        let phone = match self.phone.trim() {
            "" => None,
            p => PhoneNumber::parse(p)
                .map_err(|_| errors.push(FieldError::Phone))
                .ok(),
        };
        let email = match self.email.trim() {
            "" => None,
            e if is_email(e) => Some(e.to_string()),
            _ => {
                errors.push(FieldError::Email);
                None
            }
        };
        let channel = match self.preferred_channel.trim() {
            "" | "sms" => "sms",
            "email" => "email",
            "telegram" => "telegram",
            _ => {
                errors.push(FieldError::Channel);
                "sms"
            }
        };
        if self.phone.trim().is_empty() && self.email.trim().is_empty() {
            errors.push(FieldError::Unreachable);
        } else if channel == "email" && self.email.trim().is_empty() {
            errors.push(FieldError::EmailChannelWithoutEmail);
        }
        let language = match self.language.trim() {
            "" => Some(Language::Da),
            l => Language::parse(l).or_else(|| {
                errors.push(FieldError::Language);
                None
            }),
        };
        let mut chosen = Vec::new();
        for t in self
            .teams
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            match t.parse::<i64>().ok().filter(|id| teams.contains(id)) {
                Some(id) if !chosen.contains(&id) => chosen.push(id),
                Some(_) => {}
                None => {
                    if !errors.contains(&FieldError::Team) {
                        errors.push(FieldError::Team);
                    }
                }
            }
        }
        let mut facts = Facts::default();
        match self.municipality_code.trim() {
            "" => {}
            m => match MunicipalityCode::parse(m) {
                Ok(code) => facts.municipality = Some(code),
                Err(_) => errors.push(FieldError::Municipality),
            },
        }
        for (field, text, slot) in [
            (
                "danish_citizen",
                &self.danish_citizen,
                &mut facts.danish_citizen,
            ),
            (
                "under_guardianship",
                &self.under_guardianship,
                &mut facts.under_guardianship,
            ),
            ("deceased", &self.deceased, &mut facts.deceased),
        ] {
            match parse_flag(text) {
                Ok(v) => *slot = v,
                Err(_) => errors.push(FieldError::Flag(field)),
            }
        }
        match (errors.is_empty(), cpr, language) {
            (true, Some(cpr), Some(language)) => Ok(ValidPerson {
                name: name.to_string(),
                cpr,
                phone,
                email,
                preferred_channel: channel,
                language,
                teams: chosen,
                facts,
                sms_on: !self.sms_on.trim().is_empty(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> PersonFields {
        PersonFields {
            name: "Anna Jensen".into(),
            cpr: "120385-1234".into(),
            phone: "20 00 00 01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_filled_form_parses_into_a_person_with_danish_defaults() {
        let p = fields().parse(&[]).unwrap();
        assert_eq!(p.phone.unwrap().as_e164(), "+4520000001");
        assert_eq!((p.preferred_channel, p.language), ("sms", Language::Da));
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let f = PersonFields {
            name: " ".into(),
            cpr: "320185-1234".into(),
            phone: "12".into(),
            email: "anna@".into(),
            teams: vec!["1".into(), "9".into()],
            ..Default::default()
        };
        let got: Vec<(&str, &str)> = f
            .parse(&[1])
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field(), e.key()))
            .collect();
        assert_eq!(
            got,
            [
                ("name", "err_name_empty"),
                ("cpr", "err_cpr_date"),
                ("phone", "err_phone"),
                ("email", "err_email"),
                ("team", "err_team"),
            ]
        );
    }

    #[test]
    fn every_team_ticked_is_kept_once() {
        let pairs = [
            ("name", "Anna Jensen"),
            ("cpr", "120385-1234"),
            ("phone", "20000001"),
            ("team", "2"),
            ("team", "1"),
            ("team", "2"),
            ("team", ""),
        ];
        let f = PersonFields::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(f.parse(&[1, 2, 3]).unwrap().teams, [2, 1]);
    }

    #[test]
    fn a_person_without_phone_or_email_cannot_be_reached() {
        let f = PersonFields {
            phone: String::new(),
            ..fields()
        };
        assert_eq!(f.parse(&[]).unwrap_err(), [FieldError::Unreachable]);
    }
}
