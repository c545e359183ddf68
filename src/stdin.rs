//! `pyaudit scan - --stdin-filename PATH`: analysing source read from standard input, for
//! editors and pipes. The name labels the results and decides which `per-file-ignores`
//! apply; nothing is read from that path.

use crate::engine::Engine;
use crate::finding::{Diagnostic, DiagnosticKind};
use crate::scan::ScanResult;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Analyses `bytes` as the file `name`, as a scan of that one file would.
pub fn scan_bytes(engine: &Engine, name: &Path, bytes: &[u8], max_bytes: u64) -> ScanResult {
    let started = Instant::now();
    let mut result = ScanResult {
        roots: vec![name.to_path_buf()],
        ..ScanResult::default()
    };
    if bytes.len() as u64 > max_bytes {
        result.diagnostics.push(Diagnostic {
            path: name.to_path_buf(),
            kind: DiagnosticKind::TooLarge,
            line: None,
            message: format!("over the {max_bytes}-byte limit (--max-file-size); not analysed"),
        });
        return result;
    }
    let outcome = engine.analyse(name, bytes);
    result.files_scanned = usize::from(
        !outcome
            .diagnostics
            .iter()
            .any(|d| d.kind == DiagnosticKind::Binary),
    );
    result.files_parsed = usize::from(outcome.parsed);
    let lines = crate::scan::extra_lines(name, bytes, outcome.findings.iter());
    result.lines = std::sync::Arc::new(
        lines
            .into_iter()
            .map(|(l, t)| ((name.to_path_buf(), l), t))
            .collect(),
    );
    result.findings = outcome.findings;
    result.diagnostics = outcome.diagnostics;
    result.unused_suppressions = outcome.unused_suppressions;
    result.elapsed = started.elapsed();
    result
}

/// Reads standard input (at most one byte over `max_bytes`, so an endless pipe cannot
/// exhaust memory) and analyses it as `name`.
pub fn scan_stdin(engine: &Engine, name: &Path, max_bytes: u64) -> std::io::Result<ScanResult> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(scan_bytes(engine, name, &bytes, max_bytes))
}
