//! End-to-end attacks by a hostile repository on what pyaudit prints (issue 12, points 1, 4
//! and 5): file names, config values and rule text that try to issue GitHub Actions
//! workflow commands or put active markup into SARIF, and suppression comments in prose.
//! Each test attempts the attack on the built binary and asserts it is neutralised.

mod common;

use common::{pyaudit, stderr, stdout, write};
use std::path::Path;

const VULN: &str = "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n";

/// File names that are workflow commands, with and without leading whitespace, and the
/// legacy `##[` form the runner finds anywhere in a line.
const HOSTILE_NAMES: &[&str] = &[
    "::add-mask::secret.py",
    "::stop-commands::tok.py",
    "::error file=app.py,line=1,title=LGTM::No issues found.py",
    "  ::error file=app.py,line=1,title=LGTM::No issues found.py",
    "\u{3000}::warning::wide.py",
    "::add-mask::dir/inner.py",
    "  ::stop-commands::dir2/inner.py",
    "a ##[add-mask]legacy.py",
];

/// Whether GitHub would read `line` as a workflow command: `::` after leading whitespace
/// (the runner's `TrimStart`), or the legacy `##[` anywhere.
fn is_command(line: &str) -> bool {
    line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .starts_with("::")
        || line.contains("##[")
}

/// Asserts no line of `text` is a workflow command.
fn assert_inert(text: &str, what: &str) {
    for line in text.lines() {
        assert!(
            !is_command(line),
            "{what}: workflow command in line {line:?}"
        );
    }
}

/// A tree with a finding in every hostile file, plus a hostile binary file whose diagnostic
/// carries its name to stderr.
fn hostile_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in HOSTILE_NAMES {
        write(tmp.path(), name, VULN);
    }
    std::fs::write(
        tmp.path().join("::stop-commands::binary.py"),
        b"import pickle\x00\x01\x02",
    )
    .unwrap();
    // Source lines are quoted in the text report and in JSON: the legacy form inside code.
    write(
        tmp.path(),
        "quoted.py",
        "import pickle\npickle.loads(x)  # ##[add-mask]secret\n",
    );
    std::fs::write(
        tmp.path().join("  ::add-mask::broken.py"),
        "import pickle\ndef f(:\n    pickle.loads(x)\n",
    )
    .unwrap();
    tmp
}

/// Splits a `::command props::data` line into its command, properties and data.
fn parse_annotation(line: &str) -> (&str, Vec<(&str, &str)>, &str) {
    let body = line.strip_prefix("::").expect("annotation");
    let (head, data) = body.split_once("::").expect("data separator");
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').expect("key=value"))
        .collect();
    (cmd, props, data)
}

/// The runner's unescaping of a property value.
fn unescape_property(v: &str) -> String {
    v.replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

#[test]
fn hostile_file_names_never_issue_commands_in_any_format() {
    let tmp = hostile_tree();
    let formats = [
        "text",
        "json",
        "sarif",
        "github",
        "concise",
        "json-lines",
        "gitlab",
        "junit",
    ];
    for format in formats {
        let mut runs = vec![
            vec!["scan", "--format", format],
            vec!["scan", "--format", format, "."],
            vec!["scan", "--format", format, "--show-suppressed", "--strict"],
        ];
        if matches!(format, "text" | "concise" | "json") {
            runs.push(vec!["scan", "--format", format, "--statistics"]);
        }
        for args in runs {
            let o = pyaudit(&args, tmp.path());
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            let (out, err) = (stdout(&o), stderr(&o));
            // The warnings name the hostile files: the attack reached stderr.
            assert!(err.contains("binary.py"), "{args:?}: {err}");
            assert!(err.contains("broken.py"), "{args:?}: {err}");
            assert_inert(&err, &format!("stderr of {args:?}"));
            let statistics = args.contains(&"--statistics");
            if format == "github" && !statistics {
                check_annotations(&out, tmp.path(), HOSTILE_NAMES.len());
            } else {
                assert_inert(&out, &format!("stdout of {args:?}"));
            }
            if format == "text" && !statistics {
                assert!(out.contains("# ##\\x5badd-mask]secret"), "{out}");
                // Still reported, under a name that starts with `./`.
                assert!(
                    out.contains("./::add-mask::secret.py:4:12: PYA101"),
                    "{out}"
                );
                assert!(out.contains("./  ::error file=app.py"), "{out}");
            }
        }
    }
}

/// `--format github` writes only error/warning/notice annotations whose properties are
/// escaped and whose `file=` names a file that exists.
fn check_annotations(out: &str, root: &Path, min_files: usize) {
    let mut files = 0;
    for line in out.lines() {
        let (cmd, props, data) = parse_annotation(line);
        assert!(
            matches!(cmd, "error" | "warning" | "notice"),
            "unexpected command in {line:?}"
        );
        // `##[` may stay: the runner reads the line as this `::` command before it looks
        // for the legacy form.
        assert!(!data.contains('\n'), "{line:?}");
        for (key, value) in props {
            assert!(
                matches!(
                    key,
                    "file" | "line" | "endLine" | "col" | "endColumn" | "title"
                ),
                "unexpected property {key} in {line:?}"
            );
            assert!(!value.contains(':') && !value.contains(','), "{line:?}");
            if key == "file" {
                let file = unescape_property(value);
                assert!(
                    root.join(&file).is_file(),
                    "{file:?} does not exist ({line:?})"
                );
                files += 1;
            }
        }
    }
    assert!(files >= min_files, "{out}");
}

#[test]
fn machine_reports_keep_the_real_names() {
    let tmp = hostile_tree();
    let o = pyaudit(&["scan", "--format", "json"], tmp.path());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for name in HOSTILE_NAMES {
        assert!(
            paths.iter().any(|p| p.ends_with(name)),
            "{name:?} not in {paths:?}"
        );
    }
    // The quoted source line is the same text to a JSON reader.
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["line_text"] == "pickle.loads(x)  # ##[add-mask]secret"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sarif_to_a_file_prints_an_inert_summary() {
    // What the Action does: SARIF to a file, the text report on stdout.
    let tmp = hostile_tree();
    let o = pyaudit(
        &["scan", "--format", "sarif", "--output", "out.sarif"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_inert(&stdout(&o), "stdout");
    assert_inert(&stderr(&o), "stderr");
    let sarif = std::fs::read_to_string(tmp.path().join("out.sarif")).unwrap();
    assert_inert(&sarif, "SARIF file");
    serde_json::from_str::<serde_json::Value>(&sarif).unwrap();
}

#[test]
fn github_format_names_no_file_that_is_not_there() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/a.py", VULN);
    // A dangling symbolic link: its diagnostic names a path that is not a file.
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        "nowhere.py",
        tmp.path().join("app/::error file=ghost.py::gone.py"),
    )
    .unwrap();
    let o = pyaudit(&["scan", "--format", "github", "app"], tmp.path());
    let out = stdout(&o);
    check_annotations(&out, tmp.path(), 1);
    assert_inert(&stderr(&o), "stderr");
    #[cfg(unix)]
    assert!(
        out.lines()
            .any(|l| l.starts_with("::warning title=") && l.contains("gone.py")),
        "{out}"
    );
}

#[test]
fn config_values_with_line_breaks_stay_on_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/a.py", VULN);
    let cases = [
        "fail-on = \"high\\n::error::pwned\"\n",
        "select = [\"PYA101\\n::add-mask::x\"]\n",
        "exclude = [\"[\\n::stop-commands::t\"]\n",
        "min-confidence = \"\\u001b]8;;https://e\\u0007x\\n  ::error::y\"\n",
    ];
    for case in cases {
        write(
            tmp.path(),
            "pyproject.toml",
            &format!("[tool.pyaudit]\n{case}"),
        );
        let o = pyaudit(&["scan", "app"], tmp.path());
        assert_eq!(o.status.code(), Some(2), "{case}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("pyaudit: error:"), "{err}");
        assert_inert(&err, case);
        assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
        // The value's line break is escaped like code where the message quotes it.
        assert!(err.contains("\\x0a"), "{err}");
        assert_inert(&stdout(&o), case);
    }
    // A value that is valid but holds a line break is shown escaped by --show-settings.
    write(
        tmp.path(),
        "pyproject.toml",
        "[tool.pyaudit]\nexclude = [\"x\\n::add-mask::y\"]\n",
    );
    let o = pyaudit(&["scan", "--show-settings", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_inert(&stdout(&o), "--show-settings");
}

/// A user rule whose text tries every kind of active markup and command.
const HOSTILE_RULE: &str = r#"id = "EVIL001"
name = "evil-read"
severity = "high"
confidence = "high"
help_uri = "http://evil.example/help"
summary = "Summary <img src=x onerror=alert(1)> [s](javascript:alert(1))"
message = "`{call}` is bad [click](javascript:alert(1)) <script>alert(1)</script>"
help = """
Fix it. <script>alert(document.cookie)</script>
![tracker](https://evil.example/pixel.png) and <img src=x>
[plain http](http://evil.example/) and [ok](https://example.com/docs)
[js](javascript:alert(1)) <javascript:alert(1)> www.evil.example mail@evil.example
Backticks: `a``b` and ``c`d``.
[ref]: javascript:alert(1)
&lt;b&gt; and \u001b]8;;https://evil\u0007link\u001b]8;;\u0007
::error file=app.py::from help
"""
description = "Line one\n::add-mask::from-description\n<iframe src=x></iframe>"
vulnerable = "evil.read(x)\n```\n<img src=x onerror=alert(2)>\n```"
fixed = "evil.safe_read(x)"

[[pattern]]
calls = ["evil.read"]
"#;

fn hostile_rule_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/a.py", "import evil\nevil.read(x)\n");
    write(tmp.path(), "myrules/evil.toml", HOSTILE_RULE);
    tmp
}

/// The Markdown outside fenced code blocks and code spans (where nothing is markup).
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match fence {
            Some(n) if ticks >= n && line[ticks..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 && !line[ticks..].contains('`') => fence = Some(ticks),
            None => {
                // Drop code spans: a run of backticks up to the next run of the same length.
                let mut rest = line;
                while let Some(i) = rest.find('`') {
                    out.push_str(&rest[..i]);
                    let run = rest[i..].chars().take_while(|&c| c == '`').count();
                    let after = &rest[i + run..];
                    let fence = "`".repeat(run);
                    let close = (0..after.len()).find(|&j| {
                        after[j..].starts_with(&fence)
                            && !after[j + run..].starts_with('`')
                            && (j == 0 || !after[..j].ends_with('`'))
                    });
                    match close {
                        Some(j) => rest = &after[j + run..],
                        None => {
                            out.push_str(&rest[i..i + run]);
                            rest = after;
                        }
                    }
                }
                out.push_str(rest);
                out.push('\n');
            }
        }
    }
    out
}

/// Raw HTML, entities, images and links other than `https:` that a Markdown renderer would
/// act on, outside code. Escaped characters (`\<`) are text.
fn assert_markdown_inert(md: &str) {
    let text = outside_code(md);
    assert!(!text.contains('\x1b'), "{md}");
    for (i, c) in text.char_indices() {
        let escaped = text[..i].ends_with('\\');
        match c {
            '<' => assert!(
                escaped || text[i..].starts_with("<https://"),
                "raw `<` at {i} in:\n{text}"
            ),
            '&' | '!' => assert!(escaped, "raw `{c}` at {i} in:\n{text}"),
            '[' if !escaped => {
                let link = &text[i..];
                let target = link.split_once("](").map(|(_, t)| t);
                assert!(
                    target.is_some_and(|t| t.starts_with("https://")),
                    "link that is not https at {i} in:\n{text}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn user_rule_text_is_inert_in_sarif() {
    let tmp = hostile_rule_tree();
    let o = pyaudit(
        &["scan", "--rules", "myrules", "--format", "sarif", "app"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_inert(&out, "SARIF");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let evil = rules.iter().find(|r| r["id"] == "EVIL001").unwrap();
    // A plain-http help page is not linked.
    assert!(evil.get("helpUri").is_none(), "{evil}");
    let md = evil["help"]["markdown"].as_str().unwrap();
    assert_markdown_inert(md);
    // What is allowed survives: https links and code spans, with longer fences as needed.
    assert!(md.contains("[ok](https://example.com/docs)"), "{md}");
    assert!(md.contains("```a``b```"), "{md}");
    assert!(md.contains("``c`d``"), "{md}");
    // The example's fence is longer than the fence inside it, so it stays code.
    assert!(
        md.contains("````python\nevil.read(x)\n```\n<img src=x onerror=alert(2)>\n```\n````"),
        "{md}"
    );
    for field in ["shortDescription", "fullDescription"] {
        let t = evil[field]["text"].as_str().unwrap();
        assert!(!t.contains('\x1b'), "{t:?}");
    }
    // The result's message cannot form an embedded link.
    let msg = doc["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(msg.contains("\\[click\\](javascript:"), "{msg}");
    assert!(!msg.contains("[click]("), "{msg}");
}

#[test]
fn user_rule_text_is_inert_on_terminals_and_logs() {
    let tmp = hostile_rule_tree();
    for args in [
        vec!["scan", "--rules", "myrules", "app"],
        vec!["scan", "--rules", "myrules", "--format", "json", "app"],
        vec!["explain", "--rules", "myrules", "EVIL001"],
        vec!["rules", "--rules", "myrules"],
        vec!["rules", "--rules", "myrules", "--format", "json"],
        vec!["rules", "--rules", "myrules", "--format", "markdown"],
    ] {
        let o = pyaudit(&args, tmp.path());
        let (out, err) = (stdout(&o), stderr(&o));
        assert!(o.status.code() != Some(2), "{args:?}: {err}");
        assert_inert(&out, &format!("stdout of {args:?}"));
        assert_inert(&err, &format!("stderr of {args:?}"));
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{args:?}: {out:?}"
        );
    }
}

#[test]
fn built_in_rule_markdown_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/a.py", VULN);
    let o = pyaudit(&["scan", "--format", "sarif", "app"], tmp.path());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let pya101 = rules.iter().find(|r| r["id"] == "PYA101").unwrap();
    let explained = stdout(&pyaudit(&["explain", "PYA101"], tmp.path()));
    assert_eq!(pya101["help"]["markdown"].as_str().unwrap(), explained);
    assert!(
        explained.contains("```python\nimport base64"),
        "{explained}"
    );
}

#[test]
fn suppression_comments_must_begin_the_comment() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "app/a.py",
        "import pickle\n\
         a = pickle.loads(x)  # TODO: review the pyaudit: ignore list\n\
         b = pickle.loads(x)  # see the pyaudit: ignore[PYA101] docs\n\
         c = pickle.loads(x)  # pyaudit: ignore[PYA101] verified by HMAC\n\
         d = pickle.loads(x)  # noqa: S301 # pyaudit: ignore[PYA101]\n\
         e = pickle.loads(x)  #pyaudit:ignore\n\
         f = pickle.loads(x)  # never write `# pyaudit: ignore` here\n\
         g = pickle.loads(x)  # pyaudit: ignored on purpose\n",
    );
    let o = pyaudit(&["scan", "--format", "json", "app"], tmp.path());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let by_line: Vec<(u64, bool)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["start"]["line"].as_u64().unwrap(),
                f["suppressed"].as_bool().unwrap(),
            )
        })
        .collect();
    // Prose does not silence; real directives still do.
    assert_eq!(
        by_line,
        [
            (2, false),
            (3, false),
            (4, true),
            (5, true),
            (6, true),
            (7, false),
            (8, false)
        ],
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn user_rule_pages_are_inert() {
    let tmp = hostile_rule_tree();
    let o = pyaudit(
        &[
            "rules", "--rules", "myrules", "--format", "markdown", "--output", "pages",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(tmp.path().join("pages/EVIL001.md")).unwrap();
    // The generated-file marker (an HTML comment) and the footer's link to the index are
    // pyaudit's own.
    let body = page.split_once('\n').unwrap().1;
    let body = body.rsplit_once("\n---\n").unwrap().0;
    assert_markdown_inert(body);
    let index = std::fs::read_to_string(tmp.path().join("pages/README.md")).unwrap();
    let row = index.lines().find(|l| l.contains("EVIL001")).unwrap();
    // The summary is the last cell (the id's link to its page is pyaudit's own).
    let summary = row.rsplit_once(" |  | ").unwrap().1;
    assert!(summary.starts_with("Summary \\<img"), "{row}");
    assert_markdown_inert(summary);
    // Built-in pages are unchanged: the committed docs still match (tests/rule_docs.rs).
    let builtin = std::fs::read_to_string(tmp.path().join("pages/PYA101.md")).unwrap();
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules/PYA101.md"))
            .unwrap();
    assert_eq!(builtin, committed);
}
