//! The reservation writer: a thread of its own, with its own connection, commits the
//! reservations waiting in its queue together — one transaction, a savepoint each — and answers
//! each only after that commit, so a signed sponsorship is always durably reserved first while
//! the async workers never wait on SQLite. A second thread checkpoints the WAL, so no request
//! pays for it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::{LimitReached, Limits, Notified, Reservation, StoreError};

/// Reservations committed in one transaction at most.
const GROUP: usize = 64;
/// Reservations waiting at most before senders wait (back-pressure).
const QUEUE: usize = 4096;
/// How often the WAL is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

type Answer = Result<Result<i64, LimitReached>, StoreError>;

struct Job {
    reservation: Reservation,
    limits: Limits,
    reply: oneshot::Sender<Answer>,
}

/// The queue to the writer thread; dropping it stops both threads.
#[derive(Debug)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("sender", &self.reservation.sender)
            .finish()
    }
}

impl Writer {
    /// Starts the writer and the checkpointer on the database at `path`.
    pub(super) fn start(path: &Path, notified: Notified) -> Result<Writer, StoreError> {
        let writer = super::connect(path)?;
        let checkpointer = super::connect(path)?;
        let (queue, jobs) = mpsc::channel(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write(writer, jobs, &notified))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || checkpoint(checkpointer, &stopped))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Writer { queue, stop })
    }

    /// Checks the limits and reserves, committed before it returns (see [`super::Store::reserve`]).
    pub(super) async fn reserve(&self, reservation: Reservation, limits: Limits) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                reservation,
                limits,
                reply,
            })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn write(mut conn: Connection, mut jobs: mpsc::Receiver<Job>, notified: &Notified) {
    while let Some(first) = jobs.blocking_recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let answers = commit(&mut conn, &group, notified);
        for (job, answer) in group.into_iter().zip(answers) {
            let _ = job.reply.send(answer);
        }
    }
}

/// Runs each job in a savepoint of one transaction and commits it; when the commit fails, every
/// job gets the error (none of them is reserved).
fn commit(conn: &mut Connection, group: &[Job], notified: &Notified) -> Vec<Answer> {
    let mut run = || -> Result<Vec<Answer>, StoreError> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut answers = Vec::with_capacity(group.len());
        for job in group {
            let savepoint = tx.savepoint()?;
            let notify = super::is_notified(notified, &job.reservation.app);
            match super::reserve_in(&savepoint, &job.reservation, &job.limits, notify) {
                Ok(answer) => {
                    savepoint.commit()?;
                    answers.push(Ok(answer));
                }
                // Dropping the savepoint rolls this job back; the others stay.
                Err(error) => answers.push(Err(error)),
            }
        }
        tx.commit()?;
        Ok(answers)
    };
    match run() {
        Ok(answers) => answers,
        Err(error) => {
            tracing::error!(%error, reservations = group.len(), "reservations not committed");
            let text = error.to_string();
            group
                .iter()
                .map(|_| Err(StoreError::NotCommitted(text.clone())))
                .collect()
        }
    }
}

fn checkpoint(conn: Connection, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(CHECKPOINT_EVERY);
        // PASSIVE: copies what no reader still needs, never waits for writers or readers.
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "WAL checkpoint failed");
        }
    }
}
