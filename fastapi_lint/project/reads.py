"""What a file's findings read of the rest of the project.

The project index notes each part of a module's summary a check reads (see `Read`).
An answer the index works out once and keeps (a blocking chain, a name's target, the
project's route table) keeps what it read as a `Reads` of its own, and every later
reader takes it by reference: an answer read by a thousand files is noted, and stored
in the results, once rather than a thousand times.
"""

from __future__ import annotations

from typing import Any, Container, Iterator, Optional, Union

# (file relative to the project root, part of its summary): `f:<qualname>` (a function,
# or its absence), `c:<qualname>` (a class), `e:<name>` (a re-export), `a:<name>` (an
# `Annotated` alias), `r` (its routes), `i` (its `include_router` calls), `*` (all of
# the file). The file `*` stands for every file of the project.
Read = tuple[str, str]

_INLINE = 8  # answers that read this little are copied, not referenced


class Reads:
    """The parts one check, or one kept answer, read, and the kept answers it used."""

    __slots__ = ("parts", "groups")

    def __init__(self) -> None:
        self.parts: set[Read] = set()
        self.groups: dict[int, Reads] = {}  # by id: each kept answer once

    def add(self, file: str, part: str) -> None:
        self.parts.add((file, part))

    def include(self, other: "Kept") -> None:
        """Note that what `other` (a kept answer's reads) read was read here too."""
        if other is None or other is self:
            return
        if type(other) is tuple:
            self.parts.update(other)
        elif not other.groups and len(other.parts) <= _INLINE:
            self.parts.update(other.parts)
        else:
            self.groups[id(other)] = other

    def kept(self) -> "Kept":
        """What an answer kept for later readers holds of these reads: a few parts as
        a tuple (the most common case, and small), else these reads themselves."""
        if not self.groups and len(self.parts) <= _INLINE:
            return tuple(self.parts)
        return self

    def __reduce__(self) -> tuple:
        """Pickled flat, kept answers before those that use them: answers nest one
        level per step of a call chain, deeper than the pickler recurses (a worker
        process hands its reads to the main process pickled)."""
        position: dict[int, int] = {}
        order: list[Reads] = []
        for reads in post_order(self, position):
            position[id(reads)] = len(order)
            order.append(reads)
        rows = [(reads.parts, [position[id(group)] for group in reads.groups.values()
                               if id(group) in position])
                for reads in order]
        return _rebuild, (rows,)

    def walk(self) -> Iterator["Reads"]:
        """This and every kept answer it reaches, each once."""
        seen = {id(self)}
        stack = [self]
        while stack:
            reads = stack.pop()
            yield reads
            for group in reads.groups.values():
                if id(group) not in seen:
                    seen.add(id(group))
                    stack.append(group)

    def flat(self) -> set[Read]:
        """Every part read, through the kept answers too."""
        found: set[Read] = set()
        for reads in self.walk():
            found.update(reads.parts)
        return found


def _rebuild(rows: list[tuple[set, list[int]]]) -> Reads:
    """The `Reads` that `Reads.__reduce__` flattened into `rows` (it is the last)."""
    built: list[Reads] = []
    for parts, groups in rows:
        reads = Reads()
        reads.parts = parts
        for number in groups:
            group = built[number]
            reads.groups[id(group)] = group
        built.append(reads)
    return built[-1]


Kept = Union["Reads", tuple, None]  # see `Reads.kept`
# What an answer worked out while nobody noted reads keeps: anything may have been read.
UNTRACKED: tuple = (("*", "*"),)


class Interner:
    """One object per distinct kept answer among `Reads` that arrive as copies (each
    worker process's results are pickled apart): what they share is held once."""

    def __init__(self) -> None:
        # Content -> the one copy; the copies are kept, so the ids in keys stay theirs.
        self._by_content: dict[tuple, Reads] = {}
        # The ids of those copies: what they reach is already canonical, so a later
        # call stops there instead of walking (and hashing) a shared answer again.
        self._kept: set[int] = set()

    def canonical(self, reads: Any) -> Any:
        """`reads` with each kept answer it reaches replaced by its one copy."""
        if not isinstance(reads, Reads) or not reads.groups:
            return reads
        kept = self._kept
        # By id, only while `reads` holds them alive: freed copies' ids are reused.
        seen: dict[int, Reads] = {}
        stack: list[tuple[Reads, bool]] = [(reads, False)]
        while stack:  # children first, without recursion
            current, ready = stack.pop()
            if not ready:
                stack.append((current, True))
                stack.extend((group, False) for group in current.groups.values()
                             if id(group) not in seen and id(group) not in kept)
                continue
            groups = {}
            for group in current.groups.values():
                one = seen.get(id(group), group)
                groups[id(one)] = one
            current.groups = groups
            if current is reads:
                break
            key = (frozenset(current.parts), frozenset(groups))
            one = seen[id(current)] = self._by_content.setdefault(key, current)
            kept.add(id(one))
        return reads


class Table:
    """Kept answers as the results file stores them: a list, each answer's groups
    referring to earlier positions only, so one pass in order can judge them all."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self._ids: dict[int, int] = {}
        self._held: list[Reads] = []  # keeps each numbered answer (and its id) alive
        self._interner = Interner()  # copies of one answer take one row

    def dump(self, reads: Reads, own: Optional[str] = None) -> dict:
        """The stored form of a file's reads (less `own`, the file itself)."""
        reads = self._interner.canonical(reads)
        return {"parts": by_file(reads.parts, own),
                "groups": [self.number(group) for group in reads.groups.values()]}

    def number(self, top: Reads) -> int:
        """The position of a kept answer, numbering what it uses first."""
        if id(top) in self._ids:
            return self._ids[id(top)]
        for reads in post_order(top, self._ids):
            self._ids[id(reads)] = len(self.rows)
            self._held.append(reads)
            self.rows.append({"parts": by_file(reads.parts),
                              "groups": sorted({self._ids[id(group)]
                                                for group in reads.groups.values()})})
        return self._ids[id(top)]


def post_order(top: Reads, numbered: Container[int]) -> Iterator[Reads]:
    """`top` and the kept answers it reaches that `numbered` (ids) lacks, each after
    the answers it uses, without recursion: answers nest one level per step of a call
    chain. The caller numbers each answer before taking the next."""
    entered: set[int] = set()
    stack: list[tuple[Reads, bool]] = [(top, False)]
    while stack:
        reads, ready = stack.pop()
        if id(reads) in numbered:
            continue
        if not ready:
            entered.add(id(reads))
            stack.append((reads, True))
            stack.extend((group, False) for group in reads.groups.values()
                         if id(group) not in numbered and id(group) not in entered)
            continue
        yield reads


def by_file(parts: set[Read], own: Optional[str] = None) -> dict[str, list[str]]:
    """Parts grouped by file, sorted (the file `own` left out)."""
    table: dict[str, list[str]] = {}
    for file, part in sorted(parts):
        if file != own:
            table.setdefault(file, []).append(part)
    return table


def load(stored: dict, rows: list[Optional[Reads]]) -> Optional[Reads]:
    """A stored file's (or answer's) reads back as `Reads`, its groups from `rows`
    (the table's answers already loaded); None when it is not what `dump` writes."""
    if not isinstance(stored, dict):
        return None
    parts, groups = stored.get("parts"), stored.get("groups")
    if not isinstance(parts, dict) or not isinstance(groups, list):
        return None
    reads = Reads()
    for file, names in parts.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return None
        reads.parts.update((file, name) for name in names)
    for number in groups:
        if type(number) is not int or not 0 <= number < len(rows):
            return None
        group = rows[number]
        if group is None:
            return None
        reads.groups[id(group)] = group
    return reads
