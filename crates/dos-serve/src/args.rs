//! [`ServeArgs`]: the flags of `dos serve`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::{parse_duration, parse_size, ServeConfig};
use crate::error::ServeError;

/// Arguments of `dos serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind; the default lets only this machine connect.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Model package folder or `dos train` run folder [default: the bundled phonon model].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Largest request body (413 past it), e.g. 8MiB.
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Most files in one request (413 past it).
    #[arg(long, default_value_t = 256)]
    pub max_files: usize,
    /// Prediction requests admitted at once, running or waiting (503 with Retry-After past it).
    #[arg(long, default_value_t = 16)]
    pub queue: usize,
    /// Predictions running at once [default: the number of CPUs].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Time limit of one prediction request, e.g. 60, 1.5s, 500ms.
    #[arg(long, default_value = "60", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl ServeArgs {
    /// The settings these flags give.
    pub fn config(&self) -> ServeConfig {
        let default = ServeConfig::default();
        ServeConfig {
            host: self.host,
            port: self.port,
            model: self.model.clone(),
            max_body: self.max_body,
            max_files: self.max_files,
            queue: self.queue,
            workers: self.workers.unwrap_or(default.workers),
            timeout: self.timeout,
        }
    }

    /// Runs `dos serve` ([`crate::run`]).
    ///
    /// # Errors
    /// As [`crate::run`].
    pub fn run(self) -> Result<(), ServeError> {
        crate::run(&self.config())
    }
}
