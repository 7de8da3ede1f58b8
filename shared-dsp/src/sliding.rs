//! Running minimum and maximum over a sliding window.
//!
//! A monotonic deque keeps only the values that can still become the
//! extremum; each value is pushed and popped once, so the cost is O(1)
//! amortised per sample whatever the window (Lemire, "Streaming
//! maximum-minimum filter using no more than three comparisons per
//! element", 2006). Storage is allocated up front; `process` never
//! allocates.

/// Sliding minimum over the last `len` values (1..=capacity).
#[derive(Clone, Debug, Default)]
pub struct SlidingMin {
    values: Vec<f32>,
    stamps: Vec<u64>,
    mask: usize,
    head: usize,
    tail: usize,
    now: u64,
    len: u64,
}

impl SlidingMin {
    /// A filter for windows of up to `cap` samples (window starts at 1).
    /// Allocates.
    pub fn with_capacity(cap: usize) -> Self {
        let size = (cap + 2).next_power_of_two();
        Self {
            values: vec![0.0; size],
            stamps: vec![0; size],
            mask: size - 1,
            head: 0,
            tail: 0,
            now: 0,
            len: 1,
        }
    }

    /// Copies another filter's state without allocating (same capacity).
    pub fn copy_from(&mut self, other: &Self) {
        let n = self.values.len().min(other.values.len());
        self.values[..n].copy_from_slice(&other.values[..n]);
        self.stamps[..n].copy_from_slice(&other.stamps[..n]);
        self.head = other.head;
        self.tail = other.tail;
        self.now = other.now;
        self.len = other.len.min(self.mask as u64 - 1);
    }

    /// Empties the window and sets its length. Realtime-safe.
    pub fn reset(&mut self, len: usize) {
        self.head = 0;
        self.tail = 0;
        self.now = 0;
        self.set_len(len);
    }

    /// Sets the window length in samples (clamped to 1..=capacity); values
    /// older than the new length drop out at the next call.
    pub fn set_len(&mut self, len: usize) {
        self.len = len.clamp(1, self.mask - 1) as u64;
    }

    /// Pushes `x` and returns the minimum of the last `len` values pushed.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        self.now += 1;
        while self.tail != self.head && self.values[(self.tail.wrapping_sub(1)) & self.mask] >= x {
            self.tail = self.tail.wrapping_sub(1);
        }
        self.values[self.tail & self.mask] = x;
        self.stamps[self.tail & self.mask] = self.now;
        self.tail = self.tail.wrapping_add(1);
        while self.now - self.stamps[self.head & self.mask] >= self.len {
            self.head = self.head.wrapping_add(1);
        }
        self.values[self.head & self.mask]
    }
}

/// Sliding maximum over the last `len` values: a [`SlidingMin`] of the
/// negated input.
#[derive(Clone, Debug, Default)]
pub struct SlidingMax(SlidingMin);

impl SlidingMax {
    /// A filter for windows of up to `cap` samples. Allocates.
    pub fn with_capacity(cap: usize) -> Self {
        Self(SlidingMin::with_capacity(cap))
    }

    /// Empties the window and sets its length. Realtime-safe.
    pub fn reset(&mut self, len: usize) {
        self.0.reset(len);
    }

    /// Pushes `x` and returns the maximum of the last `len` values pushed.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        -self.0.process(-x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_min_and_max_match_brute_force() {
        for len in [1usize, 2, 7, 33] {
            let mut lo = SlidingMin::with_capacity(64);
            let mut hi = SlidingMax::with_capacity(64);
            lo.reset(len);
            hi.reset(len);
            let xs: Vec<f32> = (0..500).map(|i| ((i * 7919) % 113) as f32).collect();
            for (i, &x) in xs.iter().enumerate() {
                let w = &xs[i.saturating_sub(len - 1)..=i];
                assert_eq!(
                    lo.process(x),
                    w.iter().cloned().fold(f32::INFINITY, f32::min)
                );
                assert_eq!(
                    hi.process(x),
                    w.iter().cloned().fold(f32::NEG_INFINITY, f32::max)
                );
            }
        }
    }

    #[test]
    fn shrinking_the_window_drops_old_values() {
        let mut lo = SlidingMin::with_capacity(16);
        lo.reset(10);
        lo.process(-5.0);
        for _ in 0..3 {
            lo.process(1.0);
        }
        lo.set_len(2);
        assert_eq!(lo.process(2.0), 1.0);
    }
}
