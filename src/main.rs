use std::process::ExitCode;

fn main() -> ExitCode {
    // Any failure inside pyaudit must exit 2, never 0 or Rust's default 101.
    match std::panic::catch_unwind(pyaudit::cli::run) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            // Errors quote paths, config values and rule-file text, which may hold terminal
            // escapes or a line break followed by a workflow command.
            let text = pyaudit::report::inert::error_text(&err.to_string());
            eprintln!("pyaudit: error: {}", text.trim_end_matches('\n'));
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("pyaudit: internal error (this is a bug; please report it)");
            ExitCode::from(2)
        }
    }
}
