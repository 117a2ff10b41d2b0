"""The HTML audit report in a real browser: a report of N unique credentials (default 5,000) opened in
headless Chromium; prints the page size, the time to parse and run the page, and the time one filter
and one sort take in the page (measured inside it with performance.now()).

    python benchmarks/bench_report.py [--keys 5000] [--screenshot report.png]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import akscan_command

from tests.keys import FakeKeys

PROBE = """
var t0 = performance.now();
var sev = document.getElementById('sev'); sev.value = 'high'; sev.dispatchEvent(new Event('change'));
var t1 = performance.now();
document.querySelectorAll('#keys th')[2].click();
var t2 = performance.now();
document.body.setAttribute('data-bench', [Math.round(t0), (t1 - t0).toFixed(1), (t2 - t1).toFixed(1),
  document.getElementById('shown').textContent].join(';'));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=5000)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("needs Chromium (Debian: apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="akscan-report-bench-"))
    keys = FakeKeys(5)
    rows = "\n".join(f"{keys.alibaba_id()},{keys.alibaba_secret()}" for _ in range(args.keys))
    (work / "keys.csv").write_text("AccessKeyId,AccessKeySecret\n" + rows + "\n")
    report = work / "report.html"
    subprocess.run([*akscan_command(), "scan", str(work / "keys.csv"), "-q", "--format", "html", "-o", str(report)])
    page = report.read_text()
    digest = "'sha256-" + base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode() + "'"
    probed = work / "probed.html"
    probed.write_text(
        page.replace("script-src ", f"script-src {digest} ", 1).replace("</body>", f"<script>{PROBE}</script></body>")
    )
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", probed.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=300).stdout
    found = re.search(r'data-bench="([^"]+)"', dom)
    if found is None:
        sys.exit("the probe did not run")
    loaded, filtered, sorted_ms, shown = found.group(1).split(";")
    print(f"{args.keys} credentials: page {len(page) / 1e6:.1f} MB; parsed and scripted after {loaded} ms;")
    print(f"filter by severity {filtered} ms ({shown}); sort by key ID {sorted_ms} ms")
    if args.screenshot:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1300,1100",
                f"--screenshot={args.screenshot}",
                report.as_uri(),
            ],
            capture_output=True,
            timeout=300,
        )
        print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
