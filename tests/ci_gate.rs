//! End-to-end tests of the CI features on the built binary: output formats (SARIF checked
//! against the SARIF 2.1.0 schema, Microsoft's multitool and GitHub's ingestion rules), the gate flags, suppressions, baselines and configuration.

mod common;

use common::{pyaudit, stderr, stdout, write};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

const VULN: &str = "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n";

// ---------------------------------------------------------------- the SARIF validator

mod github_sarif;

/// The python of the SARIF validator that scripts/setup-sarif-validator installs (it runs
/// scripts/validate-sarif.py: schema and Microsoft's multitool), or `None` after a loud
/// message when it is not installed. With `CI` set that is a failure, never a skip.
fn validator_python() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("PYAUDIT_SARIF_VALIDATOR_DIR")
        .map_or_else(|| repo.join("target/sarif-validator"), PathBuf::from);
    let python = dir.join("venv/bin/python");
    if python.is_file() {
        return Some(python);
    }
    let problem = format!(
        "{} is missing: run ./scripts/setup-sarif-validator (./scripts/test does)",
        python.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("SARIF validator cannot run: {problem}");
    }
    eprintln!("\n!!!!! SKIPPING SARIF SCHEMA AND MULTITOOL VALIDATION: {problem} !!!!!\n");
    None
}

/// Validates a SARIF file: GitHub's ingestion rules (always) and, when installed, the
/// SARIF 2.1.0 schema and the multitool. `Err` holds every problem found.
fn validate(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).unwrap();
    let github = github_sarif::problems(&text);
    let mut report = String::new();
    let mut ok = github.is_empty();
    for p in &github {
        report += &format!("ERROR github {p}\n");
    }
    if let Some(python) = validator_python() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-sarif.py");
        let o = Command::new(python)
            .arg(script)
            .arg(file)
            .output()
            .expect("run scripts/validate-sarif.py");
        report += &format!("{}{}", stdout(&o), stderr(&o));
        match o.status.code() {
            Some(0) => {}
            Some(1) => ok = false,
            _ => panic!("the SARIF validator could not run:\n{report}"),
        }
    }
    if ok { Ok(report) } else { Err(report) }
}

/// A minimal log GitHub and the schema accept; the rejection tests break one thing each.
fn minimal_log() -> Value {
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pyaudit", "rules": [{
                "id": "PYA101",
                "shortDescription": {"text": "short"},
                "fullDescription": {"text": "full"},
                "help": {"text": "help"},
                "properties": {"tags": ["security"], "security-severity": "8.0", "precision": "high"}
            }]}},
            "results": [{
                "ruleId": "PYA101",
                "ruleIndex": 0,
                "level": "error",
                "message": {"text": "pickle.loads"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": "src/app.py"},
                    "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 20}
                }}],
                "partialFingerprints": {"pyaudit/v1": "0123456789abcdef"}
            }]
        }]
    })
}

#[test]
fn github_checks_reject_what_code_scanning_rejects() {
    let problems = |log: &Value| github_sarif::problems(&log.to_string());
    assert_eq!(problems(&minimal_log()), Vec::<String>::new());

    type Break = fn(&mut Value);
    let cases: [(&str, Break, &str); 10] = [
        (
            "absolute-uri",
            |l| {
                l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                    ["uri"] = "/src/app.py".into()
            },
            "not a relative path",
        ),
        (
            "scheme-uri",
            |l| {
                l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                    ["uri"] = "https://example.com/app.py".into()
            },
            "not a relative path",
        ),
        (
            "dotdot-uri",
            |l| {
                l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                    ["uri"] = "../app.py".into()
            },
            "not a relative path",
        ),
        (
            "no-fingerprint",
            |l| {
                l["runs"][0]["results"][0]
                    .as_object_mut()
                    .unwrap()
                    .retain(|k, _| k != "partialFingerprints")
            },
            "partialFingerprints",
        ),
        (
            "no-help",
            |l| {
                l["runs"][0]["tool"]["driver"]["rules"][0]
                    .as_object_mut()
                    .unwrap()
                    .retain(|k, _| k != "help")
            },
            "help.text",
        ),
        (
            "bad-severity",
            |l| {
                l["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] =
                    8.0.into()
            },
            "security-severity",
        ),
        (
            "backwards-region",
            |l| {
                l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["endColumn"] =
                    2.into()
            },
            "before it starts",
        ),
        (
            "unknown-rule",
            |l| l["runs"][0]["results"][0]["ruleId"] = "PYA999".into(),
            "not among",
        ),
        (
            "two-runs",
            |l| {
                let run = l["runs"][0].clone();
                l["runs"].as_array_mut().unwrap().push(run);
            },
            "second run",
        ),
        (
            "no-message-text",
            |l| l["runs"][0]["results"][0]["message"] = serde_json::json!({"id": "default"}),
            "message.text",
        ),
    ];
    for (name, break_it, expected) in cases {
        let mut log = minimal_log();
        break_it(&mut log);
        let found = problems(&log).join("\n");
        assert!(
            found.contains(expected),
            "{name}: expected {expected:?} in {found:?}"
        );
    }
    // Two runs are fine when their categories differ.
    let mut log = minimal_log();
    let mut second = log["runs"][0].clone();
    second["automationDetails"] = serde_json::json!({"id": "backend/run-1"});
    log["runs"].as_array_mut().unwrap().push(second);
    assert_eq!(problems(&log), Vec::<String>::new());

    // Regions are checked against the file the base URI points at (UTF-16 columns).
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "src/app.py",
        "import pickle\n\nx = pickle.loads(b)\n",
    );
    let mut log = minimal_log();
    let base = format!("file://{}/", tmp.path().display());
    log["runs"][0]["originalUriBaseIds"] = serde_json::json!({"%SRCROOT%": {"uri": base}});
    let loc = &mut log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    loc["artifactLocation"]["uriBaseId"] = "%SRCROOT%".into();
    assert_eq!(problems(&log), Vec::<String>::new());
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["endColumn"] =
        21.into();
    assert!(problems(&log).join("").contains("past the end of line 3"));
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        9.into();
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["endLine"] =
        9.into();
    assert!(problems(&log).join("").contains("outside src/app.py"));
}

#[test]
fn schema_validator_rejects_schema_errors() {
    let Some(_) = validator_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("minimal.sarif");
    std::fs::write(&file, minimal_log().to_string()).unwrap();
    // (The multitool warns that it names no tool version: errors only fail.)
    validate(&file).unwrap_or_else(|e| panic!("minimal log rejected:\n{e}"));
    // Errors GitHub's checks here do not look for, and the multitool is silent about (a
    // value outside an enum): only the schema catches them.
    let mut log = minimal_log();
    log["runs"][0]["results"][0]["kind"] = "critical".into();
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["byteLength"] =
        (-1).into();
    std::fs::write(&file, log.to_string()).unwrap();
    let report = validate(&file).expect_err("schema errors");
    assert!(
        report.contains("ERROR schema runs/0/results/0/kind"),
        "{report}"
    );
    assert!(
        report.contains("byteLength: -1 is less than the minimum"),
        "{report}"
    );
}

/// A tree with the awkward cases: non-ASCII text before a finding, a path with a space, `#`
/// and non-ASCII, a suppressed finding, a syntax error, and a non-UTF-8 file name.
fn awkward_tree(d: &Path) {
    write(d, "src/app.py", VULN);
    write(
        d,
        "src/my dir/ü #1.py",
        "import pickle\ns = 'é😀'; x = pickle.loads(b)\ny = pickle.loads(b)  # pyaudit: ignore[PYA101]\n",
    );
    write(
        d,
        "src/broken.py",
        "import pickle\ndef f(:\nx = pickle.loads(b)\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
        std::fs::write(d.join("src").join(name), VULN).unwrap();
    }
}

#[test]
fn sarif_from_a_fixture_tree_passes_the_validator() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    awkward_tree(d);
    let o = pyaudit(&["scan", "src", "--format", "sarif", "-o", "out.sarif"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // With --output, people still see the findings.
    assert!(stdout(&o).contains("PYA101"), "{}", stdout(&o));

    let log: Value = serde_json::from_slice(&std::fs::read(d.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pyaudit");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.len() >= 11, "all rules are listed");
    let r0 = &rules[0];
    assert_eq!(r0["id"], "PYA101");
    assert_eq!(r0["properties"]["security-severity"], "8.0");
    assert_eq!(r0["properties"]["precision"], "high");
    let tags = r0["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&"security".into()) && tags.contains(&"external/cwe/cwe-502".into()));
    assert!(
        r0["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    assert!(r0["helpUri"].as_str().unwrap().ends_with("/PYA101.md"));
    assert_eq!(r0["defaultConfiguration"]["level"], "error");

    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );

    let results = run["results"].as_array().unwrap();
    let loc = |r: &Value| r["locations"][0]["physicalLocation"].clone();
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"src/app.py"), "{uris:?}");
    assert!(uris.contains(&"src/my%20dir/%C3%BC%20%231.py"), "{uris:?}");
    #[cfg(unix)]
    assert!(uris.contains(&"src/caf%E9.py"), "{uris:?}");
    for r in results {
        assert_eq!(loc(r)["artifactLocation"]["uriBaseId"], "%SRCROOT%", "{r}");
        assert_eq!(r["level"], "error");
        assert_eq!(r["ruleId"], "PYA101");
        assert_eq!(r["ruleIndex"], 0);
        assert!(r["partialFingerprints"]["pyaudit/v1"].is_string());
    }
    // `s = 'é😀'; x = pickle.loads(b)`: é is 1 UTF-16 unit, the emoji 2.
    let emoji = results
        .iter()
        .find(|r| uris_eq(r, "src/my%20dir/%C3%BC%20%231.py") && loc(r)["region"]["startLine"] == 2)
        .expect("finding after the emoji");
    let line = "s = 'é😀'; x = ";
    let units: usize = line.chars().map(char::len_utf16).sum();
    assert_eq!(loc(emoji)["region"]["startColumn"], units + 1);
    assert_eq!(
        loc(emoji)["region"]["endColumn"],
        units + 1 + "pickle.loads(b)".len()
    );
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r["suppressions"][0]["kind"] == "inSource")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(loc(suppressed[0])["region"]["startLine"], 3);

    let inv = &run["invocations"][0];
    // The tree holds a file with a syntax error, which was not fully scanned: the run's
    // results are incomplete and SARIF says so (fail closed).
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notes.iter().any(
            |n| n["message"]["text"].as_str().unwrap().contains("syntax")
                && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "src/broken.py"
        ),
        "{notes:?}"
    );

    let report = validate(&d.join("out.sarif"))
        .unwrap_or_else(|e| panic!("pyaudit's SARIF failed validation:\n{e}"));
    if validator_python().is_some() {
        assert!(report.contains("errors=0 warnings=0"), "{report}");
    }
}

fn uris_eq(r: &Value, uri: &str) -> bool {
    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
}

#[test]
fn sarif_with_a_data_flow_has_code_flows_and_validates() {
    use pyaudit::finding::{Confidence, Finding, FlowStep, Position, Severity};
    use pyaudit::report::{Report, location::ProjectRoot, sarif};
    let tmp = tempfile::tempdir().unwrap();
    let src = "import pickle\ndata = request.get_data()\nx = pickle.loads(data)\n";
    write(tmp.path(), "app.py", src);
    let pos = |line, byte_col| Position { line, byte_col };
    let finding = Finding {
        rule_index: 0,
        rule_id: "PYA101".into(),
        path: tmp.path().join("app.py"),
        start: pos(3, 4),
        end: pos(3, 22),
        severity: Severity::High,
        confidence: Confidence::High,
        message: "pickle.loads on request data".into(),
        line_text: "x = pickle.loads(data)".into(),
        fingerprint: "0123456789abcdef".into(),
        flow: vec![
            FlowStep {
                path: tmp.path().join("app.py"),
                start: pos(2, 7),
                end: pos(2, 25),
                note: "source: request.get_data()".into(),
            },
            FlowStep {
                path: tmp.path().join("app.py"),
                start: pos(3, 4),
                end: pos(3, 22),
                note: "sink: pickle.loads".into(),
            },
        ],
        suppressed: false,
        fix: None,
        covered: Vec::new(),
        test_code: false,
    };
    let result = pyaudit::scan::ScanResult {
        findings: vec![finding],
        ..Default::default()
    };
    let rules = pyaudit::rules::RuleSet::builtin().unwrap();
    let root = ProjectRoot::new(Some(tmp.path())).unwrap();
    let report = Report {
        result: &result,
        findings: result.findings.iter().collect(),
        hidden: Vec::new(),
        tally: Default::default(),
        rules: &rules,
        root: &root,
        baselined: 0,
        fail_on: Severity::Low,
        gate_failed: true,
        execution_successful: true,
    };
    let text = sarif::render(&report);
    let log: Value = serde_json::from_str(&text).unwrap();
    let steps = &log["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"];
    assert_eq!(steps.as_array().unwrap().len(), 2);
    assert_eq!(
        steps[0]["location"]["message"]["text"],
        "source: request.get_data()"
    );
    let region = &steps[0]["location"]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].clone(), region["startColumn"].clone()),
        (2.into(), 8.into())
    );
    assert_eq!(
        steps[0]["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "app.py"
    );
    let file = tmp.path().join("flow.sarif");
    std::fs::write(&file, text).unwrap();
    validate(&file).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn sarif_paths_are_relative_to_the_project_root() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "src/app.py", VULN);
    let uri_of = |o: &Output| {
        let log = json_of(o);
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // From the repository root, scanning a subdirectory.
    let o = pyaudit(&["scan", "src/", "--format", "sarif"], d);
    assert_eq!(uri_of(&o), "src/app.py");
    // From inside it, naming the root.
    let o = pyaudit(
        &["scan", ".", "--format", "sarif", "--project-root", ".."],
        &d.join("src"),
    );
    assert_eq!(uri_of(&o), "src/app.py");
    let log = json_of(&o);
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !base.contains("/src/") && base.ends_with('/'),
        "the base is the root, not src: {base}"
    );
    // Every file fully scanned: the run was a success.
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    // The summary goes to stderr so stdout stays pure SARIF.
    assert!(stderr(&o).contains("Found 1 finding"), "{}", stderr(&o));
}

#[test]
fn fingerprints_survive_lines_inserted_above() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    let fps = |d: &Path| {
        let log = json_of(&pyaudit(&["scan", ".", "--format", "sarif"], d));
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["pyaudit/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = fps(d);
    write(
        d,
        "app.py",
        &format!("\"\"\"Docs.\"\"\"\nimport os\n\n\n{VULN}"),
    );
    let after = fps(d);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].0, after[0].0, "fingerprint changed");
    assert_eq!(after[0].1, before[0].1 + 4, "the line did move");
}

// ---------------------------------------------------------------- JSON and GitHub formats

#[test]
fn json_format_is_versioned_and_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    // The call makes the prefilter parse the file, which finds the syntax error.
    write(d, "bad.py", "import pickle\ndef f(:\npickle.loads(b)\n");
    write(
        d,
        "quiet.py",
        "import pickle\npickle.loads(b)  # pyaudit: ignore\n",
    );
    let o = pyaudit(&["scan", ".", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1));
    let doc = json_of(&o);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "pyaudit");
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "PYA101");
    assert_eq!(f["rule_name"], "pickle-deserialization");
    assert_eq!(f["path"], "app.py");
    assert_eq!(f["start"]["line"], 4);
    assert_eq!(f["start"]["column"], 12);
    assert_eq!(f["severity"], "high");
    assert_eq!(f["confidence"], "high");
    assert!(f["fingerprint"].as_str().unwrap().len() == 16);
    assert_eq!(f["flow"], Value::Array(vec![]));
    assert_eq!(doc["findings"][1]["path"], "bad.py");
    assert_eq!(doc["findings"][2]["suppressed"], true);
    assert_eq!(doc["diagnostics"][0]["kind"], "syntax");
    assert_eq!(doc["diagnostics"][0]["path"], "bad.py");
    let s = &doc["summary"];
    assert_eq!(s["findings"], 2);
    assert_eq!(s["suppressed"], 1);
    assert_eq!(s["by_severity"]["high"], 2);
    assert_eq!(s["by_severity"]["low"], 0);
    assert_eq!(s["files_scanned"], 3);
    assert_eq!(s["files_not_fully_scanned"], 1);
    assert_eq!(s["gate_failed"], true);
    assert!(stderr(&o).contains("Found 2 findings"), "{}", stderr(&o));
}

#[test]
fn github_format_annotates_with_escaped_properties() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "src/a,b:c.py", VULN);
    write(
        d,
        "src/m.py",
        "import marshal, torch\nmarshal.loads(b)\ntorch.load(f)\n",
    );
    let o = pyaudit(&["scan", "src", "--format", "github"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=src/a%2Cb%3Ac.py,line=4,endLine=4,col=12,endColumn=30,\
         title=PYA101 pickle-deserialization [high]::`pickle.loads` rebuilds Python objects \
         from pickle bytes; a crafted payload runs code in this process as soon as it is read."
    );
    assert!(
        lines[1].starts_with("::warning file=src/m.py,line=2,"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("::notice file=src/m.py,line=3,"),
        "{out}"
    );
}

// ---------------------------------------------------------------- the gate

#[test]
fn gate_flags_decide_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // marshal: medium severity, high confidence; bare torch.load: low severity, medium
    // confidence.
    write(
        d,
        "m.py",
        "import marshal, torch\nmarshal.loads(b)\ntorch.load(f)\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", ".", "--format", "json"];
        args.extend_from_slice(extra);
        let o = pyaudit(&args, d);
        (
            o.status.code().unwrap(),
            json_of(&o)["summary"]["findings"].as_u64().unwrap(),
        )
    };
    assert_eq!(run(&[]), (1, 2));
    assert_eq!(run(&["--fail-on", "medium"]), (1, 2));
    // Findings below --fail-on are still reported, but pass.
    assert_eq!(run(&["--fail-on", "high"]), (0, 2));
    assert_eq!(run(&["--fail-on", "critical"]), (0, 2));
    // --min-confidence hides the torch finding altogether.
    assert_eq!(run(&["--min-confidence", "high"]), (1, 1));
    assert_eq!(run(&["--exit-zero"]), (0, 2));
    let o = pyaudit(&["scan", ".", "--fail-on", "severe"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("severe"), "{}", stderr(&o));
}

#[test]
fn output_file_gets_the_report_without_colour() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    let o = Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(["--color", "always", "scan", ".", "-o", "report.txt"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(d.join("report.txt")).unwrap();
    assert!(text.contains("app.py:4:12: PYA101"), "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
    let o = pyaudit(&["scan", ".", "--format", "json", "--output", "r.json"], d);
    assert_eq!(o.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(doc["summary"]["findings"], 1);
    let o = pyaudit(&["scan", ".", "-o", "no/such/dir/r.json"], d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sarif_of_the_repository_fixtures_validates() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fixtures.sarif");
    let o = pyaudit(
        &[
            "scan",
            "fixtures",
            "--format",
            "sarif",
            "-o",
            out.to_str().unwrap(),
        ],
        repo,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(log["runs"][0]["results"].as_array().unwrap().len() > 20);
    let report = validate(&out).unwrap_or_else(|e| panic!("{e}"));
    if validator_python().is_some() {
        assert!(report.contains("errors=0 warnings=0"), "{report}");
    }
}

// ---------------------------------------------------------------- suppressions

#[test]
fn suppressions_silence_only_what_they_name() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "s.py",
        "import pickle\n\
         a = pickle.loads(b)  # pyaudit: ignore[PYA101]\n\
         b = pickle.loads(b)  # pyaudit: ignore[pickle-deserialization] reviewed: trusted cache\n\
         c = pickle.loads(b)  # pyaudit: ignore\n\
         d = pickle.loads(b)  # pyaudit: ignore[PYA102]\n\
         e = '# pyaudit: ignore'; pickle.loads(b)\n\
         f = helper(  # pyaudit: ignore[PYA101]\n\
         \x20   pickle.loads(b),\n\
         )\n\
         g = pickle.loads(b)  # pyaudit: ignore[pya101, PYA111]\n",
    );
    let o = pyaudit(&["scan", "s.py"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(": PYA101"))
        .map(|l| l.split(": PYA101").next().unwrap())
        .collect();
    // Line 5 names another rule; line 6 has the text inside a string, not a comment.
    assert_eq!(lines, vec!["s.py:5:5", "s.py:6:26"], "{out}");
    assert!(out.contains("5 suppressed"), "{out}");
    let err = stderr(&o);
    assert!(
        err.contains("s.py:5: warning[unused-suppression]: `# pyaudit: ignore[PYA102]`"),
        "{err}"
    );
    assert!(
        err.contains("s.py:10: warning[unused-suppression]: `# pyaudit: ignore[PYA111]`"),
        "{err}"
    );
    assert_eq!(err.matches("unused-suppression").count(), 2, "{err}");

    let o = pyaudit(&["scan", "s.py", "--show-suppressed"], d);
    let out = stdout(&o);
    assert_eq!(out.matches("(suppressed)").count(), 5, "{out}");
    assert!(out.contains("s.py:8:5: PYA101"), "{out}");

    // Everything silenced: the gate passes.
    write(
        d,
        "t.py",
        "import pickle\npickle.loads(b)  # pyaudit: ignore\n",
    );
    let o = pyaudit(&["scan", "t.py"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // A suppression for a rule switched off is not reported as unused.
    let o = pyaudit(&["scan", "s.py", "--ignore", "PYA102,PYA111"], d);
    assert_eq!(stderr(&o).matches("unused-suppression").count(), 0);

    // Unused suppressions are reported in files no rule applies to as well.
    write(d, "plain.py", "x = 1  # pyaudit: ignore\n");
    let o = pyaudit(&["scan", "plain.py", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(0));
    let doc = json_of(&o);
    assert_eq!(doc["unused_suppressions"][0]["line"], 1);
    assert_eq!(doc["unused_suppressions"][0]["rule"], Value::Null);
}

// ---------------------------------------------------------------- baseline

#[test]
fn baseline_hides_old_findings_and_shows_new_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app/a.py", VULN);
    write(d, "app/b.py", "import yaml\ncfg = yaml.load(s)\n");
    let o = pyaudit(&["scan", "app", "--write-baseline", "baseline.json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded 2 findings"), "{}", stderr(&o));
    let b: Value =
        serde_json::from_slice(&std::fs::read(d.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(b["version"], 1);
    assert_eq!(b["findings"][0]["path"], "app/a.py");
    assert_eq!(b["findings"][0]["rule_id"], "PYA101");

    let o = pyaudit(&["scan", "app", "--baseline", "baseline.json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("2 findings hidden by the baseline"),
        "{}",
        stdout(&o)
    );

    // Moving code down and adding a second copy of the same bug: only the copy is new.
    write(
        d,
        "app/a.py",
        "import pickle\nimport os\n\n\ndef load(blob):\n    return pickle.loads(blob)\n\n\
         def load_again(blob):\n    return pickle.loads(blob)\n",
    );
    let o = pyaudit(
        &[
            "scan",
            "app",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1));
    let doc = json_of(&o);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["start"]["line"], 9);
    assert_eq!(doc["summary"]["baselined"], 2);

    // Scanning from elsewhere with the same project root matches the same entries.
    let o = pyaudit(
        &[
            "scan",
            ".",
            "--project-root",
            "..",
            "--baseline",
            "../baseline.json",
        ],
        &d.join("app"),
    );
    assert!(stdout(&o).contains("2 findings hidden"), "{}", stdout(&o));

    write(d, "bad.json", "{\"version\": 7, \"findings\": []}");
    let o = pyaudit(&["scan", "app", "--baseline", "bad.json"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("version 7"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- configuration

#[test]
fn pyproject_configuration_applies_and_flags_win() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "pyproject.toml",
        r#"[project]
name = "demo"

[tool.pyaudit]
ignore = ["PYA111"]
extend-exclude = ["generated"]
fail-on = "high"
min-confidence = "medium"
rules-dirs = ["myrules"]

[tool.pyaudit.per-file-ignores]
"tests/*" = ["PYA101"]
"#,
    );
    write(
        d,
        "src/app.py",
        "import marshal, yaml\nmarshal.loads(b)\nyaml.load(s)\n",
    );
    write(d, "src/generated/g.py", VULN);
    write(d, "tests/test_a.py", VULN);
    write(d, "src/deep/x.py", "import acme\nacme.unsafe_read(b)\n");
    write(
        d,
        "myrules/acme.toml",
        r#"id = "ACME001"
name = "acme-unsafe-read"
severity = "critical"
confidence = "high"
summary = "acme.unsafe_read deserializes arbitrary objects."
message = "`{call}` deserializes arbitrary objects"
help = "Use acme.safe_read."
description = "Internal library call that unpickles."
vulnerable = "acme.unsafe_read(b)"
fixed = "acme.safe_read(b)"

[[pattern]]
calls = ["acme.unsafe_read"]
"#,
    );
    let o = pyaudit(&["scan", "--format", "json"], d);
    let doc = json_of(&o);
    let got: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("src/app.py".to_string(), "PYA110".to_string()),
            ("src/deep/x.py".to_string(), "ACME001".to_string()),
        ],
        "{doc}"
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "the critical ACME001 fails fail-on=high"
    );

    // The configuration is found from a subdirectory given as the project root.
    let o = pyaudit(
        &[
            "scan",
            ".",
            "--project-root",
            "src/deep",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(json_of(&o)["summary"]["fail_on"], "high");

    // Flags win over the file.
    let o = pyaudit(&["scan", "src/app.py", "--fail-on", "medium"], d);
    assert_eq!(o.status.code(), Some(1));
    let o = pyaudit(&["scan", "src/app.py"], d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "marshal is medium, below fail-on=high"
    );
    let o = pyaudit(&["scan", "src/app.py", "--ignore", "PYA110"], d);
    assert!(stdout(&o).contains("PYA111"), "{}", stdout(&o));
    let o = pyaudit(&["scan", "src/app.py", "--isolated"], d);
    assert!(stdout(&o).contains("PYA111"), "{}", stdout(&o));

    let o = pyaudit(&["scan", "--show-settings", "--fail-on", "low"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout(&o);
    for want in [
        "config-file = \"",
        "pyproject.toml\"",
        "fail-on = \"low\"",
        "min-confidence = \"medium\"",
        "ignore = [\"PYA111\"]",
        "extend-exclude = [\"generated\"]",
        "\"tests/*\" = [\"PYA101\"]",
        "myrules\"]",
    ] {
        assert!(shown.contains(want), "missing {want}:\n{shown}");
    }
}

/// `(path, justification of the external suppression)` of every SARIF result.
fn sarif_results(log: &Value) -> Vec<(String, Option<String>)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string();
            let why = r["suppressions"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["kind"] == "external"))
                .map(|s| s["justification"].as_str().unwrap().to_string());
            (uri, why)
        })
        .collect()
}

#[test]
fn files_the_repository_configuration_excludes_are_analysed_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "pyproject.toml",
        "[tool.pyaudit]\nexclude = [\"gen_*.py\"]\nextend-exclude = [\"vendor\"]\n",
    );
    write(d, "src/app.py", VULN);
    write(d, "src/gen_api.py", VULN);
    write(d, "vendor/lib/deep.py", VULN);
    // A helper in an excluded tree still takes part in cross-module flows.
    write(
        d,
        "vendor/shell.py",
        "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n",
    );
    write(
        d,
        "src/views.py",
        "from flask import Flask, request\nfrom vendor.shell import run\n\napp = Flask(__name__)\n\n\
         @app.route(\"/x\")\ndef x():\n    run(request.args[\"c\"])\n    return \"\"\n",
    );
    common::git(d, &["init", "-q"]);
    common::git(d, &["add", "-A"]);
    let sarif = d.join("out.sarif");
    let o = pyaudit(
        &["scan", "--format", "sarif", "-o", sarif.to_str().unwrap()],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("in files the configuration excludes"),
        "{}",
        stdout(&o)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let got = sarif_results(&log);
    let why = |p: &str| -> Vec<Option<String>> {
        got.iter()
            .filter(|(u, _)| u == p)
            .map(|(_, w)| w.clone())
            .collect()
    };
    assert_eq!(why("src/app.py"), vec![None], "{got:?}");
    assert_eq!(
        why("src/gen_api.py"),
        vec![Some(
            "excluded by exclude pattern 'gen_*.py' in pyproject.toml".to_string()
        )]
    );
    assert_eq!(
        why("vendor/lib/deep.py"),
        vec![Some(
            "excluded by extend-exclude pattern 'vendor' in pyproject.toml".to_string()
        )]
    );
    // The flow into the excluded helper is reported where the helper's sink is: hidden
    // with the helper's file, but recorded.
    assert!(
        got.iter()
            .any(|(u, w)| u == "vendor/shell.py" && w.is_some()),
        "{got:?}"
    );
    let report = validate(&sarif).unwrap_or_else(|e| panic!("{e}"));
    if validator_python().is_some() {
        assert!(report.contains("errors=0 warnings=0"), "{report}");
    }

    // The summary counts them (the gate ignores them); a file named on the command line
    // is scanned and reported, whatever the excludes say.
    let o = pyaudit(&["scan", "--format", "json"], d);
    let doc = json_of(&o);
    assert_eq!(doc["summary"]["hidden"]["exclude"], 3, "{doc}");
    assert_eq!(doc["summary"]["findings"], 1, "{doc}");
    let o = pyaudit(&["scan", "src/gen_api.py", "--format", "json"], d);
    assert_eq!(json_of(&o)["summary"]["findings"], 1);

    // `--exclude` / `--extend-exclude` are the user's own choice: not analysed, not
    // recorded (listed by --show-skipped). `--exclude` replaces the configured `exclude`.
    let o = pyaudit(
        &[
            "scan",
            "--exclude",
            "vendor",
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let got = sarif_results(&log);
    assert!(
        got.iter()
            .all(|(u, w)| !u.starts_with("vendor/") && w.is_none()),
        "{got:?}"
    );
    assert!(got.iter().any(|(u, _)| u == "src/gen_api.py"), "{got:?}");

    // A `--config` file is the workflow's own: its excludes are trusted and skip the files.
    write(d, "ci.toml", "extend-exclude = [\"vendor\"]\n");
    let o = pyaudit(&["scan", "--config", "ci.toml", "--format", "json"], d);
    let doc = json_of(&o);
    assert_eq!(doc["summary"]["findings"], 2, "{doc}");
    assert!(doc["summary"]["hidden"].get("exclude").is_none(), "{doc}");
}

#[test]
fn bad_configuration_is_reported_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.pyaudit]\nfail-on = \"high\"\nselct = [\"PYA101\"]\n",
    );
    let o = pyaudit(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("pyproject.toml:6:"), "{err}");
    assert!(err.contains("selct"), "{err}");

    write(d, "pyaudit.toml", "fail-on = 3\n");
    let o = pyaudit(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pyaudit.toml:1:"), "{}", stderr(&o));

    write(
        d,
        "pyaudit.toml",
        "fail-on = \"high\"\nignore = [\"PYA101\", \"NOPE1\"]\n",
    );
    let o = pyaudit(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("pyaudit.toml:2:") && err.contains("NOPE1"),
        "{err}"
    );

    write(
        d,
        "other.toml",
        "exclude = [\"x\"]\nmin-confidence = \"sure\"\n",
    );
    let o = pyaudit(&["scan", ".", "--config", "other.toml"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("other.toml:2:"), "{}", stderr(&o));
}
