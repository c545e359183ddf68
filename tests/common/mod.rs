//! Helpers shared by the end-to-end tests: run the built binary without colour, read its
//! output, write files into a temporary tree.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `pyaudit` in `cwd` with colour forced off.
// Not every test that shares these helpers runs it this way.
#[allow(dead_code)]
pub fn pyaudit(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run pyaudit")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to `dir/rel`, creating parent directories.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Runs git in `dir` with a fixed identity and no user configuration; panics on failure.
// Only the tests that build repositories use it.
#[allow(dead_code)]
pub fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `cmd` with its output captured, failing the test (after killing the child) once it
/// has run longer than `guard`: a hang guard, not a timing assertion.
// Only the tests with a hang guard use it.
#[allow(dead_code)]
pub fn output_within(cmd: &mut Command, guard: std::time::Duration) -> Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Drain both pipes while waiting, or a large report would fill them and block.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let read_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).unwrap();
        b
    });
    let read_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).unwrap();
        b
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            panic!("{cmd:?} did not finish in {guard:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: read_out.join().unwrap(),
        stderr: read_err.join().unwrap(),
    }
}

/// The modules of an import cycle whose summaries cannot settle in the cycle's budget: one
/// chain of `len` functions winding around a cycle of `n` modules `pkg/m{i}.py` (each round
/// of the solution carries the data one module further), ending at `os.system`. As
/// (relative path, text); `m0.f0` is the chain's start.
#[allow(dead_code)]
pub fn winding_cycle(n: usize, len: usize) -> Vec<(String, String)> {
    let mut mods: Vec<String> = (0..n)
        .map(|i| {
            let mut t = String::from("import os\n");
            for k in (0..n).filter(|&k| k != i) {
                t.push_str(&format!("from pkg import m{k}\n"));
            }
            t
        })
        .collect();
    for f in 0..len {
        let body = if f == len - 1 {
            "    os.system(x)".to_string()
        } else {
            format!("    return m{}.f{}(x)", (f + 1) % n, f + 1)
        };
        mods[f % n].push_str(&format!("\n\ndef f{f}(x):\n{body}\n"));
    }
    (mods.into_iter().enumerate())
        .map(|(i, t)| (format!("pkg/m{i}.py"), t))
        .collect()
}
