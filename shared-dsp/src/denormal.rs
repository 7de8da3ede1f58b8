//! Flush-to-zero / denormals-are-zero guard for the audio thread.
//!
//! Recursive filters, reverbs and envelope releases decay towards zero and
//! spend long stretches in the subnormal range (|x| < 1.18e-38) once the input
//! goes silent. On x86 every arithmetic operation that reads or produces a
//! subnormal takes a microcode assist costing on the order of 100 cycles, so a
//! plugin fed silence can suddenly use 10–100× its normal CPU and cause
//! dropouts. Subnormals are far below anything audible (−750 dB), so treating
//! them as zero is free in quality terms.
//!
//! [`FlushDenormals`] sets the SSE control register's FTZ (flush results to
//! zero) and DAZ (treat subnormal inputs as zero) bits for the lifetime of the
//! guard and restores the caller's register afterwards, so a plugin can wrap
//! its `process()` call without changing the host thread's floating-point
//! environment behind its back.

use core::marker::PhantomData;

/// MXCSR bit 15: results that would be subnormal are written as ±0.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse")
))]
const MXCSR_FTZ: u32 = 1 << 15;
/// MXCSR bit 6: subnormal operands are read as ±0.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse")
))]
const MXCSR_DAZ: u32 = 1 << 6;

/// RAII guard that enables FTZ and DAZ on the current thread and restores the
/// previous setting when dropped.
///
/// Create it at the top of the audio callback and keep it alive for the whole
/// block. On x86/x86_64 it costs two register reads and one or two writes; on
/// other targets it does nothing (AArch64 plugin builds should rely on
/// kernels that do not dwell in subnormals, or a future FPCR.FZ variant).
///
/// The guard is neither `Send` nor `Sync`: MXCSR is per-thread state, and
/// restoring it on another thread would corrupt that thread's environment.
///
/// Only FTZ and DAZ are touched; rounding mode and exception masks keep the
/// values the host chose.
#[must_use = "the previous mode is restored as soon as the guard is dropped"]
pub struct FlushDenormals {
    /// MXCSR as it was before this guard changed it.
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "x86", target_feature = "sse")
    ))]
    previous: u32,
    /// Pins the guard to the thread whose register it changed.
    _not_send: PhantomData<*const ()>,
}

impl FlushDenormals {
    /// Enables flush-to-zero and denormals-are-zero on the calling thread
    /// until the returned guard is dropped. Realtime-safe.
    pub fn new() -> Self {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse")
        ))]
        {
            let previous = mxcsr::read();
            let wanted = previous | MXCSR_FTZ | mxcsr::daz_bit();
            if wanted != previous {
                mxcsr::write(wanted);
            }
            Self {
                previous,
                _not_send: PhantomData,
            }
        }
        #[cfg(not(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse")
        )))]
        {
            Self {
                _not_send: PhantomData,
            }
        }
    }

    /// Returns `true` when this target can flush subnormals with this guard
    /// (x86_64, and 32-bit x86 built with SSE); elsewhere the guard is a no-op.
    pub const fn is_supported() -> bool {
        cfg!(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse")
        ))
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse")
        ))]
        {
            if mxcsr::read() != self.previous {
                mxcsr::write(self.previous);
            }
        }
    }
}

/// Raw MXCSR access through `stmxcsr`/`ldmxcsr`.
///
/// `_mm_getcsr`/`_mm_setcsr` are deprecated because the compiler assumes the
/// default floating-point environment. For FTZ/DAZ that assumption only means
/// constant-folded expressions may keep a subnormal that the CPU would have
/// flushed — harmless for audio — while rounding mode and exception masks,
/// whose change could alter program semantics, are left untouched.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse")
))]
mod mxcsr {
    use core::arch::asm;

    /// DAZ is supported on every x86_64 CPU. Some early 32-bit SSE CPUs
    /// raise a fault when it is set, so 32-bit builds only flush results.
    pub(super) const fn daz_bit() -> u32 {
        if cfg!(target_arch = "x86_64") {
            super::MXCSR_DAZ
        } else {
            0
        }
    }

    pub(super) fn read() -> u32 {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit control register to the
        // valid, aligned, writable location `csr`; it has no other effect.
        unsafe {
            asm!(
                "stmxcsr [{ptr}]",
                ptr = in(reg) &mut csr as *mut u32,
                options(nostack, preserves_flags)
            );
        }
        csr
    }

    pub(super) fn write(csr: u32) {
        // SAFETY: `ldmxcsr` loads a value read earlier by `stmxcsr` with
        // only the FTZ/DAZ bits changed, so no reserved bit is set.
        unsafe {
            asm!(
                "ldmxcsr [{ptr}]",
                ptr = in(reg) &csr as *const u32,
                options(nostack, preserves_flags, readonly)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// Half of the smallest normal f32: a subnormal result when not flushed.
    fn halve_min_normal() -> f32 {
        black_box(f32::MIN_POSITIVE) * black_box(0.5f32)
    }

    /// A subnormal input times one: zero only when DAZ reads it as zero.
    fn pass_subnormal() -> f32 {
        black_box(f32::from_bits(1)) * black_box(1.0f32)
    }

    #[test]
    fn flushes_inside_and_restores_after() {
        // Test threads start with the default environment (no FTZ/DAZ).
        assert!(halve_min_normal().is_subnormal());
        assert!(pass_subnormal().is_subnormal());
        {
            let _guard = FlushDenormals::new();
            if FlushDenormals::is_supported() {
                assert_eq!(halve_min_normal(), 0.0);
                if cfg!(target_arch = "x86_64") {
                    assert_eq!(pass_subnormal(), 0.0);
                }
                // Normal numbers are untouched.
                assert_eq!(black_box(1.5f32) * black_box(2.0f32), 3.0);
            }
        }
        assert!(halve_min_normal().is_subnormal());
        assert!(pass_subnormal().is_subnormal());
    }

    #[test]
    fn nested_guards_restore_in_order() {
        let outer = FlushDenormals::new();
        {
            let _inner = FlushDenormals::new();
            if FlushDenormals::is_supported() {
                assert_eq!(halve_min_normal(), 0.0);
            }
        }
        // The inner guard restores the outer guard's state, not the default.
        if FlushDenormals::is_supported() {
            assert_eq!(halve_min_normal(), 0.0);
        }
        drop(outer);
        assert!(halve_min_normal().is_subnormal());
    }

    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "x86", target_feature = "sse")
    ))]
    #[test]
    fn keeps_rounding_mode_and_exception_masks() {
        let before = mxcsr::read();
        let guard = FlushDenormals::new();
        let during = mxcsr::read();
        let ours = MXCSR_FTZ | MXCSR_DAZ;
        assert_eq!(during & !ours, before & !ours);
        drop(guard);
        assert_eq!(mxcsr::read(), before);
    }
}
