#!/usr/bin/env python3
"""Load benchmark of `dos serve` (a script, not a timed test; standard library only).

Starts `dos serve --port 0` on 127.0.0.1 (and nowhere else), then CLIENTS threads post real
structures (the phonon benchmark's test split, shipped in crates/dos-data/data/phonon, each
sent as a POSCAR built in memory) to /api/predict over keep-alive connections until REQUESTS
requests are answered or DURATION seconds pass. Reports requests/s, structures/s, p50/p99
latency of the answered requests, the server's peak RSS (VmHWM), the 503s (queue full, each
checked for Retry-After) and every other failure (other statuses, connection errors, error
elements in a 200 answer).

    python3 scripts/serve/load.py --clients 16 --requests 800
    python3 scripts/serve/load.py --clients 32 --queue 4 --requests 100000 --duration 20 \
        --pause-503 0.05                                                    # overload: 503s
"""

import argparse
import ast
import csv
import gzip
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = (
    "X H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As "
    "Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd "
    "Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am "
    "Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()


def poscar(mp_id, s):
    """A POSCAR (Cartesian) of an ASE-style dict, species grouped in order of appearance."""
    order = []
    for z in s["numbers"]:
        if z not in order:
            order.append(z)
    lines = [mp_id, "1.0"] + [" ".join(repr(float(x)) for x in v) for v in s["cell"]]
    lines.append(" ".join(SYMBOLS[z] for z in order))
    lines.append(" ".join(str(s["numbers"].count(z)) for z in order))
    lines.append("Cartesian")
    for z in order:
        for n, p in zip(s["numbers"], s["positions"]):
            if n == z:
                lines.append(" ".join(repr(float(x)) for x in p))
    return ("\n".join(lines) + "\n").encode()


def test_structures():
    data = ROOT / "crates/dos-data/data/phonon"
    wanted = set((data / "idx_test.txt").read_text().split())
    out = []
    csv.field_size_limit(1 << 30)
    with gzip.open(data / "phonon_dos.csv.gz", "rt") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if str(i) in wanted or row["mp_id"] in wanted:
                out.append((row["mp_id"] + ".vasp", poscar(row["mp_id"], ast.literal_eval(row["structure"]))))
    if not out:
        sys.exit("no test-split structure found")
    return out


def multipart(files):
    boundary = "dos-serve-load"
    body = b"".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in files
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def rss_kib(pid, key):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dos", default=os.environ.get("DOS_CLI", str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release/dos")))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=800, help="stop after this many answers")
    ap.add_argument("--duration", type=float, default=120.0, help="stop after this many seconds")
    ap.add_argument("--files", type=int, default=1, help="structures per request")
    ap.add_argument("--queue", type=int, default=16, help="dos serve --queue")
    ap.add_argument("--workers", type=int, default=None, help="dos serve --workers")
    ap.add_argument("--pause-503", type=float, default=0.0, help="seconds a client waits after a 503")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    a = ap.parse_args()
    if not (1 <= a.clients <= 256 and 1 <= a.requests <= 100_000 and 0 < a.duration <= 3600):
        sys.exit("bounds: clients 1..256, requests 1..100000, duration (0, 3600] s")

    structures = test_structures()
    cmd = [a.dos, "serve", "--host", "127.0.0.1", "--port", "0", "--queue", str(a.queue)]
    if a.workers:
        cmd += ["--workers", str(a.workers)]
    server = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    port = None
    for line in server.stderr:
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        sys.exit("dos serve did not start")
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
    idle_rss = rss_kib(server.pid, "VmRSS")

    lock = threading.Lock()
    counter = {"next": 0}
    results = []  # (status, seconds, retry_after, error elements)
    deadline = time.monotonic() + a.duration

    def take():
        with lock:
            if counter["next"] >= a.requests or time.monotonic() >= deadline:
                return None
            k = counter["next"]
            counter["next"] += 1
            return k

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while (k := take()) is not None:
            files = [structures[(k * a.files + j) % len(structures)] for j in range(a.files)]
            body, ctype = multipart(files)
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/predict?temperature=300", body, {"Content-Type": ctype})
                r = conn.getresponse()
                data = r.read()
                dt = time.perf_counter() - t0
                bad = 0
                if r.status == 200:
                    bad = sum(1 for e in json.loads(data) if "error" in e)
                rec = (r.status, dt, r.getheader("Retry-After"), bad)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                rec = (f"connection: {e}", time.perf_counter() - t0, None, 0)
            with lock:
                results.append(rec)
            if rec[0] == 503 and a.pause_503 > 0:
                time.sleep(a.pause_503)
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    peak_kib = rss_kib(server.pid, "VmHWM")
    server.terminate()
    server.wait(timeout=10)

    ok = sorted(dt for s, dt, _, _ in results if s == 200)
    q = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000 if ok else float("nan")
    busy = [r for r in results if r[0] == 503]
    report = {
        "command": " ".join(sys.argv),
        "clients": a.clients,
        "files_per_request": a.files,
        "queue": a.queue,
        "pause_after_503_s": a.pause_503,
        "answered": len(results),
        "ok_200": len(ok),
        "busy_503": len(busy),
        "busy_503_with_retry_after": sum(1 for r in busy if r[2]),
        "other_failures": sum(1 for r in results if r[0] not in (200, 503)),
        "error_elements": sum(r[3] for r in results),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(ok) / elapsed, 2),
        "structures_per_s": round(len(ok) * a.files / elapsed, 2),
        "p50_ms": round(q(0.50), 1),
        "p99_ms": round(q(0.99), 1),
        "server_rss_idle_mib": round(idle_rss / 1024, 1),
        "server_peak_rss_mib": round(peak_kib / 1024, 1),
    }
    other = [r[0] for r in results if r[0] not in (200, 503)]
    if other:
        report["other_statuses"] = sorted(set(map(str, other)))
    if a.json:
        print(json.dumps(report, indent=1))
    else:
        for k, v in report.items():
            print(f"{k:28} {v}")
    return 0 if report["other_failures"] == 0 and report["error_elements"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
