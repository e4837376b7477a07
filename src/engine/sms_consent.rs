//! `STOP` and `START` by SMS: no more SMS to the number, or SMS again.
//! After `STOP` the person's seats may be unreachable, so each is put on
//! the secretariat's follow-up list; the admin can turn SMS back on too.

use chrono::{DateTime, Utc};

use super::inbound::{InboundOutcome, ReplyTo, local_today};
use super::{Effects, Engine, EngineError};
use crate::domain::PhoneNumber;
use crate::domain::Said;
use crate::messages::MessageContext;
use crate::store::Tx;
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;

impl Engine {
    /// `STOP` (`stop`) or `START` from the number `to`, shared by the
    /// people `ids`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn sms_consent(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        ids: &[i64],
        stop: bool,
        inbound: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        if let Ok(phone) = PhoneNumber::parse(&to.address) {
            tx.set_sms_opt_out(&phone, stop).await?;
        }
        let action = if stop {
            "person.sms_opt_out"
        } else {
            "person.sms_opt_in"
        };
        for id in ids {
            let person = AuditIds {
                person: Some(*id),
                ..Default::default()
            };
            tx.audit(now, &format!("person:{id}"), action, person, None)
                .await?;
        }
        if stop {
            self.tell_stopped(tx, ids, inbound, now).await?;
        }
        let (template, outcome) = match stop {
            true => ("opted_out", InboundOutcome::OptedOut),
            false => ("opted_in", InboundOutcome::OptedIn),
        };
        self.reply(
            tx,
            fx,
            to,
            template,
            MessageContext::new(&self.contact),
            now,
        )
        .await?;
        Ok(outcome)
    }

    /// The secretariat's note for each seat the people who wrote `STOP`
    /// hold from today; one without a seat when they hold none.
    async fn tell_stopped(
        &self,
        tx: &mut Tx,
        ids: &[i64],
        inbound: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let seats = tx.upcoming_seats_of(ids, local_today(now)).await?;
        for id in ids {
            let theirs: Vec<i64> = seats
                .iter()
                .filter(|s| s.person_id == Some(*id))
                .map(|s| s.id)
                .collect();
            let about: Vec<Option<i64>> = match theirs.is_empty() {
                true => vec![None],
                false => theirs.into_iter().map(Some).collect(),
            };
            for seat in about {
                tx.notify_secretariat(
                    "sms-stop",
                    NotificationIds {
                        seat,
                        person: Some(*id),
                        instance: None,
                        inbound,
                    },
                    &Said::new(
                        "Personen skrev STOP og får ikke flere SMS'er. Kontakt dem på anden vis om pladsen, \
                         eller slå SMS til igen på deres side, hvis de beder om det.",
                        "The person wrote STOP and gets no more SMS; reach them another way \
                         about their seat, or turn SMS on again on their page if they ask.",
                    ),
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }
}
