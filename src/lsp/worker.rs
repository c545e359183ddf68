//! The background thread that analyses the open documents as part of their project.
//!
//! A project analysis can take seconds on a large tree (an import cycle of hundreds of
//! modules is solved in rounds), so it never runs on the thread that answers the editor.
//! The server submits a snapshot of the open documents after each change; the worker
//! analyses the newest snapshot only (one submitted while it was busy replaces any older
//! one still waiting) and sends the result back.

use super::project::{self, Analysis};
use crate::engine::Engine;
use crate::settings::Settings;
use lsp_types as lsp;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

/// The open documents at one moment.
pub struct Snapshot {
    /// Each document's URI, version, path and text.
    pub docs: Vec<(lsp::Uri, i32, PathBuf, String)>,
}

/// A finished analysis, with the snapshot it was made from.
pub struct Done {
    /// The version of each document the analysis saw.
    pub versions: Vec<(lsp::Uri, i32)>,
    /// Findings filtered as the report filters them.
    pub analysis: Analysis,
}

/// The latest snapshot waiting for the worker, and whether the server has gone.
#[derive(Default)]
struct Queue {
    next: Option<Snapshot>,
    closed: bool,
}

/// The handle the server keeps.
pub struct Worker {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    /// Finished analyses, newest last.
    pub results: crossbeam_channel::Receiver<Done>,
}

impl Worker {
    /// Starts the thread.
    pub fn start(
        engine: Arc<Engine>,
        settings: Arc<Settings>,
        root: Option<PathBuf>,
    ) -> Result<Worker, String> {
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let (tx, results) = crossbeam_channel::unbounded();
        let q = queue.clone();
        std::thread::Builder::new()
            .name("pyaudit-project".into())
            .spawn(move || {
                while let Some(snapshot) = next(&q) {
                    let docs: Vec<(PathBuf, &str)> = snapshot
                        .docs
                        .iter()
                        .map(|(_, _, p, t)| (p.clone(), t.as_str()))
                        .collect();
                    // A bug in the project pass must not end the thread: the editor would
                    // keep only single-file results, silently.
                    let analysis = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        project::analyse(&engine, &settings, root.as_deref(), &docs)
                    }))
                    .unwrap_or_else(|_| Analysis {
                        problem: Some(
                            "internal error in the project analysis (this is a bug; please \
                             report it); open files show their own findings only"
                                .into(),
                        ),
                        ..Analysis::default()
                    });
                    let done = Done {
                        versions: snapshot
                            .docs
                            .iter()
                            .map(|(u, v, _, _)| (u.clone(), *v))
                            .collect(),
                        analysis,
                    };
                    if tx.send(done).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot start the analysis thread: {e}"))?;
        Ok(Worker { queue, results })
    }

    /// Asks for an analysis of `snapshot`, replacing any not yet started.
    pub fn submit(&self, snapshot: Snapshot) {
        let (lock, ready) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        q.next = Some(snapshot);
        ready.notify_one();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let (lock, ready) = &*self.queue;
        lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        ready.notify_one();
    }
}

/// Waits for the next snapshot; `None` once the server has gone.
fn next(queue: &(Mutex<Queue>, Condvar)) -> Option<Snapshot> {
    let (lock, ready) = queue;
    let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if q.closed {
            return None;
        }
        if let Some(s) = q.next.take() {
            return Some(s);
        }
        q = ready.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}
