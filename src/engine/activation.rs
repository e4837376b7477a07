//! Activating an election: until then nothing automatic happens about its
//! seats. A workflow started on a seat of an inactive election (an
//! invitation on assignment, an offer when a seat is freed) is stored in
//! its first state and held; its timers do not fire and its schedules do
//! not run. Activating it releases the held instances: each enters its
//! state then, unless its person no longer holds the seat (they were never
//! told about it, so they are not told it is gone either). Deactivating
//! holds what starts from then on again; what is already running waits
//! (its timers fire once the election is active again).
//!
//! Several elections may be active at once; each is held or not on its own.

use chrono::{DateTime, Utc};

use super::run::Running;
use super::{Effects, Engine, EngineError};
use crate::store::directory::AuditIds;
use crate::store::{SeatDetails, Tx};

/// Held instances run per transaction when an election is activated.
const PAGE: i64 = 200;

impl Engine {
    /// Activates or deactivates an election, and runs what it held when it
    /// is activated. False if there is no such election.
    pub async fn set_election_active(
        &self,
        election_id: i64,
        active: bool,
        actor: &str,
    ) -> Result<bool, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !tx.set_election_active(election_id, active).await? {
            return Ok(false);
        }
        let action = if active {
            "election.activated"
        } else {
            "election.deactivated"
        };
        tx.audit(
            now,
            actor,
            action,
            AuditIds::default(),
            Some(&format!(r#"{{"election":{election_id}}}"#)),
        )
        .await?;
        tx.commit().await?;
        if active {
            self.release_held().await?;
        }
        Ok(true)
    }

    /// Runs the instances held for elections that are now active, a page
    /// per transaction. The ticker calls it too, so a crash in between
    /// leaves nothing held for good.
    pub async fn release_held(&self) -> Result<usize, EngineError> {
        let mut released = 0;
        loop {
            let now = self.clock.now();
            let mut tx = self.db.begin().await?;
            let mut fx = Effects::default();
            let ids = tx.take_released_instances(PAGE).await?;
            if ids.is_empty() {
                return Ok(released);
            }
            for id in &ids {
                self.release(&mut tx, &mut fx, *id, now).await?;
            }
            self.commit(tx, &fx).await?;
            released += ids.len();
        }
    }

    async fn release(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        instance_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut run = self.load_running(tx, instance_id).await?;
        if run.instance.status != "waiting" {
            return Ok(());
        }
        let stale = match (&run.seat, run.instance.person_id) {
            (Some(seat), Some(person)) => seat.person_id != Some(person),
            _ => false,
        };
        let state = run.workflow.state_by_name(&run.instance.state);
        let Some(state) = state.filter(|_| !stale) else {
            if tx
                .finish_instance_in(run.instance.id, &run.instance.state, now)
                .await?
            {
                tx.audit(now, "system", "instance.dropped", run.ids(), None)
                    .await?;
            }
            return Ok(());
        };
        tx.audit(now, "system", "instance.released", run.ids(), None)
            .await?;
        self.enter(tx, fx, &mut run, state, now).await
    }

    /// Stores an instance on a seat of an inactive election in its first
    /// state, without entering it, until the election is activated.
    pub(crate) async fn hold(
        &self,
        tx: &mut Tx,
        run: &Running,
        seat: &SeatDetails,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        tx.hold_instance(run.instance.id, seat.election_id, now)
            .await?;
        tx.audit(now, "system", "instance.held", run.ids(), None)
            .await?;
        Ok(())
    }
}
