"""Shared fixtures: the repository's shipped structure files and the `dos` command line."""

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SHIPPED_CIFS = [
    REPO / "crates/dos-predict/models/examples/NaCl.cif",
    REPO / "crates/dos-data/src/io/testdata/nacl_fm3m.cif",
    REPO / "crates/dos-data/src/io/testdata/rutile_p42mnm.cif",
]


@pytest.fixture(scope="session")
def predictor():
    import dos_rs

    return dos_rs.Predictor.load()


@pytest.fixture(scope="session")
def dos_cli():
    """The `dos` binary: $DOS_CLI, else target/release/dos (built by `cargo test --release`)."""
    path = os.environ.get("DOS_CLI") or str(REPO / "target/release/dos")
    if not (os.path.isfile(path) or shutil.which(path)):
        pytest.fail(f"the dos command line is needed: build it with `cargo build --release` or set DOS_CLI ({path} not found)")
    return path


def run_cli(dos_cli, *args):
    done = subprocess.run([dos_cli, *map(str, args)], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr
