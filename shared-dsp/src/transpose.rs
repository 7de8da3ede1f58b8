//! Transposes between sixteen runs of samples (one per channel or line,
//! each contiguous in time) and rows of sixteen lanes (one per sample).
//!
//! Block kernels that keep one recursion per line (a filter, an allpass
//! read) want the sixteen lines side by side, one row per sample, so the
//! recursions run as vector operations across lines; delay lines and
//! mixing between lines want each line's block as one contiguous run.
//! Moving between the two is a transpose. Written element by element it is
//! two memory operations per value, which the compiler keeps scalar; on
//! x86_64 it is done here four lines by four samples at a time in SSE
//! registers (four loads, the eight-shuffle 4 × 4 transpose, four stores),
//! a quarter of the instructions. SSE2 is part of every x86_64 CPU, so no
//! feature detection is involved. Elsewhere, and for the last samples that
//! do not fill four, the element-by-element copy runs; both give the same
//! values (a transpose only moves them), which the tests check.

/// Lanes per row.
pub const LANES: usize = 16;

/// `rows[t][i] = runs[i][t]` for `t` below the number of rows and every
/// run's length (the rest of `rows` is left as it was).
#[inline]
pub fn runs_to_rows(runs: [&[f32]; LANES], rows: &mut [[f32; LANES]]) {
    let len = runs.iter().fold(rows.len(), |n, r| n.min(r.len()));
    let done = simd::runs_to_rows(&runs, rows, len);
    for (t, row) in rows.iter_mut().enumerate().take(len).skip(done) {
        for (v, run) in row.iter_mut().zip(&runs) {
            *v = run[t];
        }
    }
}

/// `runs[i][t] = rows[t][i]` for `t` below the number of rows and the
/// runs' length (the rest of `runs` is left as it was).
#[inline]
pub fn rows_to_runs<const N: usize>(rows: &[[f32; LANES]], runs: &mut [[f32; N]; LANES]) {
    let len = rows.len().min(N);
    let done = simd::rows_to_runs(rows, runs, len);
    for (t, row) in rows.iter().enumerate().take(len).skip(done) {
        for (run, &v) in runs.iter_mut().zip(row) {
            run[t] = v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use super::LANES;
    use core::arch::x86_64::{
        __m128, _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps,
        _mm_unpacklo_ps,
    };

    /// The 4 × 4 transpose of four registers: lane j of the result k is
    /// lane k of input j.
    #[inline(always)]
    fn transpose(r: [__m128; 4]) -> [__m128; 4] {
        // SAFETY: register-only shuffles; SSE is part of the x86_64
        // baseline, so they exist on every CPU this module is built for.
        unsafe {
            let t0 = _mm_unpacklo_ps(r[0], r[1]); // a0 b0 a1 b1
            let t1 = _mm_unpacklo_ps(r[2], r[3]); // c0 d0 c1 d1
            let t2 = _mm_unpackhi_ps(r[0], r[1]); // a2 b2 a3 b3
            let t3 = _mm_unpackhi_ps(r[2], r[3]); // c2 d2 c3 d3
            [
                _mm_movelh_ps(t0, t1),
                _mm_movehl_ps(t1, t0),
                _mm_movelh_ps(t2, t3),
                _mm_movehl_ps(t3, t2),
            ]
        }
    }

    /// Whole quads of samples below `len` (every run holds at least `len`
    /// values and `rows` at least `len` rows); returns how many samples
    /// were done.
    #[inline]
    pub(super) fn runs_to_rows(
        runs: &[&[f32]; LANES],
        rows: &mut [[f32; LANES]],
        len: usize,
    ) -> usize {
        let quads = len / 4;
        if runs.iter().any(|r| r.len() < 4 * quads) || rows.len() < 4 * quads {
            return 0;
        }
        for q in 0..quads {
            let t = 4 * q;
            for g in 0..LANES / 4 {
                // SAFETY: every run holds at least 4·quads ≥ t + 4 values
                // (checked above), so each load reads 4 floats inside it;
                // rows t..t + 4 exist and lanes 4g..4g + 4 lie inside
                // each, so each store writes 4 floats inside a row.
                unsafe {
                    let r = transpose([
                        _mm_loadu_ps(runs[4 * g].as_ptr().add(t)),
                        _mm_loadu_ps(runs[4 * g + 1].as_ptr().add(t)),
                        _mm_loadu_ps(runs[4 * g + 2].as_ptr().add(t)),
                        _mm_loadu_ps(runs[4 * g + 3].as_ptr().add(t)),
                    ]);
                    for (j, v) in r.into_iter().enumerate() {
                        _mm_storeu_ps(rows[t + j].as_mut_ptr().add(4 * g), v);
                    }
                }
            }
        }
        4 * quads
    }

    /// Whole quads of samples below `len` (`rows` holds at least `len`
    /// rows and `N ≥ len`); returns how many samples were done.
    #[inline]
    pub(super) fn rows_to_runs<const N: usize>(
        rows: &[[f32; LANES]],
        runs: &mut [[f32; N]; LANES],
        len: usize,
    ) -> usize {
        let quads = len / 4;
        if rows.len() < 4 * quads || N < 4 * quads {
            return 0;
        }
        for q in 0..quads {
            let t = 4 * q;
            for g in 0..LANES / 4 {
                // SAFETY: rows t..t + 4 exist (checked above) and lanes
                // 4g..4g + 4 lie inside each, so each load reads 4 floats
                // inside a row; t + 4 ≤ N, so each store writes 4 floats
                // inside a run.
                unsafe {
                    let r = transpose([
                        _mm_loadu_ps(rows[t].as_ptr().add(4 * g)),
                        _mm_loadu_ps(rows[t + 1].as_ptr().add(4 * g)),
                        _mm_loadu_ps(rows[t + 2].as_ptr().add(4 * g)),
                        _mm_loadu_ps(rows[t + 3].as_ptr().add(4 * g)),
                    ]);
                    for (k, v) in r.into_iter().enumerate() {
                        _mm_storeu_ps(runs[4 * g + k].as_mut_ptr().add(t), v);
                    }
                }
            }
        }
        4 * quads
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod simd {
    use super::LANES;

    /// No vector path here: the element-by-element copy does everything.
    #[inline]
    pub(super) fn runs_to_rows(_: &[&[f32]; LANES], _: &mut [[f32; LANES]], _: usize) -> usize {
        0
    }

    /// No vector path here: the element-by-element copy does everything.
    #[inline]
    pub(super) fn rows_to_runs<const N: usize>(
        _: &[[f32; LANES]],
        _: &mut [[f32; N]; LANES],
        _: usize,
    ) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(i: usize, t: usize) -> f32 {
        (i * 1000 + t) as f32 + 0.5
    }

    #[test]
    fn runs_to_rows_matches_the_definition_at_every_length() {
        let runs: Vec<Vec<f32>> = (0..LANES)
            .map(|i| (0..40).map(|t| value(i, t)).collect())
            .collect();
        for len in 0usize..=37 {
            // Unequal run lengths: the shortest sets how much is copied.
            let short = len.saturating_sub(1);
            let refs: [&[f32]; LANES] = core::array::from_fn(|i| {
                if i == 11 {
                    &runs[i][..short]
                } else {
                    &runs[i][..len]
                }
            });
            let mut rows = vec![[-1.0f32; LANES]; 36];
            runs_to_rows(refs, &mut rows);
            for (t, row) in rows.iter().enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    let want = if t < short { value(i, t) } else { -1.0 };
                    assert_eq!(v, want, "len {len}, t {t}, lane {i}");
                }
            }
        }
    }

    #[test]
    fn rows_to_runs_matches_the_definition_at_every_length() {
        let rows: Vec<[f32; LANES]> = (0..40)
            .map(|t| core::array::from_fn(|i| value(i, t)))
            .collect();
        for len in 0..=37 {
            let mut runs = [[-1.0f32; 32]; LANES];
            rows_to_runs(&rows[..len], &mut runs);
            for (i, run) in runs.iter().enumerate() {
                for (t, &v) in run.iter().enumerate() {
                    let want = if t < len.min(32) { value(i, t) } else { -1.0 };
                    assert_eq!(v, want, "len {len}, t {t}, lane {i}");
                }
            }
        }
    }
}
