use std::process::ExitCode;

fn main() -> ExitCode {
    // Any failure inside pyaudit must exit 2, never 0 or Rust's default 101.
    match std::panic::catch_unwind(pyaudit::cli::run) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            // Errors quote paths and rule-file text, which may hold terminal escapes.
            let text = err.to_string();
            let lines: Vec<String> = text
                .lines()
                .map(pyaudit::report::terminal::escape)
                .collect();
            eprintln!("pyaudit: error: {}", lines.join("\n"));
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("pyaudit: internal error (this is a bug; please report it)");
            ExitCode::from(2)
        }
    }
}
