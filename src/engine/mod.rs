//! Analysing one file: decode, prefilter, parse, build the semantic model, match rules.

mod assignments;
mod class_facts;
mod conditions;
pub mod fingerprint;
mod literals;
mod param_defaults;
mod prefilter;
mod roundtrip;
mod test_locations;

pub use conditions::{ArgState, find_arg, holds, is_constant};
pub use prefilter::Prefilter;

use crate::fields::{self, FieldExt};
use crate::finding::{Diagnostic, DiagnosticKind, Finding};
use crate::rules::RuleSet;
use crate::semantic::Model;
use crate::source::{SourceText, decode};
use crate::taint::TaintEngine;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use tree_sitter::{Node, Parser, Tree};

/// At most this many findings are reported per file; beyond it the file is reported as not
/// fully scanned. Real code has a handful; a generated file with millions of sink calls
/// must not exhaust memory or flood the output.
pub const MAX_FINDINGS_PER_FILE: usize = 5_000;

/// Lines longer than this are not copied into findings (`line_text` stays empty): many
/// findings on one multi-megabyte line would otherwise hold a copy of it each.
pub const MAX_LINE_TEXT_BYTES: usize = 8 * 1024;

/// The text of `line` for a finding, or nothing when it is over [`MAX_LINE_TEXT_BYTES`].
pub(crate) fn line_text(source: &SourceText, line: usize) -> String {
    let text = source.line(line);
    if text.len() <= MAX_LINE_TEXT_BYTES {
        text.to_string()
    } else {
        String::new()
    }
}

/// What analysing one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the prefilter showed no rule could match, so the file was not parsed.
    pub parsed: bool,
    /// `# pyaudit: ignore` comments that silenced nothing.
    pub unused_suppressions: Vec<crate::suppress::UnusedSuppression>,
    /// Findings at this file's sinks as other modules will report them (for the lines
    /// the report needs).
    pub exported_sinks: Vec<Finding>,
}

/// What [`Engine::triage`] learns about a file from its bytes alone.
#[derive(Debug)]
pub struct Triage {
    /// (may hold a source, may hold a sink) for whole-program analysis; `None` without
    /// taint rules.
    pub role: Option<(bool, bool)>,
    /// The file's outcome when no rule can match it, exactly as [`Engine::analyse`] would
    /// give it: valid for a file analysed on its own with no registered handlers (a module
    /// of whole-program analysis, or one with handlers, may need the taint rules anyway).
    pub cleared: Option<FileOutcome>,
}

/// The rules plus the per-run machinery to apply them.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    use_prefilter: bool,
    taint: TaintEngine,
    /// Last names of the classes rule conditions list (see [`class_facts`]).
    class_words: Option<aho_corasick::AhoCorasick>,
}

thread_local! {
    // One parser per worker thread, reused across files.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses Python source with this thread's reused parser.
pub(crate) fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(text, None)
    })
}

impl Engine {
    /// An engine for `rules`; `use_prefilter = false` parses every file (for testing that the
    /// prefilter never changes results).
    pub fn new(rules: RuleSet, use_prefilter: bool) -> Engine {
        let prefilter = Prefilter::new(&rules);
        let taint = TaintEngine::new(&rules);
        let class_words = class_facts::class_words(&rules);
        Engine {
            rules,
            prefilter,
            use_prefilter,
            taint,
            class_words,
        }
    }

    /// A digest of everything in this engine that decides what it reports: the rules and
    /// taint models as loaded (user rule files and threat models included) and whether the
    /// prefilter runs. The result cache keys entries with it. `Debug` output covers every
    /// field and holds no hash maps, so it is the same in every run of one build.
    pub fn fingerprint(&self) -> [u8; 32] {
        let text = format!(
            "{:?}\n{:?}\n{}",
            self.rules.rules(),
            self.rules.taint_model(),
            self.use_prefilter
        );
        *blake3::hash(text.as_bytes()).as_bytes()
    }

    /// The rules this engine applies.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Analyses one file's bytes. `path` is only used to label results.
    pub fn analyse(&self, path: &Path, bytes: &[u8]) -> FileOutcome {
        self.analyse_in(
            path,
            bytes,
            None,
            &crate::project::registrations::NO_HANDLERS,
            false,
            None,
        )
        .0
    }

    /// The request-handler registrations a file makes (`path("x/", views.f)`), read
    /// before any module is analysed; empty for a file that mentions no registration call.
    pub fn registrations(
        &self,
        bytes: &[u8],
        imports: &[crate::project::imports::ImportRef],
    ) -> Vec<crate::project::registrations::Registration> {
        if !self.taint.may_register(bytes, imports) {
            return Vec::new();
        }
        let Ok((source, _)) = decode(bytes) else {
            return Vec::new();
        };
        let Some(tree) = parse(&source.text) else {
            return Vec::new();
        };
        let model = Model::build(tree.root_node(), source.text.as_bytes());
        self.taint.registrations(&model)
    }

    /// What a scan learns about a file from its bytes before any module is analysed: its
    /// taint role (a file that may hold neither a source nor a sink can only pass data
    /// along) and, when no rule can match it, its finished outcome (see [`Triage`]).
    /// One prefilter run serves both, so a file the prefilter clears is read and searched
    /// once per scan.
    pub fn triage(&self, path: &Path, bytes: &[u8]) -> Triage {
        let found = self.prefilter.applicable(bytes, path);
        let role = (!self.taint.is_empty()).then(|| {
            let source = self
                .rules
                .rules()
                .iter()
                .zip(&found)
                .any(|(r, &a)| a && r.taint.is_some());
            (source, self.taint.may_hold_sink(bytes))
        });
        let applicable = if self.use_prefilter {
            found
        } else {
            vec![true; self.rules.rules().len()]
        };
        Triage {
            role,
            cleared: self.cleared(path, bytes, &applicable),
        }
    }

    /// The outcome of a file that no applicable rule can match and that has no suppression
    /// comment to report on: only the binary check is left. `None` when it must be parsed.
    fn cleared(&self, path: &Path, bytes: &[u8], applicable: &[bool]) -> Option<FileOutcome> {
        // A file with suppression comments is still parsed, so that those can be reported
        // as unused. Decoding and indexing lines would be wasted work on most of a tree.
        if applicable.iter().any(|&a| a) || crate::suppress::mentions_directive(bytes) {
            return None;
        }
        let mut outcome = FileOutcome::default();
        if let Err(issue) = crate::source::check_not_binary(bytes) {
            outcome.diagnostics.push(Diagnostic {
                path: path.to_path_buf(),
                kind: issue.kind,
                line: issue.line,
                message: issue.message,
            });
        }
        Some(outcome)
    }

    /// Analyses one file as a module of a project: calls into other modules use the
    /// summaries `project` holds, and with `export` the file's own summary is returned for
    /// its importers (every taint rule then applies, since importers may bring the data).
    /// `handlers` are the module's functions that the project registers as request handlers.
    pub fn analyse_in(
        &self,
        path: &Path,
        bytes: &[u8],
        project: Option<crate::project::ProjectView>,
        handlers: &crate::project::registrations::Handlers,
        export: bool,
        classes: Option<crate::project::ProjectView>,
    ) -> (FileOutcome, Option<crate::project::ModuleSummary>) {
        let mut outcome = FileOutcome::default();
        let mut summary = None;
        let diag = |kind, line, message: String| Diagnostic {
            path: path.to_path_buf(),
            kind,
            line,
            message,
        };
        let mut applicable = if self.use_prefilter {
            self.prefilter.applicable(bytes, path)
        } else {
            vec![true; self.rules.rules().len()]
        };
        if export || !handlers.is_empty() {
            // Importers may bring the data, or the project registers handlers here (the
            // prefilter, reading this file alone, cannot know): every taint rule matters.
            for (a, r) in applicable.iter_mut().zip(self.rules.rules()) {
                *a |= r.taint.is_some();
            }
        }
        if let Some(cleared) = self.cleared(path, bytes, &applicable) {
            return (cleared, summary);
        }
        let (source, issue) = match decode(bytes) {
            Ok(ok) => ok,
            Err(issue) => {
                outcome
                    .diagnostics
                    .push(diag(issue.kind, issue.line, issue.message));
                return (outcome, summary);
            }
        };
        if let Some(issue) = issue {
            outcome
                .diagnostics
                .push(diag(issue.kind, issue.line, issue.message));
        }
        let Some(tree) = parse(&source.text) else {
            outcome.diagnostics.push(diag(
                DiagnosticKind::Incomplete,
                None,
                "the parser gave up on this file".into(),
            ));
            return (outcome, summary);
        };
        outcome.parsed = true;
        let root = tree.root_node();
        if root.has_error()
            && !outcome
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::Syntax)
        {
            let line = first_error_line(root);
            outcome.diagnostics.push(diag(
                DiagnosticKind::Syntax,
                Some(line),
                format!(
                    "syntax error at line {line} (not valid Python 3); analysed what the parser \
                     could recover, findings in the broken region may be missing"
                ),
            ));
        }
        let mut model = Model::build(root, source.text.as_bytes());
        model.classes = classes;
        if let Some(node) = model.python2
            && !outcome
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::Syntax)
        {
            let line = node.start_position().row + 1;
            outcome.diagnostics.push(diag(
                DiagnosticKind::Syntax,
                Some(line),
                format!(
                    "Python 2 syntax at line {line} (`{}` statement; not valid Python 3); \
                     analysed as far as it goes",
                    node.child(0).map_or("print", |k| k.kind_name())
                ),
            ));
        }
        outcome.findings = self.match_calls(path, &source, &model, &applicable);
        for m in assignments::match_forms(&self.rules, &model, root, path, &applicable) {
            outcome.findings.push(pattern_finding(
                &self.rules,
                path,
                &source,
                (m.node.start_byte(), m.end),
                (m.rule, m.pattern),
                &m.shown,
            ));
        }
        outcome
            .findings
            .sort_by(|a, b| (a.start, &a.rule_id).cmp(&(b.start, &b.rule_id)));
        if !self.taint.is_empty() {
            let t = self.taint.analyse(
                path,
                &source,
                &model,
                &self.rules,
                &applicable,
                project,
                handlers,
                export,
                &mut outcome.findings,
            );
            outcome.diagnostics.extend(t.diagnostics);
            summary = t.summary;
            outcome
                .findings
                .sort_by(|a, b| (a.start, &a.rule_id).cmp(&(b.start, &b.rule_id)));
        }
        if outcome.findings.len() > MAX_FINDINGS_PER_FILE {
            outcome.findings.truncate(MAX_FINDINGS_PER_FILE);
            let line = outcome.findings.last().map(|f| f.start.line);
            outcome.diagnostics.push(diag(
                DiagnosticKind::Incomplete,
                line,
                format!(
                    "more than {MAX_FINDINGS_PER_FILE} findings in this file; only the first \
                     {MAX_FINDINGS_PER_FILE} are reported"
                ),
            ));
        }
        fingerprint::assign(&mut outcome.findings);
        for f in &mut outcome.findings {
            // Reported at a sink in another file: fingerprinted with that file's findings.
            if f.path != path {
                f.fingerprint.clear();
            }
        }
        // Findings at sinks in other files took their suppressions there; sinks other
        // modules may reach are findings of this file, for its suppressions.
        let (mut local, remote): (Vec<Finding>, Vec<Finding>) =
            std::mem::take(&mut outcome.findings)
                .into_iter()
                .partition(|f| f.path == path);
        outcome.findings = std::mem::take(&mut local);
        let own = outcome.findings.len();
        if let Some(s) = summary.as_mut() {
            outcome.findings.append(&mut s.sinks);
        }
        outcome.unused_suppressions =
            crate::suppress::apply(root, &source.text, path, &mut outcome.findings, &self.rules);
        if let Some(s) = summary.as_mut() {
            s.sinks = outcome.findings.split_off(own);
            outcome.exported_sinks = s.sinks.clone();
            s.seal();
        }
        outcome.findings.extend(remote);
        crate::dedup::merge(&mut outcome.findings, &self.rules);
        (outcome, summary)
    }

    fn match_calls(
        &self,
        path: &Path,
        source: &SourceText,
        model: &Model,
        applicable: &[bool],
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        // `file_literals` verdicts, once per pattern and file: a file with many matching
        // calls must not rescan its strings for each.
        let mut literal_verdicts: HashMap<(usize, usize), bool> = HashMap::new();
        let mut literals: Option<Vec<String>> = None;
        let mut deferred = Vec::new();
        for site in &model.calls {
            let Some(function) = site.node.field(&fields::FUNCTION) else {
                continue;
            };
            let names = model.qualified_names(function, site.scope);
            let mut candidates: Vec<(usize, usize, String)> = Vec::new();
            for name in &names {
                for &(ri, pi) in self.rules.patterns_for_call(name) {
                    candidates.push((ri, pi, name.clone()));
                }
            }
            candidates.extend(assignments::suffix_candidates(&self.rules, model, function));
            // Patterns are tried in file order, whichever way they name the callee.
            candidates.sort_by_key(|&(ri, pi, _)| (ri, pi));
            // One finding per (call, rule): the first matching pattern decides.
            let mut fired: Vec<usize> = Vec::new();
            for (ri, pi, name) in &candidates {
                let (ri, pi) = (*ri, *pi);
                if !applicable[ri] || fired.contains(&ri) {
                    continue;
                }
                let rule = &self.rules.rules()[ri];
                let pattern = &rule.patterns[pi];
                if !(assignments::path_admits(pattern, path)
                    && (pattern.file_literals.is_empty()
                        || *literal_verdicts.entry((ri, pi)).or_insert_with(|| {
                            let all = literals
                                .get_or_insert_with(|| literals::file_strings(model, site.node));
                            all.iter()
                                .any(|s| pattern.file_literals.iter().any(|g| g.is_match(s)))
                        })))
                {
                    continue;
                }
                if !pattern
                    .conditions
                    .iter()
                    .all(|c| conditions::holds(model, site.node, site.scope, c))
                {
                    deferred.extend(param_defaults::defer(
                        model,
                        site.node,
                        site.scope,
                        (ri, pi),
                        &pattern.conditions,
                        name,
                    ));
                    continue;
                }
                if !roundtrip::self_produced(model, site.node, site.scope, name) {
                    fired.push(ri);
                    let mut f = self.finding(path, source, site.node, ri, pi, name);
                    f.fix = pattern.fix.as_ref().and_then(|spec| {
                        let mut fix =
                            crate::fix::compute(spec, site.node, source.text.as_bytes(), name)?;
                        fix.locate(source);
                        Some(fix)
                    });
                    findings.push(f);
                }
            }
            // Calls come in source order (pre-order walk), so the kept findings are the
            // file's first ones; one more than the cap tells the caller to say so.
            if findings.len() > MAX_FINDINGS_PER_FILE {
                break;
            }
        }
        let conditions_of =
            |ri: usize, pi: usize| self.rules.rules()[ri].patterns[pi].conditions.as_slice();
        for r in param_defaults::report(model, path, source, &deferred, conditions_of) {
            let d = r.deferred;
            if !applicable[d.rule]
                || findings.iter().any(|f: &Finding| {
                    f.rule_index == d.rule && f.start == source.position(r.at.start_byte())
                })
            {
                continue;
            }
            let mut f = self.finding(path, source, r.at, d.rule, d.pattern, &d.shown);
            f.message.push_str(&r.note);
            f.flow = r.flow;
            findings.push(f);
        }
        findings.sort_by(|a, b| (a.start, &a.rule_id).cmp(&(b.start, &b.rule_id)));
        findings
    }

    fn finding(
        &self,
        path: &Path,
        source: &SourceText,
        node: Node,
        ri: usize,
        pi: usize,
        qname: &str,
    ) -> Finding {
        pattern_finding(
            &self.rules,
            path,
            source,
            (node.start_byte(), node.end_byte()),
            (ri, pi),
            qname,
        )
    }
}

/// A finding of pattern `pi` of rule `ri` over the byte range `span`, with `shown` for
/// `{call}` in the message.
pub(crate) fn pattern_finding(
    rules: &RuleSet,
    path: &Path,
    source: &SourceText,
    span: (usize, usize),
    (ri, pi): (usize, usize),
    shown: &str,
) -> Finding {
    let rule = &rules.rules()[ri];
    let pattern = &rule.patterns[pi];
    let start = source.position(span.0);
    let end = source.position(span.1);
    Finding {
        rule_index: ri,
        rule_id: rule.id.clone(),
        path: path.to_path_buf(),
        start,
        end,
        severity: pattern.severity,
        confidence: pattern.confidence,
        message: pattern.message.replace("{call}", shown),
        line_text: line_text(source, start.line),
        fingerprint: String::new(),
        flow: Vec::new(),
        suppressed: false,
        fix: None,
        covered: Vec::new(),
        test_code: false,
    }
}

/// The line of the first syntax error, found without recursion: only subtrees that contain
/// an error are entered.
fn first_error_line(root: Node) -> usize {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            return node.start_position().row + 1;
        }
        let mut found = false;
        if cursor.goto_first_child() {
            loop {
                if cursor.node().has_error() {
                    found = true;
                    break;
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        if !found {
            return node.start_position().row + 1;
        }
    }
}
