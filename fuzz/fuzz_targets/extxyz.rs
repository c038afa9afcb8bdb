//! Extended XYZ text -> `parse_extxyz` and content detection: never panics; every error is one
//! line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = dos_data::io::extxyz::parse_extxyz(text, "fuzz.xyz".as_ref()) {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
    let _ = dos_data::io::StructureFormat::detect(text);
});
