#!/usr/bin/env python3
"""Take full-page screenshots of the portal's main pages into docs/screenshots/.

Runs the page tour of tests/browser/test_every_page.py (a real `portvakt serve` on a fresh SQLite database,
headless Debian Chromium at /usr/bin/chromium, data created through the pages) with PORTVAKT_SCREENSHOT_DIR
pointing at docs/screenshots, so the pictures are the real pages the test checked for accessibility and
external requests.

    python scripts/portal_screenshots.py [extra pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "screenshots"


def main(argv: list[str]) -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PORTVAKT_SCREENSHOT_DIR": str(TARGET), "PORTVAKT_TEST_REQUIRE_BROWSER": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/browser/test_every_page.py",
        *argv,
    ]
    result = subprocess.run(command, cwd=REPO, env=env, check=False)  # noqa: S603 (fixed command)
    if result.returncode == 0:
        for path in sorted(TARGET.glob("*.png")):
            print(f"{path.relative_to(REPO)} ({path.stat().st_size // 1024} KiB)")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
