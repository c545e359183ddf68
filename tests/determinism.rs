//! Findings on multi-module projects do not depend on the order files are given in or on
//! the number of threads: modules are analysed in dependency order, cycles by rounds, and
//! the results are sorted.

use proptest::prelude::*;
use pyaudit::discover::{Excludes, discover};
use pyaudit::engine::Engine;
use pyaudit::finding::Finding;
use pyaudit::rules::RuleSet;
use pyaudit::scan::{ScanOptions, scan_candidates};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(RuleSet::builtin().unwrap(), true))
}

fn projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("projects"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(root.join("taint").join("crossmod"));
    dirs.sort();
    dirs
}

/// What a finding says, paths and flow included.
fn summary(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let steps: Vec<String> = f
                .flow
                .iter()
                .map(|s| format!("{}:{}:{}", s.path.display(), s.start.line, s.note))
                .collect();
            format!(
                "{}:{}:{} {} {} [{}]",
                f.path.display(),
                f.start.line,
                f.rule_id,
                f.message,
                f.fingerprint,
                steps.join(" | ")
            )
        })
        .collect()
}

fn scan_in_order(dir: &Path, threads: usize, seed: u64) -> Vec<String> {
    let (mut candidates, diags) =
        discover(&[dir.to_path_buf()], &Excludes::new(&[]).unwrap(), 1).unwrap();
    // A deterministic shuffle from the seed.
    let mut state = seed | 1;
    for i in (1..candidates.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        candidates.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let opts = ScanOptions {
        paths: vec![dir.to_path_buf()],
        threads,
        ..ScanOptions::default()
    };
    let result = scan_candidates(engine(), &opts, &candidates, diags).unwrap();
    summary(&result.findings)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn project_findings_do_not_depend_on_order_or_threads(seed in any::<u64>(), threads in 1usize..5) {
        for dir in projects() {
            let reference = scan_in_order(&dir, 1, 0);
            prop_assert!(!reference.is_empty(), "{} has findings", dir.display());
            let got = scan_in_order(&dir, threads, seed);
            prop_assert_eq!(&got, &reference, "{}", dir.display());
        }
    }
}
