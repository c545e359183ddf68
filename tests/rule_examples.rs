//! The `vulnerable` and `fixed` examples of every built-in rule (shown on its docs page and by
//! `pyaudit explain`) are fixtures too: the vulnerable one must be flagged by its rule, the
//! fixed one must not be, and both must be complete Python 3 that parses (every name they use
//! is imported, defined or a builtin), so a reader can paste them as they are. An example
//! whose first line is a comment naming a file (`# proj/settings.py`) is scanned as that file.

use pyaudit::engine::Engine;
use pyaudit::finding::DiagnosticKind;
use pyaudit::rules::RuleSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Parses each example with Python's own parser (`ast.parse`: nothing is executed) and lists
/// names that are read but never bound in the example (not imported, assigned, defined, a
/// parameter or a builtin). Input: JSON list of sources; output: one JSON list per line.
const UNBOUND_NAMES: &str = r#"
import ast, builtins, json, sys
for src in json.load(sys.stdin):
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        print(json.dumps([f"syntax error: {e}"]))
        continue
    bound = set(dir(builtins))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    print(json.dumps(sorted(f"`{n}` is used but never imported or defined" for n in used - bound)))
"#;

fn python_problems(sources: &[&str]) -> Vec<Vec<String>> {
    let mut child = Command::new("python3")
        .args(["-c", UNBOUND_NAMES])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed to check the rule examples");
    let input = serde_json::to_string(sources).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed on the rule examples");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The file an example is scanned as: the path in a first-line comment (`# proj/settings.py`),
/// for rules that look at file names, or else a module of an application, which no rule's
/// path filter excludes.
fn example_path(example: &str) -> &str {
    let first = example.trim_start().lines().next().unwrap_or("");
    match first.strip_prefix("# ") {
        Some(p) if p.ends_with(".py") && !p.contains(' ') => p,
        _ => "app/views.py",
    }
}

#[test]
fn every_rule_example_is_a_working_fixture() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let engine = Engine::new(rules.clone(), true);
    let mut sources = Vec::new();
    for rule in rules.rules() {
        sources.push(rule.vulnerable.as_str());
        sources.push(rule.fixed.as_str());
    }
    let mut python = python_problems(&sources).into_iter();
    let mut problems = Vec::new();
    for rule in rules.rules() {
        for (kind, example, must_flag) in [
            ("vulnerable", &rule.vulnerable, true),
            ("fixed", &rule.fixed, false),
        ] {
            let at = format!("{} `{kind}` example ({})", rule.id, rule.origin);
            for p in python.next().unwrap() {
                problems.push(format!("{at}: {p}"));
            }
            let outcome = engine.analyse(Path::new(example_path(example)), example.as_bytes());
            for d in &outcome.diagnostics {
                if d.kind == DiagnosticKind::Syntax {
                    problems.push(format!("{at}: {}", d.message));
                }
            }
            // A finding folded into a taint finding on the same call still counts (`covered`).
            let flagged = outcome
                .findings
                .iter()
                .any(|f| f.rule_ids().any(|id| id == rule.id));
            if flagged != must_flag {
                problems.push(format!(
                    "{at}: {}",
                    if must_flag {
                        "not flagged by its rule"
                    } else {
                        "flagged by its own rule"
                    }
                ));
            }
        }
    }
    eprintln!(
        "rule examples: {} rules, {} examples checked",
        rules.rules().len(),
        sources.len()
    );
    assert!(
        problems.is_empty(),
        "{} rule example problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The References section lists each link once, whether a rule file names its CWE page
/// itself or leaves it to the `cwe` field.
#[test]
fn rule_pages_list_each_reference_once() {
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        let text = pyaudit::explain::explain(rule);
        let refs: Vec<&str> = text
            .split("## References\n")
            .nth(1)
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .collect();
        for (i, r) in refs.iter().enumerate() {
            assert!(
                !refs[..i].contains(r),
                "{}: {r} listed twice in References",
                rule.id
            );
        }
        for cwe in &rule.cwe {
            assert!(
                refs.contains(&pyaudit::explain::cwe_url(*cwe).as_str()),
                "{}: CWE-{cwe} not in References",
                rule.id
            );
        }
    }
}
