//! Where `listen` prints: one thread writes the reports to standard output,
//! in order, so that a slow terminal or a full pipe never holds up serving;
//! what it has not caught up with waits in a bounded queue.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;

/// Reports waiting to be printed at most (each at most a few KiB); past
/// them, a report is counted as not printed, and the count is said once
/// the output catches up.
pub const QUEUE: usize = 256;

/// The printing thread's end for the server: cheap to clone.
#[derive(Clone)]
pub struct Output {
    queue: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl Output {
    /// Starts the printing thread.
    pub fn start() -> std::io::Result<Self> {
        let (queue, reports) = sync_channel::<String>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let count = dropped.clone();
        std::thread::Builder::new()
            .name("listen-output".to_owned())
            .spawn(move || {
                for report in reports {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(report.as_bytes());
                    let missed = count.swap(0, Ordering::Relaxed);
                    if missed > 0 {
                        let _ = writeln!(
                            out,
                            "[{missed} reports not printed: the output fell behind]"
                        );
                    }
                    let _ = out.flush();
                }
            })?;
        Ok(Output { queue, dropped })
    }

    /// Queues `report` (whole lines) to be printed; when the queue is full,
    /// counts it as not printed instead of waiting.
    pub fn print(&self, report: String) {
        if self.queue.try_send(report).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
