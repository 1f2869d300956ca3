//! The realised-payoff guard every adaptive drafter runs under: it measures what drafting
//! actually saves (the plain steps its accepted tokens would have taken) against what it
//! costs (proposing, verifying, and proposals that came back empty after real work), and
//! rests the drafter while the balance is a loss.
//!
//! Drafters estimate their own payoff before drafting (acceptance times measured batch
//! costs); the guard catches what such estimates leave out: a draft model catching its
//! cache up, a proposal that found nothing after a model step, matches in free text that
//! are accepted less often than their n-gram size promised. Each drafter of
//! [`super::both::Both`] has its own guard, so a losing drafter rests while the other goes
//! on.

use std::time::Instant;

use llama_cpp_2::token::LlamaToken;

use super::lookup::Learned;
use super::Drafter;
use crate::Result;

/// Payoff (plain-step seconds saved per second spent on drafting) below which the drafter
/// rests: a little above break-even, since timings are noisy and a lost step costs more
/// than a missed gain.
pub(crate) const MIN_PAYOFF: f64 = 1.02;
/// Most target steps a rest lasts (rests double from one step while drafting loses).
const MAX_REST: usize = 8;
/// Losing rounds in a row after which the drafter is off for the rest of the generation:
/// a draft model must catch its cache up with every token generated while it rested, so
/// probing again after a rest costs about as much per token as never resting.
const GIVE_UP: usize = 4;
/// Weight kept by older rounds at each new one.
const DECAY: f64 = 0.8;
/// An empty proposal is charged only when its work took at least this share of a plain
/// step (a draft model's step that found nothing sure enough; not a failed n-gram match,
/// which takes microseconds).
const EMPTY_WORK: f64 = 0.05;

/// What the guarded drafter did at the current step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Not consulted (resting), or already accounted.
    Idle,
    /// Proposed nothing after `secs` of work.
    Empty { secs: f64 },
    /// Proposed a draft after `secs`; `verify` seconds of verification follow.
    Drafted { secs: f64, verify: f64 },
}

/// Saved and spent seconds of recent rounds, with decay.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Balance {
    saved: f64,
    spent: f64,
}

impl Balance {
    fn add(&mut self, saved: f64, spent: f64) {
        self.saved = self.saved * DECAY + saved;
        self.spent = self.spent * DECAY + spent;
    }

    /// Saved per spent second, once anything was spent.
    pub(crate) fn payoff(&self) -> Option<f64> {
        (self.spent > 0.0).then(|| self.saved / self.spent)
    }
}

/// A drafter with its realised payoff watched.
pub(crate) struct Guarded<D> {
    pub(crate) inner: D,
    /// Whether losing rounds make it rest (off for drafters configured to draft
    /// whenever they can, as llama.cpp's do).
    enabled: bool,
    /// Mean seconds of a plain (one-token) target step, with decay.
    plain: Option<f64>,
    step: Step,
    balance: Balance,
    /// Steps left to rest, and the next rest's length.
    rest: usize,
    next_rest: usize,
    /// Losing rounds in a row.
    losses: usize,
}

impl<D: Drafter> Guarded<D> {
    /// `inner` under a guard; `enabled` false only watches (never rests it).
    pub(crate) fn new(inner: D, enabled: bool) -> Self {
        Self {
            inner,
            enabled,
            plain: None,
            step: Step::Idle,
            balance: Balance::default(),
            rest: 0,
            next_rest: 1,
            losses: 0,
        }
    }

    /// Accounts one round: `saved` plain-step seconds for `spent` seconds; rests the
    /// drafter when the running payoff is below [`MIN_PAYOFF`].
    fn account(&mut self, saved: f64, spent: f64) {
        self.balance.add(saved, spent);
        self.losses = if saved < spent { self.losses + 1 } else { 0 };
        if self.enabled && self.losses >= GIVE_UP {
            self.rest = usize::MAX; // off until the generation ends
            return;
        }
        match self.balance.payoff() {
            Some(p) if p < MIN_PAYOFF && self.enabled => {
                self.rest = self.next_rest;
                self.next_rest = (self.next_rest * 2).min(MAX_REST);
                // After the rest, probe afresh: one good round is enough to go on.
                let x = self.plain.unwrap_or(spent).max(f64::MIN_POSITIVE);
                self.balance = Balance {
                    saved: MIN_PAYOFF * x,
                    spent: x,
                };
            }
            Some(_) if saved > spent => self.next_rest = 1,
            _ => {}
        }
    }

    /// Whether the drafter is resting.
    #[cfg(test)]
    pub(crate) fn resting(&self) -> bool {
        self.rest > 0
    }
}

impl<D: Drafter> Drafter for Guarded<D> {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        if max == 0 {
            return self.inner.propose(history, 0); // reading the prompt: not a round
        }
        if self.rest > 0 {
            self.rest -= 1;
            self.step = Step::Idle;
            return Ok(Vec::new());
        }
        let began = Instant::now();
        let draft = self.inner.propose(history, max)?;
        let secs = began.elapsed().as_secs_f64();
        self.step = if draft.is_empty() {
            Step::Empty { secs }
        } else {
            Step::Drafted { secs, verify: 0.0 }
        };
        Ok(draft)
    }

    fn feedback(&mut self, drafted: usize, accepted: usize) {
        self.inner.feedback(drafted, accepted);
        if let (Step::Drafted { secs, verify }, Some(plain)) = (self.step, self.plain) {
            if drafted > 0 && verify > 0.0 {
                self.account((accepted + 1) as f64 * plain, secs + verify);
            }
        }
        self.step = Step::Idle;
    }

    fn observe_cost(&mut self, batch: usize, seconds: f64) {
        self.inner.observe_cost(batch, seconds);
        if batch == 1 {
            self.plain = Some(self.plain.map_or(seconds, |p| 0.8 * p + 0.2 * seconds));
        }
        match self.step {
            // A plain step followed an empty proposal: its work saved nothing.
            Step::Empty { secs } if batch == 1 => {
                self.step = Step::Idle;
                if self.plain.is_some_and(|p| secs >= EMPTY_WORK * p) {
                    self.account(0.0, secs);
                }
            }
            Step::Drafted { secs, verify } if batch > 1 => {
                self.step = Step::Drafted {
                    secs,
                    verify: verify + seconds,
                };
            }
            // Another drafter's draft was verified (or nothing was proposed).
            _ => {
                if !matches!(self.step, Step::Drafted { .. }) {
                    self.step = Step::Idle;
                }
            }
        }
    }

    fn learned(&self) -> Option<Learned> {
        self.inner.learned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drafter that proposes `len` tokens (or nothing) after `work` of sleep.
    struct Fixed {
        len: usize,
        work: std::time::Duration,
    }

    impl Fixed {
        fn new(len: usize) -> Self {
            Self {
                len,
                work: std::time::Duration::ZERO,
            }
        }
    }

    impl Drafter for Fixed {
        fn propose(&mut self, _: &[LlamaToken], _: usize) -> Result<Vec<LlamaToken>> {
            std::thread::sleep(self.work);
            Ok(vec![LlamaToken(1); self.len])
        }
        fn feedback(&mut self, _: usize, _: usize) {}
    }

    /// One decode step: propose, verify (plain step of 0.1 s, or a batch of
    /// `verify` seconds), feedback with `accepted`.
    fn step(g: &mut Guarded<Fixed>, verify: f64, accepted: usize) -> usize {
        let d = g.propose(&[LlamaToken(0)], 8).unwrap();
        if d.is_empty() {
            g.observe_cost(1, 0.1);
        } else {
            g.observe_cost(d.len() + 1, verify);
            g.feedback(d.len(), accepted);
        }
        d.len()
    }

    #[test]
    fn a_drafter_that_loses_rests_and_one_that_pays_does_not() {
        let mut g = Guarded::new(Fixed::new(4), true);
        g.observe_cost(1, 0.1); // a plain step: 0.1 s
                                // Four tokens accepted of four for a 0.25 s batch: 0.5 s saved.
        for _ in 0..5 {
            assert_eq!(step(&mut g, 0.25, 4), 4);
        }
        assert!(!g.resting());
        assert!(g.balance.payoff().unwrap() > 1.5);
        // Nothing accepted for a 0.25 s batch: 0.1 s saved, a loss.
        let mut rested = 0;
        for _ in 0..20 {
            if step(&mut g, 0.25, 0) == 0 {
                rested += 1;
            }
        }
        assert!(rested >= 10, "rested {rested} of 20 steps");
        // Four losing rounds in a row: off for the rest of the generation.
        assert!(g.rest > 1000);
    }

    #[test]
    fn empty_proposals_cost_only_real_work() {
        // Finding nothing in microseconds (an n-gram miss) costs nothing: never rested.
        let mut g = Guarded::new(Fixed::new(0), true);
        g.observe_cost(1, 0.1);
        for _ in 0..20 {
            step(&mut g, 0.0, 0);
            assert!(!g.resting());
        }
        assert_eq!(g.balance, Balance::default());
        // Finding nothing after 30 ms of model work (30% of a plain step) is a loss.
        let mut g = Guarded::new(
            Fixed {
                len: 0,
                work: std::time::Duration::from_millis(30),
            },
            true,
        );
        g.observe_cost(1, 0.1);
        step(&mut g, 0.0, 0);
        assert!(g.resting());
    }

    #[test]
    fn another_drafters_batch_is_not_charged() {
        let mut g = Guarded::new(Fixed::new(0), true);
        g.observe_cost(1, 0.1);
        assert!(g.propose(&[LlamaToken(0)], 8).unwrap().is_empty());
        g.observe_cost(5, 0.3); // the other drafter of `Both` drafted
        assert_eq!(g.step, Step::Idle);
        assert_eq!(g.balance, Balance::default());
    }
}
