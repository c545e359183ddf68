//! The fixture harness: every `*.py` under `fixtures/` carries inline expectations.
//!
//! `# ruleid: ID[, ID…]` says the next code line must be flagged by each ID; `# ok: ID[, ID…]`
//! says it must not be. Any finding on a line without a matching `ruleid` is a false alarm.
//! The harness also scans every fixture with the prefilter disabled and demands identical
//! findings, which checks the prefilter's soundness on the whole fixture set.

use pyaudit::engine::Engine;
use pyaudit::finding::Finding;
use pyaudit::rules::RuleSet;
use pyaudit::ruletest::parse_expectations;
use pyaudit::scan::{ScanOptions, scan};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            fixture_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "py") {
            out.push(p);
        }
    }
}

fn key(f: &Finding) -> (usize, String) {
    (f.start.line, f.rule_id.clone())
}

/// The groups of fixtures scanned together: each project under `fixtures/projects/` is one
/// scan, and so is each other top-level folder of `fixtures/` (a multi-module fixture such
/// as `taint/crossmod/` needs its neighbours).
fn scan_units(root: &Path) -> Vec<PathBuf> {
    let mut units = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for dir in entries {
        if dir.file_name().is_some_and(|n| n == "projects") {
            let mut projects: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            projects.sort();
            units.extend(projects);
        } else {
            units.push(dir);
        }
    }
    units
}

/// Scans `dir` as one project and returns the findings per file.
fn scan_unit(engine: &Engine, dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<Finding>> {
    let opts = ScanOptions {
        paths: vec![dir.to_path_buf()],
        threads: 2,
        ..ScanOptions::default()
    };
    let result = scan(engine, &opts).expect("fixture scan runs");
    let mut out: std::collections::BTreeMap<PathBuf, Vec<Finding>> = Default::default();
    for f in result.findings {
        out.entry(f.path.clone()).or_default().push(f);
    }
    out
}

#[test]
fn fixtures_match_their_annotations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let rules = RuleSet::builtin().expect("built-in rules load");
    let engine = Engine::new(rules.clone(), true);
    let unfiltered = Engine::new(rules.clone(), false);
    let mut files = Vec::new();
    fixture_files(&root, &mut files);
    assert!(
        !files.is_empty(),
        "no fixtures found under {}",
        root.display()
    );

    let mut problems = Vec::new();
    let mut flagged_by_rule: BTreeSet<String> = BTreeSet::new();
    let mut ok_by_rule: BTreeSet<String> = BTreeSet::new();
    let (mut total_must, mut total_must_not) = (0, 0);
    let (mut project_must, mut project_must_not) = (0, 0);
    let mut scanned = 0;
    for unit in scan_units(&root) {
        let got_all = scan_unit(&engine, &unit);
        let plain_all = scan_unit(&unfiltered, &unit);
        let mut unit_files = Vec::new();
        fixture_files(&unit, &mut unit_files);
        for (path, fs) in &got_all {
            if !unit_files.contains(path) {
                problems.push(format!(
                    "{}: {} finding(s) in a file that is not a fixture",
                    path.display(),
                    fs.len()
                ));
            }
        }
        let in_projects = unit.parent().is_some_and(|p| p.ends_with("projects"));
        for file in &unit_files {
            scanned += 1;
            let rel = file.strip_prefix(&root).unwrap().display().to_string();
            let bytes = std::fs::read(file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let exp = parse_expectations(&text);
            total_must += exp.must.len();
            total_must_not += exp.must_not.len();
            if in_projects {
                project_must += exp.must.len();
                project_must_not += exp.must_not.len();
            }
            for (_, id) in &exp.must {
                if rules.find(id).is_none() {
                    problems.push(format!("{rel}: annotation names unknown rule {id}"));
                }
                flagged_by_rule.insert(id.clone());
            }
            for (_, id) in &exp.must_not {
                ok_by_rule.insert(id.clone());
            }
            let findings = got_all.get(file).cloned().unwrap_or_default();
            let got: BTreeSet<(usize, String)> = findings.iter().map(key).collect();
            // A finding merged into a taint finding on the same call (`covered`) still
            // counts as reported by its rule, but never as a finding the annotations list.
            let covered: BTreeSet<(usize, String)> = findings
                .iter()
                .flat_map(|f| f.covered.iter().map(key))
                .collect();
            let reported: BTreeSet<(usize, String)> = got.union(&covered).cloned().collect();
            for (line, id) in exp.must.difference(&reported) {
                problems.push(format!("{rel}:{line}: MISSED {id}"));
            }
            let wrong_cover = covered.intersection(&exp.must_not).cloned();
            let unexpected: BTreeSet<(usize, String)> = got
                .difference(&exp.must)
                .cloned()
                .chain(wrong_cover)
                .collect();
            for (line, id) in &unexpected {
                let kind = if exp.must_not.contains(&(*line, id.clone())) {
                    "FALSE ALARM (marked ok)"
                } else {
                    "UNEXPECTED finding (no ruleid annotation)"
                };
                problems.push(format!("{rel}:{line}: {kind} {id}"));
            }
            let plain = plain_all.get(file).cloned().unwrap_or_default();
            if plain != findings {
                problems.push(format!(
                    "{rel}: findings differ with the prefilter disabled: {:?} vs {:?}",
                    plain.iter().map(key).collect::<Vec<_>>(),
                    findings.iter().map(key).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert_eq!(scanned, files.len(), "every fixture belongs to one scan");
    for rule in rules.rules() {
        if !flagged_by_rule.contains(&rule.id) {
            problems.push(format!("rule {} has no `# ruleid:` fixture case", rule.id));
        }
        if !ok_by_rule.contains(&rule.id) {
            problems.push(format!("rule {} has no `# ok:` fixture case", rule.id));
        }
    }
    eprintln!(
        "fixtures: {} files, {total_must} must-flag and {total_must_not} must-not-flag annotations \
         ({project_must} and {project_must_not} in fixtures/projects)",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} fixture problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
