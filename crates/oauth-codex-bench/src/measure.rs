//! Process measurements read from `/proc` (CPU time, resident memory) and the one JSON line a
//! runner prints.

use std::time::Instant;

use serde_json::{Map, Value, json};

/// CPU time (user + system) this process has used so far, in seconds.
///
/// Sums the per-thread scheduler statistics (`/proc/self/task/*/schedstat`, nanoseconds), which
/// are exact; falls back to `/proc/self/stat` (clock ticks) where those are missing.
pub(crate) fn cpu_seconds() -> f64 {
    if let Some(nanos) = schedstat_nanos() {
        return nanos as f64 / 1e9;
    }
    stat_ticks(14, 15) as f64 / ticks_per_second()
}

fn schedstat_nanos() -> Option<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path().join("schedstat");
        // A thread may exit between the listing and the read: it is then not counted.
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// CPU time (user + system) of the children this process has waited for, in seconds.
pub(crate) fn children_cpu_seconds() -> f64 {
    stat_ticks(16, 17) as f64 / ticks_per_second()
}

/// The sum of two numeric fields of `/proc/self/stat`, numbered as in proc(5) (1-based).
fn stat_ticks(first: usize, second: usize) -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/stat") else { return 0 };
    // The command name is in parentheses and may contain spaces: count fields after it.
    let Some(rest) = text.rfind(')').map(|i| &text[i + 1..]) else { return 0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    field(first) + field(second)
}

fn ticks_per_second() -> f64 {
    // USER_HZ is 100 on every Linux ABI this runs on.
    100.0
}

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`), or 0 where unavailable.
fn status_kb(field: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The peak resident set size of this process, KiB.
pub(crate) fn peak_rss_kb() -> u64 {
    status_kb("VmHWM")
}

/// The resident set size of this process now, KiB.
pub(crate) fn rss_kb() -> u64 {
    status_kb("VmRSS")
}

/// Wall and CPU time of one measured section.
#[derive(Debug)]
pub(crate) struct Section {
    started: Instant,
    cpu: f64,
}

impl Section {
    /// Starts measuring now.
    pub(crate) fn start() -> Section {
        Section { cpu: cpu_seconds(), started: Instant::now() }
    }

    /// Ends the section: the runner's report, with wall and CPU seconds filled in.
    pub(crate) fn finish(self, workload: &str, implementation: &str, items: u64) -> Report {
        let wall_s = self.started.elapsed().as_secs_f64();
        let cpu_s = cpu_seconds() - self.cpu;
        Report {
            workload: workload.to_owned(),
            implementation: implementation.to_owned(),
            wall_s,
            cpu_s,
            items,
            extra: Map::new(),
        }
    }
}

/// The one JSON line a runner prints.
#[derive(Debug)]
pub(crate) struct Report {
    workload: String,
    implementation: String,
    wall_s: f64,
    cpu_s: f64,
    items: u64,
    extra: Map<String, Value>,
}

impl Report {
    /// Adds an optional numeric field.
    pub(crate) fn with(mut self, name: &str, value: impl Into<Value>) -> Report {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// The wall time of the measured section, seconds.
    pub(crate) fn wall_s(&self) -> f64 {
        self.wall_s
    }

    /// The JSON line (without the line feed).
    pub(crate) fn to_line(&self) -> String {
        let mut object = json!({
            "workload": self.workload,
            "impl": self.implementation,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "items": self.items,
            "max_rss_kb": peak_rss_kb(),
        });
        let map = object.as_object_mut().expect("an object");
        for (key, value) in &self.extra {
            map.insert(key.clone(), value.clone());
        }
        object.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_seconds() > before);
    }

    #[test]
    fn memory_fields_are_read() {
        // The RSS first: other tests run in this process at the same time, and the peak read
        // afterwards covers it, while an RSS read after the peak may already exceed it.
        let rss = rss_kb();
        let peak = peak_rss_kb();
        assert!(rss > 0);
        assert!(peak >= rss, "peak {peak} KiB < RSS {rss} KiB");
    }

    #[test]
    fn the_report_is_one_json_line() {
        let report = Section::start().finish("w", "ours", 3).with("p50_ms", 1.5);
        let line = report.to_line();
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["workload"], "w");
        assert_eq!(value["impl"], "ours");
        assert_eq!(value["items"], 3);
        assert_eq!(value["p50_ms"], 1.5);
        assert!(value["max_rss_kb"].as_u64().unwrap() > 0);
    }
}
