"""Finding and reading `[tool.fastapi-lint]` in `pyproject.toml`.

Precedence, highest first: command-line flags (flake8's `--fastapi-*` or the
`fastapi-lint` command's own), flake8's config files (`setup.cfg`, `tox.ini`, `.flake8`),
`[tool.fastapi-lint]` in the nearest `pyproject.toml` above the linted file, defaults.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Optional

from .options import ConfigError, Settings, build

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib

SECTION = "fastapi-lint"


@functools.lru_cache(maxsize=1024)
def find_pyproject(directory: str) -> Optional[str]:
    """The nearest `pyproject.toml` in `directory` or above it, or None."""
    directory = str(Path(directory))  # as `Path` spells it: no trailing separator
    candidate = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(candidate):  # False, never an error, when it cannot be seen
        return candidate
    parent = os.path.dirname(directory)
    # Each folder's answer is kept: sibling folders share their parents' lookups.
    return find_pyproject(parent) if parent != directory else None


def read_table(pyproject: str) -> dict[str, Any]:
    """The raw `[tool.fastapi-lint]` table of one file; ConfigError if unreadable."""
    try:
        with open(pyproject, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"cannot be read: {error}"], pyproject) from None
    except ValueError as error:
        # TOMLDecodeError, or an integer too long to convert, which tomllib lets through
        raise ConfigError([f"not valid TOML: {str(error)[:300]}"], pyproject) from None
    except RecursionError:
        raise ConfigError(["not valid TOML: arrays or tables nested too deeply"],
                          pyproject) from None
    except MemoryError:
        raise ConfigError(["too large to read"], pyproject) from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(["`tool` must be a table"], pyproject)
    table = tool.get(SECTION, {})
    if not isinstance(table, dict):
        raise ConfigError([f"`tool.{SECTION}` must be a table"], pyproject)
    return table


@functools.lru_cache(maxsize=256)
def _load(pyproject: str, stamp: tuple[int, int]) -> Settings:
    return build(read_table(pyproject), source=pyproject)


def load(pyproject: Optional[str]) -> Settings:
    """Settings from one `pyproject.toml` (defaults for None); ConfigError if bad."""
    if pyproject is None:
        return Settings()
    try:
        stat = os.stat(pyproject)
    except OSError as error:
        raise ConfigError([f"cannot be read: {error}"], pyproject) from None
    return _load(pyproject, (stat.st_mtime_ns, stat.st_size))


def project_root_for(path: str) -> Optional[str]:
    """The folder holding the nearest `pyproject.toml` above `path`, or None."""
    pyproject = find_pyproject(os.path.dirname(os.path.abspath(path)))
    return os.path.dirname(pyproject) if pyproject else None
