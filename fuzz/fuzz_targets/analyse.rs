//! Arbitrary bytes through everything a scanned file reaches: decoding, parsing, the
//! semantic layer, every built-in rule and the text reporter. Any panic, overflow, hang
//! (libFuzzer's -timeout) or runaway allocation (-rss_limit_mb) is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pyaudit::engine::Engine;
use pyaudit::report::text;
use pyaudit::rules::RuleSet;
use pyaudit::scan::ScanResult;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    // Without the prefilter every input is parsed and matched, not only those that spell
    // a trigger name.
    ENGINE.get_or_init(|| Engine::new(RuleSet::builtin().expect("built-in rules"), false))
}

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    let outcome = engine.analyse(Path::new("fuzz.py"), data);
    let mut out = String::new();
    for d in &outcome.diagnostics {
        text::render_diagnostic(&mut out, d);
    }
    for f in &outcome.findings {
        assert!(f.start <= f.end, "finding ends before it starts: {f:?}");
        text::render_finding(&mut out, f, engine.rules());
    }
    let result = ScanResult {
        findings: outcome.findings,
        diagnostics: outcome.diagnostics,
        files_scanned: 1,
        files_parsed: usize::from(outcome.parsed),
        roots: vec![PathBuf::from(".")],
        ..ScanResult::default()
    };
    let shown: Vec<_> = result.findings.iter().collect();
    text::render_summary(&mut out, &result, &shown);
    // Nothing from the input may reach a terminal raw. The reporter's own colours are SGR
    // sequences (`ESC [ digits m`); anything else with ESC, or any other control, leaked.
    let plain = strip_sgr(&out);
    assert!(
        !plain.chars().any(|c| (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)),
        "unescaped control character in text output: {plain:?}"
    );
    // TODO(sarif): when the SARIF writer lands from the ci-gate branch, render `result`
    // with it here and check it is valid JSON with every location inside the input.
});

fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let body = tail.strip_prefix('[').unwrap_or("");
        let digits = body.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        match digits {
            Some(n) if !tail.is_empty() && body[n..].starts_with('m') => {
                rest = &body[n + 1..];
            }
            _ => {
                // Keep the ESC so the assertion reports it.
                out.push('\u{1b}');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}
