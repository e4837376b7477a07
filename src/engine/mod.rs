//! The workflow engine: runs compiled workflows against the store.
//!
//! Every operation here is one transaction: the seat change, the questions,
//! the timers, the outbox rows, their delivery jobs and the audit events of
//! one event commit together or not at all. What an operation caused is
//! returned as [`Effects`].

mod activation;
mod answer;
mod assign;
pub mod broadcast;
mod chat;
mod deliver;
mod eligibility;
mod give_up;
mod inbound;
pub mod links;
mod no_show;
mod offer;
pub mod publish;
mod remove;
pub mod reports;
pub mod revise;
mod run;
mod schedule;
mod send;
mod sms_consent;
mod standby;
mod swap;
mod swap_approval;
mod write_back;
pub use write_back::WrittenBack;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use assign::{AssignError, Assignment, BulkAssignError};
pub use deliver::{DeliveryOutcome, DeliveryPolicy};
pub use eligibility::Refusal;
pub use inbound::InboundOutcome;
pub use no_show::{OffSeatError, may_report_no_show};
pub use publish::{PublishError, Published};
pub use remove::Removal;
pub use schedule::ScheduleReport;
pub use standby::StandbyError;
pub use swap::SwapChoice;
pub use swap_approval::SwapDecision;

use crate::clock::Clock;
use crate::messages::{Contact, Templates};
use crate::sms::SmsProvider;
use crate::store::{Db, WorkflowRevision};
use crate::workflow::Workflow;

/// What a committed operation caused.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    /// New outbox rows; [`Engine::commit`] queues their delivery in the
    /// same transaction.
    pub messages: Vec<i64>,
    /// Written for many people at once (a schedule's fan-out, a group
    /// message, a batch of invitations): delivered after the messages of
    /// single events (an offer, a confirmation, an answer), which jump
    /// ahead of them in the queue.
    pub bulk: bool,
}

impl Effects {
    pub fn extend(&mut self, other: Effects) {
        self.messages.extend(other.messages);
        self.bulk |= other.bulk;
    }

    /// Effects of a bulk operation (see [`Effects::bulk`]).
    pub fn bulk() -> Effects {
        Effects {
            bulk: true,
            ..Effects::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("workflow revision {0} cannot be read: {1}")]
    Revision(i64, String),
    #[error(transparent)]
    Queue(#[from] crate::jobs::QueueError),
    #[error("{0}")]
    Invariant(String),
}

/// How links in messages are signed and where they point.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub key: crate::domain::LinkKey,
    /// The service as people reach it, without a trailing slash:
    /// `https://valg.kommune.dk`.
    pub base_url: String,
}

impl LinkSettings {
    pub fn url(&self, token: &str) -> String {
        format!("{}/l/{token}", self.base_url.trim_end_matches('/'))
    }
}

pub struct Engine {
    pub db: Db,
    pub clock: Clock,
    pub catalog: Templates,
    pub contact: Contact,
    pub sms: Arc<dyn SmsProvider>,
    pub delivery: DeliveryPolicy,
    /// This process among those sharing the database: its delivery claims
    /// carry the id.
    pub process: crate::process::ProcessIdentity,
    /// Paces SMS to the provider's rate, when one is set.
    pub pacer: Option<crate::sms::pacing::Pacer>,
    /// Off when no SMTP server is configured: workflows that list e-mail
    /// fall through to their next channel.
    pub email: Option<crate::mail::Smtp>,
    pub links: LinkSettings,
    /// Off when no bot token is configured: workflows that list
    /// `telegram` fall through to their next channel.
    pub telegram: valgvagt_bots::telegram::BotCell,
    /// The municipality's own code in the CPR register: the residence
    /// rule is checked against it, and cannot be without it.
    pub municipality_code: Option<crate::domain::MunicipalityCode>,
    compiled: Mutex<HashMap<i64, Arc<Workflow>>>,
    /// Where question codes come from when they must repeat (a rehearsal
    /// with a seed); `None` is the thread's random generator.
    codes: Mutex<Option<rand::rngs::StdRng>>,
}

impl Engine {
    pub fn new(
        db: Db,
        clock: Clock,
        catalog: Templates,
        contact: Contact,
        sms: Arc<dyn SmsProvider>,
    ) -> Engine {
        Engine {
            db,
            clock,
            catalog,
            contact,
            sms,
            delivery: DeliveryPolicy::default(),
            process: crate::process::ProcessIdentity::current(),
            pacer: None,
            email: None,
            links: LinkSettings {
                key: crate::domain::LinkKey::random(),
                base_url: "http://127.0.0.1:8080".into(),
            },
            telegram: Default::default(),
            municipality_code: None,
            compiled: Mutex::new(HashMap::new()),
            codes: Mutex::new(None),
        }
    }

    /// Question codes from now on come from a generator seeded with
    /// `seed`: a rehearsal repeats, code for code.
    pub fn seed_codes(&self, seed: u64) {
        use rand::SeedableRng;
        *self.codes.lock().expect("codes lock") = Some(rand::rngs::StdRng::seed_from_u64(seed));
    }

    /// The Telegram bot, once connected.
    pub fn telegram(&self) -> Option<&valgvagt_bots::telegram::TelegramBot> {
        self.telegram.get()
    }

    /// Commits an operation's transaction together with the delivery jobs
    /// of the messages it wrote. Every operation that can send ends here.
    pub(crate) async fn commit(
        &self,
        mut tx: crate::store::Tx,
        fx: &Effects,
    ) -> Result<(), EngineError> {
        let urgency = if fx.bulk {
            crate::jobs::Urgency::Bulk
        } else {
            crate::jobs::Urgency::Urgent
        };
        crate::jobs::push_deliveries(&mut tx, &fx.messages, true, urgency).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The compiled workflow of revision `id`, read from the store once.
    async fn workflow_by_id(
        &self,
        tx: &mut crate::store::Tx,
        id: i64,
    ) -> Result<Arc<Workflow>, EngineError> {
        if let Some(w) = self
            .compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(w.clone());
        }
        let revision = tx
            .revision(id)
            .await?
            .ok_or_else(|| EngineError::Invariant(format!("revision {id} does not exist")))?;
        self.workflow(&revision)
    }

    /// The compiled workflow of a stored revision, compiled once.
    fn workflow(&self, revision: &WorkflowRevision) -> Result<Arc<Workflow>, EngineError> {
        let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = cache.get(&revision.id) {
            return Ok(w.clone());
        }
        let w: Workflow = serde_json::from_str(&revision.compiled)
            .map_err(|e| EngineError::Revision(revision.id, e.to_string()))?;
        let w = Arc::new(w);
        cache.insert(revision.id, w.clone());
        Ok(w)
    }
}

/// A random idempotency key: 128 bits, hex.
pub fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
