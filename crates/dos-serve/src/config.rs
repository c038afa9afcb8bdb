//! [`ServeConfig`]: where `dos serve` listens, which model it loads and what one request may
//! cost (body, files, queue, time).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::ServeError;

/// Settings of the server. [`ServeConfig::default`] binds to 127.0.0.1:8000 with the bundled
/// model; [`ServeConfig::validate`] checks the limits once, before anything is served.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Address to bind (default 127.0.0.1: only this machine can connect).
    pub host: IpAddr,
    /// Port (0: any free port; the address bound is printed).
    pub port: u16,
    /// Model package folder or `dos train` run folder; `None`: the bundled phonon model.
    pub model: Option<PathBuf>,
    /// Largest request body in bytes (default 8 MiB); a larger one is answered 413.
    pub max_body: usize,
    /// Most `file` parts in one request (default 256); more is answered 413.
    pub max_files: usize,
    /// Most prediction requests admitted at once, running or waiting for a worker (default
    /// 16); one more is answered 503 with `Retry-After`.
    pub queue: usize,
    /// Predictions run at once on the blocking pool (default: the number of CPUs).
    pub workers: usize,
    /// Time one prediction request may take from its first byte to its answer (default 60 s):
    /// 408 while the body is still arriving, 503 after.
    pub timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8000,
            model: None,
            max_body: 8 << 20,
            max_files: 256,
            queue: 16,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: Duration::from_secs(60),
        }
    }
}

impl ServeConfig {
    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// Checks every limit: body 1 KiB..=1 GiB, files 1..=100,000, queue and workers
    /// 1..=4096, timeout 1 ms..=24 h.
    ///
    /// # Errors
    /// [`ServeError::Config`] naming the field and its allowed range.
    pub fn validate(&self) -> Result<(), ServeError> {
        let check = |ok: bool, field: &str, value: String, range: &str| {
            if ok {
                Ok(())
            } else {
                Err(ServeError::Config {
                    field: field.into(),
                    message: format!("{value} is not in {range}"),
                })
            }
        };
        check(
            (1 << 10..=1 << 30).contains(&self.max_body),
            "max_body",
            format!("{} bytes", self.max_body),
            "1 KiB..=1 GiB",
        )?;
        check(
            (1..=100_000).contains(&self.max_files),
            "max_files",
            self.max_files.to_string(),
            "1..=100000",
        )?;
        check(
            (1..=4096).contains(&self.queue),
            "queue",
            self.queue.to_string(),
            "1..=4096",
        )?;
        check(
            (1..=4096).contains(&self.workers),
            "workers",
            self.workers.to_string(),
            "1..=4096",
        )?;
        check(
            (Duration::from_millis(1)..=Duration::from_secs(86_400)).contains(&self.timeout),
            "timeout",
            format!("{:?}", self.timeout),
            "1 ms..=24 h",
        )
    }
}

/// Parses a byte size: a number with an optional unit `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`
/// (decimal units are powers of 1000, binary ones of 1024; case-insensitive), e.g. `8MiB`.
///
/// # Errors
/// A message naming the text when it is not such a size or overflows.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (B, KiB, MiB, GiB, KB, MB, GB)"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a size such as 8MiB"))?;
    let bytes = (value * factor).round();
    if !(0.0..=usize::MAX as f64 / 2.0).contains(&bytes) {
        return Err(format!("`{text}`: out of range"));
    }
    Ok(bytes as usize)
}

/// Parses a duration in seconds with an optional unit `ms`, `s`, `min` (e.g. `60`, `1.5s`,
/// `500ms`).
///
/// # Errors
/// A message naming the text when it is not such a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix("min") {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    let secs: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: expected seconds such as 60, 1.5s or 500ms"))?;
    Duration::try_from_secs_f64(secs * scale).map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("8MiB").unwrap(), 8 << 20);
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("1.5 KB").unwrap(), 1500);
        assert!(parse_size("8 parsecs").is_err());
        assert!(parse_size("-1").is_err());
        assert_eq!(parse_duration("60").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-3").is_err());
    }

    #[test]
    fn default_config_is_valid_and_local() {
        let c = ServeConfig::default();
        c.validate().unwrap();
        assert!(c.addr().ip().is_loopback());
        let bad = ServeConfig {
            queue: 0,
            ..ServeConfig::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("queue"));
    }
}
