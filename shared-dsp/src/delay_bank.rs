//! A bank of delay lines written in lockstep, laid out for block processing.
//!
//! Every line of the bank receives one sample per time step, so they share
//! one write position. Each line is a power-of-two ring followed by a copy
//! of its first [`GUARD`] samples (written whenever those are), so any run
//! of up to [`GUARD`] consecutive samples is one contiguous slice, wrapped or
//! not. Block code then reads a line's next `n` delayed samples as a slice —
//! one bounds check per block, loops the compiler vectorises — instead of
//! wrapping and checking every index as a per-sample
//! [`crate::delay_line::DelayLine`] read does. The price is the guard's
//! extra writes (GUARD of every ring-length samples) and memory.
//!
//! Lines are stored one after another (line-major): a block reads a few
//! cache lines per line, where an interleaved layout (all lines' samples of
//! one time step together) would touch a new cache line for every line and
//! every sample of a read whose delays differ per line.

/// Longest window, in samples, that [`DelayBank::window`] returns as one
/// slice (and the size of each line's mirrored guard).
pub const GUARD: usize = 64;

/// Delay lines written in lockstep. `prepare` allocates; every other method
/// is realtime-safe.
#[derive(Clone, Debug, Default)]
pub struct DelayBank {
    buf: Vec<f32>,
    lines: usize,
    /// Ring length (a power of two) and its mask.
    ring: usize,
    mask: usize,
    /// Distance between lines in `buf`: `ring + GUARD`.
    stride: usize,
    /// Ring index the next written sample goes to.
    pos: usize,
}

impl DelayBank {
    /// An empty bank (no lines); call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self::default()
    }

    /// Allocates `lines` lines that each hold at least `max_delay` samples
    /// of history beyond a window of [`GUARD`] samples, and clears them.
    pub fn prepare(&mut self, lines: usize, max_delay: usize) {
        let ring = (max_delay + GUARD).next_power_of_two();
        self.lines = lines;
        self.ring = ring;
        self.mask = ring - 1;
        self.stride = ring + GUARD;
        self.buf.clear();
        self.buf.resize(lines * self.stride, 0.0);
        self.pos = 0;
    }

    /// Clears every line to silence and rewinds the write position.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }

    /// Number of lines.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Longest delay, in samples, that windows may use: the ring keeps that
    /// much history even while a block of up to [`GUARD`] samples has been
    /// written ahead of the reads and not yet [`advance`](Self::advance)d.
    pub fn max_delay(&self) -> usize {
        self.ring.saturating_sub(GUARD)
    }

    /// `len` consecutive samples of line `line` (`len` clamped to
    /// [`GUARD`]), the first written `delay` time steps before the next
    /// write: times `now − delay .. now − delay + len`, where `now` is the
    /// time step the next write will fill. Windows with `delay ≥ len` hold
    /// only written samples; a `delay` beyond the
    /// [`max_delay`](Self::max_delay) reads overwritten history (never out
    /// of bounds). An empty slice if `line` does not exist.
    #[inline]
    pub fn window(&self, line: usize, delay: usize, len: usize) -> &[f32] {
        let start = self.pos.wrapping_sub(delay) & self.mask;
        let base = line * self.stride + start;
        self.buf.get(base..base + len.min(GUARD)).unwrap_or(&[])
    }

    /// The one sample of line `line` written `delay` ≥ 1 time steps ago
    /// (1 is the newest). 0 if `line` does not exist.
    #[inline]
    pub fn tap(&self, line: usize, delay: usize) -> f32 {
        let at = line * self.stride + (self.pos.wrapping_sub(delay) & self.mask);
        self.buf.get(at).copied().unwrap_or(0.0)
    }

    /// Writes `n` samples, `value(t)` for `t` in `0..n`, to line `line` at
    /// the next `n` time steps (clamped to the ring length), without moving
    /// the write position: write every line, then [`advance`](Self::advance).
    #[inline]
    pub fn write_with(&mut self, line: usize, n: usize, mut value: impl FnMut(usize) -> f32) {
        if line >= self.lines {
            return;
        }
        let n = n.min(self.ring);
        let base = line * self.stride;
        let (ring, pos) = (self.ring, self.pos);
        let first = n.min(ring - pos);
        let body = &mut self.buf[base..base + self.stride];
        for (t, d) in body[pos..pos + first].iter_mut().enumerate() {
            *d = value(t);
        }
        for (t, d) in body[..n - first].iter_mut().enumerate() {
            *d = value(first + t);
        }
        // Mirror whatever landed in the first GUARD samples of the ring.
        if pos < GUARD {
            let end = (pos + first).min(GUARD);
            body.copy_within(pos..end, ring + pos);
        }
        if n > first {
            let end = (n - first).min(GUARD);
            body.copy_within(0..end, ring);
        }
    }

    /// Writes `x` to line `line` at the next `x.len()` time steps (clamped
    /// to the ring length), like [`write_with`](Self::write_with), as slice
    /// copies.
    #[inline]
    pub fn write(&mut self, line: usize, x: &[f32]) {
        if line >= self.lines {
            return;
        }
        let x = &x[..x.len().min(self.ring)];
        let (ring, pos) = (self.ring, self.pos);
        let first = x.len().min(ring - pos);
        let body = &mut self.buf[line * self.stride..(line + 1) * self.stride];
        body[pos..pos + first].copy_from_slice(&x[..first]);
        body[..x.len() - first].copy_from_slice(&x[first..]);
        if pos < GUARD {
            let end = (pos + first).min(GUARD);
            body.copy_within(pos..end, ring + pos);
        }
        if x.len() > first {
            let end = (x.len() - first).min(GUARD);
            body.copy_within(0..end, ring);
        }
    }

    /// Writes a whole block `x` to line `line` like [`write`](Self::write).
    /// A block of fixed length that does not wrap is copied as an array,
    /// which compiles to a few vector moves where a slice copy of unknown
    /// length calls `memcpy`.
    #[inline]
    pub fn write_block<const N: usize>(&mut self, line: usize, x: &[f32; N]) {
        let (pos, stride) = (self.pos, self.stride);
        let start = line * stride + pos;
        let fits = line < self.lines && pos + N <= self.ring;
        match self.buf.get_mut(start..start + N) {
            Some(dst) if fits => {
                if let Ok(dst) = <&mut [f32; N]>::try_from(dst) {
                    *dst = *x;
                }
                if pos < GUARD {
                    let end = (pos + N).min(GUARD);
                    let base = line * stride;
                    self.buf
                        .copy_within(base + pos..base + end, base + self.ring + pos);
                }
            }
            _ => self.write(line, x),
        }
    }

    /// Writes one sample to line `line` at the next time step.
    #[inline]
    pub fn write_one(&mut self, line: usize, x: f32) {
        if line >= self.lines {
            return;
        }
        let at = line * self.stride + self.pos;
        self.buf[at] = x;
        if self.pos < GUARD {
            self.buf[at + self.ring] = x;
        }
    }

    /// Moves the write position on by `n` time steps (after every line has
    /// been written for them).
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n) & self.mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_what_was_written_across_the_wrap() {
        let mut bank = DelayBank::new();
        bank.prepare(3, 100);
        assert_eq!(bank.max_delay(), 256 - GUARD);
        // Write a ramp per line in uneven blocks, several laps of the ring.
        let mut t = 0usize;
        for n in [1usize, 7, 32, 64, 3, 50].iter().cycle().take(60) {
            for line in 0..3 {
                bank.write_with(line, *n, |k| (line * 100_000 + t + k) as f32);
            }
            bank.advance(*n);
            t += n;
            // Every window with delay ≥ len holds times now − delay + k.
            for line in 0..3 {
                for (delay, len) in [(1usize, 1usize), (40, 33), (64, 64), (200, 64), (150, 10)] {
                    if delay > t {
                        continue;
                    }
                    let w = bank.window(line, delay, len);
                    assert_eq!(w.len(), len);
                    for (k, &v) in w.iter().enumerate() {
                        assert_eq!(v, (line * 100_000 + t - delay + k) as f32);
                    }
                    assert_eq!(bank.tap(line, delay), (line * 100_000 + t - delay) as f32);
                }
            }
        }
    }

    #[test]
    fn single_writes_match_block_writes() {
        let (mut a, mut b) = (DelayBank::new(), DelayBank::new());
        a.prepare(2, 30);
        b.prepare(2, 30);
        for t in 0..500 {
            for line in 0..2 {
                a.write_one(line, (t * 3 + line) as f32);
            }
            a.advance(1);
        }
        for t0 in (0..500).step_by(20) {
            for line in 0..2 {
                b.write_with(line, 20, |k| ((t0 + k) * 3 + line) as f32);
            }
            b.advance(20);
        }
        assert_eq!(a.buf, b.buf);
        // Whole blocks copied as arrays match too, across the wrap.
        let mut c = DelayBank::new();
        c.prepare(2, 30);
        for t0 in (0..500).step_by(20) {
            for line in 0..2 {
                let x: [f32; 20] = core::array::from_fn(|k| ((t0 + k) * 3 + line) as f32);
                c.write_block(line, &x);
            }
            c.advance(20);
        }
        assert_eq!(a.buf, c.buf);
        // Out-of-range lines and long windows never panic.
        assert!(a.window(5, 3, 3).is_empty());
        assert_eq!(a.window(0, 3, 1_000).len(), GUARD);
        assert_eq!(a.tap(9, 1), 0.0);
        a.write_one(9, 1.0);
    }
}
