//! POSCAR text -> `parse_poscar`: never panics; every error is one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = dos_data::io::poscar::parse_poscar(text, "POSCAR".as_ref()) {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
});
