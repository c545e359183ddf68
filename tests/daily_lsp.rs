//! End-to-end tests of `pyaudit server`: JSON-RPC over stdio to the built binary —
//! initialize, didOpen → publishDiagnostics, codeAction (fix and suppression), didChange
//! (debounced) → diagnostics cleared, shutdown and exit; a flow across two modules, updated
//! in the importer when the imported module changes; the exit codes of each way a session
//! ends; a save analysing again files changed on disk.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    /// Every message received, for the failure message.
    log: Vec<Value>,
    /// Every message both ways, in order (`->` sent, `<-` received).
    transcript: Vec<(&'static str, Value)>,
}

impl Client {
    fn start(root: &std::path::Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pyaudit"))
            .arg("server")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            log: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// Starts the server and completes `initialize` with `root` as the workspace.
    fn initialized(root: &std::path::Path) -> Client {
        let mut c = Client::start(root);
        c.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": null, "rootUri": uri(root, ""), "capabilities": {}}}));
        c.wait("initialize response", |m| m["id"] == 1);
        c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        c
    }

    fn send(&mut self, msg: Value) {
        self.transcript.push(("->", msg.clone()));
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The first message (skipping others) for which `pick` holds.
    fn wait(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let Ok(m) = self.rx.recv_timeout(Duration::from_secs(20)) else {
                panic!("no {what}; got {:#?}", self.log);
            };
            self.log.push(m.clone());
            self.transcript.push(("<-", m.clone()));
            if pick(&m) {
                return m;
            }
        }
    }

    fn diagnostics(&mut self) -> Value {
        self.wait("publishDiagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics"
        })
    }

    /// The first diagnostics published for `uri` that `pick` accepts. A document may
    /// first get its findings analysed on its own, then the project's when that analysis
    /// is done (on a loaded machine, after the server stopped waiting for it).
    fn diagnostics_of(&mut self, uri: &str, pick: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let d = self.wait(&format!("publishDiagnostics for {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && pick(m["params"]["diagnostics"].as_array().unwrap())
        });
        d["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}),
        );
    }

    /// Writes the session to the file `PYAUDIT_LSP_TRANSCRIPT` names, if set (for notes).
    fn save_transcript(&self) {
        let Some(path) = std::env::var_os("PYAUDIT_LSP_TRANSCRIPT") else {
            return;
        };
        let text: String = self
            .transcript
            .iter()
            .map(|(dir, m)| format!("{dir} {m}\n"))
            .collect();
        std::fs::write(path, text).unwrap();
    }

    /// Closes the server's stdin and returns its exit code.
    fn close_stdin(self) -> Option<i32> {
        let Client {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        child.wait().unwrap().code()
    }
}

/// The `file:` URI of `rel` under `root` (`rel` empty: the root itself).
fn uri(root: &std::path::Path, rel: &str) -> String {
    if rel.is_empty() {
        format!("file://{}", root.display())
    } else {
        format!("file://{}/{rel}", root.display())
    }
}

const VULN: &str = "import pickle\nimport yaml\n\ndef f(b, t):\n    x = yaml.load(t)\n    return pickle.loads(b)\n";
const FIXED: &str = "import json\n\ndef f(b):\n    return json.loads(b)\n";

#[test]
fn lsp_session_over_stdio() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Project settings apply: PYA110 is ignored by the project's config.
    std::fs::write(root.join("pyaudit.toml"), "ignore = [\"PYA110\"]\n").unwrap();
    let uri = format!("file://{}/app.py", root.display());
    let root_uri = format!("file://{}", root.display());
    let mut c = Client::start(root);
    c.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": null, "rootUri": root_uri, "capabilities": {}}}));
    let init = c.wait("initialize response", |m| m["id"] == 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "pyaudit");
    assert_eq!(init["result"]["capabilities"]["codeActionProvider"], true);
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    let text = format!("{VULN}import marshal\nmarshal.loads(b)\n");
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}),
    );
    let d = c.diagnostics();
    let diags = d["params"]["diagnostics"].as_array().unwrap().clone();
    let codes: Vec<&str> = diags.iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["PYA111", "PYA101"], "{d:#}");
    let yaml = &diags[0];
    assert_eq!(yaml["range"]["start"], json!({"line": 4, "character": 8}));
    assert_eq!(yaml["severity"], 1);
    assert_eq!(yaml["source"], "pyaudit");
    assert!(
        yaml["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/PYA111.md")
    );
    assert_eq!(d["params"]["version"], 1);

    c.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}},
        "context": {"diagnostics": [yaml]}}}),
    );
    let actions = c.wait("codeAction response", |m| m["id"] == 2);
    let list = actions["result"].as_array().unwrap();
    let titles: Vec<&str> = list.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "pyaudit: use the safe loader (`safe_load`)",
            "pyaudit: ignore PYA111 on this line"
        ],
        "{actions:#}"
    );
    let fix_edits = &list[0]["edit"]["changes"][&uri];
    assert_eq!(fix_edits[0]["newText"], "safe_load");
    assert_eq!(
        fix_edits[0]["range"],
        json!({"start": {"line": 4, "character": 13}, "end": {"line": 4, "character": 17}})
    );
    let ignore = &list[1]["edit"]["changes"][&uri][0];
    assert_eq!(ignore["newText"], "  # pyaudit: ignore[PYA111]");
    assert_eq!(
        ignore["range"]["start"],
        json!({"line": 4, "character": 20})
    );

    // Changes are debounced: several edits, one analysis of the last text.
    for (v, t) in [(2, VULN), (3, FIXED)] {
        c.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": v},
            "contentChanges": [{"text": t}]}}),
        );
    }
    let d = c.diagnostics();
    assert_eq!(d["params"]["version"], 3, "{d:#}");
    assert_eq!(d["params"]["diagnostics"], json!([]));

    c.send(json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": null}));
    c.wait("shutdown response", |m| m["id"] == 3);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

const HELPERS: &str = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n";
const HELPERS_QUOTED: &str =
    "import os\nimport shlex\n\n\ndef run(cmd):\n    os.system(shlex.quote(cmd))\n";
const VIEWS: &str = "from flask import Flask, request\n\nimport helpers\n\napp = Flask(__name__)\n\n\n@app.route(\"/run\")\ndef run_view():\n    helpers.run(request.args[\"cmd\"])\n";

#[test]
fn flows_across_modules_follow_edits_of_the_imported_module() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(root.join("helpers.py"), HELPERS).unwrap();
    std::fs::write(root.join("views.py"), VIEWS).unwrap();
    let (views, helpers) = (uri(root, "views.py"), uri(root, "helpers.py"));
    let mut c = Client::initialized(root);

    // views.py alone has no sink: the finding comes from helpers.py, read from disk.
    c.open(&views, VIEWS);
    let d = c.diagnostics_of(&views, |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:#?}");
    let flow = &d[0];
    assert_eq!(flow["code"], "PYA201");
    // Shown where the request data leaves views.py: the argument of helpers.run.
    assert_eq!(flow["range"]["start"], json!({"line": 9, "character": 16}));
    assert!(
        flow["message"]
            .as_str()
            .unwrap()
            .contains("the sink is at helpers.py:5"),
        "{flow:#}"
    );
    let related = flow["relatedInformation"].as_array().unwrap();
    let files: Vec<&str> = related
        .iter()
        .map(|r| r["location"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(files.first(), Some(&views.as_str()), "{related:#?}");
    assert_eq!(files.last(), Some(&helpers.as_str()), "{related:#?}");
    assert_eq!(
        related.last().unwrap()["location"]["range"]["start"],
        json!({"line": 4, "character": 4})
    );

    // Opened, helpers.py shows the finding at its sink.
    c.open(&helpers, HELPERS);
    let d = c.diagnostics_of(&helpers, |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["code"], "PYA201");
    assert_eq!(d[0]["range"]["start"], json!({"line": 4, "character": 4}));

    // The suppression for the flow shown in views.py goes at the sink, in helpers.py.
    c.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": views},
        "range": {"start": {"line": 9, "character": 0}, "end": {"line": 9, "character": 0}},
        "context": {"diagnostics": []}}}),
    );
    let actions = c.wait("codeAction response", |m| m["id"] == 2);
    let list = actions["result"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{actions:#}");
    assert_eq!(
        list[0]["title"],
        "pyaudit: ignore PYA201 at the sink (helpers.py:5)"
    );
    let edit = &list[0]["edit"]["changes"][&helpers][0];
    assert_eq!(edit["newText"], "  # pyaudit: ignore[PYA201]");
    assert_eq!(edit["range"]["start"], json!({"line": 4, "character": 18}));

    // Quoting the argument in the (unsaved) editor text of helpers.py clears both files.
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": helpers, "version": 2},
        "contentChanges": [{"text": HELPERS_QUOTED}]}}),
    );
    c.diagnostics_of(&helpers, |d| d.is_empty());
    c.diagnostics_of(&views, |d| d.is_empty());

    // Undoing it brings the finding back in the importer.
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": helpers, "version": 3},
        "contentChanges": [{"text": HELPERS}]}}),
    );
    c.diagnostics_of(&helpers, |d| d.len() == 1);
    c.diagnostics_of(&views, |d| d.len() == 1);

    c.send(json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": null}));
    c.wait("shutdown response", |m| m["id"] == 3);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    c.save_transcript();
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn exit_codes_follow_how_the_session_ends() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();

    // The editor closes stdin after `shutdown` without sending `exit` (Neovim does): 0.
    let mut c = Client::initialized(root);
    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    c.wait("shutdown response", |m| m["id"] == 2);
    // Requests after shutdown are refused, not answered.
    c.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeAction",
        "params": {}}),
    );
    let refused = c.wait("refusal", |m| m["id"] == 3);
    assert_eq!(refused["error"]["code"], -32600, "{refused:#}");
    assert_eq!(c.close_stdin(), Some(0));

    // Closed stdin without shutdown: 1, as for `exit` without shutdown.
    let c = Client::initialized(root);
    assert_eq!(c.close_stdin(), Some(1));

    // `exit` without shutdown: 1.
    let mut c = Client::initialized(root);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let status = c.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));

    // Stdin closed before `initialize`: 1 as well; only internal errors exit 2.
    let c = Client::start(root);
    assert_eq!(c.close_stdin(), Some(1));
}

#[test]
fn save_reads_files_that_are_not_open_again() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(root.join("helpers.py"), HELPERS).unwrap();
    std::fs::write(root.join("views.py"), VIEWS).unwrap();
    let views = uri(root, "views.py");
    let mut c = Client::initialized(root);
    c.open(&views, VIEWS);
    c.diagnostics_of(&views, |d| d.len() == 1);
    // helpers.py is fixed outside the editor (a checkout, another tool); saving views.py
    // analyses the project again, reading helpers.py from disk.
    std::fs::write(root.join("helpers.py"), HELPERS_QUOTED).unwrap();
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {
        "textDocument": {"uri": views}}}),
    );
    c.diagnostics_of(&views, |d| d.is_empty());
    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    c.wait("shutdown response", |m| m["id"] == 2);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    assert!(c.child.wait().unwrap().success());
}
