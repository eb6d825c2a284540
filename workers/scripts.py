"""The Lua scripts in workers/lua/, by name; a script's shared functions are prepended to it."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def lua(*names: str) -> str:
    """The named files of workers/lua/ joined in order (Redis scripts cannot import each other,
    so functions used by several scripts live in their own file and are prepended)."""
    folder = resources.files("workers").joinpath("lua")
    return "\n".join(folder.joinpath(name).read_text("utf-8") for name in names)
