//! `sportello`: parses the command line and hands over (STYLE rule 1).

/// jemalloc: every request allocates and frees many small buffers on whichever worker runs it, and
/// glibc's allocator spent a fifth of the workers' time on them. mimalloc was as fast but held
/// 30 MiB more under load (README "Speed").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    sportello::cli::main()
}
