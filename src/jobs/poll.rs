//! How often an idle worker looks for jobs.
//!
//! apalis 1.0's own interval strategy makes its next timer without polling
//! it, so nothing wakes the worker at the next tick and an idle worker
//! sleeps until its heartbeat (30 s). This one polls the new timer before
//! reporting the tick, so the waker is always registered.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};

pub struct Every {
    period: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Every {
    pub fn new(period: Duration) -> Every {
        Every {
            period,
            timer: None,
        }
    }
}

impl PollStrategy for Every {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let period = self.period;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(period)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let mut next = Box::pin(tokio::time::sleep(period));
        // Registers the waker for the next tick; a fresh timer is pending.
        let _ = next.as_mut().poll(cx);
        self.timer = Some(next);
        Poll::Ready(Some(()))
    }
}
