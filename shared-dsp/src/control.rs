//! A fixed control-rate grid that is independent of the host's block size.
//!
//! Coefficient updates, envelope decimation and meter reads happen every
//! [`CONTROL_BLOCK`] samples counted from `reset()`, not at the start of each
//! host buffer. Hosts slice the stream arbitrarily (1, 7, 4096 samples, or a
//! different size every call), so work done "once per block" would make the
//! output depend on the slicing. Splitting every host block at the grid points
//! instead makes the same input produce bit-identical output whatever the
//! host's buffer size.

/// Samples per control-rate step used by Glasswork kernels (0.67 ms at
/// 48 kHz): short enough that coefficient steps are inaudible, long enough to
/// amortise coefficient computation over many samples.
pub const CONTROL_BLOCK: usize = 32;

/// Counts samples since `reset()` and reports when a grid point (a multiple of
/// the control block length) is reached.
///
/// Grid points sit at absolute sample positions `k · block` (k ≥ 1) counted
/// from the last `reset()`; the start of the stream (position 0) is the start
/// of the first control period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlClock {
    /// Control period in samples, at least 1.
    block: usize,
    /// Samples elapsed in the current period, `0..block`.
    phase: usize,
}

impl ControlClock {
    /// Creates a clock with a period of `block` samples (0 is treated as 1),
    /// positioned at the start of a period.
    pub fn new(block: usize) -> Self {
        Self {
            block: block.max(1),
            phase: 0,
        }
    }

    /// Control period in samples (≥ 1).
    pub fn block(&self) -> usize {
        self.block
    }

    /// Returns to the start of a control period (sample 0 of the grid).
    /// Realtime-safe.
    pub fn reset(&mut self) {
        self.phase = 0;
    }

    /// Samples elapsed since the last grid point (or `reset()`), in
    /// `0..block`.
    pub fn phase(&self) -> usize {
        self.phase
    }

    /// Samples left before the next grid point, in `1..=block`.
    pub fn samples_until_tick(&self) -> usize {
        self.block - self.phase
    }

    /// Advances the clock by `n` samples and returns `true` when a grid point
    /// is reached or crossed.
    ///
    /// Callers normally pass `n <= samples_until_tick()` so that no grid point
    /// is skipped; a larger `n` keeps the count exact (the phase wraps modulo
    /// the period) but reports several crossed grid points as one `true`.
    pub fn advance(&mut self, n: usize) -> bool {
        let until = self.samples_until_tick();
        if n < until {
            self.phase += n;
            false
        } else {
            self.phase = (n - until) % self.block;
            true
        }
    }

    /// Splits a host block of `len` samples into segments that end on grid
    /// points (the last one may end early, at the end of the host block) and
    /// advances the clock over them. No allocation.
    ///
    /// Consume the iterator fully: the clock advances as segments are
    /// yielded, so stopping early leaves it short of the block's end.
    pub fn segments(&mut self, len: usize) -> Segments<'_> {
        Segments {
            clock: self,
            offset: 0,
            remaining: len,
        }
    }
}

impl Default for ControlClock {
    /// A clock with the standard [`CONTROL_BLOCK`] period.
    fn default() -> Self {
        Self::new(CONTROL_BLOCK)
    }
}

/// One piece of a host block, as yielded by [`ControlClock::segments`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Offset of the first sample within the host block.
    pub start: usize,
    /// Number of samples, ≥ 1.
    pub len: usize,
    /// The segment begins on a grid point (start of a control period): the
    /// place to compute per-period values before processing it.
    pub starts_period: bool,
    /// The segment ends on a grid point: the place to run control-rate work
    /// that concludes a period (decimated meters, next coefficients).
    pub tick: bool,
}

impl Segment {
    /// Sample range of this segment within the host block.
    pub fn range(&self) -> core::ops::Range<usize> {
        self.start..self.start + self.len
    }
}

/// Iterator over the [`Segment`]s of one host block; see
/// [`ControlClock::segments`].
pub struct Segments<'a> {
    clock: &'a mut ControlClock,
    offset: usize,
    remaining: usize,
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.remaining == 0 {
            return None;
        }
        let len = self.remaining.min(self.clock.samples_until_tick());
        let starts_period = self.clock.phase == 0;
        let tick = self.clock.advance(len);
        let segment = Segment {
            start: self.offset,
            len,
            starts_period,
            tick,
        };
        self.offset += len;
        self.remaining -= len;
        Some(segment)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.remaining == 0 {
            return (0, Some(0));
        }
        let first = self.clock.samples_until_tick();
        let n = if self.remaining <= first {
            1
        } else {
            1 + (self.remaining - first).div_ceil(self.clock.block)
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Segments<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_BLOCKS: [usize; 6] = [1, 7, 64, 65, 999, 4096];

    /// Runs `total` samples through the clock in host blocks of `host` samples
    /// and returns the absolute positions of segment starts and ends, and of
    /// ends that carried `tick`.
    fn boundaries(clock: &mut ControlClock, host: usize, total: usize) -> (Vec<usize>, Vec<usize>) {
        let mut period_starts = Vec::new();
        let mut ticks = Vec::new();
        let mut pos = 0;
        while pos < total {
            let len = host.min(total - pos);
            let mut covered = 0;
            let block = clock.block();
            for seg in clock.segments(len) {
                assert_eq!(seg.start, covered, "segments must be contiguous");
                assert!(seg.len >= 1 && seg.len <= block);
                covered += seg.len;
                if seg.starts_period {
                    period_starts.push(pos + seg.start);
                }
                if seg.tick {
                    ticks.push(pos + seg.start + seg.len);
                }
            }
            assert_eq!(covered, len, "segments must cover the host block");
            pos += len;
        }
        (period_starts, ticks)
    }

    #[test]
    fn grid_points_do_not_depend_on_host_block_size() {
        let total = 10_000;
        // Closed form: periods start at k·32 (k ≥ 0) and end at k·32 (k ≥ 1).
        let expected_starts: Vec<usize> = (0..total).step_by(CONTROL_BLOCK).collect();
        let expected_ticks: Vec<usize> = (CONTROL_BLOCK..=total).step_by(CONTROL_BLOCK).collect();
        for host in HOST_BLOCKS {
            let mut clock = ControlClock::new(CONTROL_BLOCK);
            let (starts, ticks) = boundaries(&mut clock, host, total);
            assert_eq!(starts, expected_starts, "host block {host}");
            assert_eq!(ticks, expected_ticks, "host block {host}");
        }
    }

    #[test]
    fn varying_host_blocks_and_reset() {
        let mut clock = ControlClock::new(CONTROL_BLOCK);
        // Irregular slicing, as some hosts do around loop points.
        let mut ticks = Vec::new();
        let mut pos = 0;
        for (i, len) in [3usize, 29, 1, 0, 95, 64, 17, 4096, 5]
            .iter()
            .cycle()
            .take(40)
            .enumerate()
        {
            let n_hint = clock.segments(0).len();
            assert_eq!(n_hint, 0);
            let segs = clock.segments(*len);
            let hinted = segs.len();
            let mut count = 0;
            for seg in segs {
                count += 1;
                if seg.tick {
                    ticks.push(pos + seg.start + seg.len);
                }
            }
            assert_eq!(count, hinted, "size_hint at call {i}");
            pos += len;
        }
        assert!(ticks.iter().all(|t| t % CONTROL_BLOCK == 0));
        assert_eq!(ticks.len(), pos / CONTROL_BLOCK);

        clock.reset();
        assert_eq!(clock.phase(), 0);
        assert_eq!(clock.samples_until_tick(), CONTROL_BLOCK);
    }

    #[test]
    fn advance_counts_modulo_the_period() {
        let mut clock = ControlClock::new(32);
        assert!(!clock.advance(31));
        assert_eq!(clock.samples_until_tick(), 1);
        assert!(clock.advance(1));
        assert_eq!(clock.samples_until_tick(), 32);
        // Crossing several grid points keeps the phase exact.
        assert!(clock.advance(100));
        assert_eq!(clock.phase(), 100 % 32);
        assert!(!clock.advance(0));
        // A zero period is treated as one sample: every sample ticks.
        let mut every = ControlClock::new(0);
        assert_eq!(every.block(), 1);
        assert!(every.advance(1));
    }
}
