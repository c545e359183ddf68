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
    Scan(ScanArgs),
    /// List every rule (id, name, severity, confidence, summary), or write its docs pages.
    Rules(crate::rule_docs::RulesArgs),
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

    /// Only run these rules (ids or names, comma-separated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules (ids or names, comma-separated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

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
    let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), cli.color.into());
    let rules = RuleSet::with_dirs(&cli.rules_dirs)?;
    match &cli.command {
        Command::Rules(args) => {
            crate::rule_docs::run(&rules, args, &mut stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => match rules.find(rule) {
            Some(r) => {
                write!(stdout, "{}", explain::explain(r))?;
                Ok(ExitCode::SUCCESS)
            }
            None => Err(CliError::Usage(format!(
                "no rule with id or name `{rule}` (see `pyaudit rules`)"
            ))),
        },
        Command::Scan(args) => run_scan(&cli, args, rules),
    }
}

fn run_scan(cli: &Cli, args: &ScanArgs, rules: RuleSet) -> Result<ExitCode, CliError> {
    let lists = CliLists {
        select: &args.select,
        ignore: &args.ignore,
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
    settings.check_rules(&rules).map_err(CliError::Usage)?;
    if args.ci.show_settings {
        print!("{}", settings.show(&rules));
        return Ok(ExitCode::SUCCESS);
    }
    let rules = rules.retain(|r| settings.rule_enabled(&r.id, &r.name))?;
    let engine = Engine::new(rules, !args.no_prefilter);
    let opts = ScanOptions {
        paths: args.paths.clone(),
        excludes: settings.all_excludes(),
        threads: args.threads,
        max_file_bytes: args.max_file_size.saturating_mul(1024 * 1024),
        respect_ignore: !args.no_respect_ignore,
    };
    let result = scan(&engine, &opts).map_err(|e| CliError::Usage(e.to_string()))?;
    gate::finish(
        cli.color.into(),
        &settings,
        engine.rules(),
        &result,
        args.strict,
    )
    .map_err(CliError::Usage)
}
