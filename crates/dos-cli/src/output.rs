//! Where commands write data: standard output (a closed pipe ends the program quietly, as
//! with other Unix tools) or a file written atomically (temporary sibling, then rename) that
//! never replaces one of the command's inputs.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

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

/// A data sink: standard output, or a temporary file that [`Sink::finish`] renames over
/// the target.
pub struct Sink {
    writer: BufWriter<Box<dyn Write>>,
    file: Option<(PathBuf, PathBuf)>,
}

impl Sink {
    /// Standard output, or `out` (refused when it is one of `inputs`).
    pub fn open(out: Option<&Path>, inputs: &[PathBuf]) -> Result<Self> {
        let Some(out) = out else {
            return Ok(Self {
                writer: BufWriter::new(Box::new(std::io::stdout().lock())),
                file: None,
            });
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
        let name = out
            .file_name()
            .with_context(|| format!("--out {} names no file", out.display()))?
            .to_string_lossy()
            .into_owned();
        let tmp = out.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(Self {
            writer: BufWriter::new(Box::new(f)),
            file: Some((tmp, out.to_path_buf())),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Flushes; for a file, syncs it and renames it over the target.
    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().context("writing output")?;
        if let Some((tmp, out)) = self.file.take() {
            let inner =
                std::mem::replace(&mut self.writer, BufWriter::new(Box::new(std::io::sink())));
            drop(inner);
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("syncing {}", tmp.display()))?;
            std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Not finished (an error): the partial temporary file goes, the target is untouched.
        if let Some((tmp, _)) = &self.file {
            let _ = std::fs::remove_file(tmp);
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
