"""Where a project's Alembic migrations live and how their files are to be named.

A file is a migration when it stands in a versions folder of an Alembic environment:
`script_location`/versions (and `version_locations`) of an `alembic.ini` (or
`[tool.alembic]` in `pyproject.toml`) in one of its folders or above them, or, failing
that, a `versions/` folder beside an `env.py`. The file template comes from the nearest
such configuration; when it sets none, the `migration-file-template` option applies.

Every look at the file system is cached per folder or per file, so a flake8 run reads
each configuration once.
"""

from __future__ import annotations

import configparser
import dataclasses
import functools
import logging
import os
import re
import sys
from typing import Optional

from ..options import Settings
from . import templates
from .layout import listdir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib

logger = logging.getLogger(__name__)

_MAX_LEVELS = 12


@dataclasses.dataclass(frozen=True)
class AlembicConfig:
    """What one `alembic.ini` (or `[tool.alembic]` table) says about migrations."""

    path: str  # the configuration file
    versions: tuple[str, ...]  # absolute folders holding migration files
    file_template: Optional[str]  # normalized; None when the file sets none


@dataclasses.dataclass(frozen=True)
class MigrationFile:
    """A migration file: its name in its versions folder and the template it follows."""

    path: str
    relative: str  # the path below its versions folder, with `/`
    template: str  # normalized file_template
    template_source: Optional[str]  # the configuration that sets it; None: the option
    first_party: frozenset[str]  # top-level modules of the application


def migration_file(path: str, settings: Settings,
                   project_root: Optional[str]) -> Optional[MigrationFile]:
    """The migration at `path`, or None when `path` is not in a versions folder."""
    absolute = os.path.abspath(path)
    folder = os.path.dirname(absolute)
    configs = _configs_above(folder, project_root)
    versions = _versions_folder(absolute, configs)
    if versions is None:
        return None
    config = next((c for c in configs if c.file_template), None)
    if config is not None:
        template, source = config.file_template, config.path
    else:
        template, source = templates.normalize(settings.migration_file_template), None
    relative = os.path.relpath(absolute, versions).replace(os.sep, "/")
    roots = {os.path.dirname(versions), os.path.dirname(os.path.dirname(versions)),
             _import_root(versions)}
    roots.update(os.path.dirname(c.path) for c in configs)
    if project_root:
        roots.add(project_root)
    return MigrationFile(absolute, relative, template, source,
                         _first_party(frozenset(roots)))


def _ancestors(folder: str, project_root: Optional[str]):
    """`folder` and the folders above it, up to the project root when there is one."""
    current = folder
    for _ in range(_MAX_LEVELS):
        yield current
        if project_root and os.path.normcase(current) == os.path.normcase(project_root):
            return
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


def _configs_above(folder: str, project_root: Optional[str]) -> list[AlembicConfig]:
    """Alembic configurations in `folder` and above, nearest first."""
    found = []
    for ancestor in _ancestors(folder, project_root):
        entries = listdir(ancestor)
        for name in ("alembic.ini", "pyproject.toml"):
            if name in entries:
                config = read_config(os.path.join(ancestor, name))
                if config is not None:
                    found.append(config)
    return found


def _versions_folder(path: str, configs: list[AlembicConfig]) -> Optional[str]:
    folder = os.path.dirname(path)
    for config in configs:
        for versions in config.versions:
            if _is_within(folder, versions):
                return versions
    # A `versions/` folder beside an `env.py`, the file in it or below it.
    current = folder
    for _ in range(4):
        if os.path.basename(current) == "versions":
            if "env.py" in listdir(os.path.dirname(current)):
                return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return None


def _is_within(folder: str, versions: str) -> bool:
    folder, versions = os.path.normcase(folder), os.path.normcase(versions)
    return folder == versions or folder.startswith(versions.rstrip(os.sep) + os.sep)


def read_config(path: str) -> Optional[AlembicConfig]:
    """The Alembic configuration in `alembic.ini` or `pyproject.toml`, or None."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _read_config(path, (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _read_config(path: str, stamp: tuple[int, int]) -> Optional[AlembicConfig]:
    try:
        if path.endswith(".toml"):
            with open(path, "rb") as handle:
                table = tomllib.load(handle).get("tool", {}).get("alembic")
            if not isinstance(table, dict):
                return None
            values = {k: v for k, v in table.items() if isinstance(v, str)}
        else:
            parser = configparser.RawConfigParser(strict=False)
            parser.read(path, encoding="utf-8")
            if not parser.has_section("alembic"):
                return None
            values = dict(parser.items("alembic"))
    except (OSError, UnicodeDecodeError, configparser.Error, tomllib.TOMLDecodeError,
            ValueError) as error:
        logger.debug("fastapi-lint: cannot read %s: %s", path, error)
        return None
    here = os.path.dirname(path)
    locations = []
    script = _expand(values.get("script_location", ""), here)
    if script and ":" not in script.replace(here, ""):
        locations.extend(os.path.join(base, script, "versions")
                         for base in _bases(here))
    for entry in _split_locations(values.get("version_locations", "")):
        entry = _expand(entry, here)
        locations.extend(os.path.join(base, entry) for base in _bases(here))
    versions = tuple(dict.fromkeys(os.path.normpath(p) for p in locations
                                   if os.path.isdir(p)))
    template = values.get("file_template")
    template = templates.normalize(template) if template else None
    if template and templates.problems(template):
        logger.debug("fastapi-lint: %s has an unusable file_template", path)
        template = None
    return AlembicConfig(path, versions, template)


def _expand(value: str, here: str) -> str:
    return value.strip().replace("%%(here)s", here).replace("%(here)s", here)


def _bases(here: str) -> tuple[str, ...]:
    """Folders a relative location may start from: the configuration's and above."""
    return (here, os.path.dirname(here), os.path.dirname(os.path.dirname(here)))


def _split_locations(value: str) -> list[str]:
    """`version_locations` split on spaces, commas, semicolons and `os.pathsep`."""
    separators = r"[\s,;]+" if os.pathsep == ";" else r"[\s,;:]+"
    return [v for v in re.split(separators, value.strip()) if v]


def _import_root(folder: str) -> str:
    """Where imports start: the folder above the outermost package around `folder`."""
    current, inside = folder, False
    for _ in range(_MAX_LEVELS):
        is_package = "__init__.py" in listdir(current)
        if inside and not is_package:
            return current
        inside = inside or is_package
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return os.path.dirname(folder)


@functools.lru_cache(maxsize=256)
def _first_party(roots: frozenset[str]) -> frozenset[str]:
    """Names of the packages and modules directly in `roots`."""
    names = set()
    for root in roots:
        for entry in listdir(root):
            if entry.endswith(".py") and entry[:-3].isidentifier():
                names.add(entry[:-3])
            elif entry.isidentifier() and os.path.isdir(os.path.join(root, entry)):
                names.add(entry)
    return frozenset(names)
