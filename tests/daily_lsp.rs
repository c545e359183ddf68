//! End-to-end test of `pyaudit server`: JSON-RPC over stdio to the built binary —
//! initialize, didOpen → publishDiagnostics, codeAction (fix and suppression), didChange
//! (debounced) → diagnostics cleared, shutdown and exit.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    /// Every message received, for the failure message and the transcript.
    log: Vec<Value>,
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
        }
    }

    fn send(&mut self, msg: Value) {
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
