"""Which files make up a project: the one set of discovery rules every front end uses.

`python_files` is what the `fastapi-lint` command lints and what the project index reads:
`*.py` files, recursively, skipping version-control and tool folders, virtualenvs,
`build`, `dist`, `node_modules`, `__pycache__` and the paths the `exclude` option names.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Iterable, Iterator, Optional

# Folders never worth reading: version control, caches, build output, installed packages.
SKIP_DIRS = frozenset(
    (".git", ".hg", ".svn", ".bzr", "__pycache__", ".tox", ".nox", ".eggs",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".fastapi_lint_cache",
     ".venv", "venv", "__pypackages__", "site-packages", "build", "dist", "node_modules")
)


def is_virtualenv(folder: str) -> bool:
    """Whether `folder` is a virtualenv (it holds `pyvenv.cfg`), whatever its name."""
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


def is_excluded(relative: str, patterns: Iterable[str]) -> bool:
    """Whether a path relative to the root matches an `exclude` glob.

    A pattern matches the whole relative path (`src/legacy/*`), or any one of its
    components (`migrations`, `*_pb2.py`), as flake8's `--exclude` does.
    """
    relative = relative.replace(os.sep, "/").strip("/")
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.replace("\\", "/").strip("/")
        if not pattern:
            continue
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*"):
            return True
        if "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def python_files(paths: Iterable[str], exclude: Iterable[str] = (),
                 root: Optional[str] = None, nested_projects: bool = True) -> Iterator[str]:
    """The `*.py` files under `paths` (files are taken as given), in a stable order.

    `exclude` globs are matched against paths relative to `root` (default: the current
    directory). With `nested_projects=False`, a folder below a starting path that holds
    its own `pyproject.toml` is another project and is skipped.
    """
    patterns = tuple(exclude)
    base = os.path.abspath(root or os.getcwd())
    for start in paths:
        start = os.path.abspath(start)
        if os.path.isfile(start):
            if not is_excluded(os.path.relpath(start, base), patterns):
                yield start
            continue
        for folder, dirs, files in os.walk(start):
            kept = []
            for name in sorted(dirs):
                if name in SKIP_DIRS or name.endswith(".egg-info"):
                    continue
                path = os.path.join(folder, name)
                if is_excluded(os.path.relpath(path, base), patterns) or is_virtualenv(path):
                    continue
                if not nested_projects and os.path.isfile(
                        os.path.join(path, "pyproject.toml")):
                    continue
                kept.append(name)
            dirs[:] = kept
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    if not is_excluded(os.path.relpath(path, base), patterns):
                        yield path


def project_files(root: str, exclude: Iterable[str] = ()) -> list[str]:
    """The project's own `*.py` files, relative to `root` with `/` separators."""
    return [os.path.relpath(path, root).replace(os.sep, "/")
            for path in python_files([root], exclude, root, nested_projects=False)]
