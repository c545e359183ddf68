//! The result cache, end to end on the built binary: warm runs report exactly what cold
//! runs report, edits invalidate what they must (also across modules), and nothing a
//! scanned repository plants in the cache directory changes the results.

// Only the cycle generator is used here.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A project with its own user cache directory (where the cache's key lives), so tests
/// never touch the real one and each starts without a key.
struct Project {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    user: PathBuf,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("proj");
        let user = tmp.path().join("user-cache");
        std::fs::create_dir_all(&root).unwrap();
        for (rel, text) in files {
            write(&root, rel, text);
        }
        Project {
            _tmp: tmp,
            root,
            user,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pyaudit"));
        cmd.arg("scan")
            .args(args)
            .current_dir(&self.root)
            .env_remove("CLICOLOR_FORCE")
            .env_remove("PYAUDIT_CACHE_DIR")
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", &self.user)
            .env("HOME", &self.user)
            .env("PYAUDIT_CACHE_STATS", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run pyaudit")
    }

    /// stdout of a run, after checking it did not fail.
    fn report(&self, args: &[&str]) -> (String, String) {
        let o = self.run(args);
        assert!(o.status.code().is_some_and(|c| c < 2), "{o:?}");
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    fn uncached(&self, format: &str) -> String {
        self.report(&["--no-cache", "--format", format, "."]).0
    }

    fn edit(&self, rel: &str, text: &str) {
        write(&self.root, rel, text);
    }

    fn entries(&self) -> Vec<PathBuf> {
        entries_in(&self.root.join(".pyaudit_cache"))
    }
}

fn entries_in(cache: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(cache.join("entries")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// (files from the cache, entries stored) from the stats line.
fn stats(stderr: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("pyaudit: cache: "))
        .unwrap_or_else(|| panic!("no cache stats in {stderr}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1])
}

fn loader(i: usize) -> String {
    format!("import yaml\n\ndef load_{i}(text):\n    return yaml.load(text)\n")
}

/// Files analysed on their own (no request data anywhere), each with a finding.
fn standalone() -> Project {
    let files: Vec<(String, String)> = (0..5)
        .map(|i| (format!("pkg/mod{i}.py"), loader(i)))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Project::new(&refs)
}

const VIEWS: &str = "\
from flask import request
import helpers

def view():
    cmd = request.args.get(\"cmd\")
    helpers.run(cmd)
";

const HELPERS_SINK: &str = "\
import os

def run(cmd):
    os.system(cmd)
";

const HELPERS_SANITISED: &str = "\
import os
import shlex

def run(cmd):
    os.system(shlex.quote(cmd))
";

const HELPERS_NEW_SINK: &str = "\
import os
import subprocess

def run(cmd):
    subprocess.call(cmd, shell=True)
    os.system(cmd)
";

#[test]
fn warm_runs_give_byte_identical_json_and_sarif() {
    let p = standalone();
    for format in ["json", "sarif"] {
        let (cold, _) = p.report(&["--format", format, "."]);
        let (warm, err) = p.report(&["--format", format, "."]);
        assert_eq!(cold, warm, "{format}");
        assert_eq!(cold, p.uncached(format), "{format}");
        assert_eq!(stats(&err).0, 5, "{err}");
    }
    assert_eq!(p.entries().len(), 5);
    let gitignore = std::fs::read_to_string(p.root.join(".pyaudit_cache/.gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "*"), "{gitignore}");
}

#[test]
fn editing_one_file_analyses_only_it_again() {
    let p = standalone();
    let (_, err) = p.report(&["."]);
    assert_eq!(stats(&err), (0, 5), "{err}");
    p.edit(
        "pkg/mod3.py",
        &format!("{}\n\ndef more(t):\n    return yaml.load(t)\n", loader(3)),
    );
    let (warm, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (4, 1), "{err}");
    assert_eq!(warm, p.uncached("json"));
    assert_eq!(warm.matches("\"PYA111\"").count(), 6, "{warm}");
}

/// A view whose request data reaches a sink in an imported module, and an unrelated file.
fn web_project() -> Project {
    Project::new(&[
        ("views.py", VIEWS),
        ("helpers.py", HELPERS_SINK),
        ("other.py", &loader(0)),
    ])
}

#[test]
fn an_edit_to_an_imported_module_changes_the_importers_results() {
    let p = web_project();
    let (cold, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (0, 3), "{err}");
    assert!(cold.contains("os.system"), "{cold}");
    let (warm, err) = p.report(&["--format", "json", "."]);
    assert_eq!(
        stats(&err),
        (3, 0),
        "whole-program modules come from the cache too: {err}"
    );
    assert_eq!(warm, cold);
    // Sanitised in the imported module: the flow from views.py is gone. The importer is
    // analysed again with the new summary; the unrelated file is not.
    p.edit("helpers.py", HELPERS_SANITISED);
    let (after, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (1, 2), "{err}");
    assert_eq!(after, p.uncached("json"));
    assert_ne!(after, cold);
    assert!(!after.contains("os.system"), "{after}");
    // A new sink in the imported module: reported, as without the cache.
    p.edit("helpers.py", HELPERS_NEW_SINK);
    let (again, _) = p.report(&["--format", "json", "."]);
    assert_eq!(again, p.uncached("json"));
    assert!(again.contains("subprocess.call"), "{again}");
    let (warm, _) = p.report(&["--format", "json", "."]);
    assert_eq!(warm, again);
    // Back to the first text: the same results as the first run.
    p.edit("helpers.py", HELPERS_SINK);
    let (back, _) = p.report(&["--format", "json", "."]);
    assert_eq!(back, cold);
}

#[test]
fn an_unrelated_edit_leaves_whole_program_modules_cached() {
    let p = web_project();
    p.report(&["."]);
    p.edit("other.py", &loader(1));
    let (json, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (2, 1), "{err}");
    assert_eq!(json, p.uncached("json"));
}

#[test]
fn import_cycles_are_cached_and_an_edit_to_one_member_solves_the_cycle_again() {
    let a = "from flask import request\nimport b\n\ndef view():\n    b.run(request.args[\"c\"])\n\ndef back(x):\n    return x\n";
    let b = "import os\nimport a\n\ndef run(cmd):\n    os.system(a.back(cmd))\n";
    let p = Project::new(&[("a.py", a), ("b.py", b), ("other.py", &loader(0))]);
    let (cold, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (0, 3), "{err}");
    assert!(cold.contains("os.system"), "{cold}");
    assert_eq!(cold, p.uncached("json"));
    // Unchanged: both members of the cycle come from the cache, with the same results.
    let (warm, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (3, 0), "modules of a cycle are cached: {err}");
    assert_eq!(warm, cold);
    // `back` now sanitises: the edit to one member solves the whole cycle again (the flow
    // reported in b.py goes), and the file outside the cycle stays cached.
    p.edit(
        "a.py",
        &a.replace("return x", "import shlex\n    return shlex.quote(x)"),
    );
    let (after, err) = p.report(&["--format", "json", "."]);
    assert_eq!(stats(&err), (1, 2), "{err}");
    assert_eq!(after, p.uncached("json"));
    assert!(!after.contains("PYA201"), "{after}");
    let (warm, _) = p.report(&["--format", "json", "."]);
    assert_eq!(warm, after);
    // Back to the first text: the first results again.
    p.edit("a.py", a);
    let (back, _) = p.report(&["--format", "json", "."]);
    assert_eq!(back, cold);
}

#[test]
fn a_cycle_that_does_not_settle_is_not_cached_and_keeps_its_diagnostic() {
    // A chain of 36 functions winding twelve times around a cycle of three modules needs
    // more rounds than the cycle's budget allows (as in tests/hostile_projects.rs).
    let cycle = common::winding_cycle(3, 36);
    let view = "from flask import request\nfrom pkg import m0\n\ndef view():\n    m0.f0(request.args['q'])\n";
    let mut files: Vec<(&str, &str)> = vec![("pkg/__init__.py", ""), ("pkg/views.py", view)];
    files.extend(cycle.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    let p = Project::new(&files);
    let (cold, err) = p.report(&["--format", "json", "."]);
    assert!(cold.contains("did not settle"), "{cold}");
    let (warm, err2) = p.report(&["--format", "json", "."]);
    assert_eq!(warm, cold);
    // Only the view is stored and found again: the cycle's three members are analysed on
    // every run and never stored.
    assert_eq!(stats(&err), (0, 1), "{err}");
    assert_eq!(stats(&err2), (1, 0), "{err2}");
}

#[test]
fn a_registration_in_another_file_invalidates_the_registered_module() {
    // With a registration, `order` is the view and `helper` is not; without one, the
    // parameter-name rule makes `helper` the view. views.py takes part either way.
    let views = "import os\n\nfrom django.http import HttpResponse\n\n\
                 def order(req):\n    os.system(\"lp \" + req.GET[\"p\"])\n\n\
                 def helper(request):\n    os.system(\"rm \" + request.GET[\"q\"])\n";
    let urls = "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [path(\"o/\", views.order)]\n";
    let p = Project::new(&[
        ("shop/__init__.py", ""),
        ("shop/views.py", views),
        ("shop/urls.py", urls),
    ]);
    let (cold, _) = p.report(&["--format", "json", "."]);
    assert!(
        cold.contains("\"PYA201\""),
        "registered: req is request data: {cold}"
    );
    let (warm, _) = p.report(&["--format", "json", "."]);
    assert_eq!(warm, cold);
    // views.py is unchanged, but no longer registered.
    p.edit("shop/urls.py", "from . import views\n\nurlpatterns = []\n");
    let (after, _) = p.report(&["--format", "json", "."]);
    assert_eq!(after, p.uncached("json"));
    assert_ne!(after, cold);
    p.edit("shop/urls.py", urls);
    let (back, _) = p.report(&["--format", "json", "."]);
    assert_eq!(back, cold);
}

#[test]
fn no_cache_writes_nothing() {
    let p = standalone();
    p.report(&["--no-cache", "."]);
    assert!(!p.root.join(".pyaudit_cache").exists());
    assert!(!p.user.exists(), "no key is made either");
}

#[test]
fn cache_dir_flag_and_environment_choose_the_location() {
    let p = standalone();
    let elsewhere = p.user.parent().unwrap().join("elsewhere");
    let (_, err) = p.report(&["--cache-dir", elsewhere.to_str().unwrap(), "."]);
    assert_eq!(stats(&err), (0, 5), "{err}");
    assert_eq!(entries_in(&elsewhere).len(), 5);
    assert!(!p.root.join(".pyaudit_cache").exists());
    let o = p.run_with(&["."], &[("PYAUDIT_CACHE_DIR", &elsewhere)]);
    assert_eq!(stats(&String::from_utf8_lossy(&o.stderr)).0, 5);
    assert!(!p.root.join(".pyaudit_cache").exists());
}

#[test]
fn thread_counts_agree_cold_and_warm() {
    let p = standalone();
    let (one, _) = p.report(&["-j", "1", "--format", "json", "."]);
    let (four, err) = p.report(&["-j", "4", "--format", "json", "."]);
    assert_eq!(stats(&err).0, 5);
    assert_eq!(one, four);
    std::fs::remove_dir_all(p.root.join(".pyaudit_cache")).unwrap();
    let (four_cold, _) = p.report(&["-j", "4", "--format", "json", "."]);
    assert_eq!(one, four_cold);
}

/// Runs `tamper` on every entry of a warm cache, then checks that the next run reports what
/// an uncached run reports, with one warning naming `what`.
fn tampered(tamper: impl Fn(&Path), what: &str) {
    let p = standalone();
    p.report(&["."]);
    let entries = p.entries();
    assert_eq!(entries.len(), 5);
    for e in &entries {
        tamper(e);
    }
    let (json, err) = p.report(&["--format", "json", "."]);
    assert_eq!(json, p.uncached("json"), "{what}");
    assert_eq!(json.matches("\"PYA111\"").count(), 5, "{what}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("pyaudit: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains(what), "{err}");
    assert_eq!(stats(&err).0, 0, "{err}");
    // The entries were recomputed and replaced: the next run uses them, silently.
    let (_, err) = p.report(&["."]);
    assert_eq!(stats(&err).0, 5, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// An entry whose stored results say "no findings", the MAC left as it was.
fn forge(entry: &Path) {
    let text = std::fs::read_to_string(entry).unwrap();
    let (head, payload) = text.split_at(text.match_indices('\n').nth(2).unwrap().0 + 1);
    let mut doc: serde_json::Value = serde_json::from_str(payload).unwrap();
    doc["findings"] = serde_json::json!([]);
    std::fs::write(entry, format!("{head}{doc}")).unwrap();
}

#[test]
fn a_forged_entry_is_ignored() {
    tampered(forge, "failed authentication");
}

#[test]
fn a_corrupt_or_truncated_entry_is_ignored() {
    tampered(|e| std::fs::write(e, b"\x00garbage").unwrap(), "corrupt");
    tampered(
        |e| {
            let bytes = std::fs::read(e).unwrap();
            std::fs::write(e, &bytes[..bytes.len() / 2]).unwrap();
        },
        "failed authentication",
    );
}

#[test]
fn an_entry_from_another_build_is_ignored() {
    tampered(
        |e| {
            let text = std::fs::read_to_string(e).unwrap();
            let (_, rest) = text.split_once('\n').unwrap();
            std::fs::write(e, format!("pyaudit-cache 1 0.0.1-0000000000000000\n{rest}")).unwrap();
        },
        "another pyaudit build",
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_entry_is_not_followed() {
    tampered(
        |e| {
            let target = e.with_extension("planted");
            std::fs::rename(e, &target).unwrap();
            forge(&target);
            std::os::unix::fs::symlink(&target, e).unwrap();
        },
        "symbolic links",
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_cache_directory_is_not_used() {
    let p = standalone();
    let outside = p.user.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, p.root.join(".pyaudit_cache")).unwrap();
    let (json, err) = p.report(&["--format", "json", "."]);
    assert_eq!(json, p.uncached("json"));
    assert!(err.contains("is a symbolic link; not used"), "{err}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(o.status.success(), "{o:?}");
}

#[test]
fn a_cache_directory_tracked_by_git_is_not_used() {
    let p = standalone();
    p.report(&["."]);
    for e in p.entries() {
        forge(&e);
    }
    git(&p.root, &["init", "-q"]);
    git(&p.root, &["add", "-f", "."]);
    git(&p.root, &["commit", "-q", "-m", "planted cache"]);
    let (json, err) = p.report(&["--format", "json", "."]);
    assert_eq!(json, p.uncached("json"));
    assert_eq!(json.matches("\"PYA111\"").count(), 5);
    assert!(err.contains("is tracked by git"), "{err}");
    assert!(
        !err.contains("pyaudit: cache: "),
        "the cache was not opened: {err}"
    );
}

#[test]
fn standard_input_does_not_use_the_cache() {
    let p = standalone();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(["scan", "-"])
        .current_dir(&p.root)
        .env("XDG_CACHE_HOME", &p.user)
        .env("HOME", &p.user)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(loader(0).as_bytes())
        .unwrap();
    child.wait().unwrap();
    assert!(!p.root.join(".pyaudit_cache").exists());
}

#[test]
fn an_edit_to_a_loader_class_in_another_module_changes_its_users_results() {
    let safe = "import yaml\n\n\nclass ConfigLoader(yaml.SafeLoader):\n    pass\n";
    let unsafe_ = "import yaml\n\n\nclass ConfigLoader(yaml.Loader):\n    pass\n";
    let p = Project::new(&[
        ("loaders.py", safe),
        (
            "settings.py",
            "import yaml\n\nfrom loaders import ConfigLoader\n\n\ndef load(text):\n    \
             return yaml.load(text, Loader=ConfigLoader)\n",
        ),
    ]);
    let args = ["--format", "json", "--profile", "audit", "."];
    let (cold, _) = p.report(&args);
    assert!(
        !cold.contains("PYA111"),
        "a SafeLoader subclass is safe: {cold}"
    );
    // The class now derives from the unsafe loader: the unchanged user reports it, with
    // and without the cache, and a warm run agrees.
    p.edit("loaders.py", unsafe_);
    let (after, _) = p.report(&args);
    let mut uncached = vec!["--no-cache"];
    uncached.extend(args);
    assert_eq!(after, p.report(&uncached).0);
    assert!(after.contains("PYA111"), "{after}");
    assert_eq!(p.report(&args).0, after);
    p.edit("loaders.py", safe);
    assert_eq!(p.report(&args).0, cold);
}
