//! Lists the member weights of `package/` for the crate: writes `$OUT_DIR/members.rs` with one
//! `include_bytes!` per `member-N.safetensors`, in numeric order, so that a package with another
//! member count needs no code change.

use std::path::Path;

fn main() {
    // The variable cargo sets when it runs the script, not the path this binary was compiled
    // at: a target directory shared by two checkouts reuses the compiled script.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("package");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut members: Vec<(usize, String)> = std::fs::read_dir(&dir)
        .expect("package/ ships with the crate")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let k = name
                .strip_prefix("member-")?
                .strip_suffix(".safetensors")?
                .parse()
                .ok()?;
            Some((k, p.display().to_string()))
        })
        .collect();
    members.sort();
    let mut code = String::from("&[\n");
    for (_, path) in &members {
        println!("cargo::rerun-if-changed={path}");
        code.push_str(&format!("    include_bytes!({path:?}),\n"));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("members.rs");
    std::fs::write(out, code).expect("write members.rs");
}
