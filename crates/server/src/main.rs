//! `sportello`: parses the command line and hands over (STYLE rule 1).

fn main() -> std::process::ExitCode {
    sportello::cli::main()
}
