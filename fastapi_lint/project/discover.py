"""Which files make up a project for the project index.

The same rules as the `fastapi-lint` command (`fastapi_lint/files.py`): `*.py` files,
recursively, skipping version-control and tool folders, virtualenvs, `build`, `dist`,
`node_modules`, `__pycache__` and the paths the `exclude` option names. One more rule
for an index: a folder below the root with a `pyproject.toml` of its own is another
project, whose files are checked against their own index.
"""

from __future__ import annotations

import os
from typing import Iterable

from .. import files


def project_files(root: str, exclude: Iterable[str] = ()) -> list[str]:
    """The project's own `*.py` files, relative to `root` with `/` separators."""
    root = os.path.abspath(root)
    patterns = tuple(exclude)
    try:
        found = files.discover([root], lambda folder: (root, patterns))
    except FileNotFoundError:
        return []
    other_projects: dict[str, bool] = {}
    kept = []
    prefix = root.rstrip(os.sep) + os.sep
    for target in found.targets:
        path = target.path
        relative = (path[len(prefix):] if path.startswith(prefix)
                    else os.path.relpath(path, root))
        if relative.startswith(os.pardir) or _in_other_project(
                root, os.path.dirname(target.path), other_projects):
            continue
        kept.append(relative.replace(os.sep, "/"))
    return kept


def _in_other_project(root: str, folder: str, known: dict[str, bool]) -> bool:
    """Whether a folder below `root`, up to `folder`, holds a `pyproject.toml`."""
    if folder == root or not folder.startswith(root + os.sep):
        return False
    if folder not in known:
        known[folder] = os.path.isfile(os.path.join(folder, "pyproject.toml")) or (
            _in_other_project(root, os.path.dirname(folder), known))
    return known[folder]
