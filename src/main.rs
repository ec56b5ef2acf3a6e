//! The `oipd` binary: parse the command line, set up logging, run.

use clap::Parser;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    oipd::cli::run(oipd::cli::Cli::parse())
}
