//! The reservation writer: a thread of its own, with its own connection, commits the
//! reservations waiting in its queue together — one transaction, a savepoint each — and answers
//! each only after that commit, so a signed sponsorship is always durably reserved first while
//! the async workers never wait on the database. With SQLite a second thread checkpoints the
//! WAL, so no request pays for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::sql::{self, Conn};
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
    /// Starts the writer on `conn` and, for SQLite, the checkpointer on `checkpointer`.
    pub(super) fn start(
        conn: Box<dyn Conn>,
        checkpointer: Option<Connection>,
        notified: Notified,
    ) -> Result<Writer, StoreError> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write(conn, jobs, &notified))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        if let Some(checkpointer) = checkpointer {
            let stopped = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("store-checkpoint".into())
                .spawn(move || checkpoint(checkpointer, &stopped))
                .map_err(|e| StoreError::Thread(e.to_string()))?;
        }
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

fn write(mut conn: Box<dyn Conn>, mut jobs: mpsc::Receiver<Job>, notified: &Notified) {
    while let Some(first) = jobs.blocking_recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let answers = commit(conn.as_mut(), &group, notified);
        for (job, answer) in group.into_iter().zip(answers) {
            let _ = job.reply.send(answer);
        }
    }
}

/// Runs each job in a savepoint of one transaction and commits it; when the commit fails, every
/// job gets the error (none of them is reserved).
fn commit(conn: &mut dyn Conn, group: &[Job], notified: &Notified) -> Vec<Answer> {
    let run = sql::transaction(conn, true, |tx| {
        let mut answers = Vec::with_capacity(group.len());
        for job in group {
            let notify = super::is_notified(notified, &job.reservation.app);
            // A failing job is undone alone; the others stay.
            answers.push(sql::savepoint(tx, |tx| {
                super::reserve_in(tx, &job.reservation, &job.limits, notify)
            }));
        }
        Ok(answers)
    });
    match run {
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
