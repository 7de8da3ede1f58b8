//! The EQ kernel never touches the heap after `prepare`: `set_params`,
//! `process`, `process_with_sidechain` and `reset` are counted by a global
//! allocator while bands switch on and off, change type and placement,
//! glide, solo, go dynamic with a sidechain, and the phase mode and FIR
//! length change.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use glass_dsp::analog::{BandParams, BandType, Slope};
use glass_dsp::eq::{Eq, EqBandSettings, EqParams, PhaseMode, Placement, MAX_BANDS};
use glass_dsp::linear_phase::FirLength;

/// Counts heap operations per thread (test threads run in parallel).
struct CountingAllocator;

thread_local! {
    static HEAP_OPS: Cell<u64> = const { Cell::new(0) };
}

fn count_heap_op() {
    let _ = HEAP_OPS.try_with(|c| c.set(c.get() + 1));
}

fn heap_ops() -> u64 {
    HEAP_OPS.with(Cell::get)
}

// SAFETY: every method forwards to `System` unchanged; counting touches only
// a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_heap_op();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_heap_op();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_heap_op();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_heap_op();
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn process_set_params_and_reset_never_allocate() {
    let fs = 48_000.0f32;
    let mut eq = Eq::new();
    eq.prepare(fs, 1024, 2);
    let len = 96_000;
    let mut l: Vec<f32> = (0..len)
        .map(|n| ((n * 7919) % 2000) as f32 / 1000.0 - 1.0)
        .collect();
    let mut r = l.clone();
    let key: Vec<f32> = (0..len)
        .map(|n| ((n * 104_729) % 3000) as f32 / 1500.0 - 1.0)
        .collect();
    let kinds = [
        BandType::Bell,
        BandType::LowShelf,
        BandType::HighShelf,
        BandType::LowCut,
        BandType::HighCut,
        BandType::Notch,
        BandType::BandPass,
        BandType::TiltShelf,
        BandType::AllPass,
    ];
    let placements = [
        Placement::Stereo,
        Placement::Left,
        Placement::Right,
        Placement::Mid,
        Placement::Side,
    ];
    let mut p = EqParams::default();
    let before = heap_ops();
    for (step, (a, b)) in l.chunks_mut(777).zip(r.chunks_mut(777)).enumerate() {
        let i = step % MAX_BANDS;
        p.bands[i] = EqBandSettings {
            enabled: step % 7 != 3,
            band: BandParams {
                kind: kinds[step % kinds.len()],
                freq_hz: 30.0 * 1.37f32.powi((step % 20) as i32),
                gain_db: (step % 13) as f32 * 4.0 - 24.0,
                q: 0.3 + (step % 5) as f32,
                slope: Slope::ALL[step % Slope::ALL.len()],
            },
            placement: placements[step % placements.len()],
            dynamic: glass_dsp::eq::DynamicParams {
                enabled: step % 3 == 0,
                external: step % 6 == 0,
                ..Default::default()
            },
        };
        p.solo = if step % 17 < 3 { Some(i) } else { None };
        p.auto_gain = step % 11 < 5;
        p.phase = if (step / 40) % 2 == 1 {
            PhaseMode::Linear
        } else {
            PhaseMode::ZeroLatency
        };
        p.fir_length = FirLength::ALL[(step / 80) % 4];
        eq.set_params(&p);
        let start = (step * 777).min(len);
        let end = (start + a.len()).min(len);
        eq.process_with_sidechain(&mut [a, b], &[&key[start..end]]);
        if step == 60 {
            eq.reset();
        }
    }
    let ops = heap_ops() - before;
    assert_eq!(ops, 0, "{ops} heap operations on the audio path");
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
}
