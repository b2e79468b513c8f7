"""What the project index keeps of one module: small, JSON-able, made from its context.

A summary holds, per function, the calls it makes on its own thread (resolved paths,
kept only when they may name project code), its first directly blocking call, the
callables it hands to background tasks and the names its signature offers to path
parameters; per class, its bases; per route, its path, endpoint and models. It depends
only on the file's content and place, so it is cached by content hash.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Optional, TypeVar
from ..context import FileContext
from ..names import FunctionNode, dotted, resolve_relative, walk_shallow
from ..source import headroom
from ..surface import DEPENDS, ROUTER_CLASSES, Surface

SCHEMA = 2  # bump when the summary's shape or meaning, or the cache's layout, changes

PATH_PARAM = frozenset(("fastapi.Path", "fastapi.params.Path",
                        "fastapi.param_functions.Path"))
BACKGROUND_TASKS = frozenset(
    f"{module}.BackgroundTasks().add_task"
    for module in ("fastapi", "fastapi.background", "starlette.background")
)
BACKGROUND_TASK = frozenset(("starlette.background.BackgroundTask",))
REQUEST_TYPES = frozenset(("Request", "WebSocket", "HTTPConnection"))

Call = tuple[str, int, int]  # resolved path, line, column

# The paths a summary keeps are shared with their equals: a project's modules call
# the same paths again and again, and each resolution makes a new string.
_intern = sys.intern


class Function(NamedTuple):
    """One function or method of a module."""

    qualname: str  # `send`, `Mailer.send`, `outer.<locals>.inner`
    line: int
    col: int
    is_async: bool
    generator: bool  # calling it runs nothing
    awaits: bool  # the body awaits something
    blocking: Optional[Call]  # its first directly blocking call
    calls: tuple[Call, ...]  # calls made on its own thread that may reach project code
    tasks: tuple[Call, ...]  # callables handed to `BackgroundTasks.add_task` and kin
    params: tuple[str, ...]  # names a path parameter can bind to: names, `Path` aliases
    depends: tuple[str, ...]  # dependency targets; `?path` for an annotation to expand
    opaque: bool  # may read any path parameter (`**kwargs`, `request.path_params`)
    cached: bool = False  # memoised (`functools.cache`): it blocks once at most

    @property
    def name(self) -> str:
        """The qualified name without `<locals>` parts, for messages."""
        return re.sub(r"#\d+", "", self.qualname.rpartition("<locals>.")[2])


class Class(NamedTuple):
    """One class: its bases as resolved paths ("" when unknown) and annotated fields."""

    qualname: str
    line: int
    col: int
    bases: tuple[str, ...]
    fields: tuple[str, ...]


Record = TypeVar("Record", Function, Class)


class Records(Mapping[str, Record]):
    """A module's functions or classes by qualified name, held as plain tuples.

    The cycle collector stops tracking a plain tuple of strings, numbers and such
    tuples, so a large project's summaries cost a full collection nothing; each
    record is rebuilt as its named tuple when asked for. Inside flake8, whose
    collections walk everything alive, tracked records made them three times slower.
    """

    __slots__ = ("_kind", "_rows")

    def __init__(self, kind: type[Record], records: Iterable[Record] = ()) -> None:
        self._kind = kind
        self._rows: dict[str, tuple] = {r.qualname: tuple(r) for r in records}

    @classmethod
    def of(cls, kind: type[Record], rows: dict[str, tuple]) -> "Records[Record]":
        """A view of `rows`, records already held as plain tuples (not copied)."""
        records = cls.__new__(cls)
        records._kind = kind
        records._rows = rows
        return records

    def __getitem__(self, qualname: str) -> Record:
        return tuple.__new__(self._kind, self._rows[qualname])

    def get(self, qualname: str, default: Any = None) -> Any:
        row = self._rows.get(qualname)
        return default if row is None else tuple.__new__(self._kind, row)

    def __contains__(self, qualname: object) -> bool:
        return qualname in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            return self._kind is other._kind and self._rows == other._rows
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a dict

    def __repr__(self) -> str:
        return f"Records({self._kind.__name__}, {list(self.values())!r})"

    def __reduce__(self):
        return Records, (self._kind, list(self.values()))


class RouteInfo(NamedTuple):
    """One route registration with a literal path."""

    line: int
    col: int
    path: str  # with the router's literal prefix when the router is defined here
    endpoint: Optional[str]  # qualname of the endpoint when defined in the module
    models: tuple[str, ...]  # project classes the route reads or returns
    router: Optional[str] = None  # the path of the router object it is registered on


_FIELDS = ("module", "imports", "exports", "functions", "classes", "routes", "aliases",
           "routers", "includes")


class ModuleSummary:
    """Everything the project index knows of one module.

    The index keeps a summary of every module a check reaches, for the whole run, and
    inside flake8 every full collection of the cycle collector walks them. So a summary
    is one object whose parts the collector stops tracking: dicts and plain tuples of
    strings and numbers. Its records and routes are made as named tuples when read.
    Holding litellm's 3,135 summaries made each full collection 3.2 ms slower when
    they were dataclasses holding `Records` and `RouteInfo` objects, and 1.2 ms so.
    """

    __slots__ = ("module", "imports", "exports", "_functions", "_classes", "_routes",
                 "aliases", "routers", "includes")

    module: str
    imports: tuple[str, ...]  # project modules (or names in them) it imports
    exports: dict[str, str]  # module-level names bound to project paths (re-exports)
    aliases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # Annotated aliases
    routers: tuple[tuple[int, int], ...]  # `APIRouter(...)` calls, line and column
    # `parent.include_router(child, prefix=...)`: (child, parent, literal prefix)
    includes: tuple[tuple[str, str, str], ...]

    def __init__(self, module: str, imports: tuple[str, ...], exports: dict[str, str],
                 functions: Records[Function], classes: Records[Class],
                 routes: Iterable[RouteInfo],
                 aliases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
                 routers: tuple[tuple[int, int], ...],
                 includes: tuple[tuple[str, str, str], ...] = ()) -> None:
        for name, value in (("module", module), ("imports", imports),
                            ("exports", exports), ("_functions", functions._rows),
                            ("_classes", classes._rows),
                            ("_routes", tuple(tuple(r) for r in routes)),
                            ("aliases", aliases), ("routers", routers),
                            ("includes", includes)):
            object.__setattr__(self, name, value)

    @property
    def functions(self) -> Records[Function]:
        return Records.of(Function, self._functions)

    @property
    def classes(self) -> Records[Class]:
        return Records.of(Class, self._classes)

    @property
    def routes(self) -> tuple[RouteInfo, ...]:
        return tuple(tuple.__new__(RouteInfo, row) for row in self._routes)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a module summary is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a module summary is read-only: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleSummary):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={value!r}" for name, value in
                          zip(_FIELDS, self._values()))
        return f"ModuleSummary({parts})"

    def __reduce__(self):
        return ModuleSummary, self._values()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form; `from_json` reads it back."""
        return {
            "module": self.module,
            "imports": list(self.imports),
            "exports": self.exports,
            "functions": [
                [f.qualname, f.line, f.col, _flags(f), _calls(f.blocking) if f.blocking
                 else None, [_calls(c) for c in f.calls], [_calls(c) for c in f.tasks],
                 list(f.params), list(f.depends)]
                for f in self.functions.values()
            ],
            "classes": [[c.qualname, c.line, c.col, list(c.bases), list(c.fields)]
                        for c in self.classes.values()],
            "routes": [[r.line, r.col, r.path, r.endpoint, list(r.models), r.router]
                       for r in self.routes],
            "aliases": {k: [list(p), list(d)] for k, (p, d) in self.aliases.items()},
            "routers": [list(r) for r in self.routers],
            "includes": [list(i) for i in self.includes],
        }

    @classmethod
    def from_json(cls, data: Any) -> "ModuleSummary":
        """Read `to_json`'s form back; ValueError when it is not exactly that shape."""
        try:
            # Rows made as plain tuples, in the fields' order: no named tuple to
            # build and take apart again for each record.
            functions = Records.of(Function, {row[0]: row for row in (
                (_str(q), _int(line), _int(col), "a" in _str(flags), "g" in flags,
                 "w" in flags, _call(blocking) if blocking is not None else None,
                 tuple(_call(c) for c in calls), tuple(_call(c) for c in tasks),
                 _strs(params), _strs(depends), "o" in flags, "c" in flags)
                for q, line, col, flags, blocking, calls, tasks, params, depends in (
                    data["functions"]))})
            classes = Records.of(Class, {row[0]: row for row in (
                (_str(q), _int(line), _int(col), _strs(bases), _strs(fields))
                for q, line, col, bases, fields in data["classes"])})
            routes = tuple(
                RouteInfo(_int(line), _int(col), _str(path),
                          None if endpoint is None else _str(endpoint), _strs(models),
                          None if router is None else _str(router))
                for line, col, path, endpoint, models, router in data["routes"]
            )
            aliases = {_str(k): (_strs(p), _strs(d)) for k, (p, d) in
                       _dict(data["aliases"]).items()}
            exports = {_str(k): _str(v) for k, v in _dict(data["exports"]).items()}
            routers = tuple((_int(line), _int(col)) for line, col in data["routers"])
            includes = tuple((_str(child), _str(parent), _str(prefix))
                             for child, parent, prefix in data["includes"])
            return cls(_str(data["module"]), _strs(data["imports"]), exports, functions,
                       classes, routes, aliases, routers, includes)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"not a module summary: {error}") from None


def _flags(f: Function) -> str:
    return "".join(flag for flag, on in (("a", f.is_async), ("g", f.generator),
                                         ("w", f.awaits), ("o", f.opaque),
                                         ("c", f.cached)) if on)


def _calls(call: Call) -> list:
    return list(call)


def _str(value: Any) -> str:
    """A string of a stored summary, shared with its equals: the same paths and names
    recur across a project's modules, and strings read back from JSON are each new."""
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return _intern(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _strs(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise ValueError("expected a list")
    return tuple(_str(v) for v in values)


def _dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError("expected an object")
    return value


def _call(value: Any) -> Call:
    path, line, col = value
    return _str(path), _int(line), _int(col)


# -- building a summary ---------------------------------------------------------------


def summarise(ctx: FileContext, heads: Optional[frozenset] = None) -> ModuleSummary:
    """The summary of the module `ctx` reads.

    `heads` are the first components of the project's module names: a call whose path
    starts elsewhere cannot reach project code and is not kept. None keeps calls into
    this module only.
    """
    with headroom():  # as deep wherever it is asked from (see `headroom`)
        return _Summariser(ctx, heads).build()


class Definitions:
    """The functions and classes of a module with unique qualified names.

    A name defined twice in one scope keeps its plain qualified name for the definition
    a later call reaches: the last one in the source, leaving out those that bind only
    on a fallback path (in an `except` handler, under `if TYPE_CHECKING:`, or inside
    such a definition) while another does not. The others get `#1`, `#2`, ...
    """

    @classmethod
    def of(cls, ctx: FileContext) -> "Definitions":
        """The definitions of the module `ctx` reads, made once per context."""
        found = ctx.memo.get(cls)
        if found is None:
            found = ctx.memo[cls] = cls(ctx.surface)
        return found

    def __init__(self, surface: Surface) -> None:
        self.qualnames: dict[int, str] = {}
        self.owner: dict[int, Optional[ast.AST]] = {}  # definition -> def/class around
        self.classes: list[tuple[str, ast.ClassDef]] = []
        self.functions: list[tuple[str, FunctionNode]] = []
        self.nested: dict[int, dict[str, ast.AST]] = {}  # function -> name -> its def
        self._weak: set[int] = set()  # bound on a fallback path only
        self._qualify(surface)

    def _qualify(self, surface: Surface) -> None:
        """Qualified names from the surface's walk: no walk of its own.

        The surface lists every definition with the def or class around it, and a
        definition comes after the one around it in source order, so in that order
        each prefix is known before it is needed.
        """
        statements = surface.statements
        found = [*statements.get(ast.FunctionDef, ()),
                 *statements.get(ast.AsyncFunctionDef, ()),
                 *statements.get(ast.ClassDef, ())]
        found.sort(key=_position)
        parents = surface.parents
        inner: dict[int, str] = {}  # def or class -> the prefix of what it holds
        functions, classes = self.functions, self.classes
        fallbacks, weak = surface.fallbacks, self._weak
        for node in found:
            owner = parents.get(id(node))
            if id(node) in fallbacks or (owner is not None and id(owner) in weak):
                weak.add(id(node))
            qualname = (inner[id(owner)] if owner is not None else "") + node.name
            self.owner[id(node)] = owner
            self.qualnames[id(node)] = qualname
            if type(node) is ast.ClassDef:
                classes.append((qualname, node))
                inner[id(node)] = qualname + "."
            else:
                functions.append((qualname, node))
                inner[id(node)] = qualname + ".<locals>."
            if owner is not None and type(owner) is not ast.ClassDef:
                self.nested.setdefault(id(owner), {})[node.name] = node
        self.functions = self._unique(functions)
        self.classes = self._unique(classes)

    def _unique(self, definitions: list) -> list:
        last: dict[str, int] = {}  # the definition that keeps the plain name
        weak = self._weak
        for position, (qualname, node) in enumerate(definitions):
            kept = last.get(qualname)
            if kept is None or id(node) not in weak or id(definitions[kept][1]) in weak:
                last[qualname] = position
        counts: dict[str, int] = {}
        unique = []
        for position, (qualname, node) in enumerate(definitions):
            if last[qualname] != position:
                counts[qualname] = counts.get(qualname, 0) + 1
                qualname = f"{qualname}#{counts[qualname]}"
                self.qualnames[id(node)] = qualname
            unique.append((qualname, node))
        return unique


class _Summariser:
    def __init__(self, ctx: FileContext, heads: Optional[frozenset]) -> None:
        self.ctx = ctx
        self.module = ctx.names.module
        self.heads = heads if heads is not None else frozenset(
            (self.module.split(".")[0],))
        from ..checks import blocking  # the checks import this module

        self.blocking = blocking
        self.extra = frozenset(ctx.settings.extra_blocking_calls)
        self.wrappers = blocking.SAFE_WRAPPERS | frozenset(
            ctx.settings.extra_safe_wrappers)
        definitions = Definitions.of(ctx)
        self.qualnames = definitions.qualnames
        self.owner = definitions.owner
        self.classes = definitions.classes
        self.functions = definitions.functions
        self.nested = definitions.nested

    def build(self) -> ModuleSummary:
        functions = Records(Function, (self._function(qualname, func)
                                       for qualname, func in self.functions))
        classes = Records(Class, (self._class(q, c) for q, c in self.classes))
        exports, imports, aliases = self._module_names()
        return ModuleSummary(self.module, imports, exports, functions, classes,
                             tuple(self._routes()), aliases, tuple(self._routers()),
                             tuple(self._includes()))

    # -- functions ------------------------------------------------------------------

    def _function(self, qualname: str, func: FunctionNode) -> Function:
        ctx = self.ctx
        blocking: Optional[Call] = None
        calls: list[Call] = []
        tasks: list[Call] = []
        self_name, self_path = self._self_binding(func)
        found = self.blocking.sync_calls(ctx, func, self.wrappers)
        facts = _Facts(func, ctx.names.body_nodes(func))
        lazy = facts.lazily_made()
        for node, path in found:
            if id(node) in lazy:
                continue  # runs once, the first time: not worth a finding
            if path is None:
                path = self._self_path(node.func, self_name, self_path, func)
                if path is None:
                    target = node.func
                    if isinstance(target, ast.Attribute) and target.attr == "add_task":
                        self._task(node, func, self_name, self_path, tasks)
                    continue
            if path in BACKGROUND_TASKS or path in BACKGROUND_TASK:
                self._task(node, func, self_name, self_path, tasks)
                continue
            if blocking is None and self.blocking.call_remedy(ctx, node, path,
                                                              self.extra):
                blocking = (_intern(path), node.lineno, node.col_offset)
                continue
            path = self._project_path(path, func)
            if path is not None:
                calls.append((_intern(path), node.lineno, node.col_offset))
        generator, awaits = facts.generator, facts.awaits
        params, depends, opaque = self._signature(func, facts.reads_path_params)
        cached = any(_decorator_path(self.ctx, decorator) in CACHES
                     for decorator in func.decorator_list)
        return Function(qualname, func.lineno, func.col_offset,
                        isinstance(func, ast.AsyncFunctionDef), generator, awaits,
                        blocking, tuple(calls), tuple(tasks), params, depends, opaque,
                        cached)

    def _task(self, call: ast.Call, func: FunctionNode, self_name, self_path,
              tasks: list[Call]) -> None:
        """Record the callable a `BackgroundTasks.add_task(fn, ...)` call hands over."""
        target = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg == "func":
                target = keyword.value
        if target is None:
            return
        path = self.ctx.names.resolve(target, self.ctx.scope(func))
        if path is None:
            path = self._self_path(target, self_name, self_path, func)
        path = self._project_path(path, func) if path else None
        if path is not None:
            tasks.append((_intern(path), target.lineno, target.col_offset))

    def _self_binding(self, func: FunctionNode) -> tuple[Optional[str], Optional[str]]:
        """For a method: its first parameter's name and the path it holds."""
        owner = self.owner.get(id(func))
        if not isinstance(owner, ast.ClassDef):
            return None, None
        args = [*func.args.posonlyargs, *func.args.args]
        if not args:
            return None, None
        decorators = {d.id for d in func.decorator_list if isinstance(d, ast.Name)}
        if "staticmethod" in decorators:
            return None, None
        cls_path = f"{self.module}.{self.qualnames[id(owner)]}"
        if "classmethod" in decorators:
            return args[0].arg, cls_path
        return args[0].arg, cls_path + "()"

    def _self_path(self, node: ast.expr, self_name, self_path, func) -> Optional[str]:
        """`self.method` in a method: the path of the method on its own class."""
        if self_name is None or not isinstance(node, ast.Attribute):
            return None
        base = node.value
        if not isinstance(base, ast.Name) or base.id != self_name:
            return None
        bindings = self.ctx.scope(func).bindings.get(self_name, [])
        if len(bindings) != 1:
            return None  # rebound in the body: not the instance any more
        return f"{self_path}.{node.attr}"

    def _project_path(self, path: Optional[str], func: Optional[FunctionNode]):
        """The path when it may name project code, `<local>` names made absolute."""
        if path is None:
            return None
        if path.startswith("<local>."):
            name, _, rest = path[len("<local>."):].partition(".")
            suffix = ""
            while name.endswith(("()", "[]")):
                suffix = name[-2:] + suffix
                name = name[:-2]
            qualname = self._local(name, func)
            if qualname is None:
                return None
            path = f"{self.module}.{qualname}{suffix}" + (f".{rest}" if rest else "")
        return path if path.split(".", 1)[0] in self.heads else None

    def _local(self, name: str, func: Optional[FunctionNode]) -> Optional[str]:
        """The definition a function-local name refers to: innermost enclosing first."""
        node: Optional[ast.AST] = func
        while isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not isinstance(node, ast.ClassDef):
                found = self.nested.get(id(node), {}).get(name)
                if found is not None:
                    return self.qualnames[id(found)]
            node = self.owner.get(id(node))
        return None

    def _signature(self, func: FunctionNode, reads_path_params: bool):
        """(names offered to path parameters, dependency targets, opaque)."""
        args = func.args
        names: list[str] = []
        depends: list[str] = []
        opaque = args.vararg is not None or args.kwarg is not None
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults: list[Optional[ast.expr]] = [None] * (
            len(args.posonlyargs) + len(args.args) - len(args.defaults))
        defaults += [*args.defaults, *args.kw_defaults]
        reads_request = False
        for arg, default in zip(every, defaults):
            names.append(arg.arg)
            annotation = arg.annotation
            if default is not None:
                self._param_call(default, annotation, names, depends, func)
            if annotation is None:
                reads_request = reads_request or arg.arg in ("request", "websocket")
                continue
            meta, bare = self._annotated(annotation, func)
            for item in meta:
                self._param_call(item, bare, names, depends, func)
            if bare is not None:
                text = bare.attr if isinstance(bare, ast.Attribute) else getattr(
                    bare, "id", "")
                if text in REQUEST_TYPES:
                    reads_request = True
                elif not meta and default is None:
                    path = self._project_path(
                        self.ctx.names.resolve(bare, self.ctx.scope(func)), func)
                    if path is not None:
                        depends.append("?" + path)
        opaque = opaque or (reads_request and reads_path_params)
        return tuple(names), tuple(depends), opaque

    def _is_alias(self, name: str) -> bool:
        """Whether a module-level name holds a subscripted type (`Annotated[...]`)."""
        bindings = self.ctx.names.top.bindings.get(name)
        return bool(bindings) and isinstance(bindings[-1][1], ast.Subscript)

    def _annotated(self, annotation: ast.expr, func) -> tuple[list[ast.expr], Any]:
        """(`Annotated` metadata, the bare type) of a parameter annotation, through a
        module-level alias (`DocumentId = Annotated[str, Path(alias=...)]`)."""
        names = self.ctx.names
        scope = self.ctx.scope(func) if func is not None else None
        if isinstance(annotation, ast.Name) and self._is_alias(annotation.id):
            annotation = names.top.bindings[annotation.id][-1][1]
        if isinstance(annotation, ast.Subscript):
            outer = names.resolve(annotation.value, scope) or ""
            if outer.endswith(".Annotated"):
                inner = annotation.slice
                elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                if elements:
                    bare = names.unwrap_annotation(elements[0], scope)
                    return list(elements[1:]), bare
        return [], names.unwrap_annotation(annotation, scope)

    def _param_call(self, node: ast.expr, annotation, names: list[str],
                    depends: list[str], func) -> None:
        """A `Depends(...)`/`Security(...)` or `Path(alias=...)` default or metadata."""
        if not isinstance(node, ast.Call):
            return
        scope = self.ctx.scope(func) if func is not None else None
        path = self.ctx.names.resolve(node.func, scope) or ""
        if path in PATH_PARAM:
            for keyword in node.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str):
                    names.append(keyword.value.value)
            return
        if path not in DEPENDS:
            return
        target = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg == "dependency":
                target = keyword.value
        if target is None:
            if isinstance(annotation, ast.Subscript):
                annotation = self._annotated(annotation, func)[1]
            target = annotation
        resolved = self.ctx.names.resolve(target, scope) if target is not None else None
        if resolved is not None and resolved.startswith("<local>."):
            resolved = self._project_path(resolved, func)
        depends.append(resolved or "")

    # -- classes, module names, routes ----------------------------------------------

    def _class(self, qualname: str, node: ast.ClassDef) -> Class:
        names = self.ctx.names
        bases = tuple(_intern(names.resolve(base) or "") for base in node.bases)
        fields = tuple(stmt.target.id for stmt in node.body
                       if isinstance(stmt, ast.AnnAssign)
                       and isinstance(stmt.target, ast.Name))
        return Class(qualname, node.lineno, node.col_offset, bases, fields)

    def _module_names(self):
        names = self.ctx.names
        exports: dict[str, str] = {}
        aliases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        imports: set[str] = set()
        for name, bindings in names.top.bindings.items():
            value = bindings[-1][1] if bindings else None
            if isinstance(value, ast.Subscript):
                alias = self._alias(value)
                if alias is not None:
                    aliases[name] = alias
                    continue
            path = names.lookup(name, 10**9, None)
            if path is None or path == f"{self.module}.{name}":
                continue
            path = self._project_path(path, None)
            if path is None:
                continue
            exports[name] = path = _intern(path)
            if not isinstance(value, ast.AST):
                imports.add(path)  # bound by an import statement
        for node, _ in self.ctx.surface.import_froms:
            base = resolve_relative(node.level, node.module, names.package)
            if base and base.split(".")[0] in self.heads:
                imports.add(base)
        return exports, tuple(sorted(imports)), aliases

    def _alias(self, value: ast.Subscript):
        """(path names, dependencies) of `X = Annotated[T, Depends(...)]`, else None."""
        meta, bare = self._annotated(value, None)
        if not meta:
            return None
        names: list[str] = []
        depends: list[str] = []
        for item in meta:
            self._param_call(item, bare, names, depends, None)
        return tuple(names), tuple(depends)

    def _routes(self) -> Iterator[RouteInfo]:
        ctx = self.ctx
        for route in ctx.surface.routes:
            if route.path is None:
                continue
            prefix = router_prefix(ctx, route.node) or ""
            endpoint = route.endpoint
            qualname = None if endpoint is None else self.qualnames.get(id(endpoint))
            models = set()
            for node in self._model_nodes(route):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Name, ast.Attribute)):
                        scope = ctx.scope(endpoint) if endpoint is not None else None
                        path = self._project_path(ctx.names.resolve(inner, scope), None)
                        if path is not None:
                            models.add(path)
            target = route.node.func
            router = None
            if isinstance(target, ast.Attribute):
                router = self._project_path(self._object(target.value), None)
            yield RouteInfo(route.node.lineno, route.node.col_offset,
                            prefix + route.path, qualname, tuple(sorted(models)),
                            router)

    def _model_nodes(self, route) -> Iterator[ast.expr]:
        """The expressions naming what a route reads from the body and returns."""
        for key in ("response_model",):
            if key in route.keywords:
                yield route.keywords[key]
        endpoint = route.endpoint
        if endpoint is None:
            return
        if endpoint.returns is not None:
            yield endpoint.returns
        args = endpoint.args
        plain = len(args.posonlyargs) + len(args.args) - len(args.defaults)
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults = [None] * plain + [*args.defaults, *args.kw_defaults]
        for arg, default in zip(every, defaults):
            if arg.annotation is None:
                continue
            if default is not None and not _is_body(self.ctx, default, endpoint):
                continue
            yield arg.annotation

    def _includes(self) -> Iterator[tuple[str, str, str]]:
        """(child, parent, prefix) of each `parent.include_router(child, prefix=...)`
        whose prefix is a literal (or absent) and whose routers resolve."""
        ctx = self.ctx
        calls = ctx.nodes_mentioning((ast.Call,), ("include_router",))
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            target = call.func
            if not isinstance(target, ast.Attribute) or target.attr != "include_router":
                continue
            if not call.args:
                continue
            prefix: Optional[str] = ""
            for keyword in call.keywords:
                if keyword.arg == "prefix":
                    value = keyword.value
                    prefix = value.value if isinstance(value, ast.Constant) and (
                        isinstance(value.value, str)) else None
            child = self._project_path(self._object(call.args[0]), None)
            parent = self._project_path(self._object(target.value), None)
            if prefix is not None and child is not None and parent is not None:
                yield child, parent, prefix

    def _object(self, node: ast.expr) -> Optional[str]:
        """The dotted name of a module-level object (not what it holds):
        `router` -> `pkg.mod.router`, `posts.router` -> `pkg.posts.router`."""
        text = dotted(node)
        if text is None:
            return None
        name, dot, rest = text.partition(".")
        bindings = self.ctx.names.top.bindings.get(name)
        if not bindings:
            return None
        value = bindings[-1][1]
        base = value if isinstance(value, str) else f"{self.module}.{name}"
        return base + dot + rest

    def _routers(self) -> Iterator[tuple[int, int]]:
        for node in self.ctx.names.module_nodes():
            if type(node) is ast.Call:
                if self.ctx.names.resolve(node.func) in ROUTER_CLASSES:
                    yield node.lineno, node.col_offset


_BODY = frozenset(
    ("fastapi.Body", "fastapi.params.Body", "fastapi.param_functions.Body"))


CACHES = frozenset(
    ("functools.cache", "functools.lru_cache", "functools.cached_property",
     "cachetools.cached", "cachetools.func.lru_cache", "cachetools.func.ttl_cache",
     "async_lru.alru_cache")
)


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _decorator_path(ctx: FileContext, decorator: ast.expr) -> str:
    """The path of a decorator; `@lru_cache(maxsize=8)` reads `functools.lru_cache`."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    return ctx.names.resolve(decorator) or ""


_FACT_KINDS = frozenset((ast.If, ast.Attribute, ast.Assign, ast.AnnAssign, ast.Yield,
                         ast.YieldFrom, ast.Global))
_ASYNC_FACT_KINDS = _FACT_KINDS | {ast.Await, ast.AsyncFor, ast.AsyncWith,
                                   ast.comprehension}


class _Facts:
    """What one walk of a function body tells: generator, awaits, lazy branches."""

    def __init__(self, func: FunctionNode, nodes: list[ast.AST]) -> None:
        self.func = func
        self.nodes = nodes
        self.generator = False
        self.awaits = False
        self.reads_path_params = False
        self.globals: set[str] = set()
        self.ifs: list[ast.If] = []
        self.assigned: set[str] = set()  # dumps of what the body assigns to
        self.locals: set[str] = {a.arg for a in (
            *func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
        is_async = isinstance(func, ast.AsyncFunctionDef)
        wanted = _ASYNC_FACT_KINDS if is_async else _FACT_KINDS
        for node in nodes:
            kind = type(node)
            if kind not in wanted:
                continue  # most nodes tell nothing here: one set look-up for them
            if kind is ast.If:
                self.ifs.append(node)
            elif kind is ast.Attribute:
                if node.attr == "path_params":
                    self.reads_path_params = True
            elif kind is ast.Assign or kind is ast.AnnAssign:
                targets = node.targets if kind is ast.Assign else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.locals.add(target.id)
                    if isinstance(target, ast.Subscript):
                        target = target.value  # `cache[key] = ...` fills `cache`
                    if isinstance(target, (ast.Name, ast.Attribute)):
                        self.assigned.add(dotted(target))
            elif kind is ast.Yield or kind is ast.YieldFrom:
                self.generator = True
            elif kind is ast.Global:
                self.globals.update(node.names)
            elif is_async and (kind is ast.Await or kind is ast.AsyncFor
                               or kind is ast.AsyncWith
                               or kind is ast.comprehension and node.is_async):
                self.awaits = True

    def lazily_made(self) -> set[int]:
        """Nodes that run once, to initialise a value kept for later calls.

        - under `if X is None: X = ...` (or `if not X:`);
        - after an early `if X is not None: return X` (or `if X:`, or
          `if key in X: return X[key]`) when the function goes on to set X;
        X a global, an attribute, or (for a `key in X` cache) a module-level name.
        """
        found: set[int] = set()
        after = None
        for node in self.ifs:
            subject = _unset_subject(node.test)
            if subject is not None and self._kept(subject) and dotted(subject) and any(
                    dotted(target) == dotted(subject)
                    for inner in walk_shallow(node.body)
                    if isinstance(inner, (ast.Assign, ast.AnnAssign))
                    for target in (inner.targets if isinstance(inner, ast.Assign)
                                   else [inner.target])):
                found.update(id(inner) for inner in walk_shallow(node.body))
                continue
            subject, cache = _set_subject(node)
            if subject is not None and self._kept(subject, cache) and (
                    dotted(subject) in self.assigned):
                end = getattr(node, "end_lineno", None) or node.lineno
                after = end if after is None else min(after, end)
        if after is not None:
            found.update(id(node) for node in self.nodes
                         if getattr(node, "lineno", 0) > after)
        return found

    def _kept(self, subject: ast.expr, cache: bool = False) -> bool:
        """Whether a value outlives the call: a global, an attribute, a module cache."""
        if isinstance(subject, ast.Attribute):
            return True
        return subject.id in self.globals or (
            cache and subject.id not in self.locals)  # a module-level cache


def _unset_subject(test: ast.expr) -> Optional[ast.expr]:
    """X of `X is None` or `not X`, when X is a name or an attribute."""
    subject = None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        subject = test.operand
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(
            test.ops[0], ast.Is):
        right = test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            subject = test.left
    if isinstance(subject, (ast.Name, ast.Attribute)):
        return subject
    return None


def _set_subject(node: ast.If) -> tuple[Optional[ast.expr], bool]:
    """(X, whether X is a cache) of `if X is not None: return ...`, `if X: return ...`
    or `if key in X: return ...`: an early return of a value already made."""
    if node.orelse or not node.body or not isinstance(node.body[-1], ast.Return):
        return None, False
    test = node.test
    subject = None
    cache = False
    if isinstance(test, (ast.Name, ast.Attribute)):
        subject = test
    elif isinstance(test, ast.Compare) and len(test.ops) == 1:
        operator, right = test.ops[0], test.comparators[0]
        if isinstance(operator, ast.IsNot) and isinstance(right, ast.Constant) and (
                right.value is None):
            subject = test.left
        elif isinstance(operator, ast.In):
            subject, cache = right, True
    if isinstance(subject, (ast.Name, ast.Attribute)):
        return subject, cache
    return None, False


def _is_body(ctx: FileContext, default: ast.expr, endpoint) -> bool:
    if not isinstance(default, ast.Call):
        return True  # a plain default: the body for a model type
    return (ctx.names.resolve(default.func, ctx.scope(endpoint)) or "") in _BODY


def router_prefix(ctx: FileContext, route_node: ast.Call) -> Optional[str]:
    """The literal `prefix=` of the router a route decorator or call is made on."""
    call = router_call(ctx, route_node)
    if call is None:
        return None
    for keyword in call.keywords:
        if keyword.arg == "prefix":
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
            return None
    return ""


def router_call(ctx: FileContext, route_node: ast.Call) -> Optional[ast.Call]:
    """The `APIRouter(...)` call that made a route's router, when in this module."""
    target = route_node.func
    if not isinstance(target, ast.Attribute) or not isinstance(target.value, ast.Name):
        return None
    bindings = ctx.names.top.bindings.get(target.value.id)
    if not bindings or len(bindings) != 1:
        return None
    value = bindings[0][1]
    if not isinstance(value, ast.Call):
        return None
    if (ctx.names.resolve(value.func) or "") not in ctx.surface.fastapi_classes:
        return None
    return value
