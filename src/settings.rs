//! The settings of one `pyaudit scan`: command-line flags over the configuration file over
//! the defaults, and `--show-settings`.

use crate::config::{self, Config};
use crate::finding::{Confidence, Severity};
use crate::report::Format;
use crate::report::location::{ProjectRoot, slash_path};
use crate::rules::RuleSet;
use clap::Args;
use globset::{Glob, GlobMatcher};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `scan` flags for output formats, the CI gate, baselines and configuration.
#[derive(Debug, Clone, Default, Args)]
pub struct CiArgs {
    /// Output format: text, json, sarif (2.1.0), github (Actions annotations) or html.
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

    /// Read settings from FILE instead of searching for pyproject.toml / pyaudit.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore configuration files.
    #[arg(long, conflicts_with = "config")]
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
}

/// The command-line values that the configuration file can also set.
#[derive(Debug, Clone, Copy)]
pub struct CliLists<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
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
    pub exclude: Vec<String>,
    pub extend_exclude: Vec<String>,
    per_file: Vec<PerFile>,
    pub fail_on: Severity,
    pub min_confidence: Confidence,
    pub rules_dirs: Vec<PathBuf>,
    pub ci: CiArgs,
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
        let config = if ci.isolated {
            None
        } else if let Some(path) = &ci.config {
            Some(
                config::load(path)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{}: has no [tool.pyaudit] table", path.display()))?,
            )
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
        if let Some(dir) = &cfg_dir {
            rules_dirs.extend(values.rules_dirs.iter().flatten().map(|d| dir.join(d)));
        }
        let mut extend_exclude = values.extend_exclude.clone().unwrap_or_default();
        extend_exclude.extend(ci.extend_exclude.iter().cloned());
        Ok(Settings {
            select: rule_list(cli.select, &values.select),
            ignore: rule_list(cli.ignore, &values.ignore),
            exclude: if cli.exclude.is_empty() {
                values.exclude.clone().unwrap_or_default()
            } else {
                cli.exclude.to_vec()
            },
            extend_exclude,
            per_file,
            fail_on: ci.fail_on.or(values.fail_on).unwrap_or(Severity::Low),
            min_confidence: ci
                .min_confidence
                .or(values.min_confidence)
                .unwrap_or(Confidence::Low),
            rules_dirs,
            root,
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

    /// Checks that every rule named anywhere exists in `rules`.
    pub fn check_rules(&self, rules: &RuleSet) -> Result<(), String> {
        let lists = [
            ("--select", "select", &self.select),
            ("--ignore", "ignore", &self.ignore),
        ];
        let per_file = self
            .per_file
            .iter()
            .map(|p| ("", "per-file-ignores", &p.rules));
        for (flag, key, list) in lists.into_iter().chain(per_file) {
            for n in &list.names {
                if rules.find(n).is_some() {
                    continue;
                }
                let msg = format!("no rule with id or name `{n}` (see `pyaudit rules`)");
                return Err(match (list.at, &self.config) {
                    (Some(at), Some(c)) => c.error_at(at, format!("{key}: {msg}")).to_string(),
                    _ => format!("{flag}: {msg}"),
                });
            }
        }
        Ok(())
    }

    /// Whether the rule with this id and name is enabled by `select` / `ignore`.
    pub fn rule_enabled(&self, id: &str, name: &str) -> bool {
        let named = |list: &RuleList| {
            list.names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(id) || n.eq_ignore_ascii_case(name))
        };
        (self.select.names.is_empty() || named(&self.select)) && !named(&self.ignore)
    }

    /// Whether `per-file-ignores` turns off rule `id`/`name` for the file at `path` (as the
    /// scan reached it). Globs with `/` match the path relative to the configuration file's
    /// directory; globs without match any single component.
    pub fn ignored_in_file(&self, path: &Path, id: &str, name: &str) -> bool {
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
            hit && p
                .rules
                .names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(id) || n.eq_ignore_ascii_case(name))
        })
    }

    /// The resolved settings as TOML, for `--show-settings`.
    pub fn show(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Shown {
            config_file: String,
            project_root: String,
            format: Format,
            output: String,
            select: Vec<String>,
            ignore: Vec<String>,
            exclude: Vec<String>,
            extend_exclude: Vec<String>,
            fail_on: Severity,
            min_confidence: Confidence,
            exit_zero: bool,
            show_suppressed: bool,
            baseline: String,
            rules_dirs: Vec<String>,
            per_file_ignores: BTreeMap<String, Vec<String>>,
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
        };
        let body = toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot show: {e}\n"));
        format!("# pyaudit settings (command line > configuration file > defaults)\n{body}")
    }
}
