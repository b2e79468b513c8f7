"""Alembic's `file_template`: its tokens, as a pattern for file names and rendered.

Alembic fills the template with `%`-formatting: `%(rev)s`, `%(slug)s`, `%(epoch)s`,
`%(year)d`, `%(month).2d`, `%(day).2d`, `%(hour).2d`, `%(minute).2d`, `%(second).2d`.
In `alembic.ini` each `%` is written `%%`; the caller collapses those first.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

FIELDS = frozenset(("rev", "slug", "epoch", "year", "month", "day", "hour", "minute",
                    "second"))
TOKEN = re.compile(r"%\((?P<name>\w+)\)(?P<flags>[-#0 +]*)(?P<width>\d*)"
                   r"(?:\.(?P<precision>\d+))?(?P<kind>[sdi])")


def normalize(template: str) -> str:
    """The template with `alembic.ini`'s doubled `%%` collapsed to `%`."""
    return template.replace("%%", "%").strip()


def problems(template: str) -> list[str]:
    """What is wrong with a (normalized) template: unknown fields, stray `%` signs."""
    found = []
    for match in TOKEN.finditer(template):
        if match.group("name") not in FIELDS:
            found.append(f"unknown field `{match.group('name')}`")
    if "%" in TOKEN.sub("", template):
        found.append("a `%` that starts no `%(field)s` token")
    if not template.strip():
        found.append("an empty template")
    return found


def pattern(template: str, revision: Optional[str] = None) -> re.Pattern:
    """A regular expression a file name (without `.py`) made from `template` matches.

    `template` is normalized; its literal text is matched as is. With `revision`, the
    `%(rev)s` part must be that revision id. Named groups `rev` and `slug` hold those
    parts when the template has them.
    """
    parts, last, named = [], 0, set()
    for match in TOKEN.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        last = match.end()
        name, kind = match.group("name"), match.group("kind")
        digits = match.group("precision") or match.group("width")
        if kind == "s" and name == "slug":
            piece = r"\w*"
        elif kind == "s" and name == "rev":
            piece = re.escape(revision) if revision else r"[^/]+?"
        elif kind == "s":
            piece = r"[^/]*"
        elif digits:
            piece = r"\d{%d,}" % int(digits)
        else:
            piece = r"\d+"
        if name in ("rev", "slug") and name not in named:
            piece = f"(?P<{name}>{piece})"
            named.add(name)
        parts.append(piece)
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"\Z")


def render(template: str, values: Mapping[str, object]) -> Optional[str]:
    """The template filled with `values`, or None when a field is missing."""
    try:
        return template % dict(values)
    except (KeyError, ValueError, TypeError):
        return None
