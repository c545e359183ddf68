//! Command-line interface: argument parsing and the subcommands.

use crate::engine::Engine;
use crate::explain;
use crate::gate;
use crate::rules::{RuleError, RuleSet};
use crate::scan::{DEFAULT_MAX_FILE_BYTES, ScanOptions, scan};
use crate::settings::{CliLists, Settings};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Finds unsafe deserialization and insecure input handling in Python code.
#[derive(Debug, Parser)]
#[command(name = "pyaudit", version, about, long_about = None)]
pub struct Cli {
    /// When to colour output: auto honours NO_COLOR, CLICOLOR_FORCE and whether the stream
    /// is a terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Also load every rule file (*.toml) under DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules_dirs: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl From<ColorChoice> for anstream::ColorChoice {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan Python files and directories for findings.
    Scan(Box<ScanArgs>),
    /// List every rule (id, name, severity, confidence, summary), or write its docs pages.
    Rules(crate::rule_docs::RulesArgs),
    /// Check user rules against the `# ruleid:` / `# ok:` expectations of the Python
    /// fixtures next to them.
    Test {
        /// Rule directories (every rule file and every *.py under each) or rule files (with
        /// the `<name>.py` beside each). Default: `--rules` and the configured `rules-dirs`.
        paths: Vec<PathBuf>,
    },
    /// Run the language server (LSP on stdin/stdout) for editors.
    Server,
    /// Show a rule's full documentation: what, why, examples, fix, references.
    Explain {
        /// Rule id (PYA101) or name (pickle-deserialization).
        rule: String,
    },
}

/// Options of `pyaudit scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Skip paths matching GLOB (repeatable). A glob without `/` matches any path component.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Only run these rules: ids, id prefixes (PYA1), names, tags (taint) or ALL,
    /// comma-separated. Replaces the configured `select` and `extend-select`.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules (selectors as for --select, comma-separated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Run these rules in addition to the selected ones.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub extend_select: Vec<String>,

    /// Do not run these rules, in addition to the ignored ones.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub extend_ignore: Vec<String>,

    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Files larger than this many MiB are reported and skipped.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_FILE_BYTES / (1024 * 1024))]
    pub max_file_size: u64,

    /// Fail closed: exit 1 when any file could not be fully scanned (unreadable, binary,
    /// too large, syntax errors, symbolic links not followed), even without findings.
    #[arg(long)]
    pub strict: bool,

    /// Do not honour .gitignore / .ignore files (in a git work tree, tracked files are
    /// scanned whatever they say; this also scans untracked ignored files).
    #[arg(long)]
    pub no_respect_ignore: bool,
    /// With `-` as the path: the file name the source read from stdin is reported under
    /// (it decides which per-file ignores apply; nothing is read from it).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Report only findings not present at the merge base of HEAD and REF (a branch, tag or
    /// commit), which is scanned in a temporary git worktree with the same settings.
    #[arg(long, value_name = "REF")]
    pub baseline_ref: Option<String>,

    /// Apply the safe automatic fixes to the files, then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Also apply fixes that can change behaviour (with --fix or --diff).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff instead of applying them; exit 1 if there are any.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// After the report, list the findings that have an automatic fix.
    #[arg(long)]
    pub show_fixes: bool,

    /// Do not read or write the result cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Keep the result cache in DIR (default: $PYAUDIT_CACHE_DIR, else `.pyaudit_cache`
    /// under the project root).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Parse every file even when no rule can match it (for checking the prefilter).
    #[arg(long, hide = true)]
    pub no_prefilter: bool,

    #[command(flatten)]
    pub ci: Box<crate::settings::CiArgs>,
}

/// An error that ends the run with exit code 2.
#[derive(Debug)]
pub enum CliError {
    Rule(RuleError),
    Usage(String),
    Io(std::io::Error),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Rule(e) => write!(f, "bad rule file: {e}"),
            CliError::Usage(e) => f.write_str(e),
            CliError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<RuleError> for CliError {
    fn from(e: RuleError) -> Self {
        CliError::Rule(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e)
    }
}

/// Parses the command line and runs it.
pub fn run() -> Result<ExitCode, CliError> {
    let cli = Cli::parse();
    if let Command::Server = cli.command {
        // The server's writer thread owns stdout: it must not be locked here.
        return Ok(match crate::lsp::run().map_err(CliError::Usage)? {
            crate::lsp::Ending::Clean => ExitCode::SUCCESS,
            crate::lsp::Ending::WithoutShutdown => ExitCode::from(1),
        });
    }
    let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), cli.color.into());
    let rules = match &cli.command {
        Command::Scan(_) => RuleSet::with_dirs(&cli.rules_dirs)?,
        Command::Test { .. } | Command::Server => RuleSet::default(),
        _ => RuleSet::with_dirs(&configured_rules_dirs(&cli)?)?,
    };
    match &cli.command {
        Command::Rules(args) => {
            // User rule files reach stdout here: the listing passes the same guard as a
            // report (JSON keeps its own syntax, so only `##[` is rewritten there).
            let mut listing = Vec::new();
            crate::rule_docs::run(&rules, args, &mut listing)?;
            let listing = String::from_utf8_lossy(&listing);
            let shown = match args.format {
                crate::rule_docs::RulesFormat::Json => {
                    crate::report::inert::guard_json(listing.into_owned())
                }
                _ => crate::report::inert::lines(&listing),
            };
            stdout.write_all(shown.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => match rules.find(rule) {
            Some(r) => {
                // A user rule's text is shown as written, minus anything a terminal or a
                // CI log would act on.
                write!(
                    stdout,
                    "{}",
                    crate::report::inert::lines(&explain::explain(r))
                )?;
                Ok(ExitCode::SUCCESS)
            }
            None => Err(CliError::Usage(format!(
                "no rule with id or name `{}` (see `pyaudit rules`)",
                crate::report::terminal::escape(rule)
            ))),
        },
        Command::Scan(args) => run_scan(&cli, args, rules),
        Command::Test { paths } => run_test(&cli, paths),
        Command::Server => Ok(ExitCode::SUCCESS),
    }
}

/// `pyaudit test`: prints each failure and warning, then a summary; exit 1 on any failure.
fn run_test(cli: &Cli, paths: &[PathBuf]) -> Result<ExitCode, CliError> {
    let paths = if paths.is_empty() {
        configured_rules_dirs(cli)?
    } else {
        paths.to_vec()
    };
    if paths.is_empty() {
        return Err(CliError::Usage(
            "pyaudit test: name rule directories or files (or set `rules-dirs`)".into(),
        ));
    }
    let report = crate::ruletest::run(&paths).map_err(CliError::Usage)?;
    let mut out = String::new();
    for w in &report.warnings {
        out.push_str(&format!(
            "warning: {w}
"
        ));
    }
    for f in &report.failures {
        out.push_str(&format!(
            "{f}
"
        ));
    }
    out.push_str(&format!(
        "pyaudit test: {} rules, {} fixture files, {} expectations: {}\n",
        report.rules,
        report.files,
        report.expectations,
        match report.failures.len() {
            0 => "all passed".to_string(),
            1 => "1 failure".to_string(),
            n => format!("{n} failures"),
        }
    ));
    print!("{}", crate::report::inert::lines(&out));
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--rules` plus the configuration file's `rules-dirs`, for the subcommands without scan
/// flags (`rules`, `explain`), so they list the rules a scan would use.
fn configured_rules_dirs(cli: &Cli) -> Result<Vec<PathBuf>, CliError> {
    let lists = CliLists {
        rules_dirs: &cli.rules_dirs,
        ..CliLists::default()
    };
    let settings =
        Settings::resolve(lists, &crate::settings::CiArgs::default()).map_err(CliError::Usage)?;
    Ok(settings.rules_dirs)
}

fn run_scan(cli: &Cli, args: &ScanArgs, rules: RuleSet) -> Result<ExitCode, CliError> {
    let lists = CliLists {
        select: &args.select,
        ignore: &args.ignore,
        extend_select: &args.extend_select,
        extend_ignore: &args.extend_ignore,
        exclude: &args.exclude,
        rules_dirs: &cli.rules_dirs,
    };
    let settings = Settings::resolve(lists, &args.ci).map_err(CliError::Usage)?;
    // Configured rule directories add to those given with --rules.
    let rules = if settings.rules_dirs != cli.rules_dirs {
        RuleSet::with_dirs(&settings.rules_dirs)?
    } else {
        rules
    };
    let selection = settings.selection(&rules).map_err(CliError::Usage)?;
    if args.ci.statistics
        && !matches!(
            args.ci.format,
            crate::report::Format::Text
                | crate::report::Format::Concise
                | crate::report::Format::Json
        )
    {
        return Err(CliError::Usage(
            "--statistics works with --format text, concise or json".into(),
        ));
    }
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err(CliError::Usage(
            "`-` (standard input) cannot be combined with other paths".into(),
        ));
    }
    if stdin && args.baseline_ref.is_some() {
        return Err(CliError::Usage(
            "--baseline-ref works on files, not on standard input".into(),
        ));
    }
    if stdin && (args.fix || args.diff) {
        return Err(CliError::Usage(
            "--fix and --diff work on files, not on standard input".into(),
        ));
    }
    if args.stdin_filename.is_some() && !stdin {
        return Err(CliError::Usage(
            "--stdin-filename needs `-` as the path to scan".into(),
        ));
    }
    if args.ci.show_settings {
        print!("{}", crate::report::inert::lines(&settings.show(&rules)));
        return Ok(ExitCode::SUCCESS);
    }
    // Every rule runs: the gate hides the findings of rules switched off, and keeps them
    // as suppressed results, so `select`/`ignore` also see the ids a merged finding covers.
    let rules = rules.with_threat_models(&settings.threat_models);
    let engine = Engine::new(rules, !args.no_prefilter);
    let opts = ScanOptions {
        paths: args.paths.clone(),
        excludes: settings.trusted_excludes(),
        recorded_excludes: settings.recorded_excludes(),
        threads: args.threads,
        max_file_bytes: args.max_file_size.saturating_mul(1024 * 1024),
        respect_ignore: !args.no_respect_ignore,
        // Standard input has no file to key an entry by.
        cache: (!stdin)
            .then(|| open_cache(args, &settings, &engine))
            .flatten(),
        ..ScanOptions::default()
    };
    let mut result = if stdin {
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        crate::stdin::scan_stdin(&engine, &name, opts.max_file_bytes)?
    } else {
        scan(&engine, &opts).map_err(|e| CliError::Usage(e.to_string()))?
    };
    report_cache(&opts);
    gate::forget_unused_for_rules_off(&mut result, &selection, engine.rules());
    if let Some(reference) = &args.baseline_ref {
        let n = crate::baseline_ref::remove_old(&mut result, reference, &engine, &opts)
            .map_err(CliError::Usage)?;
        eprintln!(
            "pyaudit: {n} finding{} also present at the merge base with {} not reported",
            if n == 1 { "" } else { "s" },
            crate::report::inert::lines(reference)
        );
    }
    if args.fix || args.diff {
        return run_fixes(cli, args, &settings, &engine, &opts, result);
    }
    let code = gate::finish(
        cli.color.into(),
        &settings,
        engine.rules(),
        &result,
        args.strict,
    )
    .map_err(CliError::Usage)?;
    if args.show_fixes {
        print_show_fixes(&settings, engine.rules(), &result)?;
    }
    Ok(code)
}

/// The result cache this scan uses, or `None` (`--no-cache`, or it cannot be used: said on
/// stderr). The location is never taken from a configuration file, which a scanned
/// repository may supply: only the user chooses where pyaudit writes.
fn open_cache(
    args: &ScanArgs,
    settings: &Settings,
    engine: &Engine,
) -> Option<std::sync::Arc<crate::cache::Cache>> {
    if args.no_cache {
        return None;
    }
    let dir = args
        .cache_dir
        .clone()
        .or_else(|| {
            std::env::var_os(crate::cache::DIR_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| settings.root.path().join(crate::cache::DIR_NAME));
    match crate::cache::Cache::open(&dir, engine.fingerprint()) {
        Ok(c) => Some(std::sync::Arc::new(c)),
        Err(e) => {
            eprintln!("pyaudit: warning: {}", crate::report::inert::lines(&e));
            None
        }
    }
}

/// Prints the cache's warnings and, with `PYAUDIT_CACHE_STATS=1`, what it did.
fn report_cache(opts: &ScanOptions) {
    let Some(cache) = &opts.cache else {
        return;
    };
    for w in cache.warnings() {
        eprintln!("pyaudit: warning: {}", crate::report::inert::lines(&w));
    }
    if std::env::var_os(crate::cache::STATS_ENV).is_some_and(|v| v == "1") {
        let s = cache.stats();
        eprintln!(
            "pyaudit: cache: {} files from the cache, {} stored, {} entries rejected",
            s.hits, s.written, s.rejected
        );
    }
}

/// Which findings a fix may act on: exactly those the report shows ([`gate::reported`]:
/// selection, per-file ignores, profile, min-confidence, `--baseline`, suppressions; the
/// findings `--baseline-ref` removed are already gone from `result`), and the call-rule
/// findings they cover. Findings are matched by file, rule and fingerprint, which survive
/// the edits of earlier fixing rounds moving lines.
fn fixable_filter(
    settings: &Settings,
    rules: &RuleSet,
    result: &crate::scan::ScanResult,
) -> Result<impl Fn(&crate::finding::Finding) -> bool + use<>, CliError> {
    type Key = (PathBuf, String, String);
    let key = |f: &crate::finding::Finding| -> Key {
        (f.path.clone(), f.rule_id.clone(), f.fingerprint.clone())
    };
    let shown = gate::reported(&result.findings, &result.excluded, settings, rules)
        .map_err(CliError::Usage)?;
    let keys: std::collections::HashSet<Key> = shown
        .iter()
        .flat_map(|f| std::iter::once(f).chain(&f.covered))
        .map(key)
        .collect();
    Ok(move |f: &crate::finding::Finding| keys.contains(&key(f)))
}

/// `--show-fixes`: on stdout after a text report, on stderr after a machine format.
fn print_show_fixes(
    settings: &Settings,
    rules: &RuleSet,
    result: &crate::scan::ScanResult,
) -> Result<(), CliError> {
    let keep = fixable_filter(settings, rules, result)?;
    let text = crate::fixer::show_fixes(&result.findings, &keep, &|p| settings.root.display(p));
    if settings.ci.format.is_machine() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    Ok(())
}

/// `--fix` / `--diff`: fix the files with fixable findings, then (`--fix`) scan again and
/// report what is left, or (`--diff`) print the diff and exit 1 when there is one.
fn run_fixes(
    cli: &Cli,
    args: &ScanArgs,
    settings: &Settings,
    engine: &Engine,
    opts: &ScanOptions,
    result: crate::scan::ScanResult,
) -> Result<ExitCode, CliError> {
    let keep = fixable_filter(settings, engine.rules(), &result)?;
    let mut paths: Vec<PathBuf> = crate::fix::kept(&result.findings, &keep, args.unsafe_fixes)
        .into_iter()
        .map(|(f, _)| f.path.clone())
        .collect();
    paths.dedup();
    let (fixed, errors) = crate::fixer::fix_files(
        engine,
        &paths,
        &keep,
        args.unsafe_fixes,
        opts.max_file_bytes,
    );
    for e in &errors {
        eprintln!("pyaudit: warning: {}", crate::report::inert::lines(e));
    }
    let count: usize = fixed.iter().map(|f| f.applied).sum();
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    if args.diff {
        print!(
            "{}",
            crate::fixer::unified_diff(&fixed, &|p| settings.root.display(p))
        );
        eprintln!(
            "pyaudit: would fix {count} finding{} in {} {}",
            if count == 1 { "" } else { "s" },
            fixed.len(),
            files(fixed.len())
        );
        return Ok(if !errors.is_empty() {
            ExitCode::from(2)
        } else if fixed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    for f in &fixed {
        std::fs::write(&f.path, &f.after)
            .map_err(|e| CliError::Usage(format!("{}: cannot write: {e}", f.path.display())))?;
    }
    eprintln!(
        "pyaudit: fixed {count} finding{} in {} {}",
        if count == 1 { "" } else { "s" },
        fixed.len(),
        files(fixed.len())
    );
    let again = scan(engine, opts).map_err(|e| CliError::Usage(e.to_string()))?;
    let code = gate::finish(
        cli.color.into(),
        settings,
        engine.rules(),
        &again,
        args.strict,
    )
    .map_err(CliError::Usage)?;
    if args.show_fixes {
        print_show_fixes(settings, engine.rules(), &again)?;
    }
    Ok(if errors.is_empty() {
        code
    } else {
        ExitCode::from(2)
    })
}
