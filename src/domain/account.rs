//! The web admin's users: what they log in with, their password, and what
//! their role lets them see and do.

use std::fmt;

/// What a user logs in with: trimmed and lower-cased, 3 to 254 characters,
/// no spaces (usually an e-mail address).
#[derive(Clone, PartialEq, Eq)]
pub struct Login(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the login must be 3 to 254 characters")]
    Length,
    #[error("the login cannot contain spaces or control characters")]
    Whitespace,
}

impl Login {
    pub fn parse(s: &str) -> Result<Login, LoginError> {
        let s = s.trim().to_lowercase();
        if !(3..=254).contains(&s.chars().count()) {
            return Err(LoginError::Length);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LoginError::Whitespace);
        }
        Ok(Login(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login is personal data: it never appears in a log.
impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Login(..)")
    }
}

/// A new password: at least 12 characters, at most 256.
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least 12 characters")]
    TooShort,
    #[error("the password must be at most 256 characters")]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 12;

    pub fn parse(s: &str) -> Result<Password, PasswordError> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if n > 256 {
            return Err(PasswordError::TooLong);
        }
        Ok(Password(s.to_string()))
    }

    /// The argon2id PHC string to store.
    pub fn hash(&self) -> String {
        password_auth::generate_hash(&self.0)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// True when `password` matches the stored PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password_auth::verify_password(password, hash).is_ok()
}

/// What a user may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The election secretariat: everything.
    Secretariat,
    /// A team's responsible (a party secretary): that team's seats and
    /// members only.
    Team(i64),
    /// A polling station's responsible: that station, read-only.
    Station(i64),
    /// Reads everything, changes nothing.
    Reader,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("the role must be secretariat, team, station or reader, not {0:?}")]
    Unknown(String),
    #[error("a team responsible needs a team")]
    NoTeam,
    #[error("a station responsible needs a station")]
    NoStation,
    #[error("only a team responsible has a team, and only a station responsible a station")]
    Stray,
}

impl Role {
    /// The role as stored: its name and the team or station it is about.
    pub fn parse(
        name: &str,
        team_id: Option<i64>,
        station_id: Option<i64>,
    ) -> Result<Role, RoleError> {
        match (name.trim(), team_id, station_id) {
            ("secretariat", None, None) => Ok(Role::Secretariat),
            ("reader", None, None) => Ok(Role::Reader),
            ("team", Some(t), None) => Ok(Role::Team(t)),
            ("team", None, _) => Err(RoleError::NoTeam),
            ("station", None, Some(s)) => Ok(Role::Station(s)),
            ("station", _, None) => Err(RoleError::NoStation),
            ("secretariat" | "reader" | "team" | "station", _, _) => Err(RoleError::Stray),
            (other, _, _) => Err(RoleError::Unknown(other.to_string())),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Role::Secretariat => "secretariat",
            Role::Team(_) => "team",
            Role::Station(_) => "station",
            Role::Reader => "reader",
        }
    }

    pub fn team_id(&self) -> Option<i64> {
        match self {
            Role::Team(t) => Some(*t),
            _ => None,
        }
    }

    pub fn station_id(&self) -> Option<i64> {
        match self {
            Role::Station(s) => Some(*s),
            _ => None,
        }
    }

    /// Sees every seat, person and message (the secretariat and readers).
    pub fn sees_everything(&self) -> bool {
        matches!(self, Role::Secretariat | Role::Reader)
    }

    /// May see the seat of this team at this station.
    pub fn sees_seat(&self, team_id: i64, station_id: i64) -> bool {
        match self {
            Role::Secretariat | Role::Reader => true,
            Role::Team(t) => *t == team_id,
            Role::Station(s) => *s == station_id,
        }
    }

    /// May put people on seats of this team (or take them off).
    pub fn staffs_team(&self, team_id: i64) -> bool {
        match self {
            Role::Secretariat => true,
            Role::Team(t) => *t == team_id,
            Role::Station(_) | Role::Reader => false,
        }
    }

    /// May change the election: its setup, workflows, templates, messages.
    pub fn runs_election(&self) -> bool {
        matches!(self, Role::Secretariat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_trimmed_and_lower_cased() {
        assert_eq!(
            Login::parse("  Anna@Kommune.DK ").unwrap().as_str(),
            "anna@kommune.dk"
        );
        assert_eq!(Login::parse("a b"), Err(LoginError::Whitespace));
        assert_eq!(Login::parse("ab"), Err(LoginError::Length));
    }

    #[test]
    fn a_password_shorter_than_twelve_characters_is_refused() {
        assert_eq!(
            Password::parse("elleve tegn").unwrap_err(),
            PasswordError::TooShort
        );
        let p = Password::parse("tolv tegn ok!").unwrap();
        let hash = p.hash();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("tolv tegn ok!", &hash));
        assert!(!verify_password("tolv tegn ok?", &hash));
    }

    #[test]
    fn a_role_needs_exactly_the_scope_it_is_about() {
        assert_eq!(Role::parse("team", Some(3), None), Ok(Role::Team(3)));
        assert_eq!(Role::parse("team", None, None), Err(RoleError::NoTeam));
        assert_eq!(
            Role::parse("station", None, None),
            Err(RoleError::NoStation)
        );
        assert_eq!(Role::parse("reader", Some(1), None), Err(RoleError::Stray));
        assert!(matches!(
            Role::parse("admin", None, None),
            Err(RoleError::Unknown(_))
        ));
    }

    #[test]
    fn a_team_responsible_sees_and_staffs_only_their_team() {
        let r = Role::Team(2);
        assert!(r.sees_seat(2, 9) && !r.sees_seat(3, 9));
        assert!(r.staffs_team(2) && !r.staffs_team(3));
        assert!(!r.runs_election());
        let s = Role::Station(9);
        assert!(s.sees_seat(3, 9) && !s.sees_seat(3, 8));
        assert!(!s.staffs_team(3));
        assert!(!Role::Reader.staffs_team(1) && Role::Reader.sees_everything());
    }
}
