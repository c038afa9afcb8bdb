//! Electron DOS document JSON text -> `ElectronDosDocument::from_json_str`, then the derived
//! quantities: never panics; every error is one line.
#![no_main]

use dos_data::dos::document::ElectronDosDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ElectronDosDocument::from_json_str(text, "fuzz.json".as_ref()) {
        Ok(doc) => {
            assert_eq!(doc.total_densities().len(), doc.len());
            let _ = doc.max_spin_difference();
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
});
