//! Lock-free hand-off from the audio thread to the editor.
//!
//! The audio thread only ever writes and the GUI only ever reads (and resets), so meters and
//! graphs need no locks: a meter is a single atomic float, a history feed is a pre-allocated
//! single-producer/single-consumer ring. None of the producer-side calls allocate, block or
//! panic, so they are safe in `process()`.
//!
//! Share these through an `Arc` created in the plugin's constructor (or `prepare`), never in
//! `process()`.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use atomic_float::AtomicF32;

/// One meter reading passed from the audio thread to the GUI.
///
/// The audio thread accumulates with [`MeterValue::store_max`] (peaks) or [`MeterValue::store`]
/// (latest value); the GUI calls [`MeterValue::take`] once per frame, which returns everything
/// written since the previous `take` and resets the value. Because the read and the reset are one
/// atomic swap, a peak written between them is never lost: it shows up in the next frame.
#[derive(Debug)]
pub struct MeterValue {
    value: AtomicF32,
    reset: f32,
}

impl Default for MeterValue {
    fn default() -> Self {
        Self::new(0.0)
    }
}

impl MeterValue {
    /// A meter whose resting value (after [`Self::take`]) is `reset`: 0.0 for linear amplitudes
    /// and for gain reduction in positive dB, [`crate::SILENCE_DB`] for levels already in dB.
    pub const fn new(reset: f32) -> Self {
        Self {
            value: AtomicF32::new(reset),
            reset,
        }
    }

    /// Raise the stored value to `value` if it is larger (audio thread). NaN is ignored, so a
    /// broken sample cannot poison the meter. Lock-free; call once per block with the block's own
    /// maximum rather than per sample.
    pub fn store_max(&self, value: f32) {
        let mut current = self.value.load(Ordering::Relaxed);
        // `!(value > current)` also rejects NaN.
        while value > current {
            match self.value.compare_exchange_weak(
                current,
                value,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
    }

    /// Overwrite the stored value (audio thread): for readings that are already integrated, such
    /// as a short-term RMS or loudness value.
    pub fn store(&self, value: f32) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// Read the value without resetting it.
    pub fn load(&self) -> f32 {
        self.value.load(Ordering::Relaxed)
    }

    /// Read the value and put the meter back to its resting value (GUI thread).
    pub fn take(&self) -> f32 {
        self.value.swap(self.reset, Ordering::Relaxed)
    }
}

/// Per-channel meter values of a stereo signal, all as linear amplitudes (1.0 = 0 dBFS).
#[derive(Debug, Default)]
pub struct StereoMeter {
    /// Sample peak per channel (left, right).
    pub peak: [MeterValue; 2],
    /// Inter-sample (true) peak per channel, as measured by an oversampling detector.
    pub true_peak: [MeterValue; 2],
    /// RMS (or another short-term average) per channel.
    pub rms: [MeterValue; 2],
}

/// What [`StereoMeter::take`] returns: linear amplitudes per channel (left, right).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StereoReading {
    /// Largest sample peak since the previous read.
    pub peak: [f32; 2],
    /// Largest true peak since the previous read.
    pub true_peak: [f32; 2],
    /// Largest RMS value since the previous read.
    pub rms: [f32; 2],
}

/// Sample peaks of the first `len` samples of up to two channels (left,
/// right; a mono channel is copied to both sides), linear, ignoring
/// non-finite samples: what a block's meter shows. Realtime-safe.
pub fn block_peaks(chans: &[&mut [f32]], len: usize) -> [f32; 2] {
    let mut p = [0.0f32; 2];
    for (c, ch) in chans.iter().take(2).enumerate() {
        p[c] = ch[..len.min(ch.len())]
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f32, |m, v| m.max(v.abs()));
    }
    if chans.len() == 1 {
        p[1] = p[0];
    }
    p
}

impl StereoMeter {
    /// A meter resting at silence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one block's sample peaks and true peaks (audio thread, linear amplitudes).
    pub fn record_peaks(&self, peak: [f32; 2], true_peak: [f32; 2]) {
        for ch in 0..2 {
            self.peak[ch].store_max(peak[ch]);
            self.true_peak[ch].store_max(true_peak[ch]);
        }
    }

    /// Record one block's RMS values (audio thread, linear amplitudes).
    pub fn record_rms(&self, rms: [f32; 2]) {
        for (meter, value) in self.rms.iter().zip(rms) {
            meter.store_max(value);
        }
    }

    /// Read everything recorded since the previous call and reset (GUI thread).
    pub fn take(&self) -> StereoReading {
        StereoReading {
            peak: [self.peak[0].take(), self.peak[1].take()],
            true_peak: [self.true_peak[0].take(), self.true_peak[1].take()],
            rms: [self.rms[0].take(), self.rms[1].take()],
        }
    }
}

/// A fixed-capacity, lock-free single-producer/single-consumer queue of small `Copy` frames,
/// e.g. `[f32; 4]` = (input dB, output dB, gain reduction dB, spare), written by the audio thread
/// at control rate and drained by the GUI into a [`crate::HistoryBuffer`].
///
/// All storage is allocated in [`HistoryFifo::new`]. [`HistoryFifo::push`] never blocks and never
/// allocates: when the GUI is not draining (editor closed), frames are dropped and counted.
///
/// The single-producer/single-consumer rule is enforced at run time rather than trusted: each
/// side claims its end with an atomic flag, and a second, overlapping producer (or consumer) is
/// turned away instead of corrupting the ring. The claim's acquire/release ordering also makes it
/// correct for hosts that call `process()` from different threads over time.
pub struct HistoryFifo<T> {
    slots: Box<[UnsafeCell<T>]>,
    /// Index of the next slot the producer writes, in `0..slots.len()`.
    head: AtomicUsize,
    /// Index of the next slot the consumer reads, in `0..slots.len()`.
    tail: AtomicUsize,
    producer_busy: AtomicBool,
    consumer_busy: AtomicBool,
    dropped: AtomicUsize,
}

// SAFETY: slots are only accessed by the single producer (slot at `head`, not yet published) or
// the single consumer (slot at `tail`, already published), which the busy flags guarantee; the
// Release store of `head`/`tail` paired with the Acquire load on the other side orders the slot
// write before the slot read. `T: Send` because frames move between threads.
unsafe impl<T: Send> Sync for HistoryFifo<T> {}
// SAFETY: owning the FIFO only owns `T`s.
unsafe impl<T: Send> Send for HistoryFifo<T> {}

impl<T: Copy + Default> HistoryFifo<T> {
    /// A queue holding up to `capacity` frames (at least 1). Allocates; call outside `process()`.
    pub fn new(capacity: usize) -> Self {
        Self::new_filled(capacity, T::default())
    }
}

impl<T: Copy> HistoryFifo<T> {
    /// A queue holding up to `capacity` frames (at least 1), its storage initialised with
    /// `fill` (for frame types without `Default`, e.g. arrays longer than 32). Allocates.
    pub fn new_filled(capacity: usize, fill: T) -> Self {
        // One slot stays empty so that `head == tail` means empty without a separate count.
        let len = capacity.max(1) + 1;
        let slots = (0..len).map(|_| UnsafeCell::new(fill)).collect();
        Self {
            slots,
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            producer_busy: AtomicBool::new(false),
            consumer_busy: AtomicBool::new(false),
            dropped: AtomicUsize::new(0),
        }
    }

    /// Number of frames the queue can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len() - 1
    }

    /// Number of frames waiting to be read (a snapshot; the other side may change it).
    pub fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        (head + self.slots.len() - tail) % self.slots.len()
    }

    /// True if no frame is waiting (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frames dropped so far because the queue was full or another producer was active.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Append a frame (audio thread). Returns `false` and drops the frame if the queue is full.
    /// Wait-free: never blocks, never allocates.
    pub fn push(&self, frame: T) -> bool {
        if self
            .producer_busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let head = self.head.load(Ordering::Relaxed);
        let next = self.next(head);
        let pushed = if next == self.tail.load(Ordering::Acquire) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            false
        } else {
            // SAFETY: the slot at `head` is not visible to the consumer until `head` is
            // published below, and we hold the producer claim.
            unsafe { *self.slots[head].get() = frame };
            self.head.store(next, Ordering::Release);
            true
        };
        self.producer_busy.store(false, Ordering::Release);
        pushed
    }

    /// Take the oldest frame (GUI thread), or `None` if the queue is empty or another consumer is
    /// reading right now.
    pub fn pop(&self) -> Option<T> {
        if self
            .consumer_busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        let tail = self.tail.load(Ordering::Relaxed);
        let frame = if tail == self.head.load(Ordering::Acquire) {
            None
        } else {
            // SAFETY: the producer published this slot with a Release store of `head` and will
            // not write it again until we publish the new `tail`.
            let frame = unsafe { *self.slots[tail].get() };
            self.tail.store(self.next(tail), Ordering::Release);
            Some(frame)
        };
        self.consumer_busy.store(false, Ordering::Release);
        frame
    }

    /// Pop every waiting frame, oldest first, into `sink` (GUI thread). Returns how many frames
    /// were drained.
    pub fn drain_into(&self, mut sink: impl FnMut(T)) -> usize {
        let mut n = 0;
        while let Some(frame) = self.pop() {
            sink(frame);
            n += 1;
        }
        n
    }

    fn next(&self, index: usize) -> usize {
        let n = index + 1;
        if n == self.slots.len() {
            0
        } else {
            n
        }
    }
}

impl<T> std::fmt::Debug for HistoryFifo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryFifo")
            .field("capacity", &(self.slots.len() - 1))
            .field("head", &self.head.load(Ordering::Relaxed))
            .field("tail", &self.tail.load(Ordering::Relaxed))
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn block_peaks_ignore_non_finite_samples_and_copy_mono() {
        let mut a = [0.1f32, -0.5, f32::NAN, 0.2];
        let mut b = [f32::INFINITY, 0.3, -0.25, 0.9];
        assert_eq!(block_peaks(&[&mut a[..], &mut b[..]], 3), [0.5, 0.3]);
        assert_eq!(block_peaks(&[&mut a[..]], usize::MAX), [0.5, 0.5]);
        assert_eq!(block_peaks(&[], 4), [0.0, 0.0]);
    }

    use super::*;
    use std::sync::Arc;

    #[test]
    fn meter_take_returns_max_and_resets() {
        let m = MeterValue::default();
        m.store_max(0.25);
        m.store_max(0.75);
        m.store_max(0.5);
        assert_eq!(m.load(), 0.75);
        assert_eq!(m.take(), 0.75);
        assert_eq!(m.take(), 0.0, "take resets to the resting value");
        m.store_max(f32::NAN);
        assert_eq!(m.take(), 0.0, "NaN never raises the meter");
    }

    #[test]
    fn meter_store_overwrites_and_custom_reset() {
        let m = MeterValue::new(crate::SILENCE_DB);
        assert_eq!(m.load(), crate::SILENCE_DB);
        m.store(-3.0);
        m.store(-12.0);
        assert_eq!(m.take(), -12.0);
        assert_eq!(m.load(), crate::SILENCE_DB);
        m.store_max(-20.0);
        assert_eq!(m.take(), -20.0, "store_max from the resting value");
    }

    #[test]
    fn stereo_meter_keeps_channels_apart() {
        let s = StereoMeter::new();
        s.record_peaks([0.5, 0.1], [0.6, 0.2]);
        s.record_peaks([0.3, 0.4], [0.3, 0.45]);
        s.record_rms([0.2, 0.05]);
        let r = s.take();
        assert_eq!(r.peak, [0.5, 0.4]);
        assert_eq!(r.true_peak, [0.6, 0.45]);
        assert_eq!(r.rms, [0.2, 0.05]);
        assert_eq!(s.take(), StereoReading::default());
    }

    #[test]
    fn fifo_preserves_order_and_reports_empty() {
        let q = HistoryFifo::<[f32; 4]>::new(8);
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        for i in 0..5 {
            assert!(q.push([i as f32; 4]));
        }
        assert_eq!(q.len(), 5);
        for i in 0..5 {
            assert_eq!(q.pop(), Some([i as f32; 4]));
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn fifo_drops_when_full_and_keeps_the_oldest() {
        let q = HistoryFifo::<u32>::new(3);
        assert_eq!(q.capacity(), 3);
        assert!(q.push(1));
        assert!(q.push(2));
        assert!(q.push(3));
        assert!(!q.push(4), "full queue refuses");
        assert!(!q.push(5));
        assert_eq!(q.dropped(), 2);
        assert_eq!(q.len(), 3);
        let mut out = Vec::new();
        assert_eq!(q.drain_into(|f| out.push(f)), 3);
        assert_eq!(out, vec![1, 2, 3]);
    }

    #[test]
    fn fifo_wraps_around_many_times() {
        let q = HistoryFifo::<u64>::new(5);
        let mut expected = 0u64;
        let mut next = 0u64;
        // Interleave pushes and pops in uneven bursts so head and tail cross the end of the
        // storage at every offset.
        for round in 0..200 {
            for _ in 0..(round % 5 + 1) {
                if q.push(next) {
                    next += 1;
                }
            }
            for _ in 0..(round % 3 + 1) {
                if let Some(v) = q.pop() {
                    assert_eq!(v, expected);
                    expected += 1;
                }
            }
            assert!(q.len() <= q.capacity());
        }
        q.drain_into(|v| {
            assert_eq!(v, expected);
            expected += 1;
        });
        assert_eq!(expected, next);
        assert!(next > 100);
    }

    #[test]
    fn fifo_zero_capacity_is_raised_to_one() {
        let q = HistoryFifo::<u8>::new(0);
        assert_eq!(q.capacity(), 1);
        assert!(q.push(7));
        assert!(!q.push(8));
        assert_eq!(q.pop(), Some(7));
    }

    #[test]
    fn fifo_two_thread_stress() {
        // Each frame carries its sequence number in every lane, so a torn read (a frame mixed from
        // two writes) would show up as unequal lanes.
        const FRAMES: u32 = 200_000;
        let q = Arc::new(HistoryFifo::<[f32; 4]>::new(64));
        let producer = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                let mut accepted = 0u32;
                for i in 0..FRAMES {
                    let v = i as f32;
                    if q.push([v, v, v, v]) {
                        accepted += 1;
                    }
                    if i % 1024 == 0 {
                        std::thread::yield_now();
                    }
                }
                accepted
            })
        };
        let mut received = 0u32;
        let mut last = -1.0f32;
        let mut done = false;
        while !done {
            done = producer.is_finished();
            while let Some(f) = q.pop() {
                assert!(f.iter().all(|&x| x == f[0]), "torn frame {f:?}");
                assert!(f[0] > last, "out of order: {} after {last}", f[0]);
                last = f[0];
                received += 1;
            }
            std::thread::yield_now();
        }
        let accepted = producer.join().expect("producer thread");
        assert_eq!(received, accepted);
        assert_eq!(accepted as usize + q.dropped(), FRAMES as usize);
        assert!(received > 0);
    }

    #[test]
    fn fifo_turns_away_an_overlapping_second_producer() {
        let q = HistoryFifo::<u8>::new(4);
        // Simulate a producer that is mid-push on another thread.
        q.producer_busy.store(true, Ordering::SeqCst);
        assert!(!q.push(1));
        assert_eq!(q.dropped(), 1);
        q.producer_busy.store(false, Ordering::SeqCst);
        assert!(q.push(2));
        q.consumer_busy.store(true, Ordering::SeqCst);
        assert_eq!(q.pop(), None, "second consumer is refused, not blocked");
        q.consumer_busy.store(false, Ordering::SeqCst);
        assert_eq!(q.pop(), Some(2));
    }
}
