//! Embeds every rule file under `rules/` into the binary, so the built-in rule set needs no
//! files at run time, and names the build (`PYAUDIT_BUILD_ID`) after its sources so that
//! the result cache never serves one build's results to another.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A digest of everything that decides what the analysis produces: the crate's sources,
/// rule files, manifest and locked dependency versions. The value only has to differ when
/// those differ, within one build, so the standard hasher (stable for one compiler) is
/// enough; the cache keys themselves use a cryptographic hash.
fn build_id(root: &Path, rules: &[PathBuf]) -> String {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    collect_ext(&root.join("src"), "rs", &mut files);
    files.sort();
    files.extend(rules.iter().cloned());
    for extra in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        files.push(root.join(extra));
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        f.strip_prefix(root).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    format!(
        "{}-{:016x}",
        std::env::var("CARGO_PKG_VERSION").unwrap(),
        h.finish()
    )
}

fn collect_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_ext(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let rules_dir = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect_ext(&rules_dir, "toml", &mut files);
    files.sort();
    let mut code =
        String::from("/// Built-in rule files: (path relative to the crate, contents).\n");
    code.push_str("pub static EMBEDDED_RULES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            file.to_string_lossy()
        )
        .unwrap();
    }
    code.push_str("];\n");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!(
        "cargo:rustc-env=PYAUDIT_BUILD_ID={}",
        build_id(&root, &files)
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    std::fs::write(out, code).unwrap();
}
