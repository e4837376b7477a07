//! Domain types that parse, not validate: once a value of one of these
//! types exists, it is well-formed.

pub mod account;
pub mod cpr;
pub mod eligibility;
pub mod language;
pub mod link_token;
pub mod phone;
pub mod reply;
pub mod short_code;
pub mod text;

pub use account::{Login, LoginError, Password, PasswordError, Role, RoleError};
pub use cpr::{Cpr, CprError};
pub use eligibility::{Facts, Ineligible, MunicipalityCode, Rules};
pub use language::{Language, Said};
pub use link_token::{LinkFacts, LinkKey, LinkToken};
pub use phone::{PhoneError, PhoneNumber};
pub use reply::{Intent, Reply};
pub use short_code::{ShortCode, ShortCodeError};
