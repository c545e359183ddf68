//! `pyaudit server`: a Language Server Protocol server on stdio.
//!
//! Built on `lsp-server` (the synchronous transport rust-analyzer and Ruff use) and
//! `lsp-types`. Open documents are analysed as modules of the project under the workspace
//! root ([`project`]), with the editor's text standing in for what is on disk: at once when
//! a document is opened or saved, and after a pause in typing when one changes (debounced,
//! so a burst of keystrokes costs one analysis). The project analysis runs on a thread of
//! its own ([`worker`]); a changed document whose project results are not back within
//! [`PROJECT_WAIT`] is published from its own analysis meanwhile. Every analysis republishes
//! the diagnostics of every open document whose results changed, since a flow through one
//! module may end in another. Settings (rules, selection, per-file ignores, minimum confidence) come from
//! the project's `pyproject.toml` / `pyaudit.toml`, found from the workspace root as a scan
//! would. Each finding becomes a diagnostic with the rule id, severity, a link to the rule
//! page and the data-flow path as related information; a flow that ends at a sink in
//! another module is also shown where it leaves the open document. Code actions apply a
//! finding's fix or add a suppression comment.

// lsp-types' `Uri` caches parsed parts in a `Cell`, but hashes and compares its string only,
// so it is a sound map key (the LSP API requires it as one in `WorkspaceEdit::changes`).
#![allow(clippy::mutable_key_type)]

mod convert;
mod project;
mod worker;

use crate::engine::Engine;
use crate::finding::Finding;
use crate::rules::{Rule, RuleSet};
use crate::settings::{CiArgs, CliLists, Settings};
use convert::{Places, path_of};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long after the last change a document is analysed.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// How long a change waits for the project analysis before the changed documents are
/// published from their own analysis (the project's results follow when ready): enough
/// for a small project, so its files get one publication per change.
const PROJECT_WAIT: Duration = Duration::from_millis(500);

/// One open document.
struct Doc {
    version: i32,
    text: String,
    /// The file the document is (its URI's path, or the URI itself for other schemes).
    path: PathBuf,
    /// The diagnostics last published for it, so unchanged ones are not sent again.
    published: Option<(i32, Vec<lsp::Diagnostic>)>,
    /// Its findings analysed on its own, for the version they are of: shown while the
    /// project analysis of that version is not done.
    alone: Option<(i32, Vec<Finding>)>,
}

/// The latest project analysis that finished.
struct Project {
    /// The version of each document it saw.
    versions: HashMap<lsp::Uri, i32>,
    analysis: project::Analysis,
}

/// How the session ended, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `exit` (or the end of input) after `shutdown`: exit code 0.
    Clean,
    /// `exit` or the end of input without `shutdown` first: exit code 1, as LSP asks.
    WithoutShutdown,
}

/// The server's state.
struct Server {
    engine: Arc<Engine>,
    settings: Arc<Settings>,
    docs: HashMap<lsp::Uri, Doc>,
    /// When set, some document changed and every document is analysed at this instant.
    due: Option<Instant>,
    worker: worker::Worker,
    /// Set when the worker's channel closed.
    worker_gone: bool,
    project: Option<Project>,
    /// The last project problem shown to the user, so it is not repeated on every change.
    shown_problem: Option<String>,
}

/// Runs the server on stdin/stdout until the client says `exit` or closes stdin.
pub fn run() -> Result<Ending, String> {
    let (connection, io) = Connection::stdio();
    let (id, params) = match connection.initialize_start() {
        Ok(x) => x,
        // The client went away before it started: not an error of the server.
        Err(e) if e.channel_is_disconnected() => return Ok(Ending::WithoutShutdown),
        Err(e) => return Err(format!("LSP initialize: {e}")),
    };
    let init: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("LSP initialize params: {e}"))?;
    let root = workspace_root(&init);
    let server = Server::new(root.as_deref());
    let caps = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    };
    let result = serde_json::json!({
        "capabilities": caps,
        "serverInfo": {"name": "pyaudit", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("LSP initialize: {e}"))?;
    let mut server = match server {
        Ok(s) => s,
        Err(e) => {
            // Tell the user why nothing will be reported, then keep the protocol going.
            show_message(&connection, &e);
            Server::new(None).map_err(|e2| format!("{e}; {e2}"))?
        }
    };
    let ending = server.main_loop(&connection);
    drop(connection);
    io.join().map_err(|e| format!("LSP I/O: {e}"))?;
    Ok(ending)
}

fn workspace_root(init: &lsp::InitializeParams) -> Option<PathBuf> {
    if let Some(folders) = &init.workspace_folders
        && let Some(f) = folders.first()
    {
        return path_of(&f.uri);
    }
    #[allow(deprecated)]
    init.root_uri.as_ref().and_then(path_of)
}

fn show_message(connection: &Connection, text: &str) {
    let params = lsp::ShowMessageParams {
        typ: lsp::MessageType::ERROR,
        message: format!("pyaudit: {text}"),
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            "window/showMessage".into(),
            params,
        )));
}

/// A finding as one document shows it.
struct Shown<'f> {
    finding: &'f Finding,
    /// For a flow whose sink is in another file: the step in this document it is shown at.
    via: Option<usize>,
}

impl Server {
    fn new(root: Option<&Path>) -> Result<Server, String> {
        let ci = CiArgs {
            project_root: root.map(|r| r.to_path_buf()),
            isolated: root.is_none(),
            ..CiArgs::default()
        };
        let settings = Settings::resolve(CliLists::default(), &ci)?;
        let rules = RuleSet::with_dirs(&settings.rules_dirs).map_err(|e| e.to_string())?;
        settings.check_rules(&rules)?;
        // Every rule runs, as in a scan: the report's filters then decide what is shown,
        // so `select`/`ignore` also answer to the ids a merged finding covers.
        let rules = rules.with_threat_models(&settings.threat_models);
        let engine = Arc::new(Engine::new(rules, true));
        let settings = Arc::new(settings);
        let root = root.map(|_| settings.root.path().to_path_buf());
        Ok(Server {
            worker: worker::Worker::start(engine.clone(), settings.clone(), root)?,
            worker_gone: false,
            engine,
            settings,
            docs: HashMap::new(),
            due: None,
            project: None,
            shown_problem: None,
        })
    }

    fn main_loop(&mut self, connection: &Connection) -> Ending {
        loop {
            let timeout = match self.due {
                Some(due) => {
                    crossbeam_channel::after(due.saturating_duration_since(Instant::now()))
                }
                None => crossbeam_channel::never(),
            };
            // A worker thread that has gone (it cannot, short of an abort) is not waited on:
            // a closed channel would wake this loop at once, forever.
            let results = if self.worker_gone {
                crossbeam_channel::never()
            } else {
                self.worker.results.clone()
            };
            let msg = crossbeam_channel::select! {
                recv(connection.receiver) -> m => match m {
                    Ok(m) => Some(m),
                    Err(_) => return Ending::WithoutShutdown,
                },
                recv(results) -> done => {
                    match done {
                        Ok(done) => {
                            self.accept(connection, done);
                            self.publish(connection);
                        }
                        Err(_) => self.worker_gone = true,
                    }
                    continue;
                },
                recv(timeout) -> _ => None,
            };
            match msg {
                None => self.refresh(connection),
                Some(Message::Request(req)) if req.method == "shutdown" => {
                    let _ = connection
                        .sender
                        .send(Message::Response(Response::new_ok(req.id, ())));
                    return after_shutdown(connection);
                }
                Some(Message::Request(req)) => self.request(connection, req),
                Some(Message::Notification(n)) if n.method == "exit" => {
                    return Ending::WithoutShutdown;
                }
                Some(Message::Notification(n)) => self.notification(connection, n),
                Some(Message::Response(_)) => {}
            }
        }
    }

    fn notification(&mut self, connection: &Connection, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    let path = path_of(&uri).unwrap_or_else(|| PathBuf::from(uri.as_str()));
                    self.docs.insert(
                        uri,
                        Doc {
                            version: p.text_document.version,
                            text: p.text_document.text,
                            path,
                            published: None,
                            alone: None,
                        },
                    );
                    self.refresh(connection);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                    && let Some(doc) = self.docs.get_mut(&p.text_document.uri)
                    && let Some(last) = p.content_changes.into_iter().last()
                {
                    // Full synchronisation: the last change holds the whole text.
                    doc.text = last.text;
                    doc.version = p.text_document.version;
                    self.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(n.params) {
                    if let (Some(text), Some(doc)) =
                        (p.text, self.docs.get_mut(&p.text_document.uri))
                    {
                        doc.text = text;
                    }
                    self.refresh(connection);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                    && self.docs.remove(&p.text_document.uri).is_some()
                {
                    send_diagnostics(connection, p.text_document.uri, Vec::new(), None);
                    // The others now see the file as it is on disk.
                    if !self.docs.is_empty() {
                        self.due = Some(Instant::now() + DEBOUNCE);
                    }
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, connection: &Connection, req: Request) {
        let response = match req.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<lsp::CodeActionParams>(req.params) {
                    Ok(p) => {
                        // Actions are computed on the current text, not a stale analysis.
                        if self.due.is_some() {
                            self.refresh(connection);
                        }
                        Response::new_ok(req.id, self.code_actions(&p))
                    }
                    Err(e) => invalid(req.id, e.to_string()),
                }
            }
            _ => Response::new_err(
                req.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("pyaudit does not handle {}", req.method),
            ),
        };
        let _ = connection.sender.send(Message::Response(response));
    }

    /// Starts a project analysis of the open documents as they are now, and publishes
    /// every document's diagnostics: from that analysis if it is done within
    /// [`PROJECT_WAIT`], else, for documents whose text changed, from their own analysis.
    fn refresh(&mut self, connection: &Connection) {
        self.due = None;
        self.worker.submit(worker::Snapshot {
            docs: self
                .docs
                .iter()
                .map(|(u, d)| (u.clone(), d.version, d.path.clone(), d.text.clone()))
                .collect(),
        });
        let wanted: Vec<(lsp::Uri, i32)> = self
            .docs
            .iter()
            .map(|(u, d)| (u.clone(), d.version))
            .collect();
        let deadline = Instant::now() + PROJECT_WAIT;
        // An older analysis may finish first: it is taken, and the wait goes on.
        while let Ok(done) = self
            .worker
            .results
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let current = wanted.iter().all(|w| done.versions.contains(w));
            self.accept(connection, done);
            if current {
                break;
            }
        }
        self.publish(connection);
    }

    /// Takes a finished project analysis as the latest.
    fn accept(&mut self, connection: &Connection, done: worker::Done) {
        if done.analysis.problem != self.shown_problem {
            if let Some(p) = &done.analysis.problem {
                show_message(connection, p);
            }
            self.shown_problem = done.analysis.problem.clone();
        }
        self.project = Some(Project {
            versions: done.versions.into_iter().collect(),
            analysis: done.analysis,
        });
    }

    /// The findings the document shows: with a project analysis of its current text, its
    /// own and the flows through it that end at a sink in another file; else its findings
    /// analysed on its own.
    fn shown<'s>(&'s self, uri: &lsp::Uri, doc: &'s Doc) -> Vec<Shown<'s>> {
        let path = doc.path.as_path();
        let project = self
            .project
            .as_ref()
            .filter(|p| p.versions.get(uri) == Some(&doc.version));
        let Some(project) = project else {
            let alone = doc.alone.as_ref().filter(|(v, _)| *v == doc.version);
            return alone
                .map(|(_, findings)| findings.iter())
                .into_iter()
                .flatten()
                .map(|finding| Shown { finding, via: None })
                .collect();
        };
        project
            .analysis
            .findings
            .iter()
            .filter_map(|f| {
                if f.path == path {
                    return Some(Shown {
                        finding: f,
                        via: None,
                    });
                }
                // Shown where the data leaves this document, nearest the sink.
                let via = f.flow.iter().rposition(|s| s.path == path)?;
                Some(Shown {
                    finding: f,
                    via: Some(via),
                })
            })
            .collect()
    }

    fn places(&self) -> Places<'_> {
        let lines = self.project.as_ref().map(|p| p.analysis.lines.as_ref());
        Places::new(
            self.docs
                .iter()
                .map(|(u, d)| (d.path.as_path(), u, d.text.as_str())),
            lines.unwrap_or(&EMPTY_LINES),
        )
    }

    /// Publishes the diagnostics of every open document whose diagnostics changed.
    fn publish(&mut self, connection: &Connection) {
        // Documents the project analysis has not seen as they are now get their own.
        for (uri, doc) in &mut self.docs {
            let seen = self
                .project
                .as_ref()
                .is_some_and(|p| p.versions.get(uri) == Some(&doc.version));
            if !seen && doc.alone.as_ref().is_none_or(|(v, _)| *v != doc.version) {
                let findings = project::alone(&self.engine, &self.settings, &doc.path, &doc.text);
                doc.alone = Some((doc.version, findings));
            }
        }
        let places = self.places();
        let rules = self.engine.rules().rules();
        let mut updates = Vec::new();
        for (uri, doc) in &self.docs {
            let mut diagnostics: Vec<lsp::Diagnostic> = self
                .shown(uri, doc)
                .iter()
                .filter_map(|s| {
                    diagnostic(
                        &places,
                        &self.settings.root,
                        &doc.path,
                        s,
                        rules.get(s.finding.rule_index),
                    )
                })
                .collect();
            diagnostics.sort_by(|a, b| {
                let key = |d: &lsp::Diagnostic| {
                    let code = match &d.code {
                        Some(lsp::NumberOrString::String(c)) => c.clone(),
                        _ => String::new(),
                    };
                    (d.range.start, d.range.end, code)
                };
                key(a).cmp(&key(b))
            });
            let now = (doc.version, diagnostics);
            if doc.published.as_ref() != Some(&now) {
                updates.push((uri.clone(), now));
            }
        }
        drop(places);
        updates.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        for (uri, (version, diagnostics)) in updates {
            send_diagnostics(connection, uri.clone(), diagnostics.clone(), Some(version));
            if let Some(doc) = self.docs.get_mut(&uri) {
                doc.published = Some((version, diagnostics));
            }
        }
    }

    fn code_actions(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let uri = &p.text_document.uri;
        let Some(doc) = self.docs.get(uri) else {
            return Vec::new();
        };
        let places = self.places();
        let rules = self.engine.rules().rules();
        let mut actions = Vec::new();
        for s in self.shown(uri, doc) {
            let Some(diag) = diagnostic(
                &places,
                &self.settings.root,
                &doc.path,
                &s,
                rules.get(s.finding.rule_index),
            ) else {
                continue;
            };
            let range = diag.range;
            let overlaps =
                range.start.line <= p.range.end.line && p.range.start.line <= range.end.line;
            if !overlaps {
                continue;
            }
            let f = s.finding;
            // Fixes edit the finding's own file; a flow shown here from another file's
            // sink offers only the suppression, which belongs at that sink.
            if let (None, Some((_, index))) = (s.via, places.doc(&f.path)) {
                for fix in crate::fix::fixes_of(f) {
                    let edits = fix
                        .edits
                        .iter()
                        .map(|e| lsp::TextEdit {
                            range: lsp::Range {
                                start: index.position(e.start),
                                end: index.position(e.end),
                            },
                            new_text: e.content.clone(),
                        })
                        .collect();
                    let unsafe_note = match fix.safety {
                        crate::fix::Safety::Safe => "",
                        crate::fix::Safety::Unsafe => " (unsafe)",
                    };
                    actions.push(action(
                        format!("pyaudit: {}{unsafe_note}", fix.title),
                        uri,
                        edits,
                        &diag,
                        fix.safety == crate::fix::Safety::Safe,
                    ));
                }
            }
            if let Some((sink_uri, edit)) = suppression(&places, f) {
                let title = match s.via {
                    None => format!("pyaudit: ignore {} on this line", f.rule_id),
                    Some(_) => format!(
                        "pyaudit: ignore {} at the sink ({}:{})",
                        f.rule_id,
                        self.settings.root.display(&f.path),
                        f.start.line
                    ),
                };
                actions.push(action(title, &sink_uri, vec![edit], &diag, false));
            }
        }
        actions
    }
}

/// Line texts for places when there has been no analysis.
static EMPTY_LINES: std::sync::LazyLock<crate::scan::LineTexts> =
    std::sync::LazyLock::new(Default::default);

/// After `shutdown`: waits for `exit` (other requests are refused, as LSP asks), or for the
/// client to close the connection, which is as good as `exit` here.
fn after_shutdown(connection: &Connection) -> Ending {
    while let Ok(msg) = connection.receiver.recv() {
        match msg {
            Message::Notification(n) if n.method == "exit" => break,
            Message::Request(req) => {
                let _ = connection.sender.send(Message::Response(Response::new_err(
                    req.id,
                    lsp_server::ErrorCode::InvalidRequest as i32,
                    "the server is shut down".into(),
                )));
            }
            _ => {}
        }
    }
    Ending::Clean
}

/// The edit adding a suppression comment for `f` at the end of its first line, and the
/// URI of the file it edits.
fn suppression(places: &Places, f: &Finding) -> Option<(lsp::Uri, lsp::TextEdit)> {
    let uri = places.uri(&f.path)?;
    let line = f.start.line.saturating_sub(1);
    let end = match places.doc(&f.path) {
        Some((_, index)) => index.line_end(line),
        // A file that is not open: the finding carries its line (empty when too long to
        // keep, and then there is no safe place to put the comment).
        None if !f.line_text.is_empty() => places.point(
            &f.path,
            crate::finding::Position {
                line: f.start.line,
                byte_col: f.line_text.len(),
            },
            Some((f.start.line, &f.line_text)),
        ),
        None => return None,
    };
    Some((
        uri,
        lsp::TextEdit {
            range: lsp::Range { start: end, end },
            new_text: format!("  # pyaudit: ignore[{}]", f.rule_id),
        },
    ))
}

fn invalid(id: RequestId, message: String) -> Response {
    Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message)
}

fn action(
    title: String,
    uri: &lsp::Uri,
    edits: Vec<lsp::TextEdit>,
    diag: &lsp::Diagnostic,
    preferred: bool,
) -> lsp::CodeActionOrCommand {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), edits);
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag.clone()]),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }),
        is_preferred: Some(preferred),
        ..Default::default()
    })
}

fn send_diagnostics(
    connection: &Connection,
    uri: lsp::Uri,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) {
    let params = lsp::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        )));
}

fn severity(s: crate::finding::Severity) -> lsp::DiagnosticSeverity {
    use crate::finding::Severity as S;
    match s {
        S::Critical | S::High => lsp::DiagnosticSeverity::ERROR,
        S::Medium => lsp::DiagnosticSeverity::WARNING,
        S::Low => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// The diagnostic of `s` in the document at `path`, or `None` when its place there is
/// unknown.
fn diagnostic(
    places: &Places,
    root: &crate::report::location::ProjectRoot,
    path: &Path,
    s: &Shown,
    rule: Option<&Rule>,
) -> Option<lsp::Diagnostic> {
    let f = s.finding;
    let first = Some((f.start.line, f.line_text.as_str()));
    let related: Vec<lsp::DiagnosticRelatedInformation> = f
        .flow
        .iter()
        .filter_map(|step| {
            let first = first.filter(|_| step.path == f.path);
            Some(lsp::DiagnosticRelatedInformation {
                location: places.location(&step.path, (step.start, step.end), first)?,
                message: step.note.clone(),
            })
        })
        .collect();
    let href = rule
        .and_then(|r| r.help_uri.as_deref())
        .and_then(|u| u.parse::<lsp::Uri>().ok());
    let name = rule.map_or("", |r| r.name.as_str());
    let (location, message) = match s.via {
        None => (
            places.location(path, (f.start, f.end), first)?,
            format!("{} ({name}, {} confidence)", f.message, f.confidence),
        ),
        Some(i) => {
            let step = &f.flow[i];
            (
                places.location(path, (step.start, step.end), None)?,
                format!(
                    "{} (the sink is at {}:{}; {name}, {} confidence)",
                    f.message,
                    root.display(&f.path),
                    f.start.line,
                    f.confidence
                ),
            )
        }
    };
    Some(lsp::Diagnostic {
        range: location.range,
        severity: Some(severity(f.severity)),
        code: Some(lsp::NumberOrString::String(f.rule_id.clone())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("pyaudit".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    })
}
