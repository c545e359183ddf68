//! A self-contained HTML audit report: summary, run metadata, findings grouped by rule with
//! their code, data-flow path and the rule's explanation, and the findings and files that
//! were set aside (suppressed, baselined, not fully scanned).
//!
//! Everything from the scanned tree or from rule files is hostile: it is HTML-escaped, with
//! control and bidirectional characters made visible, in every context. The page loads
//! nothing from anywhere: its one script and one style sheet are inline and allowed by
//! SHA-256 hash in a Content-Security-Policy that forbids everything else. The page is
//! complete without JavaScript; the script only adds filters, sorting and paging of long
//! rule groups.

use super::Report;
use super::location::LineCache;
use super::terminal::escape as visible_controls;
use super::text::char_col;
use crate::explain::rule_doc_url;
use crate::finding::{Confidence, Diagnostic, Finding, FlowStep, Severity};
use crate::gate::HiddenKind;
use crate::rules::Rule;
use crate::settings::{Profile, Settings};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Rule groups with more findings than this start closed when the report is large, so the
/// browser lays out only what the reader opens.
const OPEN_GROUP_LIMIT: usize = 50;
/// Reports with at most this many findings open every rule group.
const OPEN_ALL_LIMIT: usize = 500;
/// Longest code line shown for a data-flow step, in characters.
const STEP_CODE_CHARS: usize = 160;

/// What the HTML report shows beyond [`Report`]: the run's settings.
#[derive(Debug)]
pub struct Extras<'a> {
    pub settings: &'a Settings,
}

/// Escapes text for HTML element content and double- or single-quoted attribute values,
/// after making control and bidirectional-override characters visible (`\u{202e}`).
pub fn escape(text: &str) -> String {
    let shown = visible_controls(text);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` element: `<`, `>` and `&` (so no
/// `</script>` or `<!--` can end or change the element), U+2028/U+2029 and the bidi
/// controls are written as `\u` escapes, which JSON reads back as the same characters.
pub fn script_json(value: &impl Serialize) -> String {
    let raw = serde_json::to_string(value).expect("report data always serializes");
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<'
            | '>'
            | '&'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The CSP source expression (`'sha256-…'`) that allows an inline script or style with
/// exactly this text.
pub fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding, as CSP hash sources use.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The Content-Security-Policy of the report: nothing but its own script and style.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// A rule's category for the summary: its first tag that is not the analysis kind.
fn category(rule: Option<&Rule>) -> &str {
    rule.and_then(|r| r.tags.iter().find(|t| t.as_str() != "taint"))
        .map_or("other", String::as_str)
}

/// The file a data-flow step is in (a path may cross modules).
fn step_file<'a>(_f: &'a Finding, step: &'a FlowStep) -> &'a Path {
    &step.path
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (proleptic Gregorian calendar).
fn utc_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days since 0000-03-01, in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// When the report was made: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    utc_time(secs)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message most of a group's findings share (the first such when tied), shown once
/// for the group; `None` when no message is shared by at least two findings.
fn common_message<'f>(fs: &[&'f Finding]) -> Option<&'f str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in fs {
        *counts.entry(&f.message).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    (best >= 2).then(|| {
        fs.iter()
            .map(|f| f.message.as_str())
            .find(|m| counts[m] == best)
            .expect("a message with the top count")
    })
}

/// The data the page script reads: filter choices and the counts it shows.
#[derive(Serialize)]
struct PageData<'a> {
    total: usize,
    by_severity: BTreeMap<&'static str, usize>,
    rules: Vec<PageRule<'a>>,
}

#[derive(Serialize)]
struct PageRule<'a> {
    id: &'a str,
    name: &'a str,
    count: usize,
}

/// Renders the report as one HTML document.
pub fn render(report: &Report, extras: &Extras) -> String {
    let mut w = Writer {
        out: String::with_capacity(64 * 1024 + report.findings.len() * 700),
        report,
        lines: LineCache::new(report.result),
        next_id: 0,
    };
    w.document(extras);
    w.out
}

struct Writer<'a, 'r> {
    out: String,
    report: &'r Report<'a>,
    lines: LineCache,
    next_id: usize,
}

impl<'a> Writer<'a, '_> {
    fn rule(&self, f: &Finding) -> Option<&'a Rule> {
        let rules: &'a crate::rules::RuleSet = self.report.rules;
        rules.rules().get(f.rule_index)
    }

    fn path(&self, p: &Path) -> String {
        self.report.root.display(p)
    }

    fn document(&mut self, extras: &Extras) {
        let active: Vec<&Finding> = self.report.active().copied().collect();
        // Test-code findings count (as in the JSON summary) but are listed on their own.
        let (tests, main): (Vec<&Finding>, Vec<&Finding>) =
            active.iter().partition(|f| f.test_code);
        let suppressed: Vec<&Finding> = self
            .report
            .findings
            .iter()
            .copied()
            .filter(|f| f.suppressed)
            .collect();
        let _ = write!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <title>pyaudit report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            content_security_policy(),
            escape(&plural(active.len(), "finding", "findings")),
        );
        self.header(&active);
        self.summary(&active, &suppressed);
        self.metadata(extras);
        self.findings_section(&main);
        self.set_aside(&suppressed, &tests);
        self.diagnostics();
        self.page_data(&active);
        let _ = write!(
            self.out,
            "<footer>Generated by pyaudit {} on {}. This file loads nothing from the network.</footer>\n\
             <script>{SCRIPT}</script>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION"),
            generated_at()
        );
    }

    fn header(&mut self, active: &[&Finding]) {
        let roots: Vec<String> = self
            .report
            .result
            .roots
            .iter()
            .map(|p| escape(&self.path(p)))
            .collect();
        let verdict = if self.report.gate_failed {
            "<span class=\"verdict fail\">gate failed</span>"
        } else {
            "<span class=\"verdict pass\">gate passed</span>"
        };
        let _ = write!(
            self.out,
            "<header class=\"top\"><h1>pyaudit report</h1>\
             <p class=\"sub\">{} in {} scanned from <code>{}</code> {verdict}</p></header>\n\
             <nav class=\"toc\"><a href=\"#summary\">Summary</a> <a href=\"#run\">Run</a> \
             <a href=\"#findings\">Findings</a> <a href=\"#set-aside\">Set aside</a> \
             <a href=\"#coverage\">Not fully scanned</a></nav>\n",
            escape(&plural(active.len(), "finding", "findings")),
            escape(&plural(self.report.result.files_scanned, "file", "files")),
            roots.join("</code>, <code>"),
        );
    }

    fn summary(&mut self, active: &[&Finding], suppressed: &[&Finding]) {
        let mut by_sev: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_rule: BTreeMap<&str, (usize, Severity, &str)> = BTreeMap::new();
        let mut by_cat: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_file: BTreeMap<String, usize> = BTreeMap::new();
        for f in active {
            *by_sev.entry(f.severity).or_default() += 1;
            let rule = self.rule(f);
            let e = by_rule.entry(&f.rule_id).or_insert((
                0,
                f.severity,
                rule.map_or("", |r| r.name.as_str()),
            ));
            e.0 += 1;
            e.1 = e.1.max(f.severity);
            *by_cat.entry(category(rule)).or_default() += 1;
            *by_file.entry(self.path(&f.path)).or_default() += 1;
        }
        let o = &mut self.out;
        o.push_str("<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">");
        let _ = write!(
            o,
            "<div class=\"card total\"><span class=\"n\" data-count=\"total\">{}</span> findings</div>",
            active.len()
        );
        for s in Severity::ALL.iter().rev() {
            let _ = write!(
                o,
                "<div class=\"card sev-{s}\"><span class=\"n\" data-count=\"{s}\">{}</span> {s}</div>",
                by_sev[s]
            );
        }
        let not_full = self.report.result.files_with_errors();
        let _ = writeln!(
            o,
            "<div class=\"card aside\"><span class=\"n\" data-count=\"suppressed\">{}</span> suppressed</div>\
             <div class=\"card aside\"><span class=\"n\" data-count=\"baselined\">{}</span> baselined</div>\
             <div class=\"card aside\"><span class=\"n\" data-count=\"files-scanned\">{}</span> files scanned</div>\
             <div class=\"card aside{}\"><span class=\"n\" data-count=\"not-fully-scanned\">{not_full}</span> not fully scanned</div></div>",
            suppressed.len(),
            self.report.baselined,
            self.report.result.files_scanned,
            if not_full > 0 { " warn" } else { "" },
        );
        o.push_str("<div class=\"tables\">");
        chart(o, &by_sev);
        o.push_str("<table class=\"by-rule\"><caption>By rule</caption><thead><tr><th>Rule</th><th>Name</th><th>Severity</th><th>Findings</th></tr></thead><tbody>");
        for (id, (n, sev, name)) in &by_rule {
            let _ = write!(
                o,
                "<tr><td><a href=\"#rule-{}\">{}</a></td><td>{}</td><td><span class=\"badge sev-{sev}\">{sev}</span></td><td class=\"num\" data-rule-count=\"{}\">{n}</td></tr>",
                escape(id),
                escape(id),
                escape(name),
                escape(id)
            );
        }
        if by_rule.is_empty() {
            o.push_str("<tr><td colspan=\"4\">No findings.</td></tr>");
        }
        o.push_str("</tbody></table>\n<table class=\"by-category\"><caption>By category</caption><thead><tr><th>Category</th><th>Findings</th></tr></thead><tbody>");
        for (cat, n) in &by_cat {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
                escape(cat)
            );
        }
        o.push_str("</tbody></table>\n<table class=\"top-files\"><caption>Files with the most findings</caption><thead><tr><th>File</th><th>Findings</th></tr></thead><tbody>");
        let mut files: Vec<(String, usize)> = by_file.into_iter().collect();
        files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (file, n) in files.iter().take(10) {
            let _ = write!(
                o,
                "<tr><td class=\"path\">{}</td><td class=\"num\">{n}</td></tr>",
                escape(file)
            );
        }
        o.push_str("</tbody></table></div></section>\n");
    }

    fn metadata(&mut self, extras: &Extras) {
        let s = extras.settings;
        let r = self.report.result;
        let rules = self.report.rules.rules();
        let builtin = rules
            .iter()
            .filter(|r| r.origin.starts_with("builtin:"))
            .count();
        let mut rule_set = format!(
            "{} ({} built in, {} from rule directories)",
            plural(rules.len(), "rule", "rules"),
            builtin,
            rules.len() - builtin
        );
        if !s.rules_dirs.is_empty() {
            let dirs: Vec<String> = s.rules_dirs.iter().map(|d| self.path(d)).collect();
            rule_set.push_str(&format!(": {}", dirs.join(", ")));
        }
        let config = s
            .config
            .as_ref()
            .map_or("none".to_string(), |c| self.path(&c.path));
        let baseline =
            s.ci.baseline
                .as_deref()
                .map_or("none".to_string(), |p| self.path(p));
        let threat: Vec<&str> = s.threat_models.iter().map(|t| t.as_str()).collect();
        let rows: [(&str, String); 13] = [
            ("pyaudit", env!("CARGO_PKG_VERSION").to_string()),
            (
                "Project root",
                crate::report::location::slash_path(s.root.path()),
            ),
            ("Configuration file", config),
            ("Rule set", rule_set),
            ("Fail on", format!("{} and above", self.report.fail_on)),
            ("Minimum confidence", s.min_confidence.to_string()),
            (
                "Profile",
                match s.profile {
                    Profile::Default => "default (high and medium confidence)".into(),
                    Profile::Audit => "audit (low confidence too)".into(),
                },
            ),
            ("Threat model", threat.join(", ")),
            (
                "Test code",
                if s.gate_tests {
                    "reported and gating (--gate-tests)".into()
                } else {
                    "reported, not gating".into()
                },
            ),
            ("Baseline", baseline),
            (
                "Files scanned",
                format!("{} ({} parsed)", r.files_scanned, r.files_parsed),
            ),
            ("Scan time", format!("{:.2} s", r.elapsed.as_secs_f64())),
            ("Generated", generated_at()),
        ];
        let o = &mut self.out;
        o.push_str("<section id=\"run\"><h2>Run</h2><dl class=\"meta\">");
        for (k, v) in rows {
            let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
        }
        let _ = writeln!(
            o,
            "</dl><details class=\"settings\"><summary>All resolved settings</summary><pre>{}</pre></details></section>",
            escape(&s.show(self.report.rules))
        );
    }

    fn findings_section(&mut self, active: &[&Finding]) {
        // Groups by rule, most severe first; findings inside by severity, path, line.
        let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in active {
            groups.entry(&f.rule_id).or_default().push(f);
        }
        let mut groups: Vec<(&str, Vec<&Finding>)> = groups.into_iter().collect();
        for (_, fs) in &mut groups {
            fs.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.path.cmp(&b.path))
                    .then_with(|| a.start.cmp(&b.start))
            });
        }
        groups.sort_by(|a, b| {
            let top = |fs: &[&Finding]| fs.iter().map(|f| f.severity).max();
            top(&b.1).cmp(&top(&a.1)).then_with(|| a.0.cmp(b.0))
        });
        self.out.push_str(
            "<section id=\"findings\"><h2>Findings</h2>\n\
             <div id=\"controls\" class=\"controls\" hidden></div>\n\
             <p class=\"status\" id=\"status\">Grouped by rule, most severe first; within a rule by severity, then path and line.</p>\n",
        );
        if groups.is_empty() {
            self.out.push_str("<p class=\"none\">No findings.</p>\n");
        }
        let open_all = active.len() <= OPEN_ALL_LIMIT;
        for (id, fs) in &groups {
            let rule = self.rule(fs[0]);
            let top = fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Low);
            let open = open_all || fs.len() <= OPEN_GROUP_LIMIT;
            let _ = writeln!(
                self.out,
                "<details class=\"group\" id=\"rule-{}\" data-rule=\"{}\"{}><summary><span class=\"badge sev-{top}\">{top}</span> <b>{}</b> {} <span class=\"cat\">{}</span> <span class=\"count\">{}</span></summary>",
                escape(id),
                escape(id),
                if open { " open" } else { "" },
                escape(id),
                escape(rule.map_or("", |r| r.name.as_str())),
                escape(category(rule)),
                escape(&plural(fs.len(), "finding", "findings")),
            );
            let shared = common_message(fs);
            if let Some(m) = shared {
                let _ = write!(self.out, "<p class=\"gmsg\">{}</p>", inline_code(m));
            }
            if let Some(r) = rule {
                rule_about(&mut self.out, r);
            }
            self.out.push_str("<div class=\"list\">\n");
            for f in fs {
                self.finding(f, shared, None);
            }
            self.out.push_str("</div></details>\n");
        }
        self.out.push_str("</section>\n");
    }

    /// One finding as an `<article>` whose data attributes drive the filters. `shared` is
    /// the message shown once for the whole group: a finding with that message omits it.
    fn finding(&mut self, f: &Finding, shared: Option<&str>, reason: Option<&String>) {
        self.next_id += 1;
        let id = self.next_id;
        let path = escape(&self.path(&f.path));
        let col = if f.line_text.is_empty() {
            f.start.byte_col + 1
        } else {
            char_col(&f.line_text, f.start.byte_col)
        };
        // Confidence is shown only when it is not high, as in the text report.
        let conf = if f.confidence == Confidence::High {
            String::new()
        } else {
            format!(" <span class=\"conf\">{} confidence</span>", f.confidence)
        };
        let _ = write!(
            self.out,
            "<article class=\"f\" id=\"f{id}\" data-sev=\"{sev}\" data-rule=\"{}\" data-conf=\"{}\" data-line=\"{}\">\
             <p class=\"head\"><span class=\"badge sev-{sev}\">{sev}</span> <a class=\"loc\" href=\"#f{id}\">{path}:{}:{col}</a>{conf}</p>",
            escape(&f.rule_id),
            f.confidence,
            f.start.line,
            f.start.line,
            sev = f.severity,
        );
        if let Some(r) = reason {
            let _ = write!(self.out, "<p class=\"why\">Hidden: {}</p>", escape(r));
        }
        if !f.covered.is_empty() {
            let ids: Vec<String> = f.covered.iter().map(|c| escape(&c.rule_id)).collect();
            let _ = write!(
                self.out,
                "<p class=\"covered\">Also matches {} on this call.</p>",
                ids.join(", ")
            );
        }
        if shared != Some(f.message.as_str()) {
            let _ = write!(self.out, "<p class=\"msg\">{}</p>", inline_code(&f.message));
        }
        let _ = write!(
            self.out,
            "<pre class=\"code\"><span class=\"ln\">{}</span>",
            f.start.line
        );
        if f.line_text.is_empty() {
            self.out
                .push_str("<span class=\"note\">(line too long to show)</span>");
        } else {
            let end = if f.end.line == f.start.line {
                f.end.byte_col
            } else {
                f.line_text.len()
            };
            highlight(&mut self.out, &f.line_text, f.start.byte_col, end);
        }
        self.out.push_str("</pre>");
        if !f.flow.is_empty() {
            self.flow(f);
        }
        self.out.push_str("</article>\n");
    }

    /// The data-flow path as numbered steps; the file is named at the first step and
    /// whenever it changes. A step's code line is shown unless the step before was on the
    /// same line or it is the finding's own line, already shown above.
    fn flow(&mut self, f: &Finding) {
        self.out.push_str("<ol class=\"flow\">");
        let mut last: Option<(&Path, usize)> = None;
        for (i, step) in f.flow.iter().enumerate() {
            let file = step_file(f, step);
            let role = if i == 0 {
                " class=\"src\""
            } else if i + 1 == f.flow.len() {
                " class=\"snk\""
            } else {
                ""
            };
            let _ = write!(self.out, "<li{role} data-line=\"{}\">", step.start.line);
            if last.map(|l| l.0) != Some(file) {
                let _ = write!(
                    self.out,
                    "<span class=\"file\">{}</span>",
                    escape(&self.path(file))
                );
            }
            let _ = write!(
                self.out,
                "<span class=\"at\">line {}</span> {}",
                step.start.line,
                inline_code(&step.note)
            );
            let repeated = last == Some((file, step.start.line))
                || (file == f.path && step.start.line == f.start.line);
            last = Some((file, step.start.line));
            let text = if repeated {
                None
            } else {
                self.lines.line(file, step.start.line)
            };
            if let Some(text) = text {
                let end = if step.end.line == step.start.line {
                    step.end.byte_col
                } else {
                    text.len()
                };
                let cut = cut_for_step(text, step.start.byte_col, end);
                self.out.push_str("<code class=\"line\">");
                highlight(&mut self.out, cut.0, cut.1, cut.2);
                self.out.push_str("</code>");
            }
            self.out.push_str("</li>");
        }
        self.out.push_str("</ol>");
    }

    fn set_aside(&mut self, suppressed: &[&Finding], tests: &[&Finding]) {
        self.out.push_str(
            "<section id=\"set-aside\"><h2>Set aside</h2>\n<p>Findings that do not fail the \
             gate or that a filter hid, each listed with the reason, so that nothing is \
             switched off without a visible record.</p>\n",
        );
        let hidden = |kinds: &[HiddenKind]| -> Vec<(&Finding, String)> {
            self.report
                .hidden
                .iter()
                .filter(|(_, h)| kinds.contains(&h.kind()))
                .map(|(f, h)| (*f, h.justification()))
                .collect()
        };
        let baselined = hidden(&[HiddenKind::Baseline]);
        let filtered = hidden(&[
            HiddenKind::Profile,
            HiddenKind::Confidence,
            HiddenKind::Rules,
            HiddenKind::PerFile,
            HiddenKind::Exclude,
        ]);
        fn plain<'f>(fs: &[&'f Finding]) -> Vec<(&'f Finding, String)> {
            fs.iter().map(|f| (*f, String::new())).collect()
        }
        let parts = [
            (
                "suppressed",
                "Suppressed in the source",
                plain(suppressed),
                "silenced by a <code># pyaudit: ignore</code> comment; not counted",
            ),
            (
                "test-code",
                "In test code",
                plain(tests),
                "counted in the totals above; they fail the gate only with <code>--gate-tests</code>",
            ),
            (
                "baselined",
                "Baselined",
                baselined,
                "recorded in the baseline file; not counted",
            ),
            (
                "filtered",
                "Hidden by filters",
                filtered,
                "profile, minimum confidence, select/ignore or per-file-ignores; not counted",
            ),
        ];
        for (key, title, fs, why) in parts {
            let _ = writeln!(
                self.out,
                "<details class=\"aside-group\" id=\"{key}\"{}><summary><b>{title}</b> <span class=\"count\" data-count=\"{key}\">{}</span> <span class=\"why\">{why}</span></summary>\n<div class=\"list\">",
                if fs.len() <= OPEN_GROUP_LIMIT && !fs.is_empty() {
                    " open"
                } else {
                    ""
                },
                fs.len(),
            );
            if fs.is_empty() {
                self.out.push_str("<p class=\"none\">None.</p>");
            }
            for (f, reason) in fs {
                self.finding(f, None, Some(&reason).filter(|r| !r.is_empty()));
            }
            self.out.push_str("</div></details>\n");
        }
        self.out.push_str("</section>\n");
    }

    fn diagnostics(&mut self) {
        let r = self.report.result;
        let _ = write!(
            self.out,
            "<section id=\"coverage\"><h2>Not fully scanned</h2>\n<p>{} could not be fully \
             scanned; findings in them may be missing.</p>\n",
            plural(r.files_with_errors(), "file", "files")
        );
        if r.diagnostics.is_empty() {
            self.out
                .push_str("<p class=\"none\">Every file was fully scanned.</p>\n");
        } else {
            self.out.push_str("<table class=\"diags\"><thead><tr><th>File</th><th>Line</th><th>Problem</th><th>Message</th></tr></thead><tbody>");
            for d in &r.diagnostics {
                self.diagnostic(d);
            }
            self.out.push_str("</tbody></table>\n");
        }
        if !r.unused_suppressions.is_empty() {
            self.out.push_str("<h3>Suppression comments that silenced nothing</h3><table class=\"unused\"><thead><tr><th>File</th><th>Line</th><th>Comment</th></tr></thead><tbody>");
            for u in &r.unused_suppressions {
                let what = match &u.rule {
                    Some(rule) => format!("# pyaudit: ignore[{rule}]"),
                    None => "# pyaudit: ignore".into(),
                };
                let _ = write!(
                    self.out,
                    "<tr><td class=\"path\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
                    escape(&self.path(&u.path)),
                    u.line,
                    escape(&what)
                );
            }
            self.out.push_str("</tbody></table>\n");
        }
        self.out.push_str("</section>\n");
    }

    fn diagnostic(&mut self, d: &Diagnostic) {
        let _ = write!(
            self.out,
            "<tr class=\"{}\"><td class=\"path\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            if d.kind.not_fully_scanned() {
                "partial"
            } else {
                "note"
            },
            escape(&self.path(&d.path)),
            d.line.map(|l| l.to_string()).unwrap_or_default(),
            d.kind.as_str(),
            escape(&d.message)
        );
    }

    fn page_data(&mut self, active: &[&Finding]) {
        let mut by_severity: BTreeMap<&'static str, usize> =
            Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in active {
            *by_severity.entry(f.severity.as_str()).or_default() += 1;
            *counts.entry(&f.rule_id).or_default() += 1;
        }
        let rules = counts
            .into_iter()
            .map(|(id, count)| PageRule {
                id,
                name: self.report.rules.find(id).map_or("", |r| r.name.as_str()),
                count,
            })
            .collect();
        let data = PageData {
            total: active.len(),
            by_severity,
            rules,
        };
        let _ = writeln!(
            self.out,
            "<script type=\"application/json\" id=\"pyaudit-data\">{}</script>",
            script_json(&data)
        );
    }
}

/// The slice of a data-flow step's line that is shown: at most [`STEP_CODE_CHARS`]
/// characters around the step's span, leading indentation dropped. Returns the text and the
/// span's byte offsets within it.
fn cut_for_step(text: &str, start: usize, end: usize) -> (&str, usize, usize) {
    let floor = |b| floor_char(text, b);
    let (start, end) = (floor(start), floor(end.max(start)));
    let indent = text.len() - text.trim_start().len();
    let from = indent.min(start);
    let to = text[from..]
        .char_indices()
        .nth(STEP_CODE_CHARS)
        .map_or(text.len(), |(i, _)| from + i)
        .max(end.min(from + STEP_CODE_CHARS * 4));
    let to = floor(to);
    (&text[from..to], start - from, end.min(to).max(start) - from)
}

/// The largest char boundary of `text` at or before byte `b`.
fn floor_char(text: &str, b: usize) -> usize {
    let b = b.min(text.len());
    (0..=b)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// Writes `line` escaped, with bytes `start..end` inside `<mark>`.
fn highlight(out: &mut String, line: &str, start: usize, end: usize) {
    let floor = |b| floor_char(line, b);
    let s = floor(start);
    let e = floor(end.max(start)).max(s);
    out.push_str(&escape(&line[..s]));
    out.push_str("<mark>");
    out.push_str(&escape(&line[s..e]));
    out.push_str("</mark>");
    out.push_str(&escape(&line[e..]));
}

/// Escapes `text`, showing `` `code` `` spans as `<code>`.
fn inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// Paragraphs of a rule text (blank-line separated, lines joined), with inline code.
fn paragraphs(out: &mut String, text: &str) {
    for para in text.split("\n\n") {
        let flat = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !flat.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline_code(&flat));
        }
    }
}

/// The rule's explanation, fix, examples and links, once per rule group.
fn rule_about(out: &mut String, r: &Rule) {
    out.push_str("<details class=\"about\"><summary>About this rule: explanation, fix, examples</summary><div class=\"about-body\">");
    paragraphs(out, &r.description);
    out.push_str("<h4>Fix</h4>");
    paragraphs(out, &r.help);
    out.push_str("<div class=\"examples\">");
    if !r.vulnerable.trim().is_empty() {
        let _ = write!(
            out,
            "<figure class=\"bad\"><figcaption>Vulnerable</figcaption><pre>{}</pre></figure>",
            escape(r.vulnerable.trim_matches('\n'))
        );
    }
    if !r.fixed.trim().is_empty() {
        let _ = write!(
            out,
            "<figure class=\"good\"><figcaption>Fixed</figcaption><pre>{}</pre></figure>",
            escape(r.fixed.trim_matches('\n'))
        );
    }
    out.push_str("</div><p class=\"links\">");
    // Only built-in rules have a page in pyaudit's docs; a user rule's id would link nowhere.
    if r.origin.starts_with("builtin:") {
        let _ = write!(
            out,
            "<a href=\"{}\" rel=\"noreferrer noopener\">Rule page for {}</a>",
            escape(&rule_doc_url(r)),
            escape(&r.id)
        );
    } else {
        let _ = write!(
            out,
            "Rule file: <code>{}</code> (not a built-in rule)",
            escape(&r.origin)
        );
    }
    for cwe in &r.cwe {
        let _ = write!(
            out,
            " · <a href=\"https://cwe.mitre.org/data/definitions/{cwe}.html\" rel=\"noreferrer noopener\">CWE-{cwe}</a>"
        );
    }
    out.push_str("</p></div></details>\n");
}

/// A horizontal bar chart of the findings per severity, as inline SVG.
fn chart(out: &mut String, by_sev: &BTreeMap<Severity, usize>) {
    let max = by_sev.values().copied().max().unwrap_or(0).max(1);
    let (row, label_w, bar_w) = (26, 64, 200);
    let height = row * Severity::ALL.len() + 8;
    let _ = write!(
        out,
        "<figure class=\"chart\"><figcaption>Findings by severity</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" role=\"img\" aria-label=\"findings by severity\">",
        label_w + bar_w + 60,
        label_w + bar_w + 60
    );
    for (i, s) in Severity::ALL.iter().rev().enumerate() {
        let n = by_sev[s];
        let y = 4 + i * row;
        let w = if n == 0 { 0 } else { (n * bar_w / max).max(2) };
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" class=\"lbl\">{s}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\" rx=\"3\" class=\"bar sev-{s}\"></rect><text x=\"{}\" y=\"{}\" class=\"val\">{n}</text>",
            y + 16,
            row - 8,
            label_w + w + 6,
            y + 16
        );
    }
    out.push_str("</svg></figure>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_context() {
        assert_eq!(
            escape("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("a'b&c"), "a&#39;b&amp;c");
        assert_eq!(escape("x\u{202E}y"), "x\\u{202e}y");
        let json = script_json(&"</script><!--\u{2028}&\u{2066}");
        assert_eq!(
            json,
            "\"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026\\u2066\""
        );
        assert_eq!(
            serde_json::from_str::<String>(&json).unwrap(),
            "</script><!--\u{2028}&\u{2066}"
        );
    }

    #[test]
    fn base64_and_hash() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // SHA-256 of the empty string, as CSP writes it.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_time(1_796_190_000), "2026-12-02 05:40 UTC");
    }

    #[test]
    fn highlights_on_char_boundaries() {
        let mut out = String::new();
        highlight(&mut out, "é = <x>", 1, 99);
        assert_eq!(out, "<mark>é = &lt;x&gt;</mark>");
        assert_eq!(
            inline_code("a `b<` c `d"),
            "a <code>b&lt;</code> c <code>d</code>"
        );
    }
}
