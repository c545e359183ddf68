//! Taint engine checks beyond the fixtures: hostile nesting, determinism, flow steps.

use pyaudit::engine::Engine;
use pyaudit::rules::RuleSet;
use std::path::Path;

fn engine() -> Engine {
    Engine::new(RuleSet::builtin().expect("rules"), true)
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 3000;
    let mut src =
        String::from("import os\nfrom flask import request\ndef f():\n    x = request.args['a']\n");
    src.push_str("    y = ");
    src.push_str(&"(".repeat(depth));
    src.push('x');
    src.push_str(&")".repeat(depth));
    src.push_str("\n    os.system(");
    src.push_str(&"[".repeat(depth));
    src.push('y');
    src.push_str(&"]".repeat(depth));
    src.push_str(")\n");
    let mut nested = String::from("import os\nfrom flask import request\ndef g():\n");
    for i in 0..400 {
        nested.push_str(&" ".repeat(4 * (i + 1)));
        nested.push_str("if request.args:\n");
    }
    nested.push_str(&" ".repeat(4 * 401));
    nested.push_str("os.system(request.args['c'])\n");
    // Run on a small stack, as a test thread has: bounded depth must hold there too.
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let e = engine();
            e.analyse(Path::new("deep.py"), src.as_bytes());
            e.analyse(Path::new("nested.py"), nested.as_bytes());
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}

#[test]
fn recursive_helpers_terminate_and_paths_are_stable() {
    let src = r#"
import os
from flask import request

def a(x):
    b(x)
    os.system(x)

def b(y):
    a(y)

def view():
    a(request.args["q"])
"#;
    let e = engine();
    let first = e.analyse(Path::new("r.py"), src.as_bytes()).findings;
    let second = e.analyse(Path::new("r.py"), src.as_bytes()).findings;
    assert_eq!(first, second);
    let hit = first
        .iter()
        .find(|f| f.rule_id == "PYA201")
        .expect("flagged");
    assert_eq!(hit.start.line, 7);
    let notes: Vec<&str> = hit.flow.iter().map(|s| s.note.as_str()).collect();
    assert!(notes[0].starts_with("source: `request.args`"), "{notes:?}");
    assert!(
        notes.iter().any(|n| n.contains("passed to `a()` as `x`")),
        "{notes:?}"
    );
    assert!(
        notes.last().unwrap().starts_with("sink: `os.system()`"),
        "{notes:?}"
    );
}

#[test]
fn deep_code_in_chained_helpers_stays_on_the_stack() {
    // Four helpers deep (the summary limit), each with expressions nested just under the depth
    // bound: the sum of the frames still fits a 2 MB stack.
    let mut src = String::from("import os\nfrom flask import request\n");
    for i in 0..5 {
        let next = if i == 4 {
            "os.system".to_string()
        } else {
            format!("h{}", i + 1)
        };
        let open = "(".repeat(90);
        let close = ")".repeat(90);
        src.push_str(&format!(
            "def h{i}(x):\n    y = {open}x{close}\n    return {next}({open}y + x{close})\n"
        ));
    }
    src.push_str("def view():\n    h0(request.args['a'])\n");
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            engine().analyse(Path::new("chain.py"), src.as_bytes());
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}
