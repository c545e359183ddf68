//! Property tests: a scan's results do not depend on the thread count or the order files
//! are handed to the workers, and appending unrelated code to a file does not change the
//! findings above it.

use proptest::prelude::*;
use pyaudit::discover::{Candidate, Excludes, discover};
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

/// Statements that produce findings, near misses and diagnostics, to assemble files from.
const SNIPPETS: &[&str] = &[
    "import pickle\n",
    "import pickle as p\n",
    "from pickle import loads\n",
    "import yaml\n",
    "import dill\n",
    "import joblib\n",
    "pickle.loads(data)\n",
    "p.load(fh)\n",
    "loads(blob)\n",
    "yaml.load(s)\n",
    "yaml.load(s, Loader=yaml.SafeLoader)\n",
    "dill.loads(x)\n",
    "joblib.load(path)\n",
    "def loads(x):\n    return x\n",
    "def handler(req):\n    return pickle.loads(req.body)\n",
    "class Loader(yaml.SafeLoader):\n    pass\n",
    "if cond:\n    pickle = None\n",
    "x = (\n",
    "print \"py2\"\n",
    "value = 'caf\u{e9}'\n",
    "# pickle.loads(comment)\n",
];

fn file_text(picks: &[usize]) -> String {
    picks
        .iter()
        .map(|&i| SNIPPETS[i % SNIPPETS.len()])
        .collect()
}

fn files_strategy() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(0..SNIPPETS.len(), 0..12), 1..8)
}

/// Findings and diagnostics as comparable text (elapsed time excluded).
fn digest(result: &pyaudit::scan::ScanResult) -> String {
    format!(
        "{:?}\n{:?}\n{} {} {}",
        result.findings,
        result.diagnostics,
        result.files_scanned,
        result.files_parsed,
        result.files_with_errors()
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn thread_count_and_file_order_do_not_matter(
        files in files_strategy(),
        order_seed in any::<u64>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        for (i, picks) in files.iter().enumerate() {
            let dir = tmp.path().join(format!("pkg{}", i % 3));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("m{i}.py")), file_text(picks)).unwrap();
        }
        let roots = vec![tmp.path().to_path_buf()];
        let (candidates, diags) = discover(&roots, &Excludes::new(&[]).unwrap(), 2).unwrap();
        let mut shuffled: Vec<Candidate> = candidates.clone();
        // Fisher-Yates with a seeded LCG: proptest shrinks the seed, not the permutation.
        let mut state = order_seed | 1;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let j = (state >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        let run = |threads, cands: &[Candidate]| {
            let opts = ScanOptions { paths: roots.clone(), threads, ..ScanOptions::default() };
            digest(&scan_candidates(engine(), &opts, cands, diags.clone()).unwrap())
        };
        let reference = run(1, &candidates);
        prop_assert_eq!(&reference, &run(4, &candidates));
        prop_assert_eq!(&reference, &run(1, &shuffled));
        prop_assert_eq!(&reference, &run(3, &shuffled));
    }

    #[test]
    fn appending_unrelated_code_keeps_earlier_findings(
        picks in prop::collection::vec(0..SNIPPETS.len(), 0..16),
        extra in prop::collection::vec(0..UNRELATED.len(), 1..10),
    ) {
        let text = file_text(&picks);
        // A file that ends mid-expression would swallow what follows: close it first.
        let text = if text.ends_with("x = (\n") { format!("{text})\n") } else { text };
        let lines = text.lines().count();
        let before = engine().analyse("f.py".as_ref(), text.as_bytes());
        let appended: String = extra.iter().map(|&i| UNRELATED[i]).collect();
        let after = engine().analyse("f.py".as_ref(), format!("{text}{appended}").as_bytes());
        let kept: Vec<_> = after
            .findings
            .iter()
            .filter(|f| f.start.line <= lines)
            .collect();
        let before: Vec<_> = before.findings.iter().collect();
        // Unclosed brackets earlier in the file make the appended code part of them; the
        // property is about code that stands on its own.
        if text.matches('(').count() == text.matches(')').count() {
            prop_assert_eq!(before, kept);
        }
    }
}

/// Code that binds none of the names the snippets use.
const UNRELATED: &[&str] = &[
    "\n",
    "# a comment\n",
    "def helper(a, b=2):\n    return a + b\n",
    "class Thing:\n    size = 3\n",
    "numbers = [n * 2 for n in range(10)]\n",
    "import json\njson.loads('{}')\n",
    "with open('f') as fh_other:\n    fh_other.read()\n",
    "try:\n    risky()\nexcept ValueError as err:\n    log(err)\n",
];

// Multi-module projects: modules are analysed in dependency order, cycles by rounds, and
// findings reported at sinks in other files; none of it may depend on order or threads.

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
fn project_summary(findings: &[Finding]) -> Vec<String> {
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
    project_summary(&result.findings)
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
