//! Writing files and folders atomically: everything goes into a temporary sibling
//! (`.NAME.tmp-PID`, same folder, so the final rename is atomic), which is flushed to disk and
//! then renamed over the target. Readers see the old or the new content, never half of it; on
//! any error the temporary sibling is removed and the target is left as it was.
//!
//! - [`write_file`]: a file, filled by a closure given the temporary path (for writers such as
//!   `candle_core::safetensors::save` that take a path); [`write_bytes`] for bytes in memory;
//! - [`AtomicFile`]: a file written as a stream, made visible by [`AtomicFile::commit`];
//! - [`write_folder`]: a folder, filled by a closure, replacing an existing one only when done;
//! - [`is_temp_sibling`]: tells the temporary names apart (to clean up after a killed process).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An I/O error on a named file or folder.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FileError {
    /// The file or folder.
    pub path: PathBuf,
    /// The underlying error.
    pub source: std::io::Error,
}

fn file_err(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError {
        path: path.to_path_buf(),
        source,
    }
}

/// The temporary sibling of `path`: `.NAME.tmp-PID` in the same folder.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// True when `name` is a file name [`temp_sibling`] gives (of any process).
pub fn is_temp_sibling(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

fn create_parent(path: &Path) -> Result<(), FileError> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => std::fs::create_dir_all(p).map_err(file_err(p)),
        _ => Ok(()),
    }
}

fn sync_file(path: &Path) -> Result<(), FileError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(file_err(path))
}

/// Writes the file `path` atomically: `write` fills the temporary sibling it is given, which
/// is then synced and renamed over `path`. The parent folder is created when missing.
///
/// # Errors
/// `write`'s error, or a [`FileError`] naming the file; `path` is then untouched.
pub fn write_file<E: From<FileError>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    create_parent(path)?;
    let tmp = temp_sibling(path);
    let result = write(&tmp).and_then(|()| {
        sync_file(&tmp)?;
        std::fs::rename(&tmp, path).map_err(file_err(path))?;
        Ok(())
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to the file `path` atomically (as [`write_file`]).
///
/// # Errors
/// A [`FileError`] naming the file.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_file(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(file_err(tmp))
    })
}

/// Writes the folder `dir` atomically: `fill` fills the empty temporary sibling folder it is
/// given; every file in it is synced, and it is renamed to `dir`. An existing `dir` is moved
/// aside first and removed only after the new folder is in place.
///
/// # Errors
/// `fill`'s error, or a [`FileError`] naming the file; `dir` is then untouched.
pub fn write_folder<E: From<FileError>>(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    create_parent(dir)?;
    let tmp = temp_sibling(dir);
    let old = dir.with_file_name(format!(
        ".{}.old-{}",
        dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(file_err(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(file_err(&tmp))?;
        fill(&tmp)?;
        for entry in std::fs::read_dir(&tmp).map_err(file_err(&tmp))? {
            let p = entry.map_err(file_err(&tmp))?.path();
            if p.is_file() {
                sync_file(&p)?;
            }
        }
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(file_err(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(file_err(dir))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(file_err(&old))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// A file written as a stream into its temporary sibling and made visible under its own name
/// by [`AtomicFile::commit`]; dropped without a commit (an error), the temporary file goes and
/// the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target` (its parent folder is created when missing).
    ///
    /// # Errors
    /// A [`FileError`] naming the temporary file.
    pub fn create(target: &Path) -> Result<Self, FileError> {
        create_parent(target)?;
        let tmp = temp_sibling(target);
        let file = File::create(&tmp).map_err(file_err(&tmp))?;
        Ok(Self {
            file: Some(file),
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// Syncs the file and renames it over the target.
    ///
    /// # Errors
    /// A [`FileError`] naming the file; the target is then untouched.
    pub fn commit(mut self) -> Result<(), FileError> {
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(file_err(&self.tmp))?;
        }
        std::fs::rename(&self.tmp, &self.target).map_err(file_err(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn file_is_replaced_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.txt");
        write_bytes(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        let failed: Result<(), FileError> = write_file(&path, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(FileError {
                path: tmp.to_path_buf(),
                source: std::io::Error::other("disk full"),
            })
        });
        assert_eq!(
            failed.unwrap_err().to_string(),
            format!("{}: disk full", temp_sibling(&path).display())
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"one", "target untouched");
        assert_eq!(
            names(&dir.path().join("sub")),
            vec!["a.txt"],
            "no leftovers"
        );
    }

    #[test]
    fn streamed_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"x,y\n").unwrap();
        assert!(!path.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x,y\n");
        let mut g = AtomicFile::create(&path).unwrap();
        g.write_all(b"partial").unwrap();
        drop(g);
        assert_eq!(std::fs::read(&path).unwrap(), b"x,y\n");
        assert_eq!(names(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn folder_is_replaced_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        write_folder(&out, |tmp| write_bytes(&tmp.join("a"), b"1")).unwrap();
        assert_eq!(names(&out), vec!["a"]);
        let failed = write_folder(&out, |tmp| {
            write_bytes(&tmp.join("b"), b"2")?;
            Err(FileError {
                path: tmp.join("c"),
                source: std::io::Error::other("no"),
            })
        });
        assert!(failed.is_err());
        assert_eq!(names(&out), vec!["a"], "old folder kept");
        write_folder(&out, |tmp| write_bytes(&tmp.join("b"), b"2")).unwrap();
        assert_eq!(names(&out), vec!["b"], "replaced whole");
        assert_eq!(names(dir.path()), vec!["pkg"], "no leftovers");
    }

    #[test]
    fn temp_names_are_recognised() {
        let t = temp_sibling(Path::new("run/checkpoint.safetensors"));
        assert!(is_temp_sibling(&t.file_name().unwrap().to_string_lossy()));
        assert!(is_temp_sibling(".log.jsonl.tmp-42"));
        assert!(!is_temp_sibling("checkpoint.safetensors"));
        assert!(!is_temp_sibling(".hidden.tmp-"));
        assert!(!is_temp_sibling(".x.tmp-12a"));
    }
}
