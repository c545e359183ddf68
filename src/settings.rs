//! The settings of one `pyaudit scan`: command-line flags over the configuration file over
//! the defaults, and `--show-settings`.

use crate::config::{self, Config};
use crate::finding::{Confidence, Severity};
use crate::report::Format;
use crate::report::location::{ProjectRoot, slash_path};
use crate::rules::select::{Selection, Selector, any_matches};
use crate::rules::{Rule, RuleSet};
use clap::Args;
use globset::{Glob, GlobMatcher};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `scan` flags for output formats, the CI gate, baselines and configuration.
#[derive(Debug, Clone, Default, Args)]
pub struct CiArgs {
    /// Output format: text, concise (a line per finding), json, json-lines, sarif (2.1.0),
    /// github (Actions annotations), gitlab (Code Quality), junit (XML) or html (a
    /// self-contained report).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit 1 only for findings of at least this severity: low, medium, high or critical
    /// (default: low, i.e. any finding).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Do not report findings below this confidence: low, medium or high (default: low).
    #[arg(long, value_name = "CONFIDENCE")]
    pub min_confidence: Option<Confidence>,

    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Also list findings silenced by `# pyaudit: ignore` comments.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Report only findings that are not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in FILE as a baseline, then exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// Read settings from FILE instead of searching for pyproject.toml / pyaudit.toml. The
    /// file is trusted: its `rules-dirs` may point anywhere.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore the configuration files of the scanned tree (only a `--config` FILE applies).
    #[arg(long)]
    pub isolated: bool,

    /// Directory that reported paths are relative to, and where the search for a
    /// configuration file starts (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project_root: Option<PathBuf>,

    /// Skip paths matching GLOB in addition to `--exclude` and the configured ones
    /// (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub extend_exclude: Vec<String>,

    /// Print the resolved settings and exit.
    #[arg(long)]
    pub show_settings: bool,

    /// List every Python file the walk skipped, with the reason.
    #[arg(long)]
    pub show_skipped: bool,

    /// Which findings to report: `default` (high and medium confidence) or `audit` (also
    /// the low-confidence ones, for a manual review).
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<Profile>,

    /// Let findings in test code (`test-paths`) fail the gate too.
    #[arg(long)]
    pub gate_tests: bool,

    /// Where untrusted data comes from: remote (requests; the default) and/or local
    /// (command line, environment, stdin, files), comma-separated.
    #[arg(long, value_enum, value_name = "MODELS", value_delimiter = ',')]
    pub threat_model: Vec<ThreatModel>,
    /// Print findings and file warnings only: no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print how many findings each rule has instead of the findings (text or json).
    #[arg(long)]
    pub statistics: bool,
}

/// `--profile` values: which findings a run reports.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The findings we can stand behind: high and medium confidence.
    #[default]
    Default,
    /// Adds the low-confidence findings (unknown-origin commands, unproven loaders) for a
    /// manual review.
    Audit,
}

/// `--threat-model` values: which kinds of taint source count as untrusted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ThreatModel {
    /// Data from the network: request data, GraphQL arguments.
    Remote,
    /// Data from the machine: command line, environment, stdin, files read from disk.
    Local,
}

impl ThreatModel {
    /// The lowercase name used in model files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ThreatModel::Remote => "remote",
            ThreatModel::Local => "local",
        }
    }
}

/// Where test code lives unless `test-paths` says otherwise. Globs without `/` match any
/// path component, like `per-file-ignores`.
pub const DEFAULT_TEST_PATHS: &[&str] = &[
    "tests",
    "test",
    "testing",
    "test_*.py",
    "*_test.py",
    "conftest.py",
];

/// The command-line values that the configuration file can also set (all empty by default,
/// for callers without scan flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct CliLists<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
    pub extend_select: &'a [String],
    pub extend_ignore: &'a [String],
    pub exclude: &'a [String],
    pub rules_dirs: &'a [PathBuf],
}

/// A list of rule names and where it came from, for error messages.
#[derive(Debug, Clone, Default)]
struct RuleList {
    names: Vec<String>,
    /// Byte offset in the configuration file, or `None` when given on the command line.
    at: Option<usize>,
}

/// `per-file-ignores`, compiled.
#[derive(Debug, Clone)]
struct PerFile {
    glob: String,
    matcher: GlobMatcher,
    by_component: bool,
    rules: RuleList,
}

/// The resolved settings of a scan.
#[derive(Debug, Clone)]
pub struct Settings {
    pub root: ProjectRoot,
    pub config: Option<Config>,
    select: RuleList,
    ignore: RuleList,
    extend_select: Vec<RuleList>,
    extend_ignore: Vec<RuleList>,
    pub exclude: Vec<String>,
    pub extend_exclude: Vec<String>,
    /// How many of `exclude` and of `extend_exclude` (its first ones) the scanned
    /// repository's configuration file set; the others are the command line's.
    exclude_from_repo: (usize, usize),
    per_file: Vec<PerFile>,
    pub fail_on: Severity,
    pub min_confidence: Confidence,
    pub rules_dirs: Vec<PathBuf>,
    pub ci: CiArgs,
    pub profile: Profile,
    /// Findings in test code fail the gate too.
    pub gate_tests: bool,
    /// Sorted, deduplicated, never empty.
    pub threat_models: Vec<ThreatModel>,
    test_paths: Vec<String>,
    test_matchers: Vec<(GlobMatcher, bool)>,
}

/// Checks that `dir` resolves, symbolic links followed, inside the project root or inside
/// `cfg_dir`, the directory of the configuration file naming it (which may lie above a
/// `--project-root` in a subdirectory).
fn check_inside(root: &ProjectRoot, cfg_dir: &Path, dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    let real = std::fs::canonicalize(dir)
        .map_err(|e| format!("rules-dirs: `{shown}` cannot be resolved: {e}"))?;
    let real_root = std::fs::canonicalize(root.path()).map_err(|e| {
        format!(
            "rules-dirs: the project root {} cannot be resolved: {e}",
            root.path().display()
        )
    })?;
    let inside_cfg = std::fs::canonicalize(cfg_dir).is_ok_and(|c| real.starts_with(c));
    if !real.starts_with(&real_root) && !inside_cfg {
        return Err(format!(
            "rules-dirs: `{shown}` resolves to {}, outside the project root {}; a \
             repository's configuration may only load rules from inside it (name other \
             directories with --rules, or use --config)",
            real.display(),
            real_root.display()
        ));
    }
    Ok(())
}

fn rule_list(cli: &[String], cfg: &Option<toml::Spanned<Vec<String>>>) -> RuleList {
    if !cli.is_empty() {
        return RuleList {
            names: cli.to_vec(),
            at: None,
        };
    }
    cfg.as_ref()
        .map(|s| RuleList {
            names: s.get_ref().clone(),
            at: Some(s.span().start),
        })
        .unwrap_or_default()
}

impl Settings {
    /// Resolves flags, configuration file and defaults. Errors are ready to print.
    pub fn resolve(cli: CliLists, ci: &CiArgs) -> Result<Settings, String> {
        let root = ProjectRoot::new(ci.project_root.as_deref())
            .map_err(|e| format!("cannot find the current directory: {e}"))?;
        // `--config` names the one file to use (with `--isolated` too: the workflow's
        // trusted file, nothing from the repository).
        let config = if let Some(path) = &ci.config {
            Some(
                config::load(path)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{}: has no [tool.pyaudit] table", path.display()))?,
            )
        } else if ci.isolated {
            None
        } else {
            config::discover(root.path(), root.cwd()).map_err(|e| e.to_string())?
        };
        let values = config
            .as_ref()
            .map(|c| c.values.clone())
            .unwrap_or_default();
        let cfg_dir = config.as_ref().map(|c| root.absolute(c.dir()));
        let mut per_file = Vec::new();
        for (glob, rules) in values.per_file_ignores.iter().flatten() {
            let err = |e: globset::Error| {
                let c = config.as_ref().expect("per-file-ignores come from a file");
                c.error_at(rules.span().start, format!("bad glob `{glob}`: {e}"))
                    .to_string()
            };
            let pattern = glob.trim_start_matches("./");
            per_file.push(PerFile {
                glob: glob.clone(),
                matcher: Glob::new(pattern).map_err(err)?.compile_matcher(),
                by_component: !pattern.contains('/'),
                rules: RuleList {
                    names: rules.get_ref().clone(),
                    at: Some(rules.span().start),
                },
            });
        }
        let mut rules_dirs = cli.rules_dirs.to_vec();
        if let (Some(dir), Some(c)) = (&cfg_dir, &config) {
            for d in values.rules_dirs.iter().flatten() {
                let joined = dir.join(d.get_ref());
                // A file named with --config is the workflow's own; a discovered one comes
                // from the scanned repository and may only use rules inside it.
                if ci.config.is_none() {
                    check_inside(&root, dir, &joined)
                        .map_err(|m| c.error_at(d.span().start, m).to_string())?;
                }
                rules_dirs.push(joined);
            }
        }
        let test_paths: Vec<String> = values
            .test_paths
            .clone()
            .unwrap_or_else(|| DEFAULT_TEST_PATHS.iter().map(|s| s.to_string()).collect());
        let mut test_matchers = Vec::new();
        for glob in &test_paths {
            let pattern = glob.trim_start_matches("./").trim_end_matches('/');
            let m = Glob::new(pattern)
                .map_err(|e| format!("test-paths: bad glob `{glob}`: {e}"))?
                .compile_matcher();
            test_matchers.push((m, !pattern.contains('/')));
        }
        let mut threat_models = if ci.threat_model.is_empty() {
            values
                .threat_model
                .clone()
                .unwrap_or_else(|| vec![ThreatModel::Remote])
        } else {
            ci.threat_model.clone()
        };
        threat_models.sort();
        threat_models.dedup();
        if threat_models.is_empty() {
            threat_models.push(ThreatModel::Remote);
        }
        // As in Ruff, `--select` starts over: the configured `extend-select` goes too.
        let mut extend_select = Vec::new();
        if cli.select.is_empty() {
            extend_select.push(rule_list(&[], &values.extend_select));
        }
        extend_select.push(rule_list(cli.extend_select, &None));
        let extend_ignore = vec![
            rule_list(&[], &values.extend_ignore),
            rule_list(cli.extend_ignore, &None),
        ];
        let mut extend_exclude = values.extend_exclude.clone().unwrap_or_default();
        let exclude = if cli.exclude.is_empty() {
            values.exclude.clone().unwrap_or_default()
        } else {
            cli.exclude.to_vec()
        };
        // A `--config` file is the workflow's own, as trusted as the command line.
        let exclude_from_repo = if ci.config.is_some() {
            (0, 0)
        } else {
            (
                if cli.exclude.is_empty() {
                    exclude.len()
                } else {
                    0
                },
                extend_exclude.len(),
            )
        };
        extend_exclude.extend(ci.extend_exclude.iter().cloned());
        Ok(Settings {
            select: rule_list(cli.select, &values.select),
            ignore: rule_list(cli.ignore, &values.ignore),
            extend_select,
            extend_ignore,
            exclude,
            extend_exclude,
            exclude_from_repo,
            per_file,
            fail_on: ci.fail_on.or(values.fail_on).unwrap_or(Severity::Low),
            min_confidence: ci
                .min_confidence
                .or(values.min_confidence)
                .unwrap_or(Confidence::Low),
            rules_dirs,
            root,
            profile: ci.profile.or(values.profile).unwrap_or_default(),
            gate_tests: ci.gate_tests || values.gate_tests.unwrap_or(false),
            threat_models,
            test_paths,
            test_matchers,
            config,
            ci: ci.clone(),
        })
    }

    /// Every exclusion glob in force.
    pub fn all_excludes(&self) -> Vec<String> {
        let mut all = self.exclude.clone();
        all.extend(self.extend_exclude.iter().cloned());
        all
    }

    /// The exclusion globs the user chose (`--exclude`, `--extend-exclude`, a `--config`
    /// file): files they match are not analysed at all.
    pub fn trusted_excludes(&self) -> Vec<String> {
        let (e, x) = self.exclude_from_repo;
        let mut globs = self.exclude[e..].to_vec();
        globs.extend(self.extend_exclude[x..].iter().cloned());
        globs
    }

    /// The exclusion globs of the scanned repository's own configuration file: files they
    /// match are analysed, and their findings kept as hidden ([`Self::exclude_reason`]), so
    /// that a repository cannot make code disappear from the report.
    pub fn recorded_excludes(&self) -> Vec<String> {
        let (e, x) = self.exclude_from_repo;
        let mut globs = self.exclude[..e].to_vec();
        globs.extend(self.extend_exclude[..x].iter().cloned());
        globs
    }

    /// Why a finding in a file that the recorded exclusion glob `glob` matches is hidden.
    pub fn exclude_reason(&self, glob: &str) -> String {
        let (e, _) = self.exclude_from_repo;
        let key = if self.exclude[..e].iter().any(|g| g == glob) {
            "exclude"
        } else {
            "extend-exclude"
        };
        let file = self
            .config
            .as_ref()
            .map_or_else(|| "the configuration".to_string(), |c| slash_path(&c.path));
        format!("excluded by {key} pattern '{glob}' in {file}")
    }

    /// Checks that every selector named anywhere selects some rule in `rules`.
    pub fn check_rules(&self, rules: &RuleSet) -> Result<(), String> {
        self.selection(rules).map(|_| ())
    }

    /// The parsed `select` / `extend-select` / `ignore` / `extend-ignore` lists (see
    /// [`crate::rules::select`]); an error names the first selector that selects nothing.
    pub fn selection(&self, rules: &RuleSet) -> Result<Selection, String> {
        let parse = |flag: &str, key: &str, list: &RuleList| -> Result<Vec<Selector>, String> {
            list.names
                .iter()
                .map(|n| {
                    Selector::parse(n, rules.rules()).ok_or_else(|| {
                        let msg = format!(
                            "`{n}` selects no rule: not a rule id, id prefix, name, tag or \
                             ALL (see `pyaudit rules`)"
                        );
                        match (list.at, &self.config) {
                            (Some(at), Some(c)) => {
                                c.error_at(at, format!("{key}: {msg}")).to_string()
                            }
                            _ => format!("{flag}: {msg}"),
                        }
                    })
                })
                .collect()
        };
        for p in &self.per_file {
            parse("", "per-file-ignores", &p.rules)?;
        }
        let select = if self.select.names.is_empty() {
            None
        } else {
            Some(parse("--select", "select", &self.select)?)
        };
        let mut extend_select = Vec::new();
        for l in &self.extend_select {
            extend_select.extend(parse("--extend-select", "extend-select", l)?);
        }
        let mut ignore = parse("--ignore", "ignore", &self.ignore)?;
        for l in &self.extend_ignore {
            ignore.extend(parse("--extend-ignore", "extend-ignore", l)?);
        }
        Ok(Selection {
            select,
            extend_select,
            ignore,
        })
    }

    /// Why `select` / `ignore` (and their `extend-` lists) switch `rule` off, or `None`
    /// when it is on. The reason names the configuration file and line when a configured
    /// list decides, else the command line.
    pub fn rules_off_reason(
        &self,
        rule: &Rule,
        rules: &RuleSet,
        sel: &Selection,
    ) -> Option<String> {
        if sel.enabled(rule) {
            return None;
        }
        let id = &rule.id;
        let place = |list: &RuleList, key: &str| match (list.at, &self.config) {
            (Some(at), Some(c)) => {
                let (line, _) = crate::rules::line_col(&c.text, at);
                Some(format!("`{key}` in {}:{line}", slash_path(&c.path)))
            }
            _ => None,
        };
        let hits = |list: &RuleList| any_matches(&list.names, rule, rules.rules());
        let ignored = std::iter::once((&self.ignore, "ignore"))
            .chain(self.extend_ignore.iter().map(|l| (l, "extend-ignore")))
            .find(|(l, _)| hits(l));
        Some(match ignored {
            Some((l, key)) => match place(l, key) {
                Some(at) => format!("rule {id} is switched off by {at}"),
                None => format!("rule {id} is switched off by --{key} on the command line"),
            },
            None => match place(&self.select, "select") {
                Some(at) => format!("rule {id} is not selected by {at}"),
                None => format!("rule {id} is not selected by --select on the command line"),
            },
        })
    }

    /// Why `per-file-ignores` hides rule `id`/`name` in the file at `path`, if it does.
    pub fn per_file_reason(&self, path: &Path, rule: &Rule, rules: &RuleSet) -> Option<String> {
        if !self.ignored_in_file(path, rule, rules) {
            return None;
        }
        let c = self.config.as_ref()?;
        Some(format!(
            "rule {} is switched off for this file by `per-file-ignores` in {}",
            rule.id,
            slash_path(&c.path)
        ))
    }

    /// Whether the file at `path` (as the scan reached it) is test code by `test-paths`.
    /// Globs are matched against the path relative to the project root.
    pub fn is_test_code(&self, path: &Path) -> bool {
        // Components above the root (a checkout under `/home/ci/test/`) do not count.
        let rel = self
            .root
            .relative(path)
            .unwrap_or_else(|| path.to_path_buf());
        let rel = rel.as_path();
        self.test_matchers.iter().any(|(m, by_component)| {
            if *by_component {
                rel.components()
                    .any(|c| m.is_match(Path::new(c.as_os_str())))
            } else {
                m.is_match(rel)
            }
        })
    }

    /// Whether `per-file-ignores` turns off rule `id`/`name` for the file at `path` (as the
    /// scan reached it). Globs with `/` match the path relative to the configuration file's
    /// directory; globs without match any single component.
    pub fn ignored_in_file(&self, path: &Path, rule: &Rule, rules: &RuleSet) -> bool {
        if self.per_file.is_empty() {
            return false;
        }
        let Some(c) = &self.config else {
            return false;
        };
        let abs = self.root.absolute(path);
        let rel = abs
            .strip_prefix(self.root.absolute(c.dir()))
            .unwrap_or(&abs)
            .to_path_buf();
        self.per_file.iter().any(|p| {
            let hit = if p.by_component {
                rel.components()
                    .any(|c| p.matcher.is_match(Path::new(c.as_os_str())))
            } else {
                p.matcher.is_match(&rel)
            };
            hit && any_matches(&p.rules.names, rule, rules.rules())
        })
    }

    /// The resolved settings as TOML, for `--show-settings`.
    pub fn show(&self, rules: &RuleSet) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Shown {
            config_file: String,
            project_root: String,
            format: Format,
            output: String,
            select: Vec<String>,
            ignore: Vec<String>,
            extend_select: Vec<String>,
            extend_ignore: Vec<String>,
            exclude: Vec<String>,
            extend_exclude: Vec<String>,
            fail_on: Severity,
            min_confidence: Confidence,
            exit_zero: bool,
            show_suppressed: bool,
            baseline: String,
            rules_dirs: Vec<String>,
            per_file_ignores: BTreeMap<String, Vec<String>>,
            /// Rules and taint models that did not come with pyaudit, so that a reader sees
            /// what a rules directory added or changed.
            user_rules: Vec<String>,
            user_taint_models: Vec<String>,
            profile: Profile,
            threat_model: Vec<ThreatModel>,
            test_paths: Vec<String>,
            gate_tests: bool,
        }
        let opt = |p: &Option<PathBuf>| p.as_deref().map(slash_path).unwrap_or_default();
        let shown = Shown {
            config_file: self
                .config
                .as_ref()
                .map(|c| slash_path(&c.path))
                .unwrap_or_default(),
            project_root: slash_path(self.root.path()),
            format: self.ci.format,
            output: opt(&self.ci.output),
            select: self.select.names.clone(),
            ignore: self.ignore.names.clone(),
            extend_select: self
                .extend_select
                .iter()
                .flat_map(|l| l.names.clone())
                .collect(),
            extend_ignore: self
                .extend_ignore
                .iter()
                .flat_map(|l| l.names.clone())
                .collect(),
            exclude: self.exclude.clone(),
            extend_exclude: self.extend_exclude.clone(),
            fail_on: self.fail_on,
            min_confidence: self.min_confidence,
            exit_zero: self.ci.exit_zero,
            show_suppressed: self.ci.show_suppressed,
            baseline: opt(&self.ci.baseline),
            rules_dirs: self.rules_dirs.iter().map(|d| slash_path(d)).collect(),
            per_file_ignores: self
                .per_file
                .iter()
                .map(|p| (p.glob.clone(), p.rules.names.clone()))
                .collect(),
            user_rules: rules
                .user_rules()
                .into_iter()
                .map(|(id, file)| format!("{id} ({file})"))
                .collect(),
            user_taint_models: rules.user_models().to_vec(),
            profile: self.profile,
            threat_model: self.threat_models.clone(),
            test_paths: self.test_paths.clone(),
            gate_tests: self.gate_tests,
        };
        let body = toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot show: {e}\n"));
        format!("# pyaudit settings (command line > configuration file > defaults)\n{body}")
    }
}
