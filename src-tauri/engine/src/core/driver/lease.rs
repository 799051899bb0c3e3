//! Which core may act. A stuck OS thread cannot be killed, so a core the supervisor gave up on may wake
//! up later (a call that returns after a minute) and carry on where it was. Each core holds a [`Lease`]
//! for its generation; the supervisor ends it before a new core starts. A core whose lease has ended
//! writes nothing to the store (checked while holding the store, so no write of the old core can land
//! after the new one has read it), says nothing and sends nothing; and the tasks it started (its SIP
//! connection, its calls' media) are aborted the moment its lease ends, whatever its own thread is doing.

use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinHandle};

/// The supervisor's side: grants one lease at a time.
pub struct Leases {
    current: watch::Sender<u64>,
}

/// A core's side.
pub struct Lease {
    mine: u64,
    current: watch::Receiver<u64>,
    tasks: mpsc::UnboundedSender<AbortHandle>,
}

impl Leases {
    pub fn new() -> Leases {
        Leases {
            current: watch::channel(0).0,
        }
    }

    /// Ends the current lease (if any) and grants the next. Needs a tokio runtime (the reaper's task).
    pub fn grant(&self) -> Lease {
        self.end();
        let mine = *self.current.borrow();
        let (tasks, held) = mpsc::unbounded_channel();
        tokio::spawn(reap(mine, self.current.subscribe(), held));
        Lease {
            mine,
            current: self.current.subscribe(),
            tasks,
        }
    }

    /// Ends the current lease: its core may no longer act, its tasks are aborted.
    pub fn end(&self) {
        self.current.send_modify(|g| *g = g.wrapping_add(1));
    }
}

impl Lease {
    /// Whether this core may still act.
    pub fn held(&self) -> bool {
        *self.current.borrow() == self.mine
    }

    /// Resolves once the lease has ended (or the supervisor has gone).
    pub async fn ended(&self) {
        let mine = self.mine;
        let mut current = self.current.clone();
        let _ = current.wait_for(|g| *g != mine).await;
    }

    /// `task` is aborted when the lease ends (at once if it already has).
    pub fn hold<T>(&self, task: &JoinHandle<T>) {
        let _ = self.tasks.send(task.abort_handle());
        // Sent first, then checked: either the reaper finds it when the lease ends, or this sees the end.
        if !self.held() {
            task.abort();
        }
    }
}

/// Keeps the abort handles of a lease's tasks and aborts them when it ends.
async fn reap(
    mine: u64,
    mut current: watch::Receiver<u64>,
    mut held: mpsc::UnboundedReceiver<AbortHandle>,
) {
    let mut tasks: Vec<AbortHandle> = Vec::new();
    let mut open = true;
    loop {
        tokio::select! {
            _ = current.wait_for(|g| *g != mine) => break,
            task = held.recv(), if open => match task {
                Some(task) => {
                    tasks.retain(|t| !t.is_finished());
                    tasks.push(task);
                }
                // The core has gone (ended or unwound): its tasks still go when the lease ends.
                None => open = false,
            },
        }
    }
    // Handed over before the end but not yet taken (the end may be seen first).
    while let Ok(task) = held.try_recv() {
        tasks.push(task);
    }
    for task in tasks {
        task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_new_lease_ends_the_old_one_and_aborts_its_tasks() {
        let leases = Leases::new();
        let old = leases.grant();
        let task = a_held_task(&old);
        assert!(old.held());
        let new = leases.grant();
        assert!(!old.held() && new.held());
        tokio::time::timeout(Duration::from_secs(5), old.ended())
            .await
            .expect("the old lease says it ended");
        aborted(task).await;
    }

    /// A task that never ends by itself, held by `lease`.
    fn a_held_task(lease: &Lease) -> JoinHandle<()> {
        let task = tokio::spawn(std::future::pending::<()>());
        lease.hold(&task);
        task
    }

    async fn aborted(task: JoinHandle<()>) {
        let joined = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the task is stopped");
        assert!(joined.is_err_and(|e| e.is_cancelled()));
    }

    #[tokio::test]
    async fn a_core_that_went_away_still_has_its_tasks_aborted_when_its_lease_ends() {
        let leases = Leases::new();
        let lease = leases.grant();
        let task = a_held_task(&lease);
        drop(lease); // the core unwound
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        leases.end();
        aborted(task).await;
    }
}
