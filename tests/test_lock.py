"""requirements.lock (the image's exact dependencies, with hashes) and constraints.txt (the same
pins for pip -c) agree with each other, with pyproject.toml, and with what the suite runs on."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line)
        if m:
            found[canonicalize_name(m.group(1))] = m.group(2)
    return found


def test_lock_and_constraints_pin_the_same_versions_with_hashes() -> None:
    locked = pins(ROOT / "requirements.lock")
    assert locked == pins(ROOT / "constraints.txt")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    pinned_blocks = [b for b in blocks if PIN.match(b)]
    assert len(pinned_blocks) == len(locked)
    assert all("--hash=sha256:" in b for b in pinned_blocks)


def test_every_dependency_is_pinned_within_its_range_and_installed_at_the_pin() -> None:
    locked = pins(ROOT / "requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for raw in project["dependencies"]:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} missing from requirements.lock: run make lock"
        assert req.specifier.contains(locked[name]), f"{req.name}=={locked[name]} vs {raw}"
    for name, pinned in locked.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # for another Python (a marker), or pulled in only there
        assert installed == pinned, f"{name} {installed} installed, {pinned} locked: make dev"
