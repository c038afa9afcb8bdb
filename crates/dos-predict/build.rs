//! Embeds the bundled model package (`models/phonon-dostransformer/`) when it is present:
//! writes `$OUT_DIR/bundled_model.rs` with its manifest and member weights as byte strings and
//! sets `cfg(dos_bundled_model)`. Without the folder the crate builds, and
//! `Predictor::bundled` says that this build has no bundled model.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(dos_bundled_model)");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/phonon-dostransformer");
    println!("cargo::rerun-if-changed={}", dir.display());
    let manifest = dir.join("package.json");
    println!("cargo::rerun-if-changed={}", manifest.display());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    if !manifest.is_file() {
        return;
    }
    let mut members: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("member-") && n.ends_with(".safetensors"))
        })
        .collect();
    // member-0, member-1, ... in numeric order.
    members.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.trim_start_matches("member-").parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    let mut code = format!(
        "/// `package.json` of the bundled model.\npub const MANIFEST: &str = include_str!({:?});\n/// Member weights, in order.\npub const MEMBERS: &[&[u8]] = &[\n",
        manifest.display().to_string()
    );
    for m in &members {
        println!("cargo::rerun-if-changed={}", m.display());
        code.push_str(&format!(
            "    include_bytes!({:?}),\n",
            m.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundled_model.rs");
    std::fs::write(out, code).expect("write bundled_model.rs");
    println!("cargo::rustc-cfg=dos_bundled_model");
}
