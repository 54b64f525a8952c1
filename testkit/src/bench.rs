//! What the benchmark programs measure besides time: the process's peak
//! memory, the machine's load (the 2 cores are shared, so every figure
//! says how busy they were), rates, a run id for unique names, and the
//! `--count N` they are run with.

/// Peak resident memory of this process (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak to the current RSS, to measure one phase.
pub fn reset_peak_rss() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The `N` of `--count N` on the benchmark's command line (`cargo bench …
/// -- --count N`), else `default`: small runs to check a benchmark works.
pub fn count_arg(default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--count N"))
        .unwrap_or(default)
}

pub fn per_second(n: usize, seconds: f64) -> f64 {
    n as f64 / seconds.max(1e-9)
}

/// A number that differs between runs, for mailbox and user names.
pub fn run_id() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0)
        ^ std::process::id()
}
