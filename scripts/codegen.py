"""Regenerate the Python code made from ``proto/``.

Run ``python scripts/codegen.py`` after editing a ``.proto`` file, and
commit the result. ``python scripts/codegen.py --check`` regenerates into a
scratch directory and fails when the committed code differs (CI runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE = "presence_server._proto"
OUT_DIR = ROOT / "src" / "presence_server" / "_proto"

# Imports between our own generated modules are rewritten to live inside
# the package; protoc writes them as if ``proto/`` were on sys.path.
_IMPORT = re.compile(r"^(from|import) presence\.v1", re.MULTILINE)


def generate(out_dir: Path) -> None:
    """Write the stubs for every proto under ``proto/`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *protos,
    ]
    # protoc finds the mypy plugins on PATH; they sit beside this Python.
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")

    for path in out_dir.rglob("*.py*"):
        text = path.read_text()
        fixed = _IMPORT.sub(rf"\1 {PACKAGE}.presence.v1", text)
        if fixed != text:
            path.write_text(fixed)
    for folder in [out_dir, *(p for p in out_dir.rglob("*") if p.is_dir())]:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")


def _differences(left: Path, right: Path) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in committed: {n}" for n in cmp.left_only]
    found += [f"missing: {n}" for n in cmp.right_only]
    found += [f"stale: {n}" for n in cmp.diff_files]
    for name in cmp.subdirs:
        found += [f"{name}/{d}" for d in _differences(left / name, right / name)]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed code is stale"
    )
    options = parser.parse_args()

    if not options.check:
        shutil.rmtree(OUT_DIR, ignore_errors=True)
        generate(OUT_DIR)
        print(f"generated {OUT_DIR.relative_to(ROOT)}")
        return 0

    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "_proto"
        generate(fresh)
        stale = _differences(OUT_DIR, fresh)
    if stale:
        print("generated code is stale; run python scripts/codegen.py:")
        print("\n".join(f"  {line}" for line in stale))
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
