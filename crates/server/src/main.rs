//! `sportello`: parses the command line and hands over (STYLE rule 1).

/// mimalloc: each request allocates and frees many small buffers on whichever worker runs it, which
/// glibc's allocator served with a fifth of the workers' time (`bench/run.sh`, see README "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sportello::cli::main()
}
