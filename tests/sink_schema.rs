//! Validation of the sink forms added for issue 5: `methods`, `splat`/`receiver` arguments
//! and `[sink.persist]`.

use pyaudit::rules::{Parsed, parse_file};

const HEAD: &str = r#"
id = "TST204"
name = "sink-schema-test"
kind = "taint"
severity = "high"
confidence = "high"
summary = "s"
message = "In {function}, {source} {argument} reaches {call}"
help = "h"
description = "d"
vulnerable = "v"
fixed = "f"
"#;

fn parse(sinks: &str) -> Result<Parsed, String> {
    parse_file("r.toml", &format!("{HEAD}\n{sinks}")).map_err(|e| e.message)
}

#[test]
fn method_splat_receiver_and_persist_sinks_parse() {
    let ok = [
        "[[sink]]\nlabel = \"sql\"\nmethods = [\"execute\"]\nargs = [{ position = 0 }]\n",
        "[[sink]]\nlabel = \"mass\"\nmethods = [\"create\"]\nargs = [{ splat = true }]\n",
        "[[sink]]\nlabel = \"path\"\nmethods = [\"read_text\"]\nargs = [{ receiver = true }]\n",
        "[[sink]]\nlabel = \"save\"\n  [sink.persist]\n  object_methods = [\"save\"]\n",
    ];
    for text in ok {
        assert!(parse(text).is_ok(), "{text}: {:?}", parse(text).err());
    }
}

#[test]
fn malformed_sinks_are_rejected() {
    let bad = [
        ("[[sink]]\nlabel = \"x\"\n", "needs `calls`, `methods`"),
        (
            "[[sink]]\nlabel = \"x\"\nmethods = [\"cursor.execute\"]\n",
            "not a method name",
        ),
        (
            "[[sink]]\nlabel = \"x\"\nmethods = [\"m\"]\nargs = [{ splat = true, position = 0 }]\n",
            "alone",
        ),
        (
            "[[sink]]\nlabel = \"x\"\ncalls = [\"a.b\"]\n  [sink.persist]\n  object_methods = [\"save\"]\n",
            "with `persist` has no",
        ),
        (
            "[[sink]]\nlabel = \"x\"\n  [sink.persist]\n",
            "`persist` needs",
        ),
    ];
    for (text, want) in bad {
        let e = parse(text).err().unwrap_or_default();
        assert!(e.contains(want), "{text}: got {e:?}, want {want:?}");
    }
}
