//! `pyaudit server`: a Language Server Protocol server on stdio.
//!
//! Built on `lsp-server` (the synchronous transport rust-analyzer and Ruff use) and
//! `lsp-types`. Open documents are analysed from the editor's text, never from disk:
//! at once when opened or saved, and after a pause in typing when changed (debounced, so a
//! burst of keystrokes costs one analysis). Settings (rules, selection, per-file ignores,
//! minimum confidence) come from the project's `pyproject.toml` / `pyaudit.toml`, found from
//! the workspace root as a scan would. Each finding becomes a diagnostic with the rule id,
//! severity, a link to the rule page and the data-flow path as related information; code
//! actions apply a finding's fix or add a suppression comment.

// lsp-types' `Uri` caches parsed parts in a `Cell`, but hashes and compares its string only,
// so it is a sound map key (the LSP API requires it as one in `WorkspaceEdit::changes`).
#![allow(clippy::mutable_key_type)]

mod convert;

use crate::engine::Engine;
use crate::finding::Finding;
use crate::rules::{Rule, RuleSet};
use crate::settings::{CiArgs, CliLists, Settings};
use convert::{LineIndex, path_of};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long after the last change a document is analysed.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// One open document.
struct Doc {
    version: i32,
    text: String,
    /// When set, the document changed and is analysed at this instant.
    due: Option<Instant>,
}

/// The server's state.
struct Server {
    engine: Engine,
    settings: Settings,
    docs: HashMap<lsp::Uri, Doc>,
}

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("LSP initialize: {e}"))?;
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
    server.main_loop(&connection)?;
    drop(connection);
    io.join().map_err(|e| format!("LSP I/O: {e}"))?;
    Ok(())
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

impl Server {
    fn new(root: Option<&std::path::Path>) -> Result<Server, String> {
        let ci = CiArgs {
            project_root: root.map(|r| r.to_path_buf()),
            isolated: root.is_none(),
            ..CiArgs::default()
        };
        let settings = Settings::resolve(CliLists::default(), &ci)?;
        let rules = RuleSet::with_dirs(&settings.rules_dirs).map_err(|e| e.to_string())?;
        let selection = settings.selection(&rules)?;
        let rules = rules
            .retain(|r| selection.enabled(r))
            .map_err(|e| e.to_string())?;
        Ok(Server {
            engine: Engine::new(rules, true),
            settings,
            docs: HashMap::new(),
        })
    }

    fn main_loop(&mut self, connection: &Connection) -> Result<(), String> {
        loop {
            let next_due = self.docs.values().filter_map(|d| d.due).min();
            let msg = match next_due {
                Some(due) => {
                    let wait = due.saturating_duration_since(Instant::now());
                    match connection.receiver.recv_timeout(wait) {
                        Ok(m) => Some(m),
                        Err(e) if e.is_timeout() => None,
                        Err(_) => return Ok(()),
                    }
                }
                None => match connection.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(()),
                },
            };
            match msg {
                None => self.publish_due(connection),
                Some(Message::Request(req)) => {
                    if connection
                        .handle_shutdown(&req)
                        .map_err(|e| format!("LSP shutdown: {e}"))?
                    {
                        return Ok(());
                    }
                    self.request(connection, req);
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
                    let uri = p.text_document.uri.clone();
                    self.docs.insert(
                        uri.clone(),
                        Doc {
                            version: p.text_document.version,
                            text: p.text_document.text,
                            due: None,
                        },
                    );
                    self.publish(connection, &uri);
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
                    doc.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(n.params) {
                    if let (Some(text), Some(doc)) =
                        (p.text, self.docs.get_mut(&p.text_document.uri))
                    {
                        doc.text = text;
                    }
                    self.publish(connection, &p.text_document.uri);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    self.docs.remove(&p.text_document.uri);
                    send_diagnostics(connection, p.text_document.uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, connection: &Connection, req: Request) {
        let response = match req.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<lsp::CodeActionParams>(req.params) {
                    Ok(p) => Response::new_ok(req.id, self.code_actions(&p)),
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

    /// Findings of `uri`'s current text that this project reports.
    fn findings(&self, uri: &lsp::Uri) -> Vec<Finding> {
        let Some(doc) = self.docs.get(uri) else {
            return Vec::new();
        };
        let path = path_of(uri).unwrap_or_else(|| PathBuf::from(uri.as_str()));
        let outcome = self.engine.analyse(&path, doc.text.as_bytes());
        let rules = self.engine.rules();
        outcome
            .findings
            .into_iter()
            .filter(|f| !f.suppressed && f.confidence >= self.settings.min_confidence)
            .filter(|f| {
                rules
                    .rules()
                    .get(f.rule_index)
                    .is_some_and(|r| !self.settings.ignored_in_file(&path, r, rules))
            })
            .collect()
    }

    fn publish_due(&mut self, connection: &Connection) {
        let now = Instant::now();
        let due: Vec<lsp::Uri> = self
            .docs
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(u, _)| u.clone())
            .collect();
        for uri in due {
            self.publish(connection, &uri);
        }
    }

    fn publish(&mut self, connection: &Connection, uri: &lsp::Uri) {
        let findings = self.findings(uri);
        let Some(doc) = self.docs.get_mut(uri) else {
            return;
        };
        doc.due = None;
        let index = LineIndex::new(&doc.text);
        let rules = self.engine.rules().rules();
        let diagnostics = findings
            .iter()
            .map(|f| diagnostic(uri, &index, f, rules.get(f.rule_index)))
            .collect();
        send_diagnostics(connection, uri.clone(), diagnostics, Some(doc.version));
    }

    fn code_actions(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let uri = &p.text_document.uri;
        let Some(doc) = self.docs.get(uri) else {
            return Vec::new();
        };
        let index = LineIndex::new(&doc.text);
        let rules = self.engine.rules().rules();
        let mut actions = Vec::new();
        for f in self.findings(uri) {
            let range = index.finding_range(&f);
            let overlaps =
                range.start.line <= p.range.end.line && p.range.start.line <= range.end.line;
            if !overlaps {
                continue;
            }
            let diag = diagnostic(uri, &index, &f, rules.get(f.rule_index));
            for fix in crate::fix::fixes_of(&f) {
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
            let line = f.start.line.saturating_sub(1);
            let end = index.line_end(line);
            let edit = lsp::TextEdit {
                range: lsp::Range { start: end, end },
                new_text: format!("  # pyaudit: ignore[{}]", f.rule_id),
            };
            actions.push(action(
                format!("pyaudit: ignore {} on this line", f.rule_id),
                uri,
                vec![edit],
                &diag,
                false,
            ));
        }
        actions
    }
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

fn diagnostic(
    uri: &lsp::Uri,
    index: &LineIndex,
    f: &Finding,
    rule: Option<&Rule>,
) -> lsp::Diagnostic {
    let related: Vec<lsp::DiagnosticRelatedInformation> = f
        .flow
        .iter()
        .map(|s| lsp::DiagnosticRelatedInformation {
            location: lsp::Location {
                uri: uri.clone(),
                range: lsp::Range {
                    start: index.point(s.start),
                    end: index.point(s.end),
                },
            },
            message: s.note.clone(),
        })
        .collect();
    let href = rule
        .and_then(|r| r.help_uri.as_deref())
        .and_then(|u| u.parse::<lsp::Uri>().ok());
    let name = rule.map_or("", |r| r.name.as_str());
    lsp::Diagnostic {
        range: index.finding_range(f),
        severity: Some(severity(f.severity)),
        code: Some(lsp::NumberOrString::String(f.rule_id.clone())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("pyaudit".into()),
        message: format!("{} ({name}, {} confidence)", f.message, f.confidence),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}
