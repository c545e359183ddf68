//! End to end on the built binary: confidence levels that decide whether a call rule's
//! finding is in the default profile or left to `--profile audit` (issue 13's ecosystem
//! check).

mod common;

use common::{pyaudit, stderr, stdout, write};
use serde_json::Value;

/// `(rule, line, confidence)` of every finding a scan of `file` in `d` reports.
fn found(d: &std::path::Path, file: &str, extra: &[&str]) -> Vec<(String, u64, String)> {
    let mut args = vec!["scan", file, "--format", "json", "--exit-zero"];
    args.extend_from_slice(extra);
    let o = pyaudit(&args, d);
    let doc: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The single finding `(rule, line, confidence)` a case expects.
fn one(rule: &str, line: u64, confidence: &str) -> Vec<(String, u64, String)> {
    vec![(rule.to_string(), line, confidence.to_string())]
}

#[test]
fn jinja_without_autoescape_is_medium_only_where_the_file_shows_html() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Renders YAML: autoescaping is irrelevant, so the default profile stays quiet.
    write(
        d,
        "config.py",
        "import jinja2\nimport yaml\n\ndef load(root, name):\n    \
         env = jinja2.Environment(loader=jinja2.FileSystemLoader(root))\n    \
         return yaml.safe_load(env.get_template(name).render())\n",
    );
    assert_eq!(found(d, "config.py", &[]), []);
    assert_eq!(
        found(d, "config.py", &["--profile", "audit"]),
        one("PYA307", 5, "low")
    );
    // Names an HTML template: reported by default, at medium confidence.
    write(
        d,
        "page.py",
        "import jinja2\n\ndef page(name):\n    \
         env = jinja2.Environment(loader=jinja2.FileSystemLoader(\"templates\"))\n    \
         return env.get_template(\"profile.html\").render(name=name)\n",
    );
    assert_eq!(found(d, "page.py", &[]), one("PYA307", 4, "medium"));
    // HTML markup in a string counts too; a docstring that mentions HTML does not.
    write(
        d,
        "snippet.py",
        "\"\"\"Renders <b>HTML</b> cards from index.html.\"\"\"\nimport jinja2\n\n\
         CARD = \"<div>{{ title }}</div>\"\n\ndef card(title):\n    \
         return jinja2.Template(CARD).render(title=title)\n",
    );
    assert_eq!(found(d, "snippet.py", &[]), one("PYA307", 7, "medium"));
    write(
        d,
        "doc_only.py",
        "\"\"\"Renders <b>HTML</b> cards from index.html.\"\"\"\nimport jinja2\n\n\
         def card(text):\n    return jinja2.Template(text).render()\n",
    );
    assert_eq!(found(d, "doc_only.py", &[]), []);
    // An explicit `autoescape=False` is high confidence whatever the file holds.
    write(
        d,
        "explicit.py",
        "import jinja2\n\nenv = jinja2.Environment(autoescape=False)\n",
    );
    assert_eq!(found(d, "explicit.py", &[]), one("PYA307", 3, "high"));
}

#[test]
fn a_development_server_module_leaves_its_debug_flag_to_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let app = "from starlette.applications import Starlette\n\napp = Starlette(debug=True)\n";
    write(d, "cli/debug_server.py", app);
    write(d, "web/app.py", app);
    assert_eq!(found(d, "cli/debug_server.py", &[]), []);
    assert_eq!(
        found(d, "cli/debug_server.py", &["--profile", "audit"]),
        one("PYA305", 3, "low")
    );
    assert_eq!(found(d, "web/app.py", &[]), one("PYA305", 3, "high"));
}
