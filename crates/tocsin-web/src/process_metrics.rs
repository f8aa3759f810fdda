//! The process's own figures for `/metrics`, under the names every Prometheus client library
//! uses (`process_resident_memory_bytes`, `process_cpu_seconds_total`, …), read from
//! `/proc/self` at scrape time. Elsewhere than Linux, or when a file cannot be read, the family
//! is left out rather than reported as 0.

/// What one scrape read.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Process {
    pub(crate) resident_memory_bytes: Option<u64>,
    pub(crate) virtual_memory_bytes: Option<u64>,
    pub(crate) cpu_seconds_total: Option<f64>,
    pub(crate) open_fds: Option<u64>,
    pub(crate) max_fds: Option<u64>,
    pub(crate) start_time_seconds: Option<f64>,
}

/// Clock ticks per second of `/proc`'s times. Linux reports them in USER_HZ, which is 100 on
/// every architecture it runs on (the Go and Python clients assume the same).
const USER_HZ: f64 = 100.0;

/// Reads `/proc/self`.
pub(crate) fn read() -> Process {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count() as u64);
    let times = stat_times(&stat);
    Process {
        resident_memory_bytes: status_kib(&status, "VmRSS:").map(|kib| kib * 1024),
        virtual_memory_bytes: status_kib(&status, "VmSize:").map(|kib| kib * 1024),
        cpu_seconds_total: times.map(|(user, system, _)| ticks_to_seconds(user + system)),
        open_fds,
        max_fds: max_open_files(&limits),
        start_time_seconds: times.and_then(|(_, _, start)| {
            boot_time(&boot).map(|boot| boot as f64 + ticks_to_seconds(start))
        }),
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "tick counts stay far below 2^53"
)]
fn ticks_to_seconds(ticks: u64) -> f64 {
    ticks as f64 / USER_HZ
}

/// A `Name:   1234 kB` line of `/proc/self/status`, in KiB.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

/// utime, stime and starttime (fields 14, 15 and 22) of `/proc/self/stat`, in ticks. The
/// command name (field 2) may hold spaces and parentheses, so fields are counted after its last
/// `)`.
fn stat_times(stat: &str) -> Option<(u64, u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name, field 3 (state) is the first.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some((field(14)?, field(15)?, field(22)?))
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn max_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

/// `btime` of `/proc/stat`: when the machine booted, in Unix seconds.
fn boot_time(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|seconds| seconds.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_proc_files_as_the_kernel_writes_them() {
        let status = "Name:\ttocsin\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(2048));
        assert_eq!(status_kib(status, "VmSize:"), Some(123_456));
        // A command name with a space and a parenthesis does not shift the fields.
        let stat = "4242 (to (csin) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0 7000 1000000 500 18446744073709551615";
        assert_eq!(stat_times(stat), Some((250, 50, 7000)));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024));
        assert_eq!(
            boot_time("cpu 1 2 3\nbtime 1764000000\n"),
            Some(1_764_000_000)
        );
        assert_eq!(stat_times("garbage"), None);
    }

    #[test]
    fn this_process_reads_as_alive() {
        let process = read();
        if cfg!(target_os = "linux") {
            assert!(process.resident_memory_bytes.is_some_and(|bytes| bytes > 0));
            assert!(process.open_fds.is_some_and(|fds| fds >= 3));
            assert!(process.start_time_seconds.is_some_and(|at| at > 1e9));
        }
    }
}
