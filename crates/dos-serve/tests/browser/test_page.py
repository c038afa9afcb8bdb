"""The page of `dos serve` in a real Chromium (the distribution's package, driven by playwright).

Starts `dos serve --port 0` (a free port on 127.0.0.1), uploads the shipped NaCl.cif and a bad
file through the page, and checks the plotted curve, the properties, the error line, the
downloads, the model card link and that the console stayed clean. Also checks that the API's
answer equals `dos predict --format json` for the same file.

Environment: DOS_CLI (the `dos` binary; default target/release/dos or $CARGO_TARGET_DIR's),
CHROMIUM (default /usr/bin/chromium), DOS_SERVE_SCREENSHOT (write a screenshot there).
Run: pytest -q crates/dos-serve/tests/browser
"""

import json
import os
import re
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[4]
NACL = ROOT / "crates/dos-predict/models/examples/NaCl.cif"
RUTILE = ROOT / "crates/dos-data/src/io/testdata/rutile_p42mnm.cif"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
DOS = Path(os.environ.get("DOS_CLI", TARGET / "release/dos"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def server():
    assert DOS.is_file(), f"{DOS} not built: cargo build --release -p dos-cli"
    proc = subprocess.Popen(
        [str(DOS), "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    url = None
    # The first line names the address; a failure to start ends the process instead.
    for line in proc.stderr:
        lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if m:
            url = m.group(1)
            break
    assert url, f"dos serve did not start: {''.join(lines)}"
    # Keep draining stderr so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def post_files(url, files, temperature=300):
    boundary = "dos-serve-browser-test"
    body = b""
    for name, data in files:
        body += (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(
        f"{url}api/predict?temperature={temperature}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.load(r)


def test_api_equals_dos_predict(server):
    out = subprocess.run(
        [str(DOS), "predict", "--format", "json", "--temperature", "400", str(NACL)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    status, got = post_files(server, [("NaCl.cif", NACL.read_bytes())], temperature=400)
    assert status == 200
    assert got == json.loads(out)


def test_page_uploads_plots_and_reports_errors(server, tmp_path):
    bad = tmp_path / "bad.cif"
    bad.write_text("data_broken\n_cell_length_a not-a-number\n")
    console_errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1180, "height": 900}, accept_downloads=True)
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.goto(server)
        expect(page.locator("#model")).to_contain_text("member(s)")

        page.set_input_files("#pick", str(NACL))
        card = page.locator("article.result").first
        expect(card).to_be_visible(timeout=30_000)
        # The curve: one path point per energy (51), and its band.
        d = card.locator("svg path.mean").get_attribute("d")
        assert d.startswith("M") and d.count("L") == 50, d
        assert card.locator("svg path.band").count() == 1
        expect(card.locator("svg text.xlabel")).to_have_text("energy (cm\u207b\u00b9)")
        expect(card.locator("h2")).to_contain_text("NaCl")
        expect(card.locator(".meta")).to_contain_text("space group 225, cubic")
        expect(card.locator(".meta")).to_contain_text("member(s)")
        for key in [
            "heat_capacity_j_per_mol_k",
            "entropy_j_per_mol_k",
            "free_energy_ev_per_atom",
            "zero_point_energy_ev_per_atom",
        ]:
            cell = card.locator(f'tr[data-prop="{key}"] td.num')
            expect(cell).to_have_text(re.compile(r"^-?[0-9.e+-]+ \u00b1 [0-9.e+-]+$"))
        expect(card.locator("caption")).to_contain_text("300 K")

        # A new temperature re-requests the properties.
        page.fill("#temperature", "500")
        page.dispatch_event("#temperature", "change")
        expect(page.locator("article.result caption").first).to_contain_text("500 K")

        page.set_input_files("#pick", str(bad))
        err = page.locator('.error-line[data-id="bad.cif"]')
        expect(err).to_be_visible(timeout=30_000)
        expect(err).to_contain_text("bad.cif")
        expect(page.locator("article.result")).to_have_count(1)

        with page.expect_download() as dl:
            page.click("#download-json")
        data = json.loads(Path(dl.value.path()).read_text())
        assert [r["id"] for r in data] == ["NaCl.cif", "bad.cif"] and "error" in data[1]
        with page.expect_download() as dl:
            page.click("#download-csv")
        csv = Path(dl.value.path()).read_text().splitlines()
        assert csv[0] == "id,formula,space_group,crystal_system,energy,unit,mean,std"
        assert len(csv) == 1 + 51

        href = page.locator("#model-card").get_attribute("href")
        with urllib.request.urlopen(server.rstrip("/") + href, timeout=10) as r:
            assert r.status == 200 and b"Model card" in r.read()

        shot = os.environ.get("DOS_SERVE_SCREENSHOT")
        if shot:
            page.set_input_files("#pick", str(RUTILE))
            expect(page.locator("article.result")).to_have_count(2, timeout=30_000)
            page.fill("#temperature", "300")
            page.dispatch_event("#temperature", "change")
            expect(page.locator("article.result caption").first).to_contain_text("300 K")
            page.screenshot(path=shot, full_page=True)
        browser.close()
    assert console_errors == [], console_errors
