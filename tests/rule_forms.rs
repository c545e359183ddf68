//! The assignment, class and any-receiver pattern forms, end to end through the engine, and
//! their cost on hostile input.

use pyaudit::engine::Engine;
use pyaudit::rules::RuleSet;
use std::path::Path;
use std::time::{Duration, Instant};

fn ids(path: &str, text: &str) -> Vec<(usize, String)> {
    let engine = Engine::new(RuleSet::builtin().unwrap(), true);
    let outcome = engine.analyse(Path::new(path), text.as_bytes());
    outcome
        .findings
        .iter()
        .map(|f| (f.start.line, f.rule_id.clone()))
        .collect()
}

#[test]
fn forms_report_the_statement_or_class_header() {
    let text = "import pickle\nSECRET_KEY = 'k' 'ey'\nclass U(pickle.Unpickler):\n    pass\n";
    let found = ids("app/config.py", text);
    assert!(found.contains(&(2, "PYA301".to_string())), "{found:?}");
    assert!(found.contains(&(3, "PYA123".to_string())), "{found:?}");
}

#[test]
fn path_globs_decide_where_a_pattern_applies() {
    let text = "DEBUG = True\n";
    assert!(ids("shop/settings.py", text).contains(&(1, "PYA306".to_string())));
    assert!(ids("shop/settings/dev.py", text).is_empty());
    assert!(ids("shop/tools.py", text).is_empty());
    // Windows separators are compared as `/`.
    assert!(ids("shop\\settings\\local.py", text).is_empty());
}

/// Names rebound conditionally at every level: value checks that followed every binding
/// would take time exponential in the depth.
#[test]
fn conditional_rebinding_chains_stay_cheap() {
    let mut text = String::from("import redis\nr = redis.Redis()\na0 = 'session'\n");
    for i in 1..30 {
        for _ in 0..40 {
            text.push_str(&format!("if c:\n    a{i} = a{}\n", i - 1));
        }
    }
    text.push_str("SECRET_KEY = a29\nCELERY_ACCEPT_CONTENT = a29\nr.set(a29, 1)\n");
    text.push_str("redirect = a29 + '/x'\n");
    let start = Instant::now();
    let _ = ids("app/settings.py", &text);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}
