//! Peak resident memory of this process.

/// Peak resident set size in bytes (`VmHWM` of `/proc/self/status`), None where that file does
/// not exist (non-Linux) or cannot be parsed.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut parts = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next().unwrap_or("kB");
    let scale = match unit {
        "kB" => 1024,
        "mB" | "MB" => 1024 * 1024,
        "B" => 1,
        _ => return None,
    };
    Some(value * scale)
}

/// `peak_rss_bytes` in MiB, formatted for a log line ("n/a" when unknown).
pub fn peak_rss_display() -> String {
    match peak_rss_bytes() {
        Some(b) => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
        None => "n/a".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        let s = "Name:\tdos\nVmPeak:\t  200 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(s), Some(1234 * 1024));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn reads_own_process_on_linux() {
        if cfg!(target_os = "linux") {
            let b = peak_rss_bytes().expect("VmHWM on Linux");
            assert!(b > 0);
        }
    }
}
