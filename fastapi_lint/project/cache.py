"""The on-disk cache of module summaries: `.fastapi_lint_cache/` under the project root.

One JSON file per summary, named by a hash of the module's path and content, in a
folder named for the package version, the summary schema and the settings that shape a
summary. Writes go to a temporary file first and are moved into place with
`os.replace`, so processes writing at once never leave half a file; a file that cannot
be read back as a summary (corrupt, foreign, from another version) is ignored.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from typing import Any, Iterable, Optional

CACHE_DIR = ".fastapi_lint_cache"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by fastapi-lint.\n")

logger = logging.getLogger(__name__)


class SummaryCache:
    """Summaries of one project for one package version and settings, by digest."""

    def __init__(self, root: str, key: str) -> None:
        self.base = os.path.join(root, CACHE_DIR)
        self.folder = os.path.join(self.base, key)
        self.key = key
        self.writable = True
        self._prepared = False

    def get(self, digest: str) -> Optional[Any]:
        """The JSON stored under `digest`, or None when absent or unreadable."""
        try:
            with open(os.path.join(self.folder, digest + ".json"), "rb") as handle:
                return json.loads(handle.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError) as error:
            logger.debug("fastapi-lint: ignoring cache entry %s: %s", digest, error)
            return None

    def put(self, digest: str, data: Any) -> None:
        """Store `data` under `digest`; a read-only project only turns the cache off."""
        if not self.writable:
            return
        try:
            self._prepare()
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(json.dumps(data, separators=(",", ":")))  # one C call
                os.replace(temporary, os.path.join(self.folder, digest + ".json"))
            except BaseException:
                _remove(temporary)
                raise
        except OSError as error:
            self.writable = False
            logger.info("fastapi-lint: not caching the project index in %s: %s",
                        self.folder, error)

    def entries(self) -> list[str]:
        """The digests stored now."""
        try:
            return [name[:-5] for name in os.listdir(self.folder)
                    if name.endswith(".json")]
        except OSError:
            return []

    def prune(self, keep: Iterable[str]) -> None:
        """Remove the entries not in `keep` (files since changed or gone)."""
        wanted = set(keep)
        for digest in self.entries():
            if digest not in wanted:
                _remove(os.path.join(self.folder, digest + ".json"))

    def _prepare(self) -> None:
        """Create the folder, tag it as a cache, drop folders of other versions."""
        if self._prepared:
            return
        os.makedirs(self.folder, exist_ok=True)
        _write_once(os.path.join(self.base, ".gitignore"),
                    "# created by fastapi-lint\n*\n")
        _write_once(os.path.join(self.base, "CACHEDIR.TAG"), _TAG)
        generation = self.key.rsplit("-", 1)[0]
        try:
            siblings = os.listdir(self.base)
        except OSError:
            siblings = []
        for name in siblings:
            if name.startswith("index-") and name.rsplit("-", 1)[0] != generation:
                shutil.rmtree(os.path.join(self.base, name), ignore_errors=True)
        self._prepared = True


def _write_once(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        pass  # already there, or written by another process at the same moment


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
