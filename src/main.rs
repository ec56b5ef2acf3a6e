//! The `oipd` binary: parse the command line, set up logging, run.

use clap::Parser;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let console = oipd::progress::Console::init("info");
    oipd::cli::run(oipd::cli::Cli::parse(), &console)
}
