//! The one timer of a request: the wait for the response head, a unary body, and a
//! stream's idle checks all run on it.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// How far ahead a deadline that cannot be represented (a timeout near `Duration::MAX`) is
/// put instead, as tokio's own `timeout` does: about 30 years, which is never.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + duration`, or [`FAR`] ahead when that cannot be represented.
pub(crate) fn after(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or_else(|| now + FAR)
}

/// How often a stream's silence is checked: a quarter of the idle timeout, so that the
/// timeout fires at most a quarter late and never early (at least every millisecond).
pub(crate) fn silence_tick(idle: Duration) -> Duration {
    (idle / 4).max(Duration::from_millis(1))
}

/// The one timer of a request.
///
/// It bounds the wait for the response head (and for a unary request's body, or an error's)
/// by the request timeout; a stream then takes it over for its idle checks
/// ([`RequestTimer::into_idle_checks`]).
///
/// Its deadline only ever moves later, and that is what makes it cheap. Tokio moves a
/// registered timer later in place (an atomic compare-and-swap), while arming a timer
/// earlier than the runtime's next planned wake-up wakes the runtime's I/O driver: an
/// eventfd write and one more turn of the event loop. A stream's first idle check, armed as
/// a second timer after the head arrived, was such an earlier timer, once per request. So
/// while a stream request waits for its head, this timer is set at most one idle check
/// ahead (re-armed until the request's deadline), and the stream's first check moves it
/// later.
pub(crate) struct RequestTimer {
    sleep: Pin<Box<Sleep>>,
    /// When the attempt times out.
    deadline: Instant,
    /// The longest the timer is set ahead before the deadline: a stream's silence tick, or
    /// `Duration::MAX` for a unary request.
    step: Duration,
}

impl RequestTimer {
    /// A timer for one attempt of a request, due `timeout` from now; `step` as on the field.
    pub(crate) fn new(timeout: Duration, step: Duration) -> Self {
        let now = Instant::now();
        let deadline = after(now, timeout);
        let sleep = Box::pin(tokio::time::sleep_until(deadline.min(after(now, step))));
        RequestTimer { sleep, deadline, step }
    }

    /// Time left before the attempt's deadline.
    pub(crate) fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Runs `future` until the attempt's deadline: `None` when the deadline came first.
    pub(crate) async fn run<F: Future>(&mut self, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            while self.sleep.as_mut().poll(cx).is_ready() {
                let now = Instant::now();
                if now >= self.deadline {
                    return Poll::Ready(None);
                }
                self.sleep.as_mut().reset(self.deadline.min(after(now, self.step)));
            }
            Poll::Pending
        })
        .await
    }

    /// The timer itself, set to a stream's first idle check from `now`, and the time
    /// between checks (the step it was made with). It was due no later than one check from
    /// now, so this moves it later.
    pub(crate) fn into_idle_checks(mut self, now: Instant) -> (Pin<Box<Sleep>>, Duration) {
        self.sleep.as_mut().reset(after(now, self.step));
        (self.sleep, self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_holds_across_the_steps_and_never_comes_early() {
        let started = Instant::now();
        let mut timer = RequestTimer::new(Duration::from_millis(1_000), Duration::from_millis(300));
        let never = std::future::pending::<()>();
        assert_eq!(timer.run(never).await, None);
        assert_eq!(started.elapsed(), Duration::from_millis(1_000), "re-armed every 300 ms, due at 1 s");

        let mut timer = RequestTimer::new(Duration::from_millis(1_000), Duration::from_millis(300));
        let late = tokio::time::sleep(Duration::from_millis(700));
        assert_eq!(timer.run(late).await, Some(()), "a future done before the deadline is not cut");
        assert_eq!(timer.remaining(), Duration::from_millis(300));
        assert_eq!(timer.run(std::future::pending::<()>()).await, None, "the deadline holds after a run");
        assert_eq!(started.elapsed(), Duration::from_millis(2_000));

        let timer = RequestTimer::new(Duration::from_millis(1_000), Duration::from_millis(300));
        let (sleep, tick) = timer.into_idle_checks(Instant::now());
        assert_eq!(tick, Duration::from_millis(300), "a stream checks at the step it waited its head with");
        sleep.await;
        assert_eq!(started.elapsed(), Duration::from_millis(2_300), "the first check is one step away");
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_too_long_to_represent_is_never() {
        let mut timer = RequestTimer::new(Duration::MAX, Duration::MAX);
        let soon = tokio::time::sleep(Duration::from_secs(86_400 * 365));
        assert_eq!(timer.run(soon).await, Some(()));
        assert!(timer.remaining() > Duration::from_secs(86_400 * 365 * 28));
        assert_eq!(silence_tick(Duration::ZERO), Duration::from_millis(1));
        assert_eq!(silence_tick(Duration::from_secs(8)), Duration::from_secs(2));
    }
}
