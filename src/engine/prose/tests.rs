use super::*;
use crate::fields::FieldExt as _;
use std::path::Path;

/// The spans of `text` as the words they cover.
fn words(text: &str) -> Vec<&str> {
    spans(text.as_bytes())
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

/// The comment and string-statement ranges of the parse of `text`: what [`spans`] may
/// return.
fn parsed_prose(text: &str) -> Vec<Range<usize>> {
    let tree = crate::engine::parse(text).expect("parses");
    let mut out = Vec::new();
    let mut cursor = tree.root_node().walk();
    'walk: loop {
        let node = cursor.node();
        match node.kind_name() {
            "comment" => out.push(node.byte_range()),
            "expression_statement" if node.named_child_count() == 1 => {
                if let Some(child) = node.named_child(0)
                    && matches!(child.kind_name(), "string" | "concatenated_string")
                {
                    out.push(child.byte_range());
                }
            }
            _ => {}
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

/// Checks that every span of `text` is one the parser calls prose; returns (bytes of
/// prose found, bytes of prose the parser has).
fn check(name: &str, text: &str) -> (usize, usize) {
    let allowed = parsed_prose(text);
    let found = spans(text.as_bytes());
    for span in &found {
        assert!(
            allowed
                .iter()
                .any(|a| a.start <= span.start && span.end <= a.end),
            "{name}: {span:?} ({:?}) is not a comment or string statement",
            &text[span.clone()]
        );
    }
    (
        found.iter().map(|r| r.len()).sum(),
        allowed.iter().map(|r| r.len()).sum(),
    )
}

fn python_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && !p.is_symlink() {
            python_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "py" || e == "pyi") {
            out.push(p);
        }
    }
}

/// Checks every Python file under `dir`; returns (files, prose bytes found, prose bytes).
fn check_tree(dir: &Path) -> (usize, usize, usize) {
    let mut files = Vec::new();
    python_files(dir, &mut files);
    let (mut n, mut found, mut all) = (0, 0, 0);
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if text.starts_with('\u{feff}') || text.contains('\0') {
            continue;
        }
        let (a, b) = check(&f.display().to_string(), text);
        n += 1;
        found += a;
        all += b;
    }
    (n, found, all)
}

#[test]
fn comments_and_docstrings() {
    let text = "\"\"\"Module doc: request.\"\"\"\nimport os  # os.system\n\ndef f():\n    '''doc'''\n    r'raw \\' doc'\n    return 1\n";
    assert_eq!(
        words(text),
        [
            "\"\"\"Module doc: request.\"\"\"",
            "# os.system",
            "'''doc'''",
            "r'raw \\' doc'"
        ]
    );
}

#[test]
fn strings_in_expressions_are_code() {
    for text in [
        "include(\"app.urls\")\n",
        "app.config[\"SECRET_KEY\"] = 'x'\n",
        "x: \"Request\" = 1\n",
        "__import__(\"os\").system(cmd)\n",
        "\"\".join(parts)\n",
        "\"%s\" % request\n",
        "\"a\" if x else \"b\"\n",
        "\"a\", \"b\"\n",
        "(\"paren\")\n",
        "f(\n    \"in brackets\"\n)\n",
        "x = 1 + \\\n\"continued\"\n",
        "\"a\" \\\n.format(x)\n",
    ] {
        assert_eq!(words(text), Vec::<&str>::new(), "{text:?}");
    }
}

#[test]
fn f_strings_are_code_even_as_statements() {
    assert!(words("f\"{os.system(cmd)}\"\n").is_empty());
    assert!(words("\"doc\" f\"{x}\"\n").is_empty());
    assert!(words("T'{x}'\n").is_empty());
    // The statement after one is still seen.
    assert_eq!(
        words("x = f\"{a['k']:>{w}} {{}} \\N{DASH}\"  # c\n\"doc\"\n"),
        ["# c", "\"doc\""]
    );
}

#[test]
fn prefixes_in_any_case() {
    for p in ["r", "R", "u", "U", "b", "B", "br", "Rb", "bR", "RB"] {
        let text = format!("{p}'doc'\n{p}\"\"\"doc\"\"\"\n");
        assert_eq!(words(&text).len(), 2, "{text:?}");
    }
    // Python 2's `ur` is not Python 3: the rest is code.
    assert!(words("ur'x'\n# c\n").is_empty());
}

#[test]
fn implicit_concatenation_is_one_statement() {
    assert_eq!(
        words("\"a\" 'b' \\\n  r\"c\"\nx = 1\n"),
        ["\"a\" 'b' \\\n  r\"c\""]
    );
    assert_eq!(words("\"a\"; x = 1\n"), ["\"a\""]);
    assert_eq!(words("\"a\"\r\n"), ["\"a\""]);
}

#[test]
fn hash_and_quotes_inside_strings() {
    assert_eq!(words("x = '# not a comment'  # yes\n"), ["# yes"]);
    assert_eq!(words("x = \"it's\"  # c\n"), ["# c"]);
    assert_eq!(words("x = '''a\n# in string\n'''\n"), Vec::<&str>::new());
    assert_eq!(words("x = 'a\\\n# in string'\n# c\n"), ["# c"]);
    assert_eq!(words("x = \"\"\"a\"\"\"\"b\"\n# c\n"), ["# c"]);
    assert_eq!(words("x = r'\\\\'  # c\n"), ["# c"]);
}

#[test]
fn unsure_means_code_from_there_on() {
    // Unterminated strings.
    assert_eq!(words("# a\nx = 'abc\n# b\n"), ["# a"]);
    assert_eq!(words("# a\nx = '''abc\n# b\n"), ["# a"]);
    // A bracket closed that was never opened, a lone carriage return, control bytes.
    assert_eq!(words("# a\n)\n# b\n"), ["# a"]);
    assert_eq!(words("# a\rimport os\n# b\n"), ["# a"]);
    assert_eq!(words("# a\n\x01\n# b\n"), ["# a"]);
    // A backslash that does not end a line, an unknown prefix.
    assert_eq!(words("# a\nx = \\ 1\n# b\n"), ["# a"]);
    assert_eq!(words("# a\nprint\"x\"\n# b\n"), ["# a"]);
    // Replacement fields that Python 3.12 reads differently from older versions.
    for field in [
        "{x[\"k\"]}",
        "{f'{\"a\"}'}",
        "{x # c\n}",
        "{x \\\n}",
        "{x:\"}",
    ] {
        let text = format!("# a\ny = f\"{field}\"\n# b\n");
        assert_eq!(words(&text), ["# a"], "{text:?}");
    }
    // A backslash inside a nested string means the same to both.
    assert_eq!(words("y = f\"{'\\n'}\"\n# b\n"), ["# b"]);
    // Unbalanced braces in an f-string.
    assert_eq!(words("# a\ny = f'}'\n# b\n"), ["# a"]);
    // An empty file, a file of one quote.
    assert!(words("").is_empty());
    assert!(words("'").is_empty());
}

#[test]
fn code_only_keeps_offsets_and_lines() {
    let text = b"import os  # pickle\n'''\nyaml\n'''\nos.system(x)\n";
    let code = code_only(text);
    assert_eq!(code.len(), text.len());
    assert_eq!(
        String::from_utf8(code).unwrap(),
        "import os          \n   \n    \n   \nos.system(x)\n"
    );
}

#[test]
fn every_span_in_the_fixtures_is_prose_to_the_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (files, found, all) = check_tree(&root.join("fixtures"));
    assert!(files > 100, "{files} fixture files");
    // Nearly all prose is found; the rest is only kept as code.
    assert!(found * 10 > all * 9, "{found} of {all} bytes");
}

/// The same check over a corpus: `PYAUDIT_PROSE_CORPUS=/work/corpus/large cargo test --lib
/// prose -- --ignored --nocapture`.
#[test]
#[ignore]
fn every_span_in_a_corpus_is_prose_to_the_parser() {
    let dir = std::env::var("PYAUDIT_PROSE_CORPUS").expect("PYAUDIT_PROSE_CORPUS");
    let (files, found, all) = check_tree(Path::new(&dir));
    println!("{files} files: {found} of {all} bytes of comments and string statements found");
}
