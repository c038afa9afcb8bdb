//! Where commands write data: standard output (a closed pipe ends the program quietly, as
//! with other Unix tools) or a file written atomically (temporary sibling, then rename) that
//! never replaces one of the command's inputs.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use dos_data::io::atomic_write::AtomicFile;

/// Output formats shared by the commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Jsonl,
    /// One JSON document.
    Json,
    /// Comma-separated values with a header.
    Csv,
    /// pymatgen `PhononDos.as_dict()` documents, one per line (frequencies in THz).
    Pymatgen,
}

/// True when `e` (anywhere in its chain) is a closed pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A data sink: standard output, or a file that appears under its name only when
/// [`Sink::finish`] succeeds ([`AtomicFile`]: dropped unfinished, it leaves the target as it
/// was).
pub enum Sink {
    /// Standard output.
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    /// A file.
    File(BufWriter<AtomicFile>),
}

impl Sink {
    /// Standard output, or `out` (refused when it is one of `inputs`).
    pub fn open(out: Option<&Path>, inputs: &[PathBuf]) -> Result<Self> {
        let Some(out) = out else {
            return Ok(Sink::Stdout(BufWriter::new(std::io::stdout().lock())));
        };
        if let Ok(target) = out.canonicalize() {
            for input in inputs {
                if input.canonicalize().is_ok_and(|i| i == target) {
                    bail!(
                        "--out {} is one of the inputs; refusing to overwrite it",
                        out.display()
                    );
                }
            }
        }
        if out.file_name().is_none() {
            bail!("--out {} names no file", out.display());
        }
        Ok(Sink::File(BufWriter::new(AtomicFile::create(out)?)))
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(w) => w,
        }
    }

    /// Flushes; for a file, syncs it and renames it over the target.
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush().context("writing output"),
            Sink::File(w) => {
                let file = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("writing output")?;
                Ok(file.commit()?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_appears_only_when_finished_and_inputs_are_protected() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pred.jsonl");
        std::fs::write(&out, "old\n").unwrap();
        let mut sink = Sink::open(Some(&out), &[]).unwrap();
        writeln!(sink.writer(), "new").unwrap();
        sink.writer().flush().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        drop(sink);
        // Dropped unfinished: the old file stays, no temporary file is left.
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut sink = Sink::open(Some(&out), &[]).unwrap();
        writeln!(sink.writer(), "new").unwrap();
        sink.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        let e = Sink::open(Some(&out), std::slice::from_ref(&out))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("one of the inputs"), "{e}");
    }

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing output");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
