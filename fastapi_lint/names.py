"""What an expression refers to: imports, aliases, simple bindings and annotations.

An expression resolves to a *path*, a dotted string naming what it holds:
`requests.get` for the function, `requests.Session()` for an instance made by calling
`requests.Session`, `requests.Session().get` for that instance's method, `x[]` for an
item of `x`. Bindings are simple and flow-insensitive within a scope: the latest
assignment above the use wins, and anything the resolver cannot follow is unknown (None),
which no check treats as a finding.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import warnings
import weakref
from typing import Any, Iterator, Optional, Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 40
_MAX_STEPS = 1000  # links followed in one expression (`a.b()[0] / c`)
_MAX_ANNOTATION = 1000  # characters of a string annotation worth parsing


class LazyAnnotation:
    """A parameter's annotation, worked out into the path of an instance of its type
    when the parameter is first looked up: most parameters never are."""

    __slots__ = ("annotation", "path")

    def __init__(self, annotation: ast.expr) -> None:
        self.annotation = annotation
        self.path: Any = LazyAnnotation  # not worked out yet


# A binding: (line, what it holds). What it holds is a resolved path (str), an
# expression still to resolve (ast.expr, resolved lazily at its line), a parameter's
# annotation (`LazyAnnotation`, worked out when first looked up), or None.
Binding = tuple[int, Union[str, ast.expr, LazyAnnotation, None]]


def walk_shallow(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under `nodes`, without entering nested function, lambda or class bodies.

    Decorators, default values and base classes of nested definitions are evaluated in
    the enclosing body, so they are visited. The walk is iterative: deep trees are fine.
    Expression contexts and operators (`Load`, `Add`, ...) are not visited.
    """
    return iter(shallow_nodes(nodes))


def shallow_nodes(nodes: list[ast.AST]) -> list[ast.AST]:
    """`walk_shallow` as a list, parents before children, in source order."""
    out: list[ast.AST] = []
    append = out.append
    stack = list(reversed(nodes))
    pop, push, node_type = stack.pop, stack.append, ast.AST
    nested, table = _NESTED_KINDS, _CHILD_FIELDS
    while stack:
        node = pop()
        append(node)
        kind = type(node)
        if kind in nested:
            if kind is ast.Lambda:
                children = list(_arg_defaults(node.args))
            elif kind is ast.ClassDef:
                children = [*node.decorator_list, *node.bases, *node.keywords]
            else:
                children = [*node.decorator_list, *_arg_defaults(node.args)]
                if node.returns is not None:
                    children.append(node.returns)
            stack.extend(reversed(children))
            continue
        fields = table.get(kind)
        if fields is None:
            fields = _child_fields(kind)
        # The children in `ast.iter_child_nodes` order, pushed last first.
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for position in range(len(value) - 1, -1, -1):
                    item = value[position]
                    if isinstance(item, node_type):
                        push(item)
            elif isinstance(value, node_type):
                push(value)
    return out


# Fields that hold no node worth a visit: names, numbers and flags, and the expression
# contexts and operators (`Load`, `Store`, `Add`, `Eq`) that would otherwise be
# visited once per name or operation. A check reads those as attributes.
_LEAF_FIELDS = frozenset((
    "ctx", "op", "ops", "id", "attr", "arg", "name", "kind", "type_comment", "level",
    "module", "conversion", "is_async", "simple", "type_ignores", "tag", "lineno",
    "col_offset", "end_lineno", "end_col_offset",
))
# Per node type, the fields that may hold child nodes, last first (filled as met).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    if kind is ast.Constant:
        fields: tuple[str, ...] = ()
    elif kind is ast.arguments:  # its defaults go with the definition (`partition`)
        fields = tuple(reversed(_PARAMETERS))
    else:
        fields = tuple(reversed([f for f in kind._fields if f not in _LEAF_FIELDS]))
    _CHILD_FIELDS[kind] = fields
    return fields


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_NESTED_KINDS = frozenset(_NESTED)
_PARAMETERS = ("posonlyargs", "args", "vararg", "kwonlyargs", "kwarg")


def partition(tree: ast.Module):
    """Every node of a module, once, split by the body it is evaluated in.

    Returns (module nodes, {id(def, lambda or class): its body's nodes}, the rest).
    Each list holds what `walk_shallow` yields for that body, in the same order; the
    rest are the parts of definitions no body evaluates (parameters and their
    annotations, type parameters), so the lists and the module node together are the
    whole tree.
    """
    module = shallow_nodes(tree.body)
    bodies: dict[int, list[ast.AST]] = {}
    rest: list[ast.AST] = []
    todo = [module]
    while todo:
        for node in todo.pop():
            kind = type(node)
            if kind not in _NESTED_KINDS:
                continue
            body = [node.body] if kind is ast.Lambda else node.body
            inner = bodies[id(node)] = shallow_nodes(body)
            todo.append(inner)
            # Parameters (not their defaults, which the enclosing body evaluates) and
            # type parameters belong to no body; a lambda may hide in them too.
            outside = shallow_nodes(getattr(node, "type_params", None) or [])
            if kind is not ast.ClassDef:
                outside += shallow_nodes([node.args])
            rest += outside
            todo.append(outside)
    return module, bodies, rest


def _arg_defaults(args: ast.arguments) -> Iterator[ast.expr]:
    yield from args.defaults
    yield from (d for d in args.kw_defaults if d is not None)


def dotted(node: ast.AST, limit: Optional[int] = None) -> Optional[str]:
    """`a.b.c` for a name or a chain of attributes, else None; None too past `limit`
    attributes (messages keep names short). Iterative: chains may be long."""
    parts = []
    while isinstance(node, ast.Attribute):
        if limit is not None and len(parts) >= limit:
            return None
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def is_type_checking(test: ast.expr) -> bool:
    """True for `TYPE_CHECKING` and `typing.TYPE_CHECKING` (any module prefix)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def resolve_relative(level: int, module: Optional[str], package: Optional[str]) -> str:
    """The absolute module of `from <level dots><module> import ...` in `package`."""
    if level == 0:
        return module or ""
    if package is None:
        return "." * level + (module or "")
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return "." * level + (module or "")
    base = parts[: len(parts) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base)


def import_bindings(node: Union[ast.Import, ast.ImportFrom], package: Optional[str]):
    """(local name, path) pairs an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                top = alias.name.split(".")[0]
                yield top, top
        return
    base = resolve_relative(node.level, node.module, package)
    for alias in node.names:
        if alias.name == "*":
            continue
        target = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
        yield alias.asname or alias.name, target


# The node types `Scope._collect` binds names for; every other node is passed over.
_BINDERS = frozenset(
    (ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith, ast.NamedExpr, ast.For,
     ast.AsyncFor, ast.comprehension, ast.Import, ast.ImportFrom, ast.FunctionDef,
     ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler, ast.Global, ast.Nonlocal)
)


class Scope:
    """The bindings of one function body (not of the functions nested in it)."""

    def __init__(self, names: "Names", func: Optional[ast.AST], parent: Optional["Scope"]):
        # Held weakly: a Names holds its scopes, and a cycle would keep each file's
        # tree alive until the garbage collector's next full pass.
        self._names = weakref.ref(names)
        self.parent = parent
        self.bindings: dict[str, list[Binding]] = {}
        # Per name, the binding lines in order, built on first lookup (see `lookup`).
        self._lines: dict[str, list[int]] = {}
        # Per name, the nearest enclosing scope that binds it (see `enclosing`).
        self._enclosing: dict[str, Optional[Scope]] = {}
        if func is None:
            return
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self._bind_arguments(func)
        self._collect(names.body_nodes(func))

    @property
    def names(self) -> "Names":
        names = self._names()
        assert names is not None, "a scope outlived its module's Names"
        return names

    def _bind(self, name: str, line: int, value: Union[str, ast.expr, None]) -> None:
        self.bindings.setdefault(name, []).append((line, value))
        self._lines.pop(name, None)

    def _bind_arguments(self, func) -> None:
        args = func.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        for arg in every:
            annotation = getattr(arg, "annotation", None)
            held = None if annotation is None else LazyAnnotation(annotation)
            self._bind(arg.arg, 0, held)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                self._bind(arg.arg, 0, None)

    def _collect(self, nodes: list[ast.AST]) -> None:
        package = self.names.package
        binders = _BINDERS
        for node in nodes:
            kind = type(node)
            if kind not in binders:
                continue  # most nodes bind nothing: one set look-up for them
            if kind is ast.Assign:
                value = node.value if len(node.targets) == 1 else None
                for target in node.targets:
                    self._bind_target(target, node.lineno, value)
            elif kind is ast.AnnAssign:
                if isinstance(node.target, ast.Name):
                    held = self.names.annotation_instance(node.annotation, self)
                    self._bind(node.target.id, node.lineno, held or node.value)
            elif kind is ast.With or kind is ast.AsyncWith:
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind_target(item.optional_vars, node.lineno, item.context_expr)
            elif kind is ast.NamedExpr:
                self._bind_target(node.target, node.lineno, node.value)
            elif kind is ast.For or kind is ast.AsyncFor or kind is ast.comprehension:
                line = getattr(node, "lineno", getattr(node.target, "lineno", 0))
                self._bind_target(node.target, line, None)
            elif kind is ast.Import or kind is ast.ImportFrom:
                for local, path in import_bindings(node, package):
                    self._bind(local, node.lineno, path)
            elif kind is ast.ExceptHandler:
                if node.name:
                    self._bind(node.name, node.lineno, None)
            elif kind is ast.Global or kind is ast.Nonlocal:
                for name in node.names:
                    self._bind(name, 0, "<global>")
            else:  # a def or class nested in the body
                self._bind(node.name, node.lineno, f"<local>.{node.name}")

    def _bind_target(self, target: ast.AST, line: int, value) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, line, value)
            return
        stack = [target]  # unpacking: every name is bound to something unknown
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                self._bind(node.id, line, None)
            elif isinstance(node, (ast.Tuple, ast.List)):
                stack.extend(reversed(node.elts))
            elif isinstance(node, ast.Starred):
                stack.append(node.value)

    def enclosing(self, name: str) -> Optional["Scope"]:
        """The nearest enclosing scope that binds `name`, or None.

        Remembered on every scope passed on the way up, so names used in deeply
        nested functions are found in constant time on average. (An enclosing scope
        is complete before any scope inside it is built, so this never goes stale.)
        """
        if name in self._enclosing:
            return self._enclosing[name]
        passed = [self]
        current = self.parent
        while current is not None and name not in current.bindings:
            if name in current._enclosing:
                passed.append(current)
                current = current._enclosing[name]
                break
            passed.append(current)
            current = current.parent
        for scope in passed:
            scope._enclosing[name] = current
        return current

    def lookup(self, name: str, line: int, depth: int) -> tuple[bool, Optional[str]]:
        """(found, path) for `name` used at `line`; found is False when unbound here."""
        bindings = self.bindings.get(name)
        if bindings is None:
            return False, None
        lines = self._lines.get(name)
        if lines is None:
            # Sorted by line once, stably: of several bindings on one line the last
            # one written wins, and each lookup is a binary search, not a scan.
            bindings.sort(key=lambda binding: binding[0])
            lines = self._lines[name] = [bound_line for bound_line, _ in bindings]
        # The latest binding above `line`; parameters (line 0) count from line 0 on.
        if line == 0:
            index = bisect.bisect_right(lines, 0)
        else:
            index = bisect.bisect_left(lines, line)
        if index == 0:
            return True, None
        best = bindings[index - 1]
        if best[1] == "<global>":
            return False, None
        return True, self.names.value_path(best[1], self.parent if best[0] == 0 else self,
                                           best[0], depth)


class Names:
    """Name resolution for one module; build once per file and share across checks."""

    def __init__(self, tree: ast.Module, module: Optional[str] = None,
                 package: Optional[str] = None) -> None:
        self.tree = tree
        self.module = module or "__main__"
        self.package = package
        self.top = Scope(self, None, None)
        self._scopes: dict[int, Scope] = {}
        # String annotations parsed once per file: (text, line) -> expression or None.
        self._parsed_annotations: dict[tuple[str, int], Optional[ast.expr]] = {}
        self._bodies: dict[int, list[ast.AST]] = {}
        self._parts: Optional[tuple[list, dict[int, list], list]] = None
        self._collect_module(tree.body)

    def _collect_module(self, body: list[ast.stmt]) -> None:
        stack = list(reversed(body))
        top = self.top
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for local, path in import_bindings(node, self.package):
                    top._bind(local, node.lineno, path)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                top._bind(node.name, node.lineno, f"{self.module}.{node.name}")
            elif isinstance(node, ast.Assign):
                value = node.value if len(node.targets) == 1 else None
                for target in node.targets:
                    top._bind_target(target, node.lineno, value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                held = self.annotation_instance(node.annotation, None)
                top._bind(node.target.id, node.lineno, held or node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        top._bind_target(item.optional_vars, node.lineno, item.context_expr)
                stack.extend(reversed(node.body))
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                top._bind_target(node.target, node.lineno, None)
                stack.extend(reversed(node.body + node.orelse))
            elif isinstance(node, (ast.If, ast.While)):
                stack.extend(reversed(node.body + node.orelse))
            elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                for handler in node.handlers:
                    if handler.name:
                        top._bind(handler.name, handler.lineno, None)
                    stack.extend(reversed(handler.body))
                stack.extend(reversed(node.body + node.orelse + node.finalbody))
            elif isinstance(node, getattr(ast, "Match", ())):
                for case in node.cases:
                    stack.extend(reversed(case.body))

    # -- scopes ---------------------------------------------------------------------

    def _partitioned(self) -> tuple[list, dict[int, list], list]:
        if self._parts is None:
            self._parts = partition(self.tree)
        return self._parts

    def body_nodes(self, func: ast.AST) -> list[ast.AST]:
        """`walk_shallow` of a function's, lambda's or class's body.

        Walked when first asked, one body at a time: a check that reads only the
        async functions never walks the rest of the module. Once the whole module is
        partitioned (`all_nodes`), its lists serve every body.
        """
        if self._parts is not None:
            nodes = self._parts[1].get(id(func))
            if nodes is not None:
                return nodes
        nodes = self._bodies.get(id(func))
        if nodes is None:
            body = func.body if isinstance(func.body, list) else [func.body]
            nodes = self._bodies[id(func)] = shallow_nodes(body)
        return nodes

    def module_nodes(self) -> list[ast.AST]:
        """`walk_shallow` of the module's body."""
        if self._parts is not None:
            return self._parts[0]
        nodes = self._bodies.get(id(self.tree))
        if nodes is None:
            nodes = self._bodies[id(self.tree)] = shallow_nodes(self.tree.body)
        return nodes

    def all_nodes(self) -> Iterator[ast.AST]:
        """Every node of the module, the module first, in no particular order."""
        module, bodies, rest = self._partitioned()
        yield self.tree
        yield from module
        for nodes in bodies.values():
            yield from nodes
        yield from rest

    def scope(self, func: Optional[ast.AST], parent: Optional[Scope] = None) -> Scope:
        """The scope of a function or lambda (cached); the module scope for None."""
        if func is None:
            return self.top
        scope = self._scopes.get(id(func))
        if scope is None:
            scope = Scope(self, func, parent or self.top)
            self._scopes[id(func)] = scope
        return scope

    def cached_scope(self, func: ast.AST) -> Optional[Scope]:
        """The scope of `func` if it was already built, else None."""
        return self._scopes.get(id(func))

    # -- resolution -----------------------------------------------------------------

    def lookup(self, name: str, line: int, scope: Optional[Scope], depth: int = 0):
        """The path a bare name holds at `line` in `scope`, or None."""
        current = scope or self.top
        while current is not None:
            # Module-level names are read when the function runs: any binding counts.
            use_line = line if current is not self.top or scope in (None, self.top) else 10**9
            found, path = current.lookup(name, use_line, depth)
            if found:
                return path
            current = current.enclosing(name)
        if name in _BUILTINS:
            return f"builtins.{name}"
        return None

    def resolve(self, node: ast.AST, scope: Optional[Scope] = None, depth: int = 0):
        """The path `node` refers to or holds, or None when it cannot be followed."""
        if depth > _MAX_DEPTH:
            return None
        suffix: list[str] = []
        steps = 0
        while True:
            if isinstance(node, ast.Attribute):
                suffix.append("." + node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                suffix.append("()")
                node = node.func
            elif isinstance(node, ast.Subscript):
                suffix.append("[]")
                node = node.value
            elif isinstance(node, ast.Await):
                node = node.value
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                node = node.left  # pathlib: `base / "name"` is a path like base
            else:
                break
            steps += 1
            if len(suffix) > 200 or steps > _MAX_STEPS:
                return None
        if not isinstance(node, ast.Name):
            return None
        base = self.lookup(node.id, node.lineno, scope, depth + 1)
        if base is None:
            return None
        return base + "".join(reversed(suffix))

    def value_path(self, value, scope: Optional[Scope], line: int, depth: int):
        """The path of a binding's value: already a path, or an expression to resolve."""
        if value is None or isinstance(value, str):
            return value
        if type(value) is LazyAnnotation:
            if value.path is LazyAnnotation:
                value.path = self.annotation_instance(value.annotation, scope)
            return value.path
        return self.resolve(value, scope, depth + 1)

    def annotation_instance(self, annotation: ast.expr, scope: Optional[Scope]):
        """The path of an instance of the annotated type: `Session` -> `...Session()`."""
        target = self.unwrap_annotation(annotation, scope)
        if target is None:
            return None
        path = self.resolve(target, scope)
        return path + "()" if path else None

    def unwrap_annotation(self, annotation: ast.expr, scope: Optional[Scope]):
        """The type inside `Annotated[T, ...]`, `Optional[T]`, `T | None` or `"T"`."""
        for _ in range(10):
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                line = annotation.lineno
                text = annotation.value.strip()
                if len(text) > _MAX_ANNOTATION:
                    # Python 3.9 and 3.10 crash (not raise) parsing deeply nested text,
                    # and no real annotation is this long: treat it as unknown.
                    return None
                key = (text, line)
                if key not in self._parsed_annotations:
                    self._parsed_annotations[key] = _parse_annotation(text, line)
                annotation = self._parsed_annotations[key]
                if annotation is None:
                    return None
                continue
            if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
                sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
                if len(sides) != 1:
                    return None
                annotation = sides[0]
                continue
            if isinstance(annotation, ast.Name):
                alias = self._type_alias(annotation.id)
                if alias is not None:
                    annotation = alias  # `SessionDep = Annotated[Session, Depends(...)]`
                    continue
            if isinstance(annotation, ast.Subscript):
                outer = self.resolve(annotation.value, scope) or ""
                inner = annotation.slice
                elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                if outer.endswith(".Annotated") and elements:
                    annotation = elements[0]
                    continue
                if outer.endswith(".Optional") and elements:
                    annotation = elements[0]
                    continue
                if outer.endswith(".Union"):
                    rest = [e for e in elements if not _is_none(e)]
                    if len(rest) == 1:
                        annotation = rest[0]
                        continue
                return None
            return annotation
        return None

    def _type_alias(self, name: str) -> Optional[ast.expr]:
        """The subscripted type a module-level alias stands for, if it is one."""
        bindings = self.top.bindings.get(name)
        if not bindings or len(bindings) != 1:
            return None
        value = bindings[0][1]
        return value if isinstance(value, ast.Subscript) else None

    def call_path(self, call: ast.Call, scope: Optional[Scope] = None) -> Optional[str]:
        """The path of the callable a call invokes."""
        return self.resolve(call.func, scope)


def _parse_annotation(text: str, line: int) -> Optional[ast.expr]:
    """The expression of a string annotation, its names placed at `line`; else None."""
    try:
        with warnings.catch_warnings():
            # Not the user's file: its warnings would name "<unknown>".
            warnings.simplefilter("ignore")
            parsed = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for node in ast.walk(parsed.body):
        node.lineno = line  # resolve the names where the string stands
    return parsed.body


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
