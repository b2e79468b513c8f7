"""Rule documentation: the README's rule table, drawn from the registry.

`python -m fastapi_lint.docs --write README.md` rewrites the table between the
`<!-- rules:begin -->` and `<!-- rules:end -->` markers; a test fails when it drifts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .rules import RULES

BEGIN = "<!-- rules:begin -->"
END = "<!-- rules:end -->"
SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead", "Fix", "Options")


def table() -> str:
    """The Markdown rule table, one row per code."""
    rows = ["| code | name | what it finds, and why | fix | on by default |",
            "|---|---|---|---|---|"]
    for _, rule in sorted(RULES.items()):
        link = f"[{rule.code}](fastapi_lint/docs/{rule.code}.md)"
        fix = rule.fix or "-"
        default = "yes" if rule.default else "no (opt in)"
        rows.append(f"| {link} | `{rule.name}` | {rule.summary} | {fix} | {default} |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    """The README text with its rule table replaced by the current one."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the README has no {BEGIN} ... {END} markers")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastapi_lint.docs")
    parser.add_argument("--write", metavar="README", help="update this file in place")
    args = parser.parse_args(argv)
    if args.write:
        path = Path(args.write)
        path.write_text(render_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(table() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
