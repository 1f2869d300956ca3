//! What one target evaluation costs by batch size, measured during generation: the
//! number every adaptive drafter weighs its expected gain against.

/// Mean seconds of a target evaluation, by batch size (index = size), with decay.
#[derive(Debug, Clone)]
pub(crate) struct BatchCosts {
    cost: Vec<Option<f64>>,
}

impl BatchCosts {
    /// A table for batches of up to `largest` tokens.
    pub(crate) fn new(largest: usize) -> Self {
        Self {
            cost: vec![None; largest + 1],
        }
    }

    /// Whether the table has room for the same sizes as `other` (so one can resume the
    /// other).
    pub(crate) fn same_shape(&self, other: &Self) -> bool {
        self.cost.len() == other.cost.len()
    }

    /// Records that a batch of `batch` tokens took `seconds`.
    pub(crate) fn observe(&mut self, batch: usize, seconds: f64) {
        if let Some(slot) = self.cost.get_mut(batch) {
            *slot = Some(match *slot {
                Some(c) => 0.8 * c + 0.2 * seconds,
                None => seconds,
            });
        }
    }

    /// Seconds of a single-token evaluation, once measured.
    pub(crate) fn single(&self) -> Option<f64> {
        self.cost.get(1).copied().flatten().filter(|c| *c > 0.0)
    }

    /// Whether a single-token step must be measured before drafting decisions mean
    /// anything: larger batches were measured (every step so far had a draft) but a plain
    /// step never was, so no ratio to it is known.
    pub(crate) fn needs_single(&self) -> bool {
        self.single().is_none() && !self.unknown()
    }

    /// Whether batch costs are still unknown (only single-token steps measured).
    pub(crate) fn unknown(&self) -> bool {
        self.cost.iter().skip(2).all(Option::is_none)
    }

    /// Cost of a batch of `n` relative to a batch of one: measured where known, linear
    /// between measured sizes and extrapolated beyond them; before any batch larger than
    /// one is measured, `n` (as if batching saved nothing, so nothing is drafted on a
    /// guess).
    pub(crate) fn relative(&self, n: usize) -> f64 {
        let measured: Vec<(usize, f64)> = self
            .cost
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .collect();
        let Some(&(_, c1)) = measured.first().filter(|(i, c)| *i == 1 && *c > 0.0) else {
            return n as f64;
        };
        if measured.len() < 2 {
            return n as f64;
        }
        let at = |n: usize| -> f64 {
            if let Some(&(_, c)) = measured.iter().find(|(i, _)| *i == n) {
                return c;
            }
            // The measured sizes around n (or the last two, beyond them).
            let upper = measured.iter().position(|(i, _)| *i > n);
            let (a, b) = match upper {
                Some(u) if u > 0 => (measured[u - 1], measured[u]),
                _ => (measured[measured.len() - 2], measured[measured.len() - 1]),
            };
            let slope = (b.1 - a.1) / (b.0 - a.0) as f64;
            a.1 + slope * (n as f64 - a.0 as f64)
        };
        (at(n) / c1).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_step_is_needed_once_only_drafted_batches_were_measured() {
        let mut c = BatchCosts::new(8);
        assert!(
            !c.needs_single(),
            "nothing measured: drafting decides by p_min"
        );
        c.observe(9, 0.2); // outside the table: ignored
        c.observe(5, 0.2);
        assert!(c.needs_single());
        assert_eq!(c.relative(5), 5.0, "no ratio is known without a plain step");
        c.observe(1, 0.1);
        assert!(!c.needs_single());
        assert!((c.relative(5) - 2.0).abs() < 1e-9);
    }
}
