"""Regenerate every piece of code made from ``proto/``.

Run ``python scripts/codegen.py`` after editing a ``.proto`` file, and
commit the result. ``python scripts/codegen.py --check`` regenerates into a
scratch directory and fails when the committed code differs (CI runs it).

Three copies are made from the same protos, each by the same ``protoc``
(the one inside ``grpcio-tools``):

- ``src/presence_server/_proto``: the server's Python stubs;
- ``clients/python/src/presence_client/_proto``: the Python client's own
  copy, so that the client package installs without the server;
- ``clients/node/src/gen``: TypeScript for the Node client, written by the
  ``ts-proto`` plugin from ``clients/node/node_modules`` (run
  ``npm ci --prefix clients/node`` once first), together with the
  ``google.rpc`` error detail messages the client decodes. Those come from
  the ``.proto`` files the ``googleapis-common-protos`` package ships.

``--only python`` or ``--only node`` limits a run to one language.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
NODE_DIR = ROOT / "clients" / "node"
TS_PROTO_PLUGIN = NODE_DIR / "node_modules" / ".bin" / "protoc-gen-ts_proto"

# The google.rpc messages a client needs to read rich errors.
GOOGLE_RPC_PROTOS = ("google/rpc/status.proto", "google/rpc/error_details.proto")

# ts-proto options, each a decision:
TS_PROTO_OPTIONS = (
    # grpc-js service definitions and client constructors.
    "outputServices=grpc-js",
    "env=node",
    "esModuleInterop=true",
    # ES modules: relative imports need their ".js" suffix.
    "importSuffix=.js",
    # Revisions are int64; numbers are exact up to 2^53, far beyond any log.
    "forceLong=number",
    "useDate=true",
    # StatusKind.AVAILABLE rather than StatusKind.STATUS_KIND_AVAILABLE.
    "removeEnumPrefix=true",
    # A oneof is a tagged union ({ $case, value }) the compiler can narrow.
    "oneof=unions-value",
)


class CodegenError(Exception):
    """Generation cannot run; the message says what to do."""


# Imports between our own generated modules are rewritten to live inside
# the package; protoc writes them as if ``proto/`` were on sys.path.
_IMPORT = re.compile(r"^(from|import) presence\.v1", re.MULTILINE)


def _our_protos() -> list[str]:
    return sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))


def _well_known_include() -> Path:
    return Path(protoc.__file__).parent / "_proto"


def _run_protoc(args: list[str]) -> None:
    # protoc finds the mypy plugins on PATH; they sit beside this Python.
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    if protoc.main(["protoc", *args]) != 0:
        raise CodegenError("protoc failed (its message is above)")


def generate_python(out_dir: Path, package: str) -> None:
    """Write the Python stubs and their typing stubs into ``out_dir``.

    ``package`` is the import path of ``out_dir`` (``presence_client._proto``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    _run_protoc(
        [
            f"-I{PROTO_DIR}",
            f"-I{_well_known_include()}",
            f"--python_out={out_dir}",
            f"--mypy_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            f"--mypy_grpc_out={out_dir}",
            *_our_protos(),
        ]
    )

    for path in out_dir.rglob("*.py*"):
        text = path.read_text()
        fixed = _IMPORT.sub(rf"\1 {package}.presence.v1", text)
        if fixed != text:
            path.write_text(fixed)
    for folder in [out_dir, *(p for p in out_dir.rglob("*") if p.is_dir())]:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")


def _googleapis_include() -> Path:
    """The folder holding ``google/rpc/*.proto`` from googleapis-common-protos."""
    try:
        from google.rpc import status_pb2
    except ImportError as error:
        raise CodegenError(
            "googleapis-common-protos is not installed; "
            "pip install -e '.[dev]' brings it"
        ) from error
    root = Path(status_pb2.__file__).resolve().parent.parent.parent
    missing = [name for name in GOOGLE_RPC_PROTOS if not (root / name).is_file()]
    if missing:
        raise CodegenError(
            f"this googleapis-common-protos ships no {', '.join(missing)}; "
            "reinstall it from a wheel that includes its .proto files"
        )
    return root


def generate_node(out_dir: Path) -> None:
    """Write the TypeScript for the Node client into ``out_dir``."""
    if not TS_PROTO_PLUGIN.exists():
        raise CodegenError(
            f"{TS_PROTO_PLUGIN.relative_to(ROOT)} is missing: "
            "run `npm ci --prefix clients/node` first (Node 20 and npm)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)

    # Only the protos the client reads: google.rpc is placed first so the
    # well-known types it imports resolve from grpc_tools like ours do.
    scratch = Path(tempfile.mkdtemp(prefix="codegen-rpc-"))
    try:
        googleapis = _googleapis_include()
        for name in GOOGLE_RPC_PROTOS:
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(googleapis / name, target)
        _run_protoc(
            [
                f"--plugin=protoc-gen-ts_proto={TS_PROTO_PLUGIN}",
                f"-I{PROTO_DIR}",
                f"-I{scratch}",
                f"-I{_well_known_include()}",
                f"--ts_proto_out={out_dir}",
                f"--ts_proto_opt={','.join(TS_PROTO_OPTIONS)}",
                *_our_protos(),
                *GOOGLE_RPC_PROTOS,
            ]
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass(frozen=True)
class Target:
    """One generated tree: where it lives and how to make it."""

    language: str
    out_dir: Path
    make: Callable[[Path], None]


TARGETS = (
    Target(
        "python",
        ROOT / "src" / "presence_server" / "_proto",
        lambda out: generate_python(out, "presence_server._proto"),
    ),
    Target(
        "python",
        ROOT / "clients" / "python" / "src" / "presence_client" / "_proto",
        lambda out: generate_python(out, "presence_client._proto"),
    ),
    Target("node", NODE_DIR / "src" / "gen", generate_node),
)


def _differences(left: Path, right: Path) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in committed: {n}" for n in cmp.left_only]
    found += [f"missing: {n}" for n in cmp.right_only]
    # dircmp compares size and time first; compare the bytes.
    found += [
        f"stale: {n}"
        for n in cmp.common_files
        if not filecmp.cmp(left / n, right / n, shallow=False)
    ]
    for name in cmp.common_dirs:
        found += [f"{name}/{d}" for d in _differences(left / name, right / name)]
    return found


def _check(target: Target) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / target.out_dir.name
        target.make(fresh)
        if not target.out_dir.is_dir():
            return ["missing entirely"]
        return _differences(target.out_dir, fresh)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed code is stale"
    )
    parser.add_argument(
        "--only", choices=["python", "node"], help="one language instead of all"
    )
    options = parser.parse_args()
    targets = [t for t in TARGETS if options.only in (None, t.language)]

    try:
        if not options.check:
            for target in targets:
                shutil.rmtree(target.out_dir, ignore_errors=True)
                target.make(target.out_dir)
                print(f"generated {target.out_dir.relative_to(ROOT)}")
            return 0

        stale = {t.out_dir: _check(t) for t in targets}
    except CodegenError as error:
        print(f"codegen: {error}", file=sys.stderr)
        return 1

    if any(stale.values()):
        print("generated code is stale; run python scripts/codegen.py:")
        for out_dir, lines in stale.items():
            for line in lines:
                print(f"  {out_dir.relative_to(ROOT)}: {line}")
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
