#!/usr/bin/env python3
"""Vendor the portal's front-end assets (and the browser tests' axe-core) from the npm registry.

Every package is pinned by version *and* by the registry's `dist.integrity` (sha512, SRI form). The script
reads the version's metadata from the registry, refuses a tarball whose integrity differs from the pin, and
then extracts only the files the portal serves, with each package's licence. `VERSIONS.json` next to the files
records package, version, tarball, integrity, licence and the sha256 of every file written, so the tree can be
checked offline (`--check`, also run by tests/browser/test_vendored_assets.py).

    python scripts/vendor_frontend.py            # download, verify, write
    python scripts/vendor_frontend.py --check    # offline: files on disk match VERSIONS.json

Uses only the standard library; the registry is `NPM_REGISTRY` (default https://registry.npmjs.org).

To upgrade: change `version` and `integrity` below (`npm view <pkg>@<version> dist.integrity`), run the
script, run the browser tests, look at the screenshots.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORTAL_VENDOR = REPO / "src" / "portvakt" / "portal" / "static" / "vendor"
TEST_VENDOR = REPO / "tests" / "browser" / "vendor"
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
INTER_FONT = "inter-latin-wght-normal.woff2"


def _theme_css(files: dict[str, bytes]) -> bytes:
    """The Digdir brand theme, preceded by an @font-face for the vendored Inter (the theme names the
    family but loads no font; without this the pages would fall back to a system font)."""
    font_face = (
        "/* Inter (latin, variable weight) from @fontsource-variable/inter, vendored under ../inter/. */\n"
        "@font-face {\n"
        "  font-family: 'Inter';\n"
        "  font-style: normal;\n"
        "  font-display: swap;\n"
        "  font-weight: 100 900;\n"
        f"  src: url('../inter/{INTER_FONT}') format('woff2-variations'), "
        f"url('../inter/{INTER_FONT}') format('woff2');\n"
        "}\n\n"
    )
    theme = files["package/brand/digdir.css"].decode("utf-8")
    charset = '@charset "UTF-8";\n'
    if theme.startswith(charset):
        theme = theme[len(charset) :]
    return (charset + font_face + theme).encode("utf-8")


@dataclass(frozen=True)
class Output:
    """One file written: `source` is a path in the tarball, or `build` derives it from the tarball's files."""

    target: str
    source: str | None = None
    build: Callable[[dict[str, bytes]], bytes] | None = None


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    root: Path
    outputs: tuple[Output, ...]
    licence_file: str = "package/LICENSE"
    licence_target: str = "LICENSE"
    extra_licences: tuple[Output, ...] = field(default=())


PACKAGES = (
    Package(
        name="@digdir/designsystemet-css",
        version="1.22.0",
        integrity="sha512-f/+YOK1Gvl7ypdeRh0TDGs28eu8DkOPDAR+T8yLpnys9FxNWX05UNuhXJwYwRuzF9WUgjAhpJ5JKdodTDxWMEA==",
        root=PORTAL_VENDOR,
        outputs=(Output("designsystemet/index.css", source="package/dist/src/index.css"),),
        licence_target="designsystemet/LICENSE",
    ),
    Package(
        name="@digdir/designsystemet-theme",
        version="1.11.0",
        integrity="sha512-C4Mf+LmecQ8sdjykD25NWiEclQDEOK+Y6Dlo8oz2BjhLBkDmo1+udFyCplvAGvv1MTzhsAhGafW/S4ox8iXlOA==",
        root=PORTAL_VENDOR,
        outputs=(Output("designsystemet/theme.css", build=_theme_css),),
        licence_target="designsystemet/LICENSE-theme",
    ),
    Package(
        name="@fontsource-variable/inter",
        version="5.3.0",
        integrity="sha512-OupL48va4JNofb97w6NYeF9S7W/kHNKM0Er8Dem5nqi4jeOLrVJDoE8tZEpnMJmtkvNbB1EIPPwHcdkF6b1oUA==",
        root=PORTAL_VENDOR,
        outputs=(Output(f"inter/{INTER_FONT}", source=f"package/files/{INTER_FONT}"),),
        licence_target="inter/LICENSE",
    ),
    Package(
        name="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        root=PORTAL_VENDOR,
        outputs=(Output("htmx/htmx.min.js", source="package/dist/htmx.min.js"),),
        licence_target="htmx/LICENSE",
    ),
    Package(
        name="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        root=TEST_VENDOR,
        outputs=(Output("axe.min.js", source="package/axe.min.js"),),
        licence_target="LICENSE-axe-core",
    ),
)


def _get(url: str) -> bytes:
    if urllib.parse.urlsplit(url).scheme != "https" and not url.startswith("http://127.0.0.1"):
        raise SystemExit(f"refusing a non-https registry URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (https checked above)
        body: bytes = response.read()
    return body


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def fetch(package: Package) -> tuple[dict[str, object], bytes]:
    """The version's registry metadata and its tarball, both checked against the pinned integrity."""
    quoted = urllib.parse.quote(package.name, safe="@")
    metadata = json.loads(_get(f"{REGISTRY}/{quoted}/{package.version}"))
    dist = metadata["dist"]
    if dist["integrity"] != package.integrity:
        raise SystemExit(
            f"{package.name}@{package.version}: registry integrity {dist['integrity']} "
            f"differs from the pinned {package.integrity}"
        )
    tarball = _get(dist["tarball"])
    actual = sri_sha512(tarball)
    if actual != package.integrity:
        raise SystemExit(
            f"{package.name}@{package.version}: tarball is {actual}, expected {package.integrity}"
        )
    return metadata, tarball


def tar_files(tarball: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile():
                extracted = archive.extractfile(member)
                if extracted is not None:
                    files[member.name] = extracted.read()
    return files


def vendor(package: Package) -> dict[str, object]:
    metadata, tarball = fetch(package)
    files = tar_files(tarball)
    written: dict[str, str] = {}
    for output in (*package.outputs, Output(package.licence_target, source=package.licence_file)):
        if output.build is not None:
            content = output.build(files)
        elif output.source is not None:
            content = files[output.source]
        else:
            raise AssertionError(output)
        target = package.root / output.target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written[output.target] = hashlib.sha256(content).hexdigest()
        print(f"  {target.relative_to(REPO)} ({len(content)} bytes)")
    dist = metadata["dist"]
    assert isinstance(dist, dict)
    return {
        "name": package.name,
        "version": package.version,
        "license": metadata.get("license"),
        "tarball": dist["tarball"],
        "integrity": package.integrity,
        "files": written,
    }


def write_all() -> None:
    manifests: dict[Path, list[dict[str, object]]] = {}
    for package in PACKAGES:
        print(f"{package.name}@{package.version}")
        manifests.setdefault(package.root, []).append(vendor(package))
    for root, entries in manifests.items():
        document = {
            "generated_by": "scripts/vendor_frontend.py",
            "registry": REGISTRY,
            "packages": entries,
        }
        (root / "VERSIONS.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {(root / 'VERSIONS.json').relative_to(REPO)}")


def check() -> list[str]:
    """Offline: every pinned package is in its VERSIONS.json at the pinned version and integrity, and
    every recorded file exists with the recorded sha256."""
    problems: list[str] = []
    for root in sorted({package.root for package in PACKAGES}):
        manifest_path = root / "VERSIONS.json"
        if not manifest_path.is_file():
            problems.append(f"missing {manifest_path.relative_to(REPO)}")
            continue
        entries = {entry["name"]: entry for entry in json.loads(manifest_path.read_text())["packages"]}
        for package in (package for package in PACKAGES if package.root == root):
            entry = entries.get(package.name)
            pinned = (package.version, package.integrity)
            if entry is None or (entry["version"], entry["integrity"]) != pinned:
                problems.append(f"{package.name}: VERSIONS.json does not record {package.version}")
                continue
            for target, digest in entry["files"].items():
                path = root / target
                if not path.is_file():
                    problems.append(f"missing {path.relative_to(REPO)}")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                    problems.append(f"{path.relative_to(REPO)} differs from VERSIONS.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="verify the vendored files offline")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        print("vendored assets match VERSIONS.json" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    write_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
