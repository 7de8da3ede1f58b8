//! Several files at once: a fixed number of worker threads take the next file as they become
//! free, and results come back in input order.
//!
//! Plain scoped threads are enough here (no work stealing is needed for a handful of
//! long-running, independent jobs). Each worker creates its own plugin instances, so a
//! plugin's main thread is the worker that created it, as CLAP requires of a host.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The number of workers for `requested` (0 = one per core) and `items` jobs.
pub fn workers(requested: usize, items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores } else { requested };
    wanted.clamp(1, items.max(1))
}

/// Runs `work(index, item)` for every item on `jobs` threads and returns the results in input
/// order. A panic in `work` is re-raised here once every worker has stopped.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers(jobs, items.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    break;
                };
                let result = work(i, item);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was processed")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_input_order_on_any_number_of_workers() {
        let items: Vec<u64> = (0..50).collect();
        for jobs in [1, 2, 7, 0] {
            let out = map(&items, jobs, |i, x| {
                assert_eq!(i as u64, *x);
                x * x
            });
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
        assert_eq!(workers(8, 3), 3);
        assert_eq!(workers(1, 0), 1);
    }
}
