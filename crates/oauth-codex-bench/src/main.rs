//! `oauth-codex-bench`: the benchmark runners that `cargo xtask bench` starts, one workload per
//! invocation, each printing one JSON line of measurements.

fn main() {
    eprintln!("usage: oauth-codex-bench <workload> [options]");
    std::process::exit(2);
}
