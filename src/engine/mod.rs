//! Analysing one file: decode, prefilter, parse, build the semantic model, match rules.

mod assignments;
mod class_facts;
mod conditions;
pub mod fingerprint;
mod literals;
mod param_defaults;
mod parts;
mod prefilter;
mod prose;
mod roundtrip;
mod test_locations;

pub use conditions::{ArgState, find_arg, holds, is_constant};
pub use parts::{MAX_CARRIED_IMPORT_BYTES, PART_BYTES, PART_BYTES_VAR};
pub use prefilter::Prefilter;

use crate::fields::{self, FieldExt};
use crate::finding::{Diagnostic, DiagnosticKind, Finding};
use crate::rules::RuleSet;
use crate::semantic::Model;
use crate::source::{SourceText, decode};
use crate::taint::TaintEngine;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
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
    /// The file's bytes with its comments and string statements blanked (see [`prose`]):
    /// the text the probe's other word searches read.
    pub code: Vec<u8>,
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
    /// Files larger than this are analysed in parts of about this size (see [`parts`]).
    part_bytes: usize,
}

thread_local! {
    // One parser per worker thread, reused across files.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's reused parser.
fn with_parser<T>(f: impl FnOnce(&mut Parser) -> Option<T>) -> Option<T> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        f(slot.as_mut()?)
    })
}

/// Parses Python source with this thread's reused parser.
pub(crate) fn parse(text: &str) -> Option<Tree> {
    with_parser(|parser| parser.parse(text, None))
}

/// Parses only the byte `ranges` of `source` (in order, not overlapping); the tree's
/// positions are those of the whole text.
fn parse_ranges(source: &SourceText, ranges: &[Range<usize>]) -> Option<Tree> {
    let point = |byte: usize| {
        let p = source.position(byte);
        tree_sitter::Point {
            row: p.line - 1,
            column: p.byte_col,
        }
    };
    let ranges: Vec<tree_sitter::Range> = ranges
        .iter()
        .map(|r| tree_sitter::Range {
            start_byte: r.start,
            end_byte: r.end,
            start_point: point(r.start),
            end_point: point(r.end),
        })
        .collect();
    with_parser(|parser| {
        parser.set_included_ranges(&ranges).ok()?;
        let tree = parser.parse(&source.text, None);
        // The parser is reused for whole files.
        let reset = parser.set_included_ranges(&[]);
        reset.ok().and(tree)
    })
}

/// Part `i` of `layout` parsed (the whole text when it is the only part).
fn parse_part(source: &SourceText, layout: &parts::Layout, i: usize) -> Option<Tree> {
    if layout.parts.len() == 1 {
        parse(&source.text)
    } else {
        parse_ranges(source, &layout.ranges(i))
    }
}

/// Adds `d` unless it says again what is already said: one syntax diagnostic per file
/// (the first), and each other message once (parts of a file may each report it).
fn push_diagnostic(diagnostics: &mut Vec<Diagnostic>, d: Diagnostic) {
    let said = diagnostics
        .iter()
        .any(|e| e.kind == d.kind && (d.kind == DiagnosticKind::Syntax || e.message == d.message));
    if !said {
        diagnostics.push(d);
    }
}

/// What analysing one part of a file (or the whole file) produced.
struct PartOutcome {
    /// Findings in this file, in source order, suppressions applied.
    local: Vec<Finding>,
    /// Findings at sinks in other files reached from here.
    remote: Vec<Finding>,
    unused_suppressions: Vec<crate::suppress::UnusedSuppression>,
    /// The part's sealed module summary, when asked for.
    summary: Option<crate::project::ModuleSummary>,
    /// The summary's sink findings, for the lines the report needs.
    exported_sinks: Vec<Finding>,
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
            part_bytes: parts::part_bytes(),
        }
    }

    /// A digest of everything in this engine that decides what it reports: the rules and
    /// taint models as loaded (user rule files and threat models included) and whether the
    /// prefilter runs. The result cache keys entries with it. `Debug` output covers every
    /// field and holds no hash maps, so it is the same in every run of one build.
    pub fn fingerprint(&self) -> [u8; 32] {
        let text = format!(
            "{:?}\n{:?}\n{}\n{}",
            self.rules.rules(),
            self.rules.taint_model(),
            self.use_prefilter,
            self.part_bytes
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
    /// before any module is analysed; empty for a file whose code (`code`, the bytes with
    /// their prose blanked, see [`Triage::code`]) mentions no registration call.
    pub fn registrations(
        &self,
        bytes: &[u8],
        code: &[u8],
        imports: &[crate::project::imports::ImportRef],
    ) -> Vec<crate::project::registrations::Registration> {
        if !self.taint.may_register(code, imports) {
            return Vec::new();
        }
        let Ok((source, _)) = decode(bytes) else {
            return Vec::new();
        };
        // Part by part, as the analysis reads a huge module.
        let layout = parts::layout(&source.text, self.part_bytes);
        let mut out: Vec<crate::project::registrations::Registration> = Vec::new();
        for i in 0..layout.parts.len() {
            let Some(tree) = parse_part(&source, &layout, i) else {
                continue;
            };
            let model = Model::build(tree.root_node(), source.text.as_bytes());
            for r in self.taint.registrations(&model) {
                // A carried import line may hold a registration too.
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// What a scan learns about a file from its bytes before any module is analysed: its
    /// taint role (a file that may hold neither a source nor a sink can only pass data
    /// along) and, when no rule can match it, its finished outcome (see [`Triage`]).
    /// One prefilter run serves both, so a file the prefilter clears is read and searched
    /// once per scan. Words in comments and string statements do not count (see [`prose`]).
    pub fn triage(&self, path: &Path, bytes: &[u8]) -> Triage {
        let code = prose::code_only(bytes);
        let found = self.prefilter.applicable(&code, path);
        let role = (!self.taint.is_empty()).then(|| {
            let source = self
                .rules
                .rules()
                .iter()
                .zip(&found)
                .any(|(r, &a)| a && r.taint.is_some());
            (source, self.taint.may_hold_sink(&code))
        });
        let applicable = if self.use_prefilter {
            found
        } else {
            vec![true; self.rules.rules().len()]
        };
        Triage {
            role,
            cleared: self.cleared(path, bytes, &applicable),
            code,
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
            self.prefilter.applicable(&prose::code_only(bytes), path)
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
        let layout = parts::layout(&source.text, self.part_bytes);
        let mut done: Vec<PartOutcome> = Vec::new();
        for i in 0..layout.parts.len() {
            let Some(tree) = parse_part(&source, &layout, i) else {
                push_diagnostic(
                    &mut outcome.diagnostics,
                    diag(
                        DiagnosticKind::Incomplete,
                        None,
                        "the parser gave up on this file".into(),
                    ),
                );
                continue;
            };
            outcome.parsed = true;
            // A part's findings are those in its own lines: carried imports belong to
            // the part they are in.
            let own = (layout.parts.len() > 1).then(|| {
                let r = &layout.parts[i];
                source.position(r.start).line..=source.position(r.end - 1).line
            });
            let part = self.analyse_tree(
                path,
                &source,
                tree.root_node(),
                (&applicable, project, handlers, export, classes),
                own,
                &mut outcome.diagnostics,
            );
            done.push(part);
        }
        if layout.parts.len() > 1 {
            let mut message = format!(
                "{} bytes is over the {}-byte part size, so this file was analysed in {} \
                 parts of top-level statements, each with the file's top-level imports; \
                 flows between parts (through module-level variables or calls to functions \
                 of this file) and patterns that look at string literals elsewhere in the \
                 file may be missed",
                source.text.len(),
                self.part_bytes,
                layout.parts.len()
            );
            if layout.imports_left > 0 {
                message.push_str(&format!(
                    "; {} top-level import statements past the first {} bytes of them were \
                     not carried into other parts",
                    layout.imports_left,
                    parts::MAX_CARRIED_IMPORT_BYTES
                ));
            }
            push_diagnostic(
                &mut outcome.diagnostics,
                diag(DiagnosticKind::Split, None, message),
            );
        }
        let split = done.len() > 1;
        let mut remote = Vec::new();
        for part in done {
            outcome.findings.extend(part.local);
            remote.extend(part.remote);
            outcome.unused_suppressions.extend(part.unused_suppressions);
            outcome.exported_sinks.extend(part.exported_sinks);
            if let Some(s) = part.summary {
                match summary.as_mut() {
                    None => summary = Some(s),
                    Some(all) => all.absorb(s),
                }
            }
        }
        if split {
            // Occurrence counts run over the whole file, as for a file in one part.
            fingerprint::assign_with_covered(&mut outcome.findings);
            if outcome.findings.len() + remote.len() > MAX_FINDINGS_PER_FILE {
                outcome.findings.truncate(MAX_FINDINGS_PER_FILE);
                remote.truncate(MAX_FINDINGS_PER_FILE - outcome.findings.len());
                let line = outcome.findings.last().map(|f| f.start.line);
                push_diagnostic(&mut outcome.diagnostics, too_many(path, line));
            }
        }
        outcome.findings.extend(remote);
        (outcome, summary)
    }

    /// Analyses one parsed tree: the whole file, or with `own` the part of it on those
    /// lines (findings elsewhere, in carried import statements, are another part's).
    /// Diagnostics go to `diagnostics`.
    fn analyse_tree(
        &self,
        path: &Path,
        source: &SourceText,
        root: Node,
        (applicable, project, handlers, export, classes): (
            &[bool],
            Option<crate::project::ProjectView>,
            &crate::project::registrations::Handlers,
            bool,
            Option<crate::project::ProjectView>,
        ),
        own: Option<std::ops::RangeInclusive<usize>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> PartOutcome {
        let syntax = |diagnostics: &mut Vec<Diagnostic>, line: usize, message: String| {
            let d = Diagnostic {
                path: path.to_path_buf(),
                kind: DiagnosticKind::Syntax,
                line: Some(line),
                message,
            };
            push_diagnostic(diagnostics, d);
        };
        if root.has_error() {
            let line = first_error_line(root);
            syntax(
                diagnostics,
                line,
                format!(
                    "syntax error at line {line} (not valid Python 3); analysed what the \
                     parser could recover, findings in the broken region may be missing"
                ),
            );
        }
        let mut model = Model::build(root, source.text.as_bytes());
        model.classes = classes;
        if let Some(node) = model.python2 {
            let line = node.start_position().row + 1;
            syntax(
                diagnostics,
                line,
                format!(
                    "Python 2 syntax at line {line} (`{}` statement; not valid Python 3); \
                     analysed as far as it goes",
                    node.child(0).map_or("print", |k| k.kind_name())
                ),
            );
        }
        let mut findings = self.match_calls(path, source, &model, applicable);
        for m in assignments::match_forms(&self.rules, &model, root, path, applicable) {
            findings.push(pattern_finding(
                &self.rules,
                path,
                source,
                (m.node.start_byte(), m.end),
                (m.rule, m.pattern),
                &m.shown,
            ));
        }
        findings.sort_by(|a, b| (a.start, &a.rule_id).cmp(&(b.start, &b.rule_id)));
        let mut summary = None;
        if !self.taint.is_empty() {
            let t = self.taint.analyse(
                path,
                source,
                &model,
                &self.rules,
                applicable,
                project,
                handlers,
                export,
                &mut findings,
            );
            for d in t.diagnostics {
                push_diagnostic(diagnostics, d);
            }
            summary = t.summary;
            findings.sort_by(|a, b| (a.start, &a.rule_id).cmp(&(b.start, &b.rule_id)));
        }
        if let Some(own) = &own {
            findings.retain(|f| f.path != path || own.contains(&f.start.line));
        }
        if findings.len() > MAX_FINDINGS_PER_FILE {
            findings.truncate(MAX_FINDINGS_PER_FILE);
            let line = findings.last().map(|f| f.start.line);
            push_diagnostic(diagnostics, too_many(path, line));
        }
        fingerprint::assign(&mut findings);
        for f in &mut findings {
            // Reported at a sink in another file: fingerprinted with that file's findings.
            if f.path != path {
                f.fingerprint.clear();
            }
        }
        // Findings at sinks in other files took their suppressions there; sinks other
        // modules may reach are findings of this file, for its suppressions.
        let (mut local, remote): (Vec<Finding>, Vec<Finding>) =
            findings.into_iter().partition(|f| f.path == path);
        let own_count = local.len();
        if let Some(s) = summary.as_mut() {
            local.append(&mut s.sinks);
        }
        let mut unused = crate::suppress::apply(root, &source.text, path, &mut local, &self.rules);
        if let Some(own) = &own {
            unused.retain(|u| own.contains(&u.line));
        }
        let mut exported_sinks = Vec::new();
        if let Some(s) = summary.as_mut() {
            s.sinks = local.split_off(own_count);
            exported_sinks = s.sinks.clone();
            s.seal();
        }
        crate::dedup::merge(&mut local, &self.rules);
        PartOutcome {
            local,
            remote,
            unused_suppressions: unused,
            summary,
            exported_sinks,
        }
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

/// The diagnostic of a file with more than [`MAX_FINDINGS_PER_FILE`] findings, the last
/// kept one on `line`.
fn too_many(path: &Path, line: Option<usize>) -> Diagnostic {
    Diagnostic {
        path: path.to_path_buf(),
        kind: DiagnosticKind::Incomplete,
        line,
        message: format!(
            "more than {MAX_FINDINGS_PER_FILE} findings in this file; only the first \
             {MAX_FINDINGS_PER_FILE} are reported"
        ),
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
