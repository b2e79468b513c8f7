"""Writing a fixed file safely: all or nothing, and never over someone else's edit.

The new content goes to a temporary file in the same folder, takes the original's
permission bits (and owner, where allowed), is flushed to disk, and then replaces the
original in one `os.replace`. Just before that, the file is read again: if it no longer
holds what was checked (an editor saved it meanwhile), nothing is written. Any failure
leaves the original as it was and explains itself in one line.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile

logger = logging.getLogger(__name__)


class WriteRefused(Exception):
    """The file was not written; the message says why, in one line."""


def replace_file(path: str, expected: bytes, content: bytes) -> None:
    """Replace the file at `path` (a real path, no link) with `content`.

    `expected` is what the file held when it was read; WriteRefused when it differs now,
    when the file is read-only, or when writing fails.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise WriteRefused(f"cannot stat the file: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused("not a regular file")
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            path, os.W_OK):
        raise WriteRefused("the file is read-only")
    folder, name = os.path.split(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".fastapi-lint",
                                             dir=folder)
    except OSError as error:
        raise WriteRefused(f"cannot create a temporary file next to it: "
                           f"{error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        _keep_owner(temporary, info)
        if _read(path) != expected:
            raise WriteRefused("the file changed since it was read; run again")
        os.replace(temporary, path)
    except WriteRefused:
        _remove(temporary)
        raise
    except OSError as error:
        _remove(temporary)
        raise WriteRefused(f"cannot write: {error.strerror or error}") from None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _keep_owner(path: str, info: os.stat_result) -> None:
    if not hasattr(os, "chown"):
        return
    try:
        current = os.stat(path)
        if (current.st_uid, current.st_gid) != (info.st_uid, info.st_gid):
            os.chown(path, info.st_uid, info.st_gid)
    except OSError as error:  # only the owner's group may be out of reach
        logger.debug("cannot keep the owner of %s: %s", path, error)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
