"""`# noqa` comments, read the way flake8 reads them.

So that a file silenced for flake8 stays silenced for `fastapi-lint` and the other way
round, the rules are flake8's:

- `# noqa` (one space after `#`, any case) silences every finding on its line;
  `# noqa: FBP100,FBP2` (optionally one space after the colon) silences the findings
  whose code starts with one of the listed codes. A malformed list (`# noqa:  X`,
  `# noqa : X`) falls back to a blanket `# noqa`, and a lowercase code matches nothing,
  as in flake8.
- The comment counts for every line of the statement or bracketed expression it ends,
  since flake8 searches the whole multi-line token range a finding falls in.
- A line that is only `# flake8: noqa` (or `# flake8=noqa`) skips the whole file.
"""

from __future__ import annotations

import ast
import bisect
import re
import tokenize
from typing import Iterable, Iterator, Optional

from .findings import Finding

# `# noqa`, then optionally `:`, at most one whitespace, and codes (letters then
# digits) separated by commas or whitespace.
_INLINE = re.compile(r"# noqa(?::\s?(?P<codes>(?:[A-Z]+[0-9]+[,\s]*)+))?", re.IGNORECASE)
_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,\s]")
# What both comments above start with: a file without either has nothing to silence.
_ANY_NOQA = re.compile(r"# noqa|# flake8[:=]", re.IGNORECASE)


def file_is_skipped(lines: list[str]) -> bool:
    """Whether a line of the file is a file-wide `# flake8: noqa`."""
    return any(_FILE.match(line) for line in lines)


def logical_lines(lines: list[str]) -> dict[int, str]:
    """For each line number, the text flake8 searches for `# noqa` (its whole range)."""
    mapping: dict[int, str] = {}
    first, last = None, None
    # flake8 reads lines with universal newlines: a lone `\r` ends a line as `\n` does,
    # where the tokenizer would take it for a stray character.
    tokenized = [line[:-1] + "\n" if line.endswith("\r") else line for line in lines]
    try:
        for token in tokenize.generate_tokens(iter(tokenized).__next__):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            start, end = token.start[0], token.end[0]
            first = start if first is None else min(first, start)
            last = end if last is None else max(last, end)
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1:last])
                for number in range(first, last + 1):
                    mapping[number] = joined
                first, last = None, None
    except (tokenize.TokenError, SyntaxError, StopIteration):
        return {}
    return mapping


def silences(comment_line: str, code: str) -> bool:
    """Whether the `# noqa` comment in `comment_line` (if any) silences `code`."""
    match = _INLINE.search(comment_line)
    if match is None:
        return False
    codes_text = match.group("codes")
    if codes_text is None:
        return True
    codes = tuple(c.strip() for c in _SEPARATORS.split(codes_text) if c.strip())
    return code in codes or code.startswith(codes)


def filter_findings(findings: Iterable[Finding], lines: list[str],
                    tree: Optional[ast.Module] = None) -> Iterator[Finding]:
    """The findings no `# noqa` silences; nothing when the file is skipped.

    With the file's `tree`, only the innermost statements holding a finding and a
    `noqa` comment are tokenized (see `_Pieces`), instead of the whole file.
    """
    findings = list(findings)
    if findings and not _ANY_NOQA.search("".join(lines)):
        yield from findings  # no `noqa` anywhere: spare the tokenizer
        return
    if not findings or file_is_skipped(lines):
        return
    if tree is not None:
        text_of = _Pieces(lines, tree).text
    else:
        text_of = logical_lines(lines).get
    for finding in findings:
        text = text_of(finding.line)
        if text is None:
            text = lines[finding.line - 1] if 1 <= finding.line <= len(lines) else ""
        if not silences(text, finding.code):
            yield finding


class _Pieces:
    """Logical lines of one statement at a time, tokenized when asked.

    A logical line never crosses the start of a statement that begins its physical
    line, so a finding's line is looked up in the innermost such statement around it
    (with any statements `;` joins to it), not in its whole top-level statement: a
    finding in one method of a long class tokenizes that method only.
    """

    def __init__(self, lines: list[str], tree: ast.Module) -> None:
        self.lines = lines
        self.tree = tree
        self.done: dict[tuple[int, int], dict[int, str]] = {}
        self.firsts: dict[int, list[int]] = {}  # id(block) -> its statements' first lines

    def text(self, line: int) -> Optional[str]:
        """The text flake8 searches for a finding on `line`; None for the line alone."""
        piece = self._piece(line)
        if piece is None:
            return None
        mapping = self.done.get(piece)
        if mapping is None:
            first, last = piece
            lines = self.lines[first - 1:last]
            mapping = {}
            if _ANY_NOQA.search("".join(lines)):
                mapping = {first - 1 + number: text
                           for number, text in logical_lines(lines).items()}
            self.done[piece] = mapping
        return mapping.get(line)

    def _piece(self, line: int) -> Optional[tuple[int, int]]:
        """(first, last line) of the innermost run of statements holding `line` that
        starts its physical line; None when no statement holds it."""
        found = None
        block: list = self.tree.body
        while block:
            firsts = self.firsts.get(id(block))
            if firsts is None:
                firsts = self.firsts[id(block)] = [_first_line(s) for s in block]
            span = _run(block, firsts, line, self.lines)
            if span is None:
                break
            first, last, statement, opening = span
            if found is not None and not self._starts_line(opening, first):
                break  # shares its first line with the header above: keep that
            found = (first, last)
            if statement is None:
                break  # statements joined by `;`: tokenized together
            block = _inner_block(statement, line)
        return found

    def _starts_line(self, statement: ast.stmt, first: int) -> bool:
        """Whether `statement`, whose first line is `first`, begins that line."""
        decorators = getattr(statement, "decorator_list", ())
        column = min([statement.col_offset]
                     + [d.col_offset for d in decorators if d.lineno == first])
        if not 1 <= first <= len(self.lines) or _continued(self.lines, first - 1):
            return False  # a backslash above carries its logical line over
        before = self.lines[first - 1].encode("utf-8", "surrogateescape")[:column]
        return before.strip() in (b"", b"@")  # a decorator's column is past its `@`


def _first_line(statement: ast.stmt) -> int:
    first = statement.lineno
    for decorator in getattr(statement, "decorator_list", ()):
        first = min(first, decorator.lineno)
    return first


def _last_line(statement: ast.stmt) -> int:
    return getattr(statement, "end_lineno", None) or statement.lineno


def _continued(lines: list[str], number: int) -> bool:
    """Whether line `number` (1-based) ends with a backslash, joining the next to it."""
    return 1 <= number <= len(lines) and lines[number - 1].rstrip("\r\n").endswith("\\")


def _joined(lines: list[str], before: ast.stmt, after: ast.stmt) -> bool:
    """Whether `after` starts on the logical line `before` ends (`a; b`, `a; \\`)."""
    last = _last_line(before)
    return _first_line(after) <= last or _continued(lines, last)


def _run(block: list, firsts: list[int], line: int, lines: list[str]):
    """(first, last line, the statement, the run's first statement) of the statement
    of `block` holding `line`, with the statements on the same logical line (`a; b`,
    or `a; \\` then `b`): the statement is None then. None when no statement of the
    block holds the line. `firsts` are the first lines of the block's statements.

    Statements follow each other: only those on one logical line share a line, so the
    last one starting at or above `line` holds it if any does, and the run around it
    is the same whichever of those it starts from.
    """
    position = bisect.bisect_right(firsts, line) - 1
    if position < 0 or line > _last_line(block[position]):
        return None
    start = end = position
    while start > 0 and _joined(lines, block[start - 1], block[start]):
        start -= 1
    while end + 1 < len(block) and _joined(lines, block[end], block[end + 1]):
        end += 1
    alone = block[position] if start == end else None
    opening = block[start]
    return _first_line(opening), _last_line(block[end]), alone, opening


def _inner_block(statement: ast.stmt, line: int) -> list:
    """The block nested in `statement` whose statements span `line`, else []."""
    blocks = [getattr(statement, field, None)
              for field in ("body", "orelse", "finalbody")]
    for group in (getattr(statement, "handlers", None) or (),
                  getattr(statement, "cases", None) or ()):
        blocks.extend(part.body for part in group)
    for block in blocks:
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt) and (
                _first_line(block[0]) <= line <= _last_line(block[-1])):
            return block
    return []
