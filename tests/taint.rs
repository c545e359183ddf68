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
    // Helpers nested in one another's analysis (up to the nesting bound), each with
    // expressions nested just under the depth bound: the sum of the frames still fits a
    // 2 MB stack.
    let mut src = String::from("import os\nfrom flask import request\n");
    for i in 0..10 {
        let next = if i == 9 {
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

/// Runs `f` on a 2 MB stack, as a test or worker thread has: bounded depth must hold there.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow")
}

#[test]
fn a_chain_of_2000_helpers_reaches_its_sink_on_a_small_stack() {
    // No depth limit within a module: the deepest helper holds the sink. Summaries beyond
    // the nesting bound are deferred to a worklist, so the stack stays flat.
    let n = 2000;
    let mut src = String::from("import os\nfrom flask import request\n\n");
    for i in 0..n {
        if i + 1 < n {
            src.push_str(&format!("def h{i}(x):\n    return h{}(x + '-')\n\n", i + 1));
        } else {
            src.push_str(&format!("def h{i}(x):\n    os.system(x)\n\n"));
        }
    }
    src.push_str("def view():\n    h0(request.args['a'])\n");
    let sink_line = 3 + 3 * (n - 1) + 2;
    let started = std::time::Instant::now();
    let outcome = on_small_stack(move || engine().analyse(Path::new("chain.py"), src.as_bytes()));
    let hit = outcome
        .findings
        .iter()
        .find(|f| f.rule_id == "PYA201")
        .expect("the sink 2000 helpers deep is reached");
    assert_eq!(hit.start.line, sink_line);
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    // Generous: a debug build on a loaded machine; quadratic work would take minutes.
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

#[test]
fn a_ring_of_recursive_helpers_settles_and_keeps_what_crosses_it() {
    // h0 → h1 → … → h299 → h0: the value goes round the ring and reaches the sink in h150
    // only after being handed on; the return comes back from the end of the ring.
    let n = 300;
    let mut src = String::from("import os\nfrom flask import request\n\n");
    for i in 0..n {
        let next = (i + 1) % n;
        let sink = if i == 150 { "    os.system(x)\n" } else { "" };
        src.push_str(&format!(
            "def h{i}(x, k):\n{sink}    if k:\n        return h{next}(x, k - 1)\n    return x\n\n"
        ));
    }
    src.push_str("def view():\n    eval(h10(request.args['a'], 5))\n");
    let outcome = on_small_stack(move || engine().analyse(Path::new("ring.py"), src.as_bytes()));
    let rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(rules.contains(&"PYA201"), "{rules:?}");
    assert!(rules.contains(&"PYA202"), "{rules:?}");
}

/// Scans a generated project directory as one scan.
fn scan_dir(dir: &Path) -> pyaudit::scan::ScanResult {
    let opts = pyaudit::scan::ScanOptions {
        paths: vec![dir.to_path_buf()],
        threads: 2,
        ..Default::default()
    };
    pyaudit::scan::scan(&engine(), &opts).expect("scan runs")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn a_module_of_80000_request_assignments_completes_with_its_finding() {
    // Issue 12: the taint pass must stay near-linear in the size of one module (this took
    // minutes when every assignment scanned the whole variable state).
    let mut src = String::from("import os\nfrom flask import request\n\nv0 = request.args['x']\n");
    for i in 1..80_000 {
        src.push_str(&format!("v{i} = v{} + request.args['a']\n", i - 1));
    }
    src.push_str("os.system(v79999)\n");
    let outcome = engine().analyse(Path::new("big.py"), src.as_bytes());
    let hits: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.rule_id == "PYA201")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", outcome.diagnostics);
    assert_eq!(hits[0].start.line, 80_004);
}

#[test]
fn import_cycles_and_mutual_recursion_across_modules_are_solved() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app/__init__.py", "");
    // a ↔ b import each other; the sink is reached through the cycle.
    write(
        d,
        "app/a.py",
        "from flask import request\nfrom app import b\n\n\ndef view():\n    b.ping(request.args['x'], 3)\n\n\ndef pong(v, n):\n    if n:\n        return b.ping(v, n - 1)\n    return v\n",
    );
    write(
        d,
        "app/b.py",
        "import os\nfrom app import a\n\n\ndef ping(v, n):\n    cmd = a.pong(v, n)\n    os.system(cmd)\n",
    );
    let result = scan_dir(d);
    let hits: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == "PYA201")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", result.findings);
    assert!(hits[0].path.ends_with("app/b.py"));
    // The path starts at the source in a.py and ends at the sink in b.py.
    assert!(hits[0].flow.first().unwrap().path.ends_with("app/a.py"));
    assert!(hits[0].flow.last().unwrap().path.ends_with("app/b.py"));
}

#[test]
fn a_long_import_chain_and_deep_inheritance_finish_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "pkg/__init__.py", "");
    // m0 → m1 → … → m(n-1): each forwards to the next; the last runs the command.
    let n = 150;
    for i in 0..n - 1 {
        write(
            d,
            &format!("pkg/m{i}.py"),
            &format!(
                "from pkg import m{next}\n\n\ndef step(x):\n    return m{next}.step(x)\n",
                next = i + 1
            ),
        );
    }
    write(
        d,
        &format!("pkg/m{}.py", n - 1),
        "import os\n\n\ndef step(x):\n    os.system(x)\n",
    );
    // A class hierarchy 150 deep across modules; the method is on the root class.
    write(
        d,
        "pkg/c0.py",
        "import os\n\n\nclass C0:\n    def run(self, x):\n        os.system(x)\n",
    );
    for i in 1..n {
        write(
            d,
            &format!("pkg/c{i}.py"),
            &format!(
                "from pkg.c{p} import C{p}\n\n\nclass C{i}(C{p}):\n    pass\n",
                p = i - 1
            ),
        );
    }
    write(
        d,
        "pkg/views.py",
        &format!(
            "from flask import request\nfrom pkg import m0\nfrom pkg.c{last} import C{last}\n\n\ndef view():\n    m0.step(request.args['x'])\n    obj = C{last}()\n    obj.run(request.args['y'])\n",
            last = n - 1
        ),
    );
    let result = scan_dir(d);
    let sinks: Vec<String> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == "PYA201")
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // The chain is followed to its end, and the method defined 150 bases up is found.
    assert!(sinks.contains(&format!("m{}.py", n - 1)), "{sinks:?}");
    assert!(sinks.contains(&"c0.py".to_string()), "{sinks:?}");
}

#[test]
fn a_sink_in_another_module_names_the_function_and_argument_where_the_data_entered() {
    // Found by the ecosystem check (apache-airflow): a model write in another module left
    // `{function}` and `{argument}` unfilled in the message.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app/__init__.py", "");
    write(
        d,
        "app/models.py",
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\nclass Run(db.Model):\n    state = db.Column(db.String)\n",
    );
    write(
        d,
        "app/store.py",
        "from app.models import Run, db\n\n\ndef set_state(run_id, state):\n    run = Run.query.get(run_id)\n    run.state = state\n    db.session.merge(run)\n",
    );
    write(
        d,
        "app/views.py",
        "from flask import Flask, request\nfrom app.store import set_state\n\napp = Flask(__name__)\n\n\n@app.route('/update')\ndef update():\n    set_state(1, request.args['state'])\n    return 'ok'\n",
    );
    let result = scan_dir(d);
    let hits: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == "PYA206")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", result.findings);
    assert!(hits[0].path.ends_with("app/store.py"));
    let msg = &hits[0].message;
    assert!(!msg.contains('{'), "{msg}");
    assert!(msg.contains("`update`"), "{msg}");
    assert!(msg.contains("request.args"), "{msg}");
}

#[test]
fn a_large_import_cycle_is_solved_to_its_fixpoint_not_cut_after_a_few_rounds() {
    // A ring of 30 modules (each imports the next, the last imports the first): the fact
    // "the parameter reaches os.system" travels one module per round, so a fixed number of
    // rounds loses it. Only the module whose callee's summary changed is analysed again.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let n = 30;
    write(d, "ring/__init__.py", "");
    for i in 0..n {
        let next = (i + 1) % n;
        let body = if i == n - 1 {
            format!("import os\nfrom ring import m{next}\n\n\ndef step(x):\n    os.system(x)\n")
        } else {
            format!("from ring import m{next}\n\n\ndef step(x):\n    return m{next}.step(x)\n")
        };
        write(d, &format!("ring/m{i}.py"), &body);
    }
    write(
        d,
        "ring/views.py",
        "from flask import request\nfrom ring import m0\n\n\ndef view():\n    m0.step(request.args['cmd'])\n",
    );
    let result = scan_dir(d);
    let hits: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == "PYA201")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", result.findings);
    assert!(hits[0].path.ends_with(format!("ring/m{}.py", n - 1)));
    assert!(
        !result
            .diagnostics
            .iter()
            .any(|d| d.message.contains("did not settle")),
        "{:?}",
        result.diagnostics
    );
}
