//! End to end on the built binary: one finding per dangerous call, profiles, test code,
//! and every hidden finding kept in SARIF with the right suppression.

mod common;

use common::{pyaudit, stderr, stdout, write};
use serde_json::Value;
use std::process::Output;

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

const FLASK_PICKLE: &str = "\
import pickle
from flask import Flask, request

app = Flask(__name__)

@app.route(\"/a\")
def a():
    return pickle.loads(request.get_data())
";

#[test]
fn a_taint_finding_covers_the_call_rule_on_the_same_call() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", FLASK_PICKLE);
    let o = pyaudit(&["scan", "app.py", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1));
    let doc = json_of(&o);
    assert_eq!(ids(&doc), ["PYA203"], "{doc}");
    assert_eq!(doc["findings"][0]["covers"], serde_json::json!(["PYA101"]));
    assert_eq!(doc["findings"][0]["severity"], "critical");

    let o = pyaudit(&["scan", "app.py"], d);
    let out = stdout(&o);
    assert_eq!(out.matches("app.py:8:").count(), 1, "{out}");
    assert!(out.contains("also covers: PYA101 (same call)"), "{out}");

    // Either id selects it; switching the taint rule off brings the call rule's own back.
    let o = pyaudit(
        &["scan", "app.py", "--format", "json", "--select", "PYA101"],
        d,
    );
    assert_eq!(ids(&json_of(&o)), ["PYA101"]);
    let o = pyaudit(
        &["scan", "app.py", "--format", "json", "--ignore", "PYA203"],
        d,
    );
    assert_eq!(ids(&json_of(&o)), ["PYA101"]);
    let o = pyaudit(
        &["scan", "app.py", "--format", "json", "--ignore", "PYA101"],
        d,
    );
    let doc = json_of(&o);
    assert_eq!(ids(&doc), ["PYA203"]);
    assert_eq!(doc["findings"][0]["covers"], serde_json::json!([]));
    let o = pyaudit(&["scan", "app.py", "--ignore", "PYA101,PYA203"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // A suppression comment naming either id silences the one finding.
    for id in ["PYA101", "PYA203", "tainted-deserialization"] {
        let text = FLASK_PICKLE.replace(
            "request.get_data())",
            &format!("request.get_data())  # pyaudit: ignore[{id}]"),
        );
        write(d, "s.py", &text);
        let o = pyaudit(&["scan", "s.py"], d);
        assert_eq!(o.status.code(), Some(0), "{id}: {}", stdout(&o));
        assert!(!stderr(&o).contains("unused-suppression"), "{}", stderr(&o));
    }
}

#[test]
fn a_traced_shell_command_is_not_also_unknown_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "app.py",
        "import os\nfrom flask import request\n\n@app.route(\"/x\")\ndef x():\n    \
         os.system(\"ls \" + request.args[\"d\"])\n",
    );
    let o = pyaudit(
        &["scan", "app.py", "--format", "json", "--profile", "audit"],
        d,
    );
    let doc = json_of(&o);
    assert_eq!(ids(&doc), ["PYA201"], "{doc}");
    assert_eq!(doc["findings"][0]["covers"], serde_json::json!(["PYA210"]));
}

#[test]
fn the_default_profile_leaves_low_confidence_findings_to_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "tool.py",
        "import os, yaml\n\ndef run(p, loader):\n    os.system(\"ls \" + p)\n    \
         return yaml.load(p, Loader=loader)\n",
    );
    let o = pyaudit(&["scan", "tool.py", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let doc = json_of(&o);
    assert!(ids(&doc).is_empty(), "{doc}");
    assert_eq!(doc["summary"]["hidden"]["profile"], 2, "{doc}");
    let o = pyaudit(&["scan", "tool.py"], d);
    assert!(
        stdout(&o).contains("Hidden: 2 outside the profile (--profile audit)."),
        "{}",
        stdout(&o)
    );

    let o = pyaudit(
        &["scan", "tool.py", "--format", "json", "--profile", "audit"],
        d,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(ids(&json_of(&o)), ["PYA210", "PYA111"]);
    write(d, "pyaudit.toml", "profile = \"audit\"\n");
    let o = pyaudit(&["scan", "tool.py", "--format", "json"], d);
    assert_eq!(ids(&json_of(&o)), ["PYA210", "PYA111"]);
}

#[test]
fn test_code_is_reported_but_does_not_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let vuln = "import pickle\n\ndef f(b):\n    return pickle.loads(b)\n";
    for p in [
        "tests/helpers.py",
        "pkg/test/x.py",
        "pkg/test_io.py",
        "pkg/io_test.py",
        "conftest.py",
    ] {
        write(d, p, vuln);
    }
    let o = pyaudit(&["scan", ".", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let doc = json_of(&o);
    assert_eq!(ids(&doc).len(), 5, "{doc}");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["test_code"] == true)
    );
    assert_eq!(doc["summary"]["test_code"], 5);
    let o = pyaudit(&["scan", "."], d);
    let out = stdout(&o);
    assert!(out.contains("(test code)"), "{out}");
    assert!(
        out.contains("Not gating: 5 in test code (--gate-tests)."),
        "{out}"
    );
    let o = pyaudit(&["scan", ".", "--gate-tests"], d);
    assert_eq!(o.status.code(), Some(1));

    // Outside test code it gates; `test-paths` replaces the defaults; the config can gate.
    write(d, "app/io.py", vuln);
    let o = pyaudit(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(1));
    write(d, "pyaudit.toml", "test-paths = [\"app/*.py\"]\n");
    let o = pyaudit(&["scan", ".", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let test: Vec<bool> = json_of(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["test_code"].as_bool().unwrap())
        .collect();
    assert_eq!(test.iter().filter(|t| **t).count(), 1, "{test:?}");
    write(d, "pyaudit.toml", "gate-tests = true\n");
    std::fs::remove_file(d.join("app/io.py")).unwrap();
    let o = pyaudit(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(1));

    // SARIF: a `test` tag and a lower rank.
    std::fs::remove_file(d.join("pyaudit.toml")).unwrap();
    write(d, "app/io.py", vuln);
    let o = pyaudit(&["scan", ".", "--format", "sarif"], d);
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let app = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/io.py")
        .unwrap();
    let conf = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "conftest.py")
        .unwrap();
    assert_eq!(conf["properties"]["tags"], serde_json::json!(["test"]));
    assert!(app["properties"].get("tags").is_none());
    assert!(conf["rank"].as_f64().unwrap() < app["rank"].as_f64().unwrap());
}

/// (justification or kind) of each SARIF result, by line.
fn suppressions(log: &Value) -> Vec<(u64, String, String)> {
    let mut out: Vec<(u64, String, String)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap();
            let s = &r["suppressions"][0];
            (
                line,
                s["kind"].as_str().unwrap_or("").to_string(),
                s["justification"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_hidden_finding_stays_in_sarif_with_its_suppression() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "app.py",
        "import pickle, joblib, marshal, os, dill\n\
         pickle.loads(a)\n\
         joblib.load(b)\n\
         marshal.loads(c)  # pyaudit: ignore[PYA110]\n\
         os.system(\"ls \" + a)\n\
         dill.loads(e)\n",
    );
    write(
        d,
        "pyproject.toml",
        "[tool.pyaudit]\nignore = [\"PYA104\"]\nper-file-ignores = { \"app.py\" = [\"PYA102\"] }\n",
    );
    // A baseline with the pickle finding in it.
    let o = pyaudit(
        &[
            "scan",
            "app.py",
            "--select",
            "PYA101",
            "--write-baseline",
            "b.json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pyaudit(
        &[
            "scan",
            "app.py",
            "--format",
            "sarif",
            "--baseline",
            "b.json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let got = suppressions(&log);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got[0].0, 2);
    assert_eq!(got[0].1, "external");
    assert!(got[0].2.contains("baseline b.json"), "{got:?}");
    assert_eq!(got[1].1, "external");
    assert!(
        got[1]
            .2
            .contains("PYA104 is switched off by `ignore` in pyproject.toml:2"),
        "{got:?}"
    );
    assert_eq!(got[2].1, "inSource");
    assert_eq!(got[3].1, "external");
    assert!(got[3].2.contains("outside the default profile"), "{got:?}");
    assert_eq!(got[4].1, "external");
    assert!(got[4].2.contains("per-file-ignores"), "{got:?}");

    // The summary counts each filter.
    let o = pyaudit(&["scan", "app.py", "--baseline", "b.json"], d);
    let out = stdout(&o);
    assert!(
        out.contains(
            "Hidden: 1 outside the profile (--profile audit), 1 by select/ignore, \
             1 by per-file-ignores."
        ),
        "{out}"
    );
    assert!(out.contains("1 suppressed"), "{out}");
    assert!(
        out.contains("1 finding hidden by the baseline b.json"),
        "{out}"
    );
    let o = pyaudit(
        &[
            "scan",
            "app.py",
            "--format",
            "json",
            "--baseline",
            "b.json",
            "--min-confidence",
            "high",
        ],
        d,
    );
    let doc = json_of(&o);
    assert_eq!(
        doc["summary"]["hidden"],
        serde_json::json!({"profile": 1, "rules": 1, "per_file": 1, "baseline": 1})
    );
}

#[test]
fn findings_below_fail_on_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "m.py",
        "import torch, pickle\ntorch.load(f)\npickle.loads(b)\n",
    );
    let o = pyaudit(&["scan", "m.py", "--fail-on", "critical"], d);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("Not gating: 2 below --fail-on critical."),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sarif_gives_each_severity_its_own_rule_descriptor() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "m.py",
        "import torch\ntorch.load(f)\ntorch.load(f, weights_only=False)\n",
    );
    let o = pyaudit(&["scan", "m.py", "--format", "sarif"], d);
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in run["results"].as_array().unwrap() {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        let desc = &rules[idx];
        assert_eq!(desc["id"], r["ruleId"]);
        let sev = r["properties"]["severity"].as_str().unwrap();
        let want = match sev {
            "low" => "3.0",
            "high" => "8.0",
            other => panic!("{other}"),
        };
        assert_eq!(desc["properties"]["security-severity"], want, "{desc}");
    }
    let ids: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PYA108/low", "PYA108"]);
    let sub = rules.iter().find(|r| r["id"] == "PYA108/low").unwrap();
    assert_eq!(sub["relationships"][0]["target"]["id"], "PYA108");
}

#[test]
fn the_local_threat_model_adds_command_line_environment_stdin_and_file_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "tool.py",
        "import os, sys, pickle, argparse, click\n\
         \n\
         def main():\n    \
             os.system(\"ls \" + sys.argv[1])\n    \
             pickle.loads(open(\"f.bin\", \"rb\").read())\n    \
             eval(input())\n    \
             args = argparse.ArgumentParser().parse_args()\n    \
             os.system(args.cmd)\n    \
             os.system(os.environ[\"CMD\"])\n\
         \n\
         @click.command()\n\
         @click.option(\"--name\")\n\
         def hello(name):\n    \
             os.system(\"echo \" + name)\n",
    );
    let o = pyaudit(&["scan", "tool.py", "--format", "json"], d);
    assert_eq!(ids(&json_of(&o)), ["PYA101"], "{}", stdout(&o));
    let o = pyaudit(
        &[
            "scan",
            "tool.py",
            "--format",
            "json",
            "--threat-model",
            "remote,local",
        ],
        d,
    );
    let doc = json_of(&o);
    assert_eq!(
        ids(&doc),
        ["PYA201", "PYA203", "PYA202", "PYA201", "PYA201", "PYA201"],
        "{doc}"
    );
    // A local source's message names who controls it, not a request sender.
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .all(|m| m.contains("command line, environment or input") && !m.contains("request")),
        "{messages:?}"
    );
    write(d, "pyaudit.toml", "threat-model = [\"local\"]\n");
    let o = pyaudit(&["scan", "tool.py", "--format", "json"], d);
    assert_eq!(ids(&json_of(&o)).len(), 6);
    let o = pyaudit(&["scan", "--show-settings"], d);
    assert!(
        stdout(&o).contains("threat-model = [\"local\"]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn round_trips_of_self_produced_bytes_are_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "m.py",
        "import io, pickle, torch\n\
         \n\
         def f(x, model):\n    \
             y = pickle.loads(pickle.dumps(x))\n    \
             buf = io.BytesIO()\n    \
             torch.save(model, buf)\n    \
             buf.seek(0)\n    \
             return torch.load(buf, weights_only=False), y\n",
    );
    let o = pyaudit(
        &["scan", "m.py", "--format", "json", "--profile", "audit"],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(ids(&json_of(&o)).is_empty());
}
