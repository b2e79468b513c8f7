"""Finding the files to check: `*.py` under the given paths.

Folders are walked without following symbolic links to folders (so a link loop cannot
trap the walk), skipping version-control folders, virtual environments, build output,
`node_modules`, caches, and whatever the configuration's `exclude` globs match. A file
given by name is always checked unless `exclude` matches it. Each file is checked once,
however many paths reach it. A folder that cannot be listed is reported, not fatal.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from typing import Callable, Iterable, Optional

SKIPPED_DIRS = frozenset(
    (".git", ".hg", ".svn", ".bzr", "_darcs", ".venv", "venv", ".virtualenv", ".tox",
     ".nox", ".eggs", "build", "dist", "node_modules", "__pycache__", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".hypothesis", ".fastapi_lint_cache",
     "site-packages", "__pypackages__", ".direnv")
)
# A folder holding one of these is a virtual environment, whatever its name.
VENV_MARKERS = ("pyvenv.cfg", "conda-meta")


@dataclasses.dataclass(frozen=True)
class Target:
    """A file to check: the path as the user will see it and its real location."""

    path: str  # absolute, as reached (through links, unresolved)
    real: str  # absolute, every link resolved
    explicit: bool  # named on the command line
    root: str  # the command-line path it was reached from (absolute, unresolved)


@dataclasses.dataclass
class Discovery:
    """The files found, and the paths that could not be walked (with why)."""

    targets: list[Target]
    problems: list[tuple[str, str]]


def matches_exclude(path: str, project_root: str, patterns: Iterable[str],
                    ancestors: bool = False) -> bool:
    """Whether an `exclude` glob matches `path` (with `ancestors`, or a folder above).

    A glob with a `/` matches the path relative to the project root; one without
    matches a file or folder name anywhere.
    """
    patterns = tuple(patterns)
    if not patterns:
        return False
    candidates = [path]
    if ancestors:
        parent = os.path.dirname(path)
        while parent and parent != os.path.dirname(parent):
            if not (parent + os.sep).startswith(project_root + os.sep):
                break
            candidates.append(parent)
            if parent == project_root:
                break
            parent = os.path.dirname(parent)
    for candidate in candidates:
        name = os.path.basename(candidate)
        relative = os.path.relpath(candidate, project_root).replace(os.sep, "/")
        for pattern in patterns:
            pattern = pattern.rstrip("/")
            if pattern.startswith("./"):
                pattern = pattern[2:]
            if "/" in pattern:
                if relative != ".." and not relative.startswith("../") \
                        and fnmatch.fnmatchcase(relative, pattern):
                    return True
            elif fnmatch.fnmatchcase(name, pattern):
                return True
    return False


ExcludeFor = Callable[[str], tuple[str, tuple[str, ...]]]


def discover(paths: Iterable[str], exclude_for: ExcludeFor) -> Discovery:
    """Every `*.py` file under `paths`, in a stable order.

    `exclude_for(folder)` gives the project root and `exclude` globs that apply to the
    entries of an absolute folder. A path that does not exist raises FileNotFoundError.
    """
    targets: list[Target] = []
    problems: list[tuple[str, str]] = []
    seen_files: set[str] = set()
    for given in paths:
        absolute = os.path.abspath(given)
        if not os.path.lexists(absolute):
            raise FileNotFoundError(given)
        if os.path.isdir(absolute):
            root, patterns = exclude_for(absolute)
            if matches_exclude(absolute, root, patterns, ancestors=True):
                continue
            _walk(absolute, exclude_for, targets, problems, seen_files)
            continue
        root, patterns = exclude_for(os.path.dirname(absolute))
        if matches_exclude(absolute, root, patterns, ancestors=True):
            continue
        _add(Target(absolute, os.path.realpath(absolute), True, absolute), targets,
             seen_files)
    return Discovery(targets, problems)


def _add(target: Target, targets: list[Target], seen: set[str]) -> None:
    if target.real not in seen:
        seen.add(target.real)
        targets.append(target)


def _is_venv(folder: str, entries: Optional[set[str]] = None) -> bool:
    if entries is not None:
        return any(marker in entries for marker in VENV_MARKERS)
    return any(os.path.exists(os.path.join(folder, m)) for m in VENV_MARKERS)


def _walk(top: str, exclude_for: ExcludeFor, targets: list[Target],
          problems: list[tuple[str, str]], seen_files: set[str]) -> None:
    seen_dirs: set[tuple[int, int]] = set()
    # (folder, the folder with links resolved): subfolders reached are never links, so
    # a plain file's real path is its real folder's and its name, without a `realpath`.
    stack = [(top, os.path.realpath(top))]
    while stack:
        folder, real = stack.pop()
        try:
            info = os.stat(folder)
            key = (info.st_dev, info.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            problems.append((folder, f"cannot list folder: {error.strerror or error}"))
            continue
        names = {entry.name for entry in entries}
        if folder != top and _is_venv(folder, names):
            continue
        root, patterns = exclude_for(folder)
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
                is_file = entry.is_file()  # follows links: a link to a file counts
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIPPED_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if not matches_exclude(entry.path, root, patterns):
                    subfolders.append((entry.path, os.path.join(real, entry.name)))
            elif entry.name.endswith(".py") and (is_file or is_link):
                if is_link and not is_file:
                    if not os.path.exists(entry.path):
                        problems.append(
                            (entry.path, "cannot read: broken symbolic link"))
                    continue
                if not matches_exclude(entry.path, root, patterns):
                    resolved = (os.path.realpath(entry.path) if is_link
                                else os.path.join(real, entry.name))
                    _add(Target(entry.path, resolved, False, top), targets, seen_files)
        stack.extend(reversed(subfolders))
