//! Rule documentation for `pyaudit rules` and `pyaudit explain`: one source, the rule files.

use crate::report::terminal::escape;
use crate::rules::{Condition, Literal, Rule, RuleSet, Test};
use std::fmt::Write as _;

/// A table of every rule: id, name, severity, confidence, summary.
pub fn rules_table(rules: &RuleSet) -> String {
    let id_w = rules
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let name_w = rules
        .rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:id_w$}  {:name_w$}  {:8}  {:10}  SUMMARY",
        "ID", "NAME", "SEVERITY", "CONFIDENCE"
    );
    for r in rules.rules() {
        let _ = writeln!(
            out,
            "{:id_w$}  {:name_w$}  {:8}  {:10}  {}",
            r.id,
            r.name,
            r.severity.as_str(),
            r.confidence.as_str(),
            escape(&r.summary)
        );
    }
    out
}

/// The CWE page of an id.
pub fn cwe_url(cwe: u32) -> String {
    format!("https://cwe.mitre.org/data/definitions/{cwe}.html")
}

/// The full text of a rule as Markdown-flavoured plain text: what, why, examples, fix,
/// references. The same text feeds `explain`, the docs pages and SARIF help.
pub fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} ({})\n", rule.id, rule.name);
    let _ = writeln!(out, "{}\n", rule.summary);
    let cwes: Vec<String> = rule.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let _ = writeln!(
        out,
        "Severity: {} | Confidence: {}{}\n",
        rule.severity,
        rule.confidence,
        if cwes.is_empty() {
            String::new()
        } else {
            format!(" | {}", cwes.join(", "))
        }
    );
    let _ = writeln!(out, "## What it flags and why\n\n{}\n", rule.description);
    if let Some(taint) = &rule.taint {
        let _ = writeln!(out, "## Sinks (reported when request data reaches them)\n");
        for sink in &taint.sinks {
            let mut calls: Vec<String> = sink.calls.iter().map(|c| format!("`{c}`")).collect();
            calls.extend(
                sink.methods
                    .iter()
                    .map(|m| format!("`.{m}()` on any object")),
            );
            if let Some(p) = &sink.persist {
                let list = |ms: &[String]| {
                    ms.iter()
                        .map(|m| format!("`.{m}()`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let mut ways = Vec::new();
                if !p.object_methods.is_empty() {
                    ways.push(format!("{} of the object", list(&p.object_methods)));
                }
                if !p.argument_methods.is_empty() {
                    ways.push(format!("{} taking the object", list(&p.argument_methods)));
                }
                if !p.session_methods.is_empty() {
                    ways.push(format!("{} of any session", list(&p.session_methods)));
                }
                calls.push(format!(
                    "an attribute assignment `obj.field = value` followed by {}",
                    ways.join(", or ")
                ));
            }
            let _ = writeln!(
                out,
                "- {}{}: {} → {} severity",
                calls.join(", "),
                when_clause(&sink.conditions),
                sink.label,
                sink.severity
            );
        }
    } else {
        let _ = writeln!(out, "## Matched calls\n");
    }
    for p in &rule.patterns {
        let mut calls: Vec<String> = p.calls.iter().map(|c| format!("`{c}`")).collect();
        calls.extend(
            p.assigns
                .iter()
                .map(|t| format!("assignments to `{}`", t.spelled)),
        );
        calls.extend(p.subclasses.iter().map(|b| format!("subclasses of `{b}`")));
        for (globs, what) in [
            (&p.files, "in files matching"),
            (&p.not_files, "not in files matching"),
            (&p.file_literals, "in files with a string matching"),
        ] {
            if !globs.is_empty() {
                let quoted: Vec<String> = globs.iter().map(|g| format!("`{}`", g.text)).collect();
                calls.push(format!("{what} {}", quoted.join(" or ")));
            }
        }
        let _ = writeln!(
            out,
            "- {}{} → {} severity, {} confidence",
            calls.join(", "),
            when_clause(&p.conditions),
            p.severity,
            p.confidence
        );
    }
    out.push('\n');
    // A fence longer than any backtick run in the example, so no line of it ends the block.
    let v = crate::report::inert::code_fence(&rule.vulnerable);
    let _ = writeln!(
        out,
        "## Vulnerable\n\n{v}python\n{}\n{v}\n",
        rule.vulnerable
    );
    let f = crate::report::inert::code_fence(&rule.fixed);
    let _ = writeln!(out, "## Fixed\n\n{f}python\n{}\n{f}\n", rule.fixed);
    let _ = writeln!(out, "## How to fix\n\n{}\n", rule.help);
    out.push_str(&crate::fix::describe(rule));
    // Rule files often name their CWE page among their references too: list each link once.
    let mut refs: Vec<String> = Vec::new();
    for r in rule
        .references
        .iter()
        .cloned()
        .chain(rule.cwe.iter().map(|c| cwe_url(*c)))
    {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    if !refs.is_empty() {
        let _ = writeln!(out, "## References\n");
        for r in refs {
            let _ = writeln!(out, "- {r}");
        }
    }
    out
}

/// Where a rule's documentation page lives (generated from the rule file into
/// `docs/rules/<ID>.md`); used as SARIF `helpUri` and in text output.
pub fn rule_doc_url(rule: &Rule) -> String {
    format!("{DOCS_BASE_URL}/{}.md", rule.id)
}

/// Base URL of the generated rule pages.
pub const DOCS_BASE_URL: &str = "https://github.com/pyaudit/pyaudit/blob/main/docs/rules";

/// " when A and B" for a pattern's or sink's conditions; empty when there are none.
fn when_clause(conditions: &[Condition]) -> String {
    if conditions.is_empty() {
        return String::new();
    }
    let conds: Vec<String> = conditions.iter().map(describe_condition).collect();
    format!(" when {}", conds.join(" and "))
}

/// One condition in words, e.g. "`Loader` (position 1) is absent".
fn describe_condition(c: &Condition) -> String {
    let mut arg = match (&c.arg, c.position, &c.method) {
        (_, _, Some(m)) => format!("method `{m}`"),
        (Some(k), Some(p), _) => format!("`{k}` (argument {p})"),
        (Some(k), None, _) => format!("`{k}`"),
        (None, Some(p), _) => format!("argument {p}"),
        (None, None, _) => "the assigned value".to_string(),
    };
    if let Some(key) = &c.key {
        arg = format!("key {key:?} of {arg}");
    }
    let lit = |l: &Literal| match l {
        Literal::Bool(b) => {
            if *b {
                "True".to_string()
            } else {
                "False".to_string()
            }
        }
        Literal::Int(i) => i.to_string(),
        Literal::Str(s) => format!("{s:?}"),
        Literal::None => "None".to_string(),
    };
    let names = |n: &[String]| {
        n.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (&c.test, &c.method) {
        (Test::Absent, Some(_)) => return format!("{arg} is not defined in the class"),
        (Test::Present, Some(_)) => return format!("{arg} is defined in the class"),
        _ => {}
    }
    match &c.test {
        Test::Absent => format!("{arg} is absent"),
        Test::Present => format!("{arg} is passed"),
        Test::Equals(l) => format!("{arg} is `{}`", lit(l)),
        Test::In(n) => format!("{arg} is one of {}", names(n)),
        Test::NotIn(n) => format!("{arg} is none of {}", names(n)),
        Test::Constant(true) => format!("{arg} is a constant"),
        Test::Constant(false) => format!("{arg} is not a constant"),
        Test::Contains(v) => format!("{arg} is a list, tuple or set holding {v:?}"),
        Test::Matches(g, true) => format!("{arg} is a string matching `{}`", g.text),
        Test::Matches(g, false) => format!("{arg} is a string not matching `{}`", g.text),
        Test::SourceMatches(g) => format!("{arg} is written like `{}`", g.text),
        Test::LiteralString => format!("{arg} is a non-empty constant string"),
        Test::Prefix(g, true) => format!("{arg} starts with constant text matching `{}`", g.text),
        Test::Lacks(n) => format!("{arg} is a list holding none of {}", names(n)),
        Test::NotSitePath(n) => format!(
            "{arg} is not certainly a path of this site (a `/path` or a call of {} first)",
            names(n)
        ),
        Test::Prefix(g, false) => {
            format!(
                "{arg} does not start with constant text matching `{}`",
                g.text
            )
        }
    }
}
