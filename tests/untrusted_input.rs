//! End-to-end attacks from a hostile scanned repository on coverage, configuration and
//! resources (issue 12, points 2, 3, 6 and 7): each test attempts one and checks that it is
//! neutralised.

mod common;

use common::{output_within, pyaudit, stderr, stdout, write};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const VULN: &str = "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n";

/// Runs pyaudit in `cwd`, killing it after 60 s so that a hang fails the test instead of
/// stalling the suite.
fn run(args: &[&str], cwd: &Path) -> Output {
    run_env(args, cwd, &[])
}

/// [`run`] with extra environment variables.
fn run_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    output_within(
        Command::new(env!("CARGO_BIN_EXE_pyaudit"))
            .args(args)
            .current_dir(cwd)
            .envs(env.iter().copied())
            .env_remove("CLICOLOR_FORCE")
            .env("NO_COLOR", "1"),
        Duration::from_secs(60),
    )
}

fn files_with(out: &str, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| l.contains(&format!(": {rule} ")))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// A git repository in a temporary directory with `files` (path, text) added to the index.
fn git_repo(files: &[(&str, &str)]) -> Option<tempfile::TempDir> {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q"]);
    for (p, t) in files {
        write(tmp.path(), p, t);
    }
    git(tmp.path(), &["add", "-f", "."]);
    Some(tmp)
}

fn sarif(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

#[test]
fn tracked_files_cannot_be_hidden_by_ignore_files_or_folder_names() {
    let Some(tmp) = git_repo(&[
        (".gitignore", "ignored/\nsecret_*.py\n"),
        (".ignore", "src/\n"),
        ("ignored/a.py", VULN),
        ("secret_b.py", VULN),
        ("src/c.py", VULN),
        ("pkg/sub/build/d.py", VULN),
        ("pkg/dist/e.py", VULN),
        ("deep/er/venv/f.py", VULN),
        ("web/node_modules/g.py", VULN),
        (".github/scripts/h.py", VULN),
    ]) else {
        return;
    };
    let d = tmp.path();
    let o = run(&["scan", "--isolated"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        files_with(&stdout(&o), "PYA101"),
        [
            ".github/scripts/h.py",
            "deep/er/venv/f.py",
            "ignored/a.py",
            "pkg/dist/e.py",
            "pkg/sub/build/d.py",
            "secret_b.py",
            "src/c.py",
            "web/node_modules/g.py",
        ],
        "{}",
        stdout(&o)
    );

    // Untracked files in the same places are left out, and counted.
    write(d, "ignored/new.py", VULN);
    write(d, "pkg/dist/new.py", VULN);
    let o = run(&["scan", "--isolated", "--show-skipped"], d);
    let out = stdout(&o);
    assert_eq!(files_with(&out, "PYA101").len(), 8, "{out}");
    assert!(
        out.contains("skipped[ignore-file]: ignored/new.py"),
        "{out}"
    );
    assert!(
        out.contains("skipped[default-excluded-folder]: pkg/dist/new.py"),
        "{out}"
    );
    assert!(out.contains("2 Python files not scanned"), "{out}");

    // --no-respect-ignore scans the untracked ignored file too.
    let o = run(&["scan", "--isolated", "--no-respect-ignore"], d);
    assert_eq!(files_with(&stdout(&o), "PYA101").len(), 9, "{}", stdout(&o));
}

#[test]
fn without_a_usable_git_ignore_files_are_not_applied() {
    let Some(tmp) = git_repo(&[(".gitignore", "hidden/\n"), ("hidden/a.py", VULN)]) else {
        return;
    };
    let d = tmp.path();
    // No git on PATH: pyaudit cannot ask git what is tracked, so it must not trust the
    // ignore files either.
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let o = run_env(&["scan", "--isolated"], d, &[("PATH", path)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(files_with(&stdout(&o), "PYA101"), ["hidden/a.py"]);
    assert!(
        stderr(&o).contains("git could not list its files (git is not installed)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_real_virtualenv_is_still_skipped_and_reported() {
    let Some(tmp) = git_repo(&[
        ("app.py", VULN),
        ("env/pyvenv.cfg", "home = /usr/bin\n"),
        ("env/lib/site.py", VULN),
    ]) else {
        return;
    };
    let d = tmp.path();
    write(d, ".venv/pyvenv.cfg", "home = /usr/bin\n");
    write(d, ".venv/lib/pkg.py", VULN);
    let o = run(&["scan", "--isolated", "--show-skipped"], d);
    let out = stdout(&o);
    assert_eq!(files_with(&out, "PYA101"), ["app.py"], "{out}");
    assert!(
        out.contains("skipped[virtualenv]: env/lib/site.py"),
        "{out}"
    );
    assert!(
        out.contains("skipped[virtualenv]: .venv/lib/pkg.py"),
        "{out}"
    );

    let o = run(&["scan", "--isolated", "--format", "sarif"], d);
    let doc = sarif(&o);
    let run0 = &doc["runs"][0];
    assert_eq!(
        run0["properties"]["skippedFiles"]["virtualenv"], 2,
        "{run0}"
    );
    let notes = run0["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["descriptor"]["id"] == "skipped-files"
                && n["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("2 in a virtualenv")),
        "{notes:?}"
    );
}

#[test]
fn the_repository_git_config_cannot_run_programs() {
    let Some(tmp) = git_repo(&[("app.py", VULN)]) else {
        return;
    };
    let d = tmp.path();
    let marker = d.join("pwned");
    let hook = d.join("hook.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    git(d, &["config", "core.fsmonitor", hook.to_str().unwrap()]);
    let o = run(&["scan", "--isolated", "app.py", "."], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!marker.exists(), "core.fsmonitor ran");
}

#[test]
fn a_tracked_file_replaced_by_a_fifo_is_diagnosed() {
    #[cfg(unix)]
    {
        let Some(tmp) = git_repo(&[("app.py", VULN), ("pipe.py", "x = 1\n")]) else {
            return;
        };
        let d = tmp.path();
        std::fs::remove_file(d.join("pipe.py")).unwrap();
        mkfifo(&d.join("pipe.py"));
        let o = run(&["scan", "--isolated", "--format", "sarif"], d);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let doc = sarif(&o);
        assert_eq!(
            doc["runs"][0]["invocations"][0]["executionSuccessful"], false,
            "a file not scanned makes the run unsuccessful"
        );
        assert!(
            stderr(&o).contains("pipe.py: warning[unreadable]: a FIFO"),
            "{}",
            stderr(&o)
        );
    }
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo");
}

#[test]
fn fifos_and_devices_in_a_walk_get_a_diagnostic_and_the_scan_goes_on() {
    #[cfg(unix)]
    {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "app.py", VULN);
        mkfifo(&d.join("fifo.py"));
        mkfifo(&d.join("noext"));
        let o = run(&["scan", "--isolated", "."], d);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("fifo.py: warning[unreadable]: a FIFO"),
            "{err}"
        );
        assert!(err.contains("noext: warning[unreadable]: a FIFO"), "{err}");
        assert!(
            stdout(&o).contains("2 files not fully scanned"),
            "{}",
            stdout(&o)
        );
        assert_eq!(files_with(&stdout(&o), "PYA101"), ["app.py"]);
    }
}

fn rules_dir_error(value: &str, d: &Path) -> String {
    write(
        d,
        "pyproject.toml",
        &format!("[tool.pyaudit]\nfail-on = \"low\"\nrules-dirs = [{value}]\n"),
    );
    let o = run(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(2), "{value}: {}", stderr(&o));
    stderr(&o)
}

#[test]
fn rules_dirs_must_stay_inside_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("repo");
    write(&d, "app.py", VULN);
    let err = rules_dir_error("\"/etc\"", &d);
    assert!(err.contains("pyproject.toml:3:15: rules-dirs"), "{err}");
    assert!(err.contains("outside the project root"), "{err}");
    let err = rules_dir_error("\"../../..\"", &d);
    assert!(err.contains("outside the project root"), "{err}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", d.join("myrules")).unwrap();
        let err = rules_dir_error("\"myrules\"", &d);
        assert!(err.contains("resolves to /etc"), "{err}");
    }
    let err = rules_dir_error("\"missing\"", &d);
    assert!(err.contains("cannot be resolved"), "{err}");

    // A rules directory inside the project is fine, and what it adds is listed.
    write(
        &d,
        "pyproject.toml",
        "[tool.pyaudit]\nrules-dirs = [\"rules\"]\n",
    );
    write(
        &d,
        "rules/model.toml",
        "kind = \"taint-model\"\nname = \"evil\"\ndescription = \"d\"\n\n[[sanitizer]]\ncalls = [\"str\"]\n",
    );
    let o = run(&["scan", "--show-settings"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout(&o);
    assert!(
        shown.contains("user-taint-models = [\"") && shown.contains("rules/model.toml\"]"),
        "{shown}"
    );
    let o = run(&["scan", "--format", "sarif", "app.py"], &d);
    let doc = sarif(&o);
    let props = &doc["runs"][0]["properties"];
    assert!(
        props["userTaintModels"][0]
            .as_str()
            .is_some_and(|m| m.ends_with("rules/model.toml")),
        "{props}"
    );
}

#[test]
fn isolated_and_a_trusted_config_replace_the_repository_config() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    write(
        d,
        "pyproject.toml",
        "[tool.pyaudit]\nignore = [\"PYA101\"]\n",
    );
    write(d, "trusted/pyaudit.toml", "fail-on = \"high\"\n");
    let o = pyaudit(&["scan", "app.py"], d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the repository's config switches PYA101 off"
    );
    let o = run(&["scan", "--isolated", "app.py"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = run(&["scan", "--config", "trusted/pyaudit.toml", "app.py"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// Points `rel` under `d` at `/dev/zero`.
#[cfg(unix)]
fn zero_link(d: &Path, rel: &str) {
    let p = d.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", p).unwrap();
}

#[test]
fn files_linked_to_dev_zero_are_refused_without_aborting() {
    #[cfg(unix)]
    {
        // Configuration: the run stops with a clear error.
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "app.py", VULN);
        zero_link(d, "pyproject.toml");
        let o = run(&["scan", "app.py"], d);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("pyproject.toml: is a device, not a regular file; refused"),
            "{}",
            stderr(&o)
        );
        std::fs::remove_file(d.join("pyproject.toml")).unwrap();
        zero_link(d, "pyaudit.toml");
        let o = run(&["scan", "app.py"], d);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("pyaudit.toml: is a device"),
            "{}",
            stderr(&o)
        );
        std::fs::remove_file(d.join("pyaudit.toml")).unwrap();

        // A rule file and a baseline: the same.
        zero_link(d, "rules/zero.toml");
        let o = run(&["scan", "--rules", "rules", "app.py"], d);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("zero.toml"), "{}", stderr(&o));
        assert!(stderr(&o).contains("is a device"), "{}", stderr(&o));
        zero_link(d, "baseline.json");
        let o = run(&["scan", "--baseline", "baseline.json", "app.py"], d);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("baseline.json: baseline is a device"),
            "{}",
            stderr(&o)
        );

        // An ignore file: a diagnostic, its patterns are not applied, the scan goes on.
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(d, "sub/app.py", VULN);
        zero_link(d, "sub/.gitignore");
        zero_link(d, ".ignore");
        let o = run(&["scan", "--isolated", "."], d);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("sub/.gitignore: warning[walk]: ignore file is a device"),
            "{err}"
        );
        assert!(
            err.contains(".ignore: warning[walk]: ignore file is a device"),
            "{err}"
        );
        assert_eq!(files_with(&stdout(&o), "PYA101"), ["sub/app.py"]);
    }
}

#[test]
fn git_tracked_ignore_file_linked_to_dev_zero_does_not_hang() {
    #[cfg(unix)]
    {
        let Some(tmp) = git_repo(&[("app.py", VULN)]) else {
            return;
        };
        let d = tmp.path();
        zero_link(d, ".gitignore");
        git(d, &["add", ".gitignore"]);
        let o = run(&["scan", "--isolated"], d);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(files_with(&stdout(&o), "PYA101"), ["app.py"]);
    }
}

#[test]
fn oversized_configuration_and_ignore_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    let big = format!("[tool.pyaudit]\n{}", "# padding\n".repeat(120_000));
    write(d, "pyproject.toml", &big);
    let o = run(&["scan", "app.py"], d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("pyproject.toml: is larger than the 1048576-byte limit"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(d.join("pyproject.toml")).unwrap();
    write(d, ".gitignore", &"x\n".repeat(600_000));
    let o = run(&["scan", "."], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(".gitignore: warning[walk]: ignore file is larger"));
}

#[test]
fn a_file_not_fully_scanned_makes_sarif_unsuccessful() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", VULN);
    write(d, "big.py", &"x = 1\n".repeat(300_000));
    let o = run(
        &[
            "scan",
            "--isolated",
            "--max-file-size",
            "1",
            "--format",
            "sarif",
            ".",
        ],
        d,
    );
    let doc = sarif(&o);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "{inv}");
    assert!(
        stderr(&o).contains("1 file not fully scanned"),
        "{}",
        stderr(&o)
    );
}
