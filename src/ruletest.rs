//! Rule tests: inline `# ruleid: ID` / `# ok: ID` expectations in Python fixture files,
//! checked against what the engine reports. `pyaudit test` runs them for user rules; the
//! expectation parsing and comparison are the same as the built-in fixture harness's
//! (`tests/fixtures.rs`), written here so both can share one copy.
//!
//! `# ruleid: ID[, ID…]` says the next code line must be flagged by each ID; `# ok: ID[, …]`
//! says it must not be. A finding of a rule under test on a line without a matching `ruleid`
//! is a false alarm.

use crate::engine::Engine;
use crate::finding::Finding;
use crate::rules::{Loaded, Parsed, Rule, RuleSet, load_dir, parse_file};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// The expectations of one fixture file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// (line, rule id) that must be reported.
    pub must: BTreeSet<(usize, String)>,
    /// (line, rule id) that must not be reported.
    pub must_not: BTreeSet<(usize, String)>,
}

/// Reads the `# ruleid:` / `# ok:` comments of a fixture. Each applies to the next line that
/// is neither blank nor a comment.
pub fn parse_expectations(text: &str) -> Expectations {
    let mut exp = Expectations::default();
    let mut pending: Vec<(bool, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let (is_must, rest) = if let Some(r) = t.strip_prefix("# ruleid:") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("# ok:") {
            (false, r)
        } else {
            if !pending.is_empty() && !t.is_empty() && !t.starts_with('#') {
                for (must, id) in pending.drain(..) {
                    let set = if must {
                        &mut exp.must
                    } else {
                        &mut exp.must_not
                    };
                    set.insert((i + 1, id));
                }
            }
            continue;
        };
        for id in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            pending.push((is_must, id.to_string()));
        }
    }
    exp
}

/// How a fixture line disagrees with its expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MismatchKind {
    /// A `ruleid` line the rule did not flag.
    Missed,
    /// A finding on a line marked `ok` for that rule.
    FalseAlarm,
    /// A finding on a line with no `ruleid` for that rule.
    Unexpected,
}

/// One disagreement, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mismatch {
    pub line: usize,
    pub rule_id: String,
    pub kind: MismatchKind,
}

impl fmt::Display for Mismatch {
    /// `LINE: MISSED ID`, the form the fixture harness prints after the file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            MismatchKind::Missed => "MISSED",
            MismatchKind::FalseAlarm => "FALSE ALARM (marked ok)",
            MismatchKind::Unexpected => "UNEXPECTED finding (no ruleid annotation)",
        };
        write!(f, "{}: {what} {}", self.line, self.rule_id)
    }
}

/// Compares `findings` with `exp`, looking only at rules for which `counts` is true
/// (expectations and findings of other rules are ignored).
pub fn compare(
    exp: &Expectations,
    findings: &[Finding],
    counts: impl Fn(&str) -> bool,
) -> Vec<Mismatch> {
    let got: BTreeSet<(usize, String)> = findings
        .iter()
        .filter(|f| counts(&f.rule_id))
        .map(|f| (f.start.line, f.rule_id.clone()))
        .collect();
    let mut out = Vec::new();
    for (line, id) in exp.must.iter().filter(|(_, id)| counts(id)) {
        if !got.contains(&(*line, id.clone())) {
            out.push(Mismatch {
                line: *line,
                rule_id: id.clone(),
                kind: MismatchKind::Missed,
            });
        }
    }
    for (line, id) in got.difference(&exp.must) {
        let kind = if exp.must_not.contains(&(*line, id.clone())) {
            MismatchKind::FalseAlarm
        } else {
            MismatchKind::Unexpected
        };
        out.push(Mismatch {
            line: *line,
            rule_id: id.clone(),
            kind,
        });
    }
    out.sort();
    out
}

/// Every `*.py` under `dir`, sorted; at most `MAX_WALK` directories are visited. A
/// symbolic link named `*.py` counts when it resolves inside `dir` (to a regular file, or to
/// a device or FIFO, which the bounded read then refuses so the run fails instead of
/// skipping it); links that leave `dir` or resolve to nothing are returned as warnings.
pub fn fixture_files(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<String>)> {
    const MAX_WALK: usize = 10_000;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let root = dir.canonicalize()?;
    let mut stack = vec![dir.to_path_buf()];
    let mut visited = 0;
    while let Some(d) = stack.pop() {
        visited += 1;
        if visited > MAX_WALK {
            break;
        }
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let p = entry.path();
            let ft = entry.file_type()?;
            let is_py = p.extension().is_some_and(|x| x == "py");
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() && is_py {
                out.push(p);
            } else if ft.is_symlink() && is_py {
                // Directory links are not followed (no cycles); file links are, but only to
                // targets inside the folder the user named.
                match p.canonicalize() {
                    Ok(target) if target.starts_with(&root) && !target.is_dir() => out.push(p),
                    Ok(target) => warnings.push(format!(
                        "{}: links to {}, outside {}; not tested",
                        p.display(),
                        target.display(),
                        dir.display()
                    )),
                    Err(e) => {
                        warnings.push(format!("{}: broken link ({e}); not tested", p.display()))
                    }
                }
            }
        }
    }
    out.sort();
    Ok((out, warnings))
}

/// What `pyaudit test` found.
#[derive(Debug, Default)]
pub struct TestReport {
    /// `file:line: …` lines for misses, false alarms and unexpected findings, and
    /// `file: …` lines for annotations naming unknown rules: each fails the run.
    pub failures: Vec<String>,
    /// Rules without cases and patterns no fixture exercises: printed, not failing.
    pub warnings: Vec<String>,
    pub rules: usize,
    pub files: usize,
    pub expectations: usize,
}

/// The rules and fixtures `paths` name: a directory stands for every rule file and every
/// `*.py` under it; a rule file for itself and the `<stem>.py` beside it.
fn collect(paths: &[PathBuf]) -> Result<(Loaded, Vec<PathBuf>, Vec<String>), String> {
    let mut loaded = Loaded::default();
    let mut fixtures = Vec::new();
    let mut warnings = Vec::new();
    for p in paths {
        if p.is_dir() {
            let more = load_dir(p).map_err(|e| format!("bad rule file: {e}"))?;
            loaded.rules.extend(more.rules);
            loaded.models.extend(more.models);
            let (found, skipped) =
                fixture_files(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
            fixtures.extend(found);
            warnings.extend(skipped);
        } else if p.extension().is_some_and(|x| x == "toml") {
            let text = crate::bounded_read::read_text(p, crate::bounded_read::DATA_LIMIT)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            match parse_file(&p.display().to_string(), &text)
                .map_err(|e| format!("bad rule file: {e}"))?
            {
                Parsed::Rule(r) => loaded.rules.push(*r),
                Parsed::Model(m) => loaded.models.push(*m),
            }
            let fixture = p.with_extension("py");
            // Any entry counts (not only a regular file), so that a fixture linked to a device
            // fails the run instead of being skipped.
            if fixture.symlink_metadata().is_ok() {
                fixtures.push(fixture);
            }
        } else {
            return Err(format!(
                "{}: not a rules directory or a rule file (*.toml)",
                p.display()
            ));
        }
    }
    fixtures.sort();
    fixtures.dedup();
    Ok((loaded, fixtures, warnings))
}

/// Runs the fixtures of the rules under `paths` against those rules (built-in rules are
/// loaded too, so user taint rules can name them in `from_rules`, but only the rules under
/// test are checked). Errors (bad rule files, unreadable paths) are ready to print.
pub fn run(paths: &[PathBuf]) -> Result<TestReport, String> {
    let (loaded, fixtures, skipped) = collect(paths)?;
    let tested: BTreeSet<String> = loaded.rules.iter().map(|r| r.id.clone()).collect();
    let mut all = crate::rules::builtin_rules().map_err(|e| format!("bad rule file: {e}"))?;
    all.rules.extend(loaded.rules);
    all.models.extend(loaded.models);
    let full = RuleSet::from_loaded(all).map_err(|e| format!("bad rule file: {e}"))?;
    let known = |id: &str| full.find(id).is_some();
    let rules = full
        .clone()
        .retain(|r| tested.contains(&r.id))
        .map_err(|e| format!("bad rule file: {e}"))?;
    let engine = Engine::new(rules.clone(), true);
    let unfiltered = Engine::new(rules.clone(), false);
    let counts = |id: &str| tested.iter().any(|t| t.eq_ignore_ascii_case(id));

    let mut report = TestReport {
        rules: tested.len(),
        files: fixtures.len(),
        warnings: skipped,
        ..TestReport::default()
    };
    let mut flagged: BTreeSet<String> = BTreeSet::new();
    let mut sources: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for file in &fixtures {
        let shown = file.display();
        // Fixtures are sources: the scan's file-size limit applies, and a link to a device
        // (`/dev/zero`) or a FIFO is refused instead of read without end.
        let bytes = crate::bounded_read::read(file, crate::scan::DEFAULT_MAX_FILE_BYTES)
            .map_err(|e| format!("{shown}: {e}"))?;
        let exp = parse_expectations(&String::from_utf8_lossy(&bytes));
        for (line, id) in exp.must.iter().chain(&exp.must_not) {
            if !known(id) {
                report.failures.push(format!(
                    "{shown}:{line}: annotation names unknown rule {id}"
                ));
            }
        }
        report.expectations += exp
            .must
            .iter()
            .chain(&exp.must_not)
            .filter(|(_, id)| counts(id))
            .count();
        flagged.extend(exp.must.iter().map(|(_, id)| id.to_ascii_uppercase()));
        let outcome = engine.analyse(file, &bytes);
        for m in compare(&exp, &outcome.findings, counts) {
            report.failures.push(format!("{shown}:{m}"));
        }
        if unfiltered.analyse(file, &bytes).findings != outcome.findings {
            report.failures.push(format!(
                "{shown}: findings differ with the prefilter disabled (please report this)"
            ));
        }
        sources.push((file.clone(), bytes));
    }
    for rule in rules.rules() {
        if !flagged.contains(&rule.id.to_ascii_uppercase()) {
            report.warnings.push(format!(
                "{}: rule {} has no `# ruleid:` case in the fixtures",
                rule.origin, rule.id
            ));
        }
        report.warnings.extend(unexercised_patterns(rule, &sources));
    }
    Ok(report)
}

/// One warning per call pattern of `rule` that matches no line of the fixtures when it is
/// the rule's only pattern (a misspelt callee name, a condition that can never hold).
fn unexercised_patterns(rule: &Rule, sources: &[(PathBuf, Vec<u8>)]) -> Vec<String> {
    if rule.taint.is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, pattern) in rule.patterns.iter().enumerate() {
        let mut alone = rule.clone();
        alone.patterns = vec![pattern.clone()];
        let Ok(set) = RuleSet::new(vec![alone]) else {
            continue;
        };
        let engine = Engine::new(set, true);
        let hit = sources
            .iter()
            .any(|(p, b)| !engine.analyse(p, b).findings.is_empty());
        if !hit {
            out.push(format!(
                "{}: pattern {} of {} (calls {}) matches nothing in the fixtures",
                rule.origin,
                i + 1,
                rule.id,
                pattern.calls.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_apply_to_the_next_code_line() {
        let exp = parse_expectations(
            "# ruleid: A1, B2\n\n# a comment\nx = 1\n# ok: A1\ny = 2\n# ruleid: C3\n",
        );
        let must: Vec<_> = exp.must.iter().cloned().collect();
        assert_eq!(must, [(4, "A1".into()), (4, "B2".into())]);
        assert_eq!(exp.must_not.iter().next(), Some(&(6, "A1".into())));
    }
}
