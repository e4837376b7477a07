//! Pacing sends to a gateway's rate: one slot per message, `1/rate`
//! seconds apart, for every delivery job of this process. Urgent sends
//! (what one event caused) take the next free slot; bulk sends (fan-outs)
//! may book at most one slot ahead, so an urgent send arriving during a
//! fan-out of 50,000 waits for at most one bulk send, not for all of them.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct Pacer {
    interval: Duration,
    /// The next free slot.
    next: Mutex<Instant>,
}

impl Pacer {
    /// Up to `per_second` messages a second; `None` for a rate that is not
    /// a positive number.
    pub fn new(per_second: f64) -> Option<Pacer> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return None;
        }
        Some(Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(Instant::now()),
        })
    }

    /// Waits for a slot for each of `messages`.
    pub async fn acquire(&self, messages: usize, urgent: bool) {
        for _ in 0..messages {
            self.one(urgent).await;
        }
    }

    async fn one(&self, urgent: bool) {
        loop {
            let now = Instant::now();
            let booked = {
                let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
                let horizon = now + self.interval;
                if urgent || *next <= horizon {
                    let at = (*next).max(now);
                    *next = at + self.interval;
                    Ok(at)
                } else {
                    // Bulk: come back when a slot within the horizon is
                    // free, unless urgent sends took it meanwhile.
                    Err(*next - self.interval)
                }
            };
            match booked {
                Ok(at) => {
                    tokio::time::sleep_until(at).await;
                    return;
                }
                Err(retry) => tokio::time::sleep_until(retry).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sends_are_spaced_and_an_urgent_one_passes_a_waiting_fan_out() {
        let pacer = std::sync::Arc::new(Pacer::new(10.0).expect("a rate"));
        let start = Instant::now();
        let bulk = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                pacer.acquire(50, false).await;
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(1_005)).await;
        pacer.acquire(1, true).await;
        let urgent = start.elapsed();
        let bulk = bulk.await.unwrap() - start;
        assert!(
            urgent <= Duration::from_millis(1_250),
            "the urgent send waited {urgent:?}"
        );
        // 51 sends at 10 a second: the last at 5 s, not before.
        assert!(bulk >= Duration::from_millis(5_000), "{bulk:?}");
        assert!(bulk <= Duration::from_millis(5_200), "{bulk:?}");
    }

    #[test]
    fn no_pacer_for_a_rate_that_is_not_positive() {
        assert!(Pacer::new(0.0).is_none());
        assert!(Pacer::new(-1.0).is_none());
        assert!(Pacer::new(f64::NAN).is_none());
    }
}
