//! End-to-end tests of `--format html`: no active content from hostile file names, code or
//! rule text; the page in headless Chromium (counts, filters, data-flow steps, screenshot);
//! the size of a 5,000-finding report.

mod common;

use common::{pyaudit, stderr, stdout, write};
use pyaudit::report::html::csp_hash;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Elements the report may contain; anything else came from somewhere it should not have.
const TAGS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "code",
    "span",
    "nav",
    "a",
    "section",
    "div",
    "svg",
    "text",
    "rect",
    "figure",
    "figcaption",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "dl",
    "dt",
    "dd",
    "details",
    "summary",
    "pre",
    "b",
    "article",
    "mark",
    "ol",
    "li",
    "footer",
    "script",
];

const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "class",
    "id",
    "href",
    "rel",
    "hidden",
    "open",
    "colspan",
    "xmlns",
    "width",
    "height",
    "viewBox",
    "role",
    "aria-label",
    "x",
    "y",
    "rx",
    "type",
    "data-count",
    "data-rule-count",
    "data-rule",
    "data-sev",
    "data-conf",
    "data-line",
];

/// One start tag: its name and attributes.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// A strict tokenizer for the report's own HTML: every `<` must start a tag the report
/// writes, with double-quoted attributes; `<script>` and `<style>` contents are returned
/// separately. Panics (with context) on anything else.
fn tokenize(html: &str) -> (Vec<Tag>, Vec<(Tag, String)>) {
    let mut tags = Vec::new();
    let mut raw = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    let context = |at: usize| &html[at.saturating_sub(80)..(at + 80).min(html.len())];
    while let Some(off) = html[i..].find('<') {
        let at = i + off;
        let rest = &html[at..];
        if rest.starts_with("<!DOCTYPE html>") {
            i = at + 15;
            continue;
        }
        let closing = rest.starts_with("</");
        let mut j = at + if closing { 2 } else { 1 };
        let start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let name = &html[start..j];
        assert!(
            TAGS.contains(&name),
            "unexpected `<` or tag `{name}` at: {}",
            context(at)
        );
        let mut attrs = Vec::new();
        loop {
            while b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            assert!(!closing, "attributes on a closing tag at: {}", context(at));
            let s = j;
            while b[j].is_ascii_alphanumeric() || b[j] == b'-' {
                j += 1;
            }
            let attr = html[s..j].to_string();
            assert!(
                ATTRIBUTES.contains(&attr.as_str()),
                "unexpected attribute `{attr}` at: {}",
                context(at)
            );
            let mut value = String::new();
            if b[j] == b'=' {
                assert_eq!(b[j + 1], b'"', "unquoted attribute at: {}", context(at));
                let end = html[j + 2..].find('"').expect("closing quote") + j + 2;
                value = html[j + 2..end].to_string();
                j = end + 1;
            }
            attrs.push((attr, value));
        }
        let tag = Tag {
            name: name.to_string(),
            attrs,
        };
        if !closing && (name == "script" || name == "style") {
            let end_tag = format!("</{name}>");
            let end = html[j..].find(&end_tag).expect("closed raw-text element") + j;
            raw.push((tag, html[j..end].to_string()));
            i = end + end_tag.len();
        } else {
            if !closing {
                tags.push(tag);
            }
            i = j;
        }
    }
    (tags, raw)
}

fn attr<'a>(t: &'a Tag, name: &str) -> Option<&'a str> {
    t.attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A project whose file names, code and rule file carry markup, `javascript:` URLs and
/// bidi controls.
fn hostile_project(dir: &Path) {
    let code = "import pickle\nimport os\nimport evil\nfrom flask import request\n\n\
        def f(b):\n    return pickle.loads(b)  # </script><script>alert(2)</script> \"><img src=x onerror=alert(3)> javascript:alert(4) \u{202E}gnp.exe\n\n\
        def g():\n    cmd = request.args.get(\"</script><script>alert(5)</script>\")\n    os.system(cmd)  # \"><svg onload=alert(6)>\n\n\
        def h(x):\n    evil.run(x, '\u{2066}<iframe src=javascript:alert(7)>')\n\n\
        def k(b):\n    return pickle.loads(b)  # pyaudit: ignore[PYA101] <img src=x onerror=alert(8)>\n";
    write(dir, "app/<script>alert(1)</script>.py", code);
    write(dir, "app/\"><img src=x onerror=alert(1)>.py", code);
    write(dir, "app/javascript:alert(1).py", code);
    write(dir, "app/bidi\u{202E}yp.txt.py", code);
    write(
        dir,
        "app/<svg onload=alert(9)>.py",
        "def (:\n    pickle.loads(b)  # <b>broken</b>\n",
    );
    write(
        dir,
        "myrules/XSS901-hostile.toml",
        r#"id = "XSS901"
name = "hostile-rule"
severity = "high"
confidence = "medium"
cwe = [79]
summary = "<script>alert(10)</script>"
message = "`{call}` said </script><script>alert(11)</script> \"><img src=x onerror=alert(12)>"
help = "Visit javascript:alert(13) or <a href=\"javascript:alert(14)\">here</a>."
description = "\"><img src=x onerror=alert(15)> \u202E"
vulnerable = "</script><script>alert(16)</script>"
fixed = "<style>body{display:none}</style>"
references = ["javascript:alert(17)"]
tags = ["<b onmouseover=alert(18)>x</b>"]

[[pattern]]
calls = ["evil.run"]
"#,
    );
}

#[test]
fn hostile_names_code_and_rules_stay_inert() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_project(tmp.path());
    let o = pyaudit(
        &[
            "scan",
            "--rules",
            "myrules",
            "--format",
            "html",
            "--output",
            "report.html",
            "app",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();

    let (tags, raw) = tokenize(&html);
    for t in &tags {
        for (k, v) in &t.attrs {
            assert!(!k.starts_with("on"), "event handler {k} on <{}>", t.name);
            if k == "href" {
                assert!(
                    v.starts_with('#') || v.starts_with("https://"),
                    "link to {v:?}"
                );
            }
            assert!(!v.contains('<'), "raw `<` in attribute {k}={v:?}");
        }
    }
    // Exactly the report's own two scripts (code and JSON data) and its one style sheet.
    let scripts: Vec<_> = raw.iter().filter(|(t, _)| t.name == "script").collect();
    assert_eq!(scripts.len(), 2, "scripts: {:?}", scripts);
    let data = scripts
        .iter()
        .find(|(t, _)| attr(t, "type") == Some("application/json"))
        .expect("JSON data element");
    assert!(!data.1.contains('<') && !data.1.contains('>') && !data.1.contains('&'));
    assert!(!data.1.contains('\u{2028}') && !data.1.contains('\u{2029}'));
    let parsed: Value = serde_json::from_str(&data.1).unwrap();
    assert!(
        parsed["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "XSS901"),
        "{parsed}"
    );
    let code = scripts
        .iter()
        .find(|(t, _)| t.attrs.is_empty())
        .expect("page script");
    let styles: Vec<_> = raw.iter().filter(|(t, _)| t.name == "style").collect();
    assert_eq!(styles.len(), 1);

    // The policy allows that script and style by hash, and nothing else.
    let csp = tags
        .iter()
        .find(|t| attr(t, "http-equiv") == Some("Content-Security-Policy"))
        .and_then(|t| attr(t, "content"))
        .expect("CSP meta");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(
        csp.contains(&format!("script-src {};", csp_hash(&code.1))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src {};", csp_hash(&styles[0].1))),
        "{csp}"
    );
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    // The CSP must come before anything that could load or run.
    assert!(html.find("Content-Security-Policy").unwrap() < html.find("<style>").unwrap());

    // Bidi controls never reach the page raw; the hostile text is shown, escaped.
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    ] {
        assert!(!html.contains(c), "raw {c:?} in the report");
    }
    for shown in [
        "app/&lt;script&gt;alert(1)&lt;/script&gt;.py",
        "app/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.py",
        "app/javascript:alert(1).py",
        "app/bidi\\u{202e}yp.txt.py",
        "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
        "said &lt;/script&gt;&lt;script&gt;alert(11)&lt;/script&gt;",
        "&lt;style&gt;body{display:none}&lt;/style&gt;",
        "app/&lt;svg onload=alert(9)&gt;.py",
    ] {
        assert!(html.contains(shown), "report does not show {shown}");
    }
    // Every section is there: a suppressed finding, the broken file, a data flow.
    assert!(
        html.contains("data-count=\"suppressed\">4<"),
        "suppressed count"
    );
    assert!(html.contains("<td>syntax</td>"));
    assert!(html.contains("<ol class=\"flow\""));
}

#[test]
fn html_on_stdout_keeps_summary_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.py",
        "import pickle\n\ndef f(b):\n    return pickle.loads(b)\n",
    );
    let o = pyaudit(&["scan", "--format", "html", "a.py"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("<!DOCTYPE html>") && out.ends_with("</html>\n"));
    assert!(stderr(&o).contains("Found 1 finding"), "{}", stderr(&o));
}

/// Path of headless Chromium, or `None` (the test then skips, except in CI).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PYAUDIT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing: scripts/setup-browser should have installed it",
        path.display()
    );
    eprintln!(
        "browser test skipped: no {} (run scripts/setup-browser)",
        path.display()
    );
    None
}

/// Runs headless Chromium with `args` and the URL of `page`; returns its stdout. A fresh
/// profile each time, no network services, killed after a minute.
fn run_chromium(bin: &Path, args: &[String], page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).unwrap();
        s
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// Reads the page in the browser: the counts it shows, what filters leave visible, the
/// steps of each data-flow diagram. The results are written into the DOM for --dump-dom.
const PROBE: &str = r##"
(function () {
  function txt(sel) { var e = document.querySelector(sel); return e ? e.textContent.trim() : null; }
  function visible() {
    return Array.prototype.filter.call(document.querySelectorAll("#findings article.f"), function (a) {
      return !a.closest("[hidden]") && getComputedStyle(a).display !== "none";
    });
  }
  function pathOf(a) { return a.querySelector(".loc").textContent.replace(/:\d+:\d+$/, ""); }
  function uniq(xs) { return xs.filter(function (x, i) { return xs.indexOf(x) === i; }).sort(); }
  function snapshot() {
    var v = visible();
    return { shown: v.length, sevs: uniq(v.map(function (a) { return a.dataset.sev; })),
      rules: uniq(v.map(function (a) { return a.dataset.rule; })),
      paths: uniq(v.map(pathOf)),
      status: txt("#status") };
  }
  function fire(el, type) { el.dispatchEvent(new Event(type, { bubbles: true })); }
  var out = { counts: {}, rules: {} };
  document.querySelectorAll("[data-count]").forEach(function (e) { out.counts[e.dataset.count] = Number(e.textContent); });
  document.querySelectorAll("[data-rule-count]").forEach(function (e) { out.rules[e.dataset.ruleCount] = Number(e.textContent); });
  out.controlsShown = !document.getElementById("controls").hidden;
  out.initial = snapshot();
  var high = document.querySelector("input[name=severity][value=high]");
  high.checked = false; fire(high, "change");
  out.noHigh = snapshot();
  high.checked = true; fire(high, "change");
  var path = document.querySelector("input[name=path]");
  path.value = "VIEWS"; fire(path, "input");
  out.views = snapshot();
  path.value = ""; fire(path, "input");
  var rule = document.querySelector("select[name=rule]");
  rule.value = "PYA201"; fire(rule, "change");
  out.pya201 = snapshot();
  rule.value = ""; fire(rule, "change");
  out.flows = Array.prototype.map.call(document.querySelectorAll("#findings article.f"), function (a) {
    return { rule: a.dataset.rule, path: pathOf(a), line: Number(a.dataset.line),
      steps: Array.prototype.map.call(a.querySelectorAll("ol.flow > li"), function (li) {
        var f = li.querySelector(".file");
        return { line: Number(li.dataset.line), file: f ? f.textContent : null, text: li.textContent,
          code: li.querySelector("code.line") ? li.querySelector("code.line").textContent : null };
      }) };
  }).filter(function (f) { return f.steps.length > 0; });
  var pre = document.createElement("pre");
  pre.id = "pyaudit-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"##;

/// A copy of the report that also runs [`PROBE`]: the probe is appended and its hash added
/// to the page's script-src, the rest of the page (its own script and policy) unchanged.
fn with_probe(html: &str) -> String {
    let marker = "script-src ";
    let at = html.find(marker).expect("script-src in CSP") + marker.len();
    let mut page = format!("{}{} {}", &html[..at], csp_hash(PROBE), &html[at..]);
    let end = page.rfind("</body>").unwrap();
    page.insert_str(end, &format!("<script>{PROBE}</script>\n"));
    page
}

fn unescape_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[test]
fn report_in_headless_chromium() {
    let Some(bin) = chromium() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&out_dir).unwrap();
    let report = out_dir.join("report.html");
    let targets = ["fixtures/seeds", "fixtures/taint/crossmod", "fixtures/rest"];
    let mut args = vec!["scan", "--format", "html", "--output"];
    let report_arg = report.to_str().unwrap();
    args.push(report_arg);
    args.extend(targets);
    let o = pyaudit(&args, root);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut args = vec!["scan", "--format", "json"];
    args.extend(targets);
    let json: Value = serde_json::from_str(&stdout(&pyaudit(&args, root))).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();

    let probe_page = out_dir.join("report-probe.html");
    std::fs::write(&probe_page, with_probe(&html)).unwrap();
    let dom = run_chromium(
        &bin,
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
        &probe_page,
    );
    let start = dom
        .find("<pre id=\"pyaudit-probe\">")
        .expect("the probe ran (its output is in the DOM)")
        + "<pre id=\"pyaudit-probe\">".len();
    let end = dom[start..].find("</pre>").unwrap() + start;
    let got: Value = serde_json::from_str(&unescape_text(&dom[start..end])).unwrap();
    assert_eq!(got["controlsShown"], true, "the page script did not run");

    // Counts shown match the JSON report.
    let summary = &json["summary"];
    let total = summary["findings"].as_u64().unwrap();
    assert!(total > 10, "{summary}");
    assert_eq!(got["counts"]["total"], total);
    for sev in ["critical", "high", "medium", "low"] {
        assert_eq!(got["counts"][sev], summary["by_severity"][sev], "{sev}");
    }
    assert_eq!(got["counts"]["suppressed"], summary["suppressed"]);
    assert_eq!(got["counts"]["files-scanned"], summary["files_scanned"]);
    let active: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .collect();
    let mut per_rule: BTreeMap<String, u64> = BTreeMap::new();
    for f in &active {
        *per_rule
            .entry(f["rule_id"].as_str().unwrap().into())
            .or_default() += 1;
    }
    let shown_rules: BTreeMap<String, u64> = serde_json::from_value(got["rules"].clone()).unwrap();
    assert_eq!(shown_rules, per_rule);
    // Test-code findings are counted but listed in their own section.
    let listed = total - summary["test_code"].as_u64().unwrap();
    assert_eq!(got["initial"]["shown"], listed);
    assert_eq!(
        got["initial"]["status"],
        format!("Showing {listed} of {listed} findings.")
    );

    // Filters hide what they should, and only that.
    let high = summary["by_severity"]["high"].as_u64().unwrap();
    assert!(high > 0);
    assert_eq!(got["noHigh"]["shown"], listed - high);
    assert!(
        !got["noHigh"]["sevs"]
            .as_array()
            .unwrap()
            .contains(&"high".into())
    );
    let views = active
        .iter()
        .filter(|f| f["path"].as_str().unwrap().contains("views"))
        .count() as u64;
    assert!(views > 0 && views < total);
    assert_eq!(got["views"]["shown"], views);
    for p in got["views"]["paths"].as_array().unwrap() {
        assert!(p.as_str().unwrap().contains("views"), "{p}");
    }
    assert_eq!(got["pya201"]["shown"], per_rule["PYA201"]);
    assert_eq!(got["pya201"]["rules"], serde_json::json!(["PYA201"]));

    // Each data-flow diagram lists the finding's steps, line by line, naming the file.
    let with_flow: Vec<&&Value> = active
        .iter()
        .filter(|f| !f["flow"].as_array().unwrap().is_empty())
        .collect();
    let flows = got["flows"].as_array().unwrap();
    assert_eq!(flows.len(), with_flow.len());
    // fixtures/taint/crossmod has flows from one module into another: two files named.
    assert!(
        flows.iter().any(|d| d["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["file"].is_string())
            .count()
            >= 2),
        "no cross-module diagram: {flows:?}"
    );
    for f in with_flow {
        let shown = flows
            .iter()
            .find(|d| {
                d["rule"] == f["rule_id"]
                    && d["path"] == f["path"]
                    && d["line"] == f["start"]["line"]
            })
            .unwrap_or_else(|| panic!("no diagram for {f}"));
        let steps = shown["steps"].as_array().unwrap();
        let want = f["flow"].as_array().unwrap();
        assert_eq!(steps.len(), want.len(), "{shown}");
        // The file is named at the first step and wherever it changes (the JSON report has
        // no per-step file, so this checks the structure): the first step names one, a
        // named file differs from the one before, and the sink is in the finding's file.
        let mut current = steps[0]["file"]
            .as_str()
            .expect("first step names its file");
        for s in &steps[1..] {
            if let Some(file) = s["file"].as_str() {
                assert_ne!(file, current, "file named again without a change: {shown}");
                current = file;
            }
        }
        assert_eq!(
            current, f["path"],
            "the sink is not in the finding's file: {shown}"
        );
        // The source's code line is shown when it is not the finding's own line.
        if steps[0]["file"] == f["path"] && want[0]["start"]["line"] != f["start"]["line"] {
            assert!(
                steps[0]["code"].is_string(),
                "no code for the source: {shown}"
            );
        }
        for (s, w) in steps.iter().zip(want) {
            assert_eq!(s["line"], w["start"]["line"]);
            let text = s["text"].as_str().unwrap();
            assert!(
                text.contains(&format!("line {}", w["start"]["line"])),
                "{text}"
            );
            let note = w["note"].as_str().unwrap().replace('`', "");
            assert!(text.contains(&note), "{text:?} lacks {note:?}");
        }
    }

    // A screenshot of the report itself (without the probe), kept as a test artifact.
    let shot = out_dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
        &report,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot: {}", shot.display());
}

/// `n` files, each with `per` plain findings and `per` data flows.
fn many_findings(dir: &Path, files: usize, per: usize) {
    for i in 0..files {
        let mut code = String::from("import os\nimport pickle\nfrom flask import request\n\n");
        for j in 0..per {
            code.push_str(&format!(
                "def load_{j}(blob):\n    return pickle.loads(blob)\n\n\
                 def run_{j}():\n    cmd = request.args.get(\"c{j}\")\n    full = \"echo \" + cmd\n    os.system(full)\n\n"
            ));
        }
        write(dir, &format!("pkg{}/module_{i}.py", i % 5), &code);
    }
}

#[test]
fn five_thousand_findings_stay_small() {
    let tmp = tempfile::tempdir().unwrap();
    many_findings(tmp.path(), 50, 50);
    let o = pyaudit(
        &[
            "scan", "--format", "html", "--output", "big.html", "pkg0", "pkg1", "pkg2", "pkg3",
            "pkg4",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let html = std::fs::read_to_string(tmp.path().join("big.html")).unwrap();
    let findings = html.matches("<article class=\"f\"").count();
    assert_eq!(findings, 5000);
    assert_eq!(html.matches("<ol class=\"flow\"").count(), 2500);
    let mib = html.len() as f64 / (1024.0 * 1024.0);
    eprintln!(
        "5,000-finding HTML report: {} bytes ({mib:.2} MiB)",
        html.len()
    );
    assert!(mib < 4.0, "report is {mib:.2} MiB");
    // Large rule groups start closed, so the browser lays out only what is opened.
    assert!(!html.contains("class=\"group\" id=\"rule-PYA101\" data-rule=\"PYA101\" open"));
}
