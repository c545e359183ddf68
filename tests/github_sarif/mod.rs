//! GitHub code scanning's ingestion rules for SARIF, checked on a parsed log.
//!
//! The SARIF schema and Microsoft's multitool (scripts/validate-sarif.py) do not cover what
//! GitHub additionally requires or limits when it ingests an upload ("SARIF support for code
//! scanning" in GitHub's documentation): repository-relative URIs, fingerprints, rule
//! metadata, region bounds, one run per tool and category, and the size limits. A problem
//! here means an upload that is rejected, truncated, or shows alerts in the wrong place.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// GitHub's hard limits for one upload.
const MAX_RUNS: usize = 20;
const MAX_RULES: usize = 25_000;
const MAX_RESULTS: usize = 25_000;
const MAX_LOCATIONS: usize = 1_000;
const MAX_THREAD_FLOW_LOCATIONS: usize = 10_000;
const MAX_TAGS: usize = 20;
/// GitHub's 10 MB limit is on the gzip-compressed upload; the raw size bounds it.
const MAX_RAW_BYTES: usize = 10 * 1024 * 1024;

/// Every ingestion problem in `text` (a SARIF log), as readable lines; empty when GitHub
/// would take the upload as it is.
pub fn problems(text: &str) -> Vec<String> {
    let mut p = Problems::default();
    p.check(text.len() <= MAX_RAW_BYTES, || {
        format!("{} bytes: over the 10 MB upload limit", text.len())
    });
    let log: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    p.check(log["version"] == "2.1.0", || {
        format!("version {} is not 2.1.0", log["version"])
    });
    p.check(log["$schema"].is_string(), || "`$schema` missing".into());
    let runs = log["runs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    p.check(!runs.is_empty(), || "no runs".into());
    p.check(runs.len() <= MAX_RUNS, || {
        format!("{} runs > {MAX_RUNS}", runs.len())
    });
    let mut categories = HashSet::new();
    for (i, run) in runs.iter().enumerate() {
        let driver = &run["tool"]["driver"];
        // GitHub keys a run by tool and category (automationDetails.id up to its last '/');
        // since 2025 it rejects uploads with two runs under one key.
        let id = run["automationDetails"]["id"].as_str().unwrap_or("");
        let category = id.rsplit_once('/').map_or("", |(c, _)| c);
        let key = (driver["name"].to_string(), category.to_string());
        p.check(categories.insert(key), || {
            format!(
                "runs[{i}]: a second run for tool {} and category {category:?}",
                driver["name"]
            )
        });
        check_run(&mut p, &format!("runs[{i}]"), run);
    }
    p.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }
}

fn text_of(v: &Value) -> &str {
    v["text"].as_str().unwrap_or("")
}

fn check_run(p: &mut Problems, at: &str, run: &Value) {
    let driver = &run["tool"]["driver"];
    p.check(!driver["name"].as_str().unwrap_or("").is_empty(), || {
        format!("{at}.tool.driver.name missing")
    });
    let Some(rules) = driver["rules"].as_array() else {
        p.0.push(format!("{at}.tool.driver.rules missing"));
        return;
    };
    p.check(rules.len() <= MAX_RULES, || {
        format!("{at}: {} rules", rules.len())
    });
    let mut rule_ids = Vec::new();
    for (k, rule) in rules.iter().enumerate() {
        let id = rule["id"].as_str().unwrap_or("");
        let at = format!("{at}.tool.driver.rules[{k}] ({id})");
        p.check(!id.is_empty(), || format!("{at}: no id"));
        p.check(!rule_ids.contains(&id), || format!("{at}: duplicate id"));
        rule_ids.push(id);
        check_rule(p, &at, rule);
    }
    let Some(results) = run["results"].as_array() else {
        p.0.push(format!("{at}.results missing (required, may be empty)"));
        return;
    };
    p.check(results.len() <= MAX_RESULTS, || {
        format!("{at}: {} results > {MAX_RESULTS}", results.len())
    });
    let bases = Bases::of(run);
    for (j, result) in results.iter().enumerate() {
        check_result(p, &format!("{at}.results[{j}]"), result, &rule_ids, &bases);
    }
}

fn check_rule(p: &mut Problems, at: &str, rule: &Value) {
    for field in ["shortDescription", "fullDescription", "help"] {
        p.check(!text_of(&rule[field]).is_empty(), || {
            format!("{at}.{field}.text missing")
        });
    }
    p.check(text_of(&rule["shortDescription"]).len() <= 1024, || {
        format!("{at}.shortDescription over 1024 characters")
    });
    p.check(rule["name"].as_str().unwrap_or("").len() <= 255, || {
        format!("{at}.name over 255 characters")
    });
    if let Some(level) = rule["defaultConfiguration"].get("level") {
        p.check(
            ["error", "warning", "note", "none"].contains(&level.as_str().unwrap_or("")),
            || format!("{at}.defaultConfiguration.level {level}"),
        );
    }
    let props = &rule["properties"];
    let tags: Vec<&str> = props["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    p.check(tags.len() <= MAX_TAGS, || {
        format!("{at}: {} tags", tags.len())
    });
    if let Some(precision) = props.get("precision") {
        p.check(
            ["very-high", "high", "medium", "low"].contains(&precision.as_str().unwrap_or("")),
            || format!("{at}.properties.precision {precision}"),
        );
    }
    if let Some(sev) = props.get("security-severity") {
        // A string holding a number in (0, 10]; GitHub maps it to critical/high/medium/low
        // and shows it only on rules tagged `security`.
        let value = sev.as_str().and_then(|s| s.parse::<f64>().ok());
        p.check(value.is_some_and(|v| v > 0.0 && v <= 10.0), || {
            format!("{at}.properties.security-severity {sev} is not a string in (0, 10]")
        });
        p.check(tags.contains(&"security"), || {
            format!("{at}: security-severity without the `security` tag")
        });
    }
}

fn check_result(p: &mut Problems, at: &str, r: &Value, rule_ids: &[&str], bases: &Bases) {
    p.check(!text_of(&r["message"]).is_empty(), || {
        format!("{at}.message.text missing")
    });
    let id = r["ruleId"].as_str().unwrap_or("");
    p.check(rule_ids.contains(&id), || {
        format!("{at}.ruleId {id:?} is not among the driver's rules")
    });
    if let Some(index) = r.get("ruleIndex") {
        let named = index
            .as_u64()
            .and_then(|i| rule_ids.get(i as usize))
            .copied();
        p.check(named == Some(id), || {
            format!("{at}.ruleIndex {index} names {named:?}, not {id:?}")
        });
    }
    if let Some(level) = r.get("level") {
        p.check(
            ["error", "warning", "note", "none"].contains(&level.as_str().unwrap_or("")),
            || format!("{at}.level {level}"),
        );
    }
    let fingerprints = r["partialFingerprints"].as_object();
    p.check(
        fingerprints.is_some_and(|f| !f.is_empty() && f.values().all(Value::is_string)),
        || format!("{at}.partialFingerprints missing (alerts would not be matched across runs)"),
    );
    let locations = r["locations"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    p.check(!locations.is_empty(), || format!("{at}.locations empty"));
    p.check(locations.len() <= MAX_LOCATIONS, || {
        format!("{at}: {} locations", locations.len())
    });
    for (k, loc) in locations.iter().enumerate() {
        check_location(p, &format!("{at}.locations[{k}]"), loc, bases);
    }
    let mut steps = 0;
    for (c, flow) in r["codeFlows"].as_array().into_iter().flatten().enumerate() {
        for (t, thread) in flow["threadFlows"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (s, step) in thread["locations"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                steps += 1;
                let at = format!("{at}.codeFlows[{c}].threadFlows[{t}].locations[{s}]");
                // GitHub does not resolve run.threadFlowLocations references.
                p.check(step.get("location").is_some(), || {
                    format!("{at}: no inline location")
                });
                check_location(p, &format!("{at}.location"), &step["location"], bases);
            }
        }
    }
    p.check(steps <= MAX_THREAD_FLOW_LOCATIONS, || {
        format!("{at}: {steps} thread flow locations")
    });
    for (k, s) in r["suppressions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        p.check(
            ["inSource", "external"].contains(&s["kind"].as_str().unwrap_or("")),
            || format!("{at}.suppressions[{k}].kind {}", s["kind"]),
        );
    }
}

/// The run's `originalUriBaseIds` that are `file:` directories, so region bounds can be
/// checked against the files the log points at.
struct Bases(HashMap<String, PathBuf>);

impl Bases {
    fn of(run: &Value) -> Bases {
        let mut map = HashMap::new();
        for (name, base) in run["originalUriBaseIds"].as_object().into_iter().flatten() {
            if let Some(dir) = base["uri"].as_str().and_then(|u| u.strip_prefix("file://")) {
                map.insert(name.clone(), path_of(dir));
            }
        }
        Bases(map)
    }
}

fn check_location(p: &mut Problems, at: &str, loc: &Value, bases: &Bases) {
    let physical = &loc["physicalLocation"];
    let artifact = &physical["artifactLocation"];
    let uri = artifact["uri"].as_str().unwrap_or("");
    p.check(!uri.is_empty(), || format!("{at}: no artifactLocation.uri"));
    // Code scanning places alerts by repository-relative path: a scheme, a leading '/',
    // a backslash or a '..' segment puts the alert on no file of the repository.
    let has_scheme = uri
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && !s.contains('/'));
    p.check(
        !has_scheme
            && !uri.starts_with('/')
            && !uri.contains('\\')
            && !uri.split('/').any(|seg| seg == ".." || seg == "."),
        || format!("{at}: uri {uri:?} is not a relative path inside the repository"),
    );
    let file = match artifact["uriBaseId"].as_str() {
        Some(base) => {
            p.check(bases.0.contains_key(base), || {
                format!("{at}: uriBaseId {base:?} not declared in originalUriBaseIds")
            });
            bases.0.get(base).map(|dir| dir.join(path_of(uri)))
        }
        None => None,
    };
    let region = &physical["region"];
    let num = |k: &str| region[k].as_u64();
    let (Some(sl), Some(sc)) = (num("startLine"), num("startColumn")) else {
        p.0.push(format!("{at}: region needs startLine and startColumn"));
        return;
    };
    let el = num("endLine").unwrap_or(sl);
    let ec = num("endColumn");
    p.check(sl >= 1 && sc >= 1, || {
        format!("{at}: region starts at {sl}:{sc}")
    });
    p.check(
        el > sl || (el == sl && ec.is_none_or(|ec| ec >= sc)),
        || format!("{at}: region ends ({el}:{ec:?}) before it starts ({sl}:{sc})"),
    );
    // Against the file itself, when the log says where it is: columns count UTF-16 code
    // units (the run's columnKind) and endColumn is exclusive.
    let Some(bytes) = file.and_then(|f| std::fs::read(f).ok()) else {
        return;
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    let width = |line: u64| {
        lines
            .get(line as usize - 1)
            .map(|l| l.trim_end_matches('\r').encode_utf16().count() as u64)
    };
    match (width(sl), width(el)) {
        (Some(sw), Some(ew)) => {
            p.check(sc <= sw + 1, || {
                format!("{at}: startColumn {sc} past the end of line {sl} ({sw} columns)")
            });
            p.check(ec.is_none_or(|ec| ec <= ew + 1), || {
                format!("{at}: endColumn {ec:?} past the end of line {el} ({ew} columns)")
            });
        }
        _ => p.0.push(format!(
            "{at}: lines {sl}-{el} outside {uri} ({} lines)",
            lines.len()
        )),
    }
}

/// A file path from a percent-encoded URI path (bytes that are not UTF-8 included).
fn path_of(uri_path: &str) -> PathBuf {
    let raw = uri_path.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'%', Some(b)) => {
                bytes.push(b);
                i += 3;
            }
            (c, _) => {
                bytes.push(c);
                i += 1;
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}
