//! Small dense least squares and roots of low-degree real polynomials, for
//! filter designs that run on the control grid (a few microseconds each, no
//! allocation).
//!
//! - [`least_squares`]: minimises ‖A·x − b‖ for a tall m × N system by
//!   Householder QR on column-scaled data. QR rather than the normal
//!   equations: the EQ's magnitude fits have columns 1, p, …, p⁴ over p from
//!   1e-8 to 1, whose condition number the normal equations would square.
//! - [`polynomial_roots`]: every root of a real polynomial of degree ≤ 4 by
//!   the Aberth–Ehrlich simultaneous iteration (O. Aberth, "Iteration methods
//!   for finding all zeros of a polynomial simultaneously", Math. Comp. 27,
//!   1973), started from caller-supplied estimates; cubically convergent, and
//!   unlike closed-form quartic formulas it loses no accuracy when roots
//!   differ in size by many orders of magnitude.

use realfft::num_complex::Complex;

/// Most rows [`least_squares`] accepts.
pub const MAX_ROWS: usize = 64;

/// Least-squares solution of the `m` × `N` system `a`·x ≈ `b` (`m` =
/// `b.len()` ≤ [`MAX_ROWS`], `a.len()` ≥ `m`, `m` ≥ `N`), by Householder QR
/// of the column-scaled matrix. `a` and `b` are overwritten. Returns `None`
/// for non-finite data or a rank-deficient system (a column that is zero or a
/// multiple of the others to within 1e-13 of its norm).
pub fn least_squares<const N: usize>(a: &mut [[f64; N]], b: &mut [f64]) -> Option<[f64; N]> {
    let m = b.len();
    if m < N || m > MAX_ROWS || a.len() < m {
        return None;
    }
    let a = &mut a[..m];
    // Column scaling: each column to unit norm, so the rank test below is
    // relative to the column's own size.
    let mut scale = [0.0f64; N];
    for (j, s) in scale.iter_mut().enumerate() {
        let norm = a.iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return None;
        }
        *s = 1.0 / norm;
        for r in a.iter_mut() {
            r[j] *= *s;
        }
    }
    if !b.iter().all(|v| v.is_finite()) {
        return None;
    }
    // Householder QR, applied to b as it goes.
    for j in 0..N {
        let norm = a[j..].iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt();
        if norm < 1e-13 {
            return None;
        }
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        // v = x − alpha·e1, stored in place of column j (rows j..m).
        a[j][j] -= alpha;
        let vnorm2 = a[j..].iter().map(|r| r[j] * r[j]).sum::<f64>();
        if vnorm2 > 0.0 {
            for k in j + 1..N {
                let dot = a[j..].iter().map(|r| r[j] * r[k]).sum::<f64>();
                let f = 2.0 * dot / vnorm2;
                for r in a[j..].iter_mut() {
                    r[k] -= f * r[j];
                }
            }
            let dot = a[j..]
                .iter()
                .zip(&b[j..])
                .map(|(r, v)| r[j] * v)
                .sum::<f64>();
            let f = 2.0 * dot / vnorm2;
            for (r, v) in a[j..].iter().zip(b[j..].iter_mut()) {
                *v -= f * r[j];
            }
        }
        // R's diagonal.
        a[j][j] = alpha;
    }
    // Back substitution with R (upper triangle of a, diagonal alpha).
    let mut x = [0.0f64; N];
    for j in (0..N).rev() {
        let mut s = b[j];
        for k in j + 1..N {
            s -= a[j][k] * x[k];
        }
        x[j] = s / a[j][j];
    }
    for (v, s) in x.iter_mut().zip(scale) {
        *v *= s;
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Value of the polynomial c₀ + c₁·z + … at `z` (Horner), and its
/// derivative.
fn eval_with_derivative(c: &[f64], z: Complex<f64>) -> (Complex<f64>, Complex<f64>) {
    let mut p = Complex::new(0.0, 0.0);
    let mut dp = Complex::new(0.0, 0.0);
    for &ck in c.iter().rev() {
        dp = dp * z + p;
        p = p * z + ck;
    }
    (p, dp)
}

/// Starting points for the Aberth iteration from the Newton polygon of the
/// coefficients (D. Bini, "Numerical computation of polynomial zeros by means
/// of Aberth's method", Numer. Algorithms 13, 1996): each edge of the upper
/// convex hull of (k, ln|c_k|) between k = i and k = j holds j − i roots of
/// modulus (|c_i|/|c_j|)^(1/(j − i)), spread around a circle. Sizes that
/// differ by many orders of magnitude are thus started at the right scale.
fn newton_polygon_starts(c: &[f64], out: &mut [Complex<f64>; 4]) {
    let d = c.len() - 1;
    let log = |k: usize| {
        if c[k] == 0.0 {
            f64::NEG_INFINITY
        } else {
            c[k].abs().ln()
        }
    };
    // Upper hull by a monotone chain over k = 0..=d.
    let mut hull = [0usize; 5];
    let mut n = 0;
    for k in 0..=d {
        if log(k) == f64::NEG_INFINITY && k != 0 && k != d {
            continue;
        }
        while n >= 2 {
            let (a, b) = (hull[n - 2], hull[n - 1]);
            // Drop b if it lies on or below the segment a–k.
            let cross = (b - a) as f64 * (log(k) - log(a)) - (k - a) as f64 * (log(b) - log(a));
            if cross >= 0.0 || log(b) == f64::NEG_INFINITY {
                n -= 1;
            } else {
                break;
            }
        }
        hull[n] = k;
        n += 1;
    }
    let mut idx = 0;
    for w in hull[..n].windows(2) {
        let (i, j) = (w[0], w[1]);
        let m = j - i;
        let radius = if log(i) == f64::NEG_INFINITY {
            // A zero constant term: roots at (or very near) the origin.
            1e-30
        } else {
            ((log(i) - log(j)) / m as f64).exp()
        };
        for r in 0..m {
            let angle = core::f64::consts::TAU * r as f64 / m as f64 + 0.4 + 0.7 * idx as f64;
            if idx < 4 {
                out[idx] = Complex::from_polar(radius, angle);
                idx += 1;
            }
        }
    }
}

/// The roots of c₀ + c₁·z + … + c_d·z^d (`c` = [c₀, …, c_d], degree
/// d = `c.len()` − 1 ≤ 4, c_d ≠ 0), in the first d entries. Returns `None` if the iteration does not
/// converge (to 1e-14 relative, or to a residual at rounding level) in 60
/// steps or meets a non-finite value.
pub fn polynomial_roots(c: &[f64]) -> Option<[Complex<f64>; 4]> {
    let d = c.len().checked_sub(1)?;
    if d == 0 || d > 4 || c[d] == 0.0 || !c.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mut z = [Complex::new(0.0, 0.0); 4];
    newton_polygon_starts(c, &mut z);
    for _ in 0..60 {
        let mut largest_step = 0.0f64;
        for k in 0..d {
            let (p, dp) = eval_with_derivative(c, z[k]);
            if p.norm_sqr() == 0.0 {
                continue;
            }
            let ratio = p / dp;
            let mut repulsion = Complex::new(0.0, 0.0);
            for (j, zj) in z[..d].iter().enumerate() {
                if j != k {
                    repulsion += (z[k] - zj).inv();
                }
            }
            let step = ratio / (Complex::new(1.0, 0.0) - ratio * repulsion);
            if !(step.re.is_finite() && step.im.is_finite()) {
                return None;
            }
            z[k] -= step;
            largest_step = largest_step.max(step.norm() / z[k].norm().max(1e-300));
        }
        if largest_step < 1e-14 {
            return Some(z);
        }
    }
    // Converged to rounding noise but not below the tolerance (double
    // roots converge only linearly): accept if every residual is tiny.
    let scale = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let ok = z[..d].iter().all(|&zk| {
        let mag = zk.norm().max(1.0);
        eval_with_derivative(c, zk).0.norm() <= 1e-9 * scale * mag.powi(d as i32)
    });
    ok.then_some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_an_exact_polynomial_over_a_wide_range() {
        // y = 2 − 3p + 0.5p² + 7p³ − p⁴ sampled at p from 1e-8 to 1.
        let truth = [2.0, -3.0, 0.5, 7.0, -1.0];
        let mut a = [[0.0f64; 5]; 40];
        let mut b = [0.0f64; 40];
        for i in 0..40 {
            let p = 1e-8f64 * 1e8f64.powf(i as f64 / 39.0);
            let mut pk = 1.0;
            for (j, &t) in truth.iter().enumerate() {
                a[i][j] = pk;
                b[i] += t * pk;
                pk *= p;
            }
        }
        let x = least_squares(&mut a, &mut b).expect("full rank");
        for (got, want) in x.iter().zip(truth) {
            assert!((got - want).abs() < 1e-6 * want.abs().max(1.0), "{x:?}");
        }
    }

    #[test]
    fn least_squares_rejects_rank_deficiency() {
        let mut a = [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
        let mut b = [1.0, 2.0, 3.0];
        assert!(least_squares(&mut a, &mut b).is_none());
    }

    #[test]
    fn quartic_roots_across_magnitudes() {
        // (p − 1e-7 ± 3e-8 j)(p − 1.02)(p − 40)
        let (re, im) = (1e-7f64, 3e-8f64);
        let q = [re * re + im * im, -2.0 * re, 1.0];
        let r = [1.02 * 40.0, -41.02, 1.0];
        let mut c = [0.0f64; 5];
        for (i, a) in q.iter().enumerate() {
            for (j, b) in r.iter().enumerate() {
                c[i + j] += a * b;
            }
        }
        let z = polynomial_roots(&c).expect("converges");
        let want = [
            Complex::new(re, im),
            Complex::new(re, -im),
            Complex::new(1.02, 0.0),
            Complex::new(40.0, 0.0),
        ];
        for w in want {
            let nearest = z.iter().map(|v| (v - w).norm()).fold(f64::MAX, f64::min);
            assert!(nearest < 1e-9 * w.norm(), "{w}: {z:?}");
        }
    }
}
