//! Real-client test of `pyaudit server`: headless Neovim's built-in LSP client opens a file,
//! waits for the diagnostics the server publishes and writes them out, then stops the
//! client and writes the server's exit code (tests/lsp/neovim_client.lua).
//! Runs always with CI=true (and then fails if Neovim is missing); skips otherwise without nvim.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Path of Neovim, or `None` (the test then skips, except in CI).
fn nvim() -> Option<PathBuf> {
    let path = std::env::var_os("PYAUDIT_NVIM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/nvim"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing: scripts/setup-neovim should have installed it",
        path.display()
    );
    eprintln!(
        "Neovim test skipped: no {} (run scripts/setup-neovim)",
        path.display()
    );
    None
}

#[test]
fn diagnostics_in_headless_neovim() {
    let Some(nvim) = nvim() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = root.join("app.py");
    std::fs::write(
        &file,
        "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n",
    )
    .unwrap();
    let out = root.join("diagnostics.txt");
    let exit = root.join("server-exit.txt");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lsp/neovim_client.lua");
    let mut child = Command::new(nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(root)
        // No user or system configuration may change the client's behaviour.
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("PYAUDIT_BIN", env!("CARGO_BIN_EXE_pyaudit"))
        .env("PYAUDIT_ROOT", root)
        .env("PYAUDIT_FILE", &file)
        .env("PYAUDIT_OUT", &out)
        .env("PYAUDIT_EXIT", &exit)
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("start nvim");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("nvim did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        status.success(),
        "nvim failed: {status}; diagnostics: {text:?}"
    );
    let diags: Vec<&str> = text.lines().collect();
    assert_eq!(diags, ["PYA101\t5"], "{text}");
    // Neovim quitting ends the session cleanly, not as an error of the server (exit 2).
    assert_eq!(
        server_exit(&exit).as_deref(),
        Some("0"),
        "server exit code after Neovim quit"
    );
}

/// The exit code the shell around the server wrote to `file`, once it is there.
fn server_exit(file: &std::path::Path) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(text) = std::fs::read_to_string(file)
            && text.ends_with('\n')
        {
            return Some(text.trim().to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
