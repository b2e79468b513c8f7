"""Which files are tests: pytest's conventions, as the `test-files` option has them."""

from __future__ import annotations

import fnmatch
import os

from ..options import Settings


def is_test_file(path: str, settings: Settings) -> bool:
    """Whether the file at `path` is a test module or a `conftest.py`."""
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in settings.test_files)
