"""What the fixers share: their result types and a few questions about a module."""

from __future__ import annotations

import ast
import dataclasses
from typing import Iterable, Iterator, Optional, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.helpers import get_full_name_for_node
from libcst.codemod.visitors import AddImportsVisitor

from ..findings import Finding
from ..source import headroom, split_lines


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A finding a fixer declined, and why (shown to the user)."""

    finding: Finding
    reason: str


@dataclasses.dataclass
class Attempt:
    """A fixer's result: the new text (unchanged when nothing was fixed), refusals."""

    text: str
    refusals: list[Refusal] = dataclasses.field(default_factory=list)


class Declined(Exception):
    """Raised inside a fixer to decline a target; the message is the reason."""


def parse_ast(text: str) -> ast.Module:
    """The `ast` tree of `text`, with the room the check parsed it with (see
    `source.headroom`): a file the check could parse, the fixer can."""
    with headroom():
        return ast.parse(text)


def parse_cst(text: str) -> cst.Module:
    """The libcst module of `text`; Declined when libcst cannot parse it."""
    try:
        return cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError) as error:
        first = str(error).strip().splitlines()
        reason = first[0] if first else type(error).__name__
        raise Declined(f"libcst cannot parse this file ({reason})") from None


def refuse_all(text: str, findings: Iterable[Finding], reason: str) -> Attempt:
    """An attempt that changes nothing and declines every finding for `reason`."""
    return Attempt(text, [Refusal(f, reason) for f in findings])


def char_col(text_lines: list[str], line: int, byte_col: int) -> int:
    """A 0-based character column from an `ast` (UTF-8 byte) column."""
    if not 1 <= line <= len(text_lines):
        return byte_col
    prefix = text_lines[line - 1].encode("utf-8", "surrogatepass")[:byte_col]
    return len(prefix.decode("utf-8", "ignore"))


def lines_of(text: str) -> list[str]:
    """The physical lines of `text`, as Python splits them."""
    return split_lines(text)


def parents(tree: ast.AST) -> dict[int, ast.AST]:
    """Each node's parent, by node id."""
    found: dict[int, ast.AST] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            found[id(child)] = node
            stack.append(child)
    return found


FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def binding_names(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """The (name, node) pairs a node binds or mentions as a plain name."""
    if isinstance(node, ast.Name):
        yield node.id, node
    elif isinstance(node, ast.arg):
        yield node.arg, node
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name, node
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, node
            elif alias.name != "*":
                yield alias.name.split(".")[0], node
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        for name in node.names:
            yield name, node
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name, node
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name, node
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest, node


def names_used(tree: ast.AST) -> set[str]:
    """Every name the module binds or mentions anywhere, in any scope."""
    return {name for node in ast.walk(tree) for name, _ in binding_names(node)}


def exported_names(tree: ast.Module) -> Optional[set[str]]:
    """The strings in the module's `__all__`; None when they are not plain literals."""
    found: set[str] = set()
    for node in ast.walk(tree):
        value = None
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(
                node.target, ast.Name) and node.target.id == "__all__":
            value = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name)
              and node.func.value.id == "__all__"):
            if node.func.attr not in ("append", "extend", "insert", "remove"):
                continue
            for arg in node.args:
                strings = _strings(arg)
                if strings is None:
                    return None
                found |= strings
            continue
        else:
            continue
        if value is None:
            continue
        strings = _strings(value)
        if strings is None:
            return None
        found |= strings
    return found


def _strings(node: ast.AST) -> Optional[set[str]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        found: set[str] = set()
        for element in node.elts:
            inner = _strings(element)
            if inner is None:
                return None
            found |= inner
        return found
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _strings(node.left), _strings(node.right)
        if left is None or right is None:
            return None
        return left | right
    return None


def module_level_imports(
        tree: ast.Module) -> Iterator[Union[ast.Import, ast.ImportFrom]]:
    """Imports that run at module level (also in module-level if/try/with blocks)."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == \
                "TryStar":
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    if isinstance(child, ast.ExceptHandler):
                        stack.extend(child.body)
                    else:
                        stack.append(child)


def add_import(module: cst.Module, package: str,
               obj: Optional[str] = None) -> cst.Module:
    """`module` with `import package` or `from package import obj` added if missing.

    A name joins the module's first top-level `from package import ...`, at its end and
    in its layout (one per line stays one per line); otherwise a new import goes after
    the module's imports.
    """
    if obj is not None:
        for index, line in enumerate(module.body):
            statement = line.body[0] if isinstance(line, cst.SimpleStatementLine) \
                and len(line.body) == 1 else None
            if (isinstance(statement, cst.ImportFrom) and not statement.relative
                    and statement.module is not None
                    and get_full_name_for_node(statement.module) == package
                    and not isinstance(statement.names, cst.ImportStar)):
                names = append_element(list(statement.names),
                                       cst.ImportAlias(name=cst.Name(obj)))
                if statement.lpar is None:
                    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                new_line = line.with_changes(body=[statement.with_changes(names=names)])
                return module.with_changes(
                    body=[*module.body[:index], new_line, *module.body[index + 1:]])
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, package, obj)
    return AddImportsVisitor(context).transform_module(module)


def names_in_strings(tree: ast.AST) -> set[str]:
    """The names mentioned by string literals that read as expressions.

    Such strings are forward references (`"ErrorCode"`, `List["User"]`) that renaming a
    name would silently break. Docstrings and other prose do not parse and are skipped.
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        value = node.value.strip()
        if not value or len(value) > 500 or "\n" in value:
            continue
        try:
            parsed = ast.parse(value, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        found.update(n.id for n in ast.walk(parsed) if isinstance(n, ast.Name))
    return found


def binders_by_name(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """For each name, the nodes that bind or mention it (see `binding_names`)."""
    found: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        for name, binder in binding_names(node):
            found.setdefault(name, []).append(binder)
    return found


def append_element(sequence: list, new):
    """`sequence` (params or import names) with `new` at its end, commas in its style.

    After a trailing comma (one element per line), the new element takes the last one's
    comma and the last one takes the separator used between the others.
    """
    if not sequence:
        return [new]
    last = sequence[-1]
    if not isinstance(last.comma, cst.Comma):
        return [*sequence, new]
    if len(sequence) > 1 and isinstance(sequence[-2].comma, cst.Comma):
        separator = sequence[-2].comma
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [*sequence[:-1], last.with_changes(comma=separator),
            new.with_changes(comma=last.comma)]
