//! "Run this every N seconds until the stop switch is on": the one loop
//! skeleton of `cabready serve`'s background work (the outbox, the inbox
//! Maildir, the daily digest). The switch is a `watch` channel set to
//! `true` on shutdown; work in progress finishes, the next tick does not
//! come. The IMAP worker waits its own way (IDLE) but stops on the same
//! switch through [`stopped`].

use std::time::Duration;
use tokio::sync::watch;

/// Ticks every `period` (the first at once; late ticks are delayed, not
/// bunched) until the stop switch is on.
pub struct Every {
    interval: tokio::time::Interval,
    shutdown: watch::Receiver<bool>,
}

impl Every {
    pub fn new(period: Duration, shutdown: watch::Receiver<bool>) -> Every {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Every { interval, shutdown }
    }

    /// Waits for the next tick: `true` to run the work, `false` once the
    /// switch is on (or its sender is gone): then the loop ends.
    pub async fn tick(&mut self) -> bool {
        loop {
            if *self.shutdown.borrow() {
                return false;
            }
            tokio::select! {
                _ = self.interval.tick() => return true,
                changed = self.shutdown.changed() => {
                    if changed.is_err() {
                        return false;
                    }
                }
            }
        }
    }
}

/// Resolves once the stop switch is on (or its sender is gone).
pub async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ticks_until_the_switch_is_on() {
        let (stop, shutdown) = watch::channel(false);
        let period = Duration::from_millis(200);
        let mut every = Every::new(period, shutdown.clone());
        let start = tokio::time::Instant::now();
        assert!(every.tick().await, "the first tick is immediate");
        assert!(start.elapsed() < period);
        assert!(every.tick().await);
        assert!(start.elapsed() >= period);
        let waiting = tokio::spawn(async move { every.tick().await });
        stop.send(true).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the switch ends the wait")
            .unwrap();
        assert!(!ended);
        tokio::time::timeout(Duration::from_secs(1), stopped(shutdown))
            .await
            .expect("stopped resolves once the switch is on");
    }

    #[tokio::test]
    async fn a_dropped_switch_stops_too() {
        let (stop, shutdown) = watch::channel(false);
        let mut every = Every::new(Duration::from_secs(3600), shutdown.clone());
        assert!(every.tick().await);
        drop(stop);
        assert!(!every.tick().await);
        stopped(shutdown).await;
    }
}
