//! [`read_text`]: a text file, gzip-decompressed when its name ends in `.gz`.

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// Largest text [`read_text`] returns, compressed or not: 1 GiB (the phonon benchmark is
/// 2.4 MB). A gzip file that inflates past it is refused instead of exhausting memory.
pub const MAX_TEXT_BYTES: u64 = 1 << 30;

/// Reads `path` as UTF-8 text; a name ending in `.gz` is gunzipped first.
///
/// # Errors
/// [`DataError::Io`] naming the file when it cannot be read, is not valid gzip or UTF-8, or
/// holds more than [`MAX_TEXT_BYTES`].
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let io = |source: std::io::Error| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    read_limited(reader).map_err(io)
}

/// Decompresses gzip bytes held in memory (the embedded benchmark) into text.
///
/// # Errors
/// [`std::io::Error`] when the bytes are not gzip of UTF-8 text of at most
/// [`MAX_TEXT_BYTES`].
pub fn gunzip_text(bytes: &[u8]) -> std::io::Result<String> {
    read_limited(Box::new(flate2::read::MultiGzDecoder::new(bytes)))
}

fn read_limited(reader: Box<dyn Read + '_>) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("more than {MAX_TEXT_BYTES} bytes of text"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gz_and_plain_files_read_the_same_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = "mp_id,structure\nmp-1,\"{'a': 1}\"\n";
        let plain = dir.path().join("t.csv");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("t.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&gz, &bytes).unwrap();
        assert_eq!(read_text(&plain).unwrap(), text);
        assert_eq!(read_text(&gz).unwrap(), text);
        assert_eq!(gunzip_text(&bytes).unwrap(), text);
    }

    #[test]
    fn corrupt_gzip_and_missing_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.csv.gz");
        std::fs::write(&bad, b"not gzip at all").unwrap();
        let e = read_text(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.csv.gz"), "{e}");
        let e = read_text(dir.path().join("none.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.csv"), "{e}");
        assert!(gunzip_text(b"\x1f\x8b garbage").is_err());
    }
}
