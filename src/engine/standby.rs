//! Putting a person on standby: the same rules as a seat, on the date
//! they stand by for.

use chrono::{DateTime, Utc};

use super::eligibility::RuleBook;
use super::{Engine, EngineError};
use crate::domain::Ineligible;
use crate::store::Tx;
use crate::store::directory::AuditIds;
use crate::store::standby::NewStandby;

#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error("person {0} does not exist")]
    NoSuchPerson(i64),
    #[error("person {person} is already on standby for this on {date}")]
    Already {
        person: i64,
        date: chrono::NaiveDate,
    },
    #[error("person {person} {why}")]
    NotEligible { person: i64, why: Ineligible },
    /// The station, area or task type named does not exist.
    #[error("the station, area or task type does not exist")]
    NoSuchScope,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for StandbyError {
    fn from(e: sqlx::Error) -> Self {
        StandbyError::Engine(EngineError::Db(e))
    }
}

impl Engine {
    /// Puts a person on standby in the caller's transaction, if they meet
    /// the rules of the election's type on the date (a standby person is
    /// offered seats without being asked again for the facts); audited as
    /// `actor`. The election and the date within it are the caller's to
    /// check.
    pub async fn put_on_standby(
        &self,
        tx: &mut Tx,
        entry: &NewStandby,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StandbyError> {
        let person = tx
            .person(entry.person_id)
            .await?
            .ok_or(StandbyError::NoSuchPerson(entry.person_id))?;
        let mut book = RuleBook::default();
        if let Some(why) = self
            .ineligible_on(tx, &mut book, &person, entry.election_id, entry.date)
            .await?
        {
            return Err(StandbyError::NotEligible {
                person: person.id,
                why,
            });
        }
        let id = match tx.insert_standby(entry, now).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Err(StandbyError::Already {
                    person: person.id,
                    date: entry.date,
                });
            }
            Err(e) if crate::store::is_constraint_violation(&e) => {
                return Err(StandbyError::NoSuchScope);
            }
            Err(e) => return Err(e.into()),
        };
        tx.audit(
            now,
            actor,
            "standby.added",
            AuditIds {
                person: Some(person.id),
                ..Default::default()
            },
            Some(&format!(
                r#"{{"standby_id":{id},"election_id":{}}}"#,
                entry.election_id
            )),
        )
        .await?;
        Ok(id)
    }
}
