"""FBP200 fix: import another domain's module under an alias.

`from src.auth.constants import ErrorCode` becomes
`from src.auth import constants as auth_constants`, and each use of `ErrorCode` in the
module becomes `auth_constants.ErrorCode`; `from src.auth import service` becomes
`from src.auth import service as auth_service`, its uses renamed. Relative imports stay
relative. Names the statement already aliases are kept as they are.

Declined, for the whole statement, when: it is `import *` or `X as X`; a name is
re-exported through `__all__` (or `__all__` is not plain strings); the new name is
already used for something else anywhere in the module; an imported name is bound a
second way in its scope, deleted, declared `global`/`nonlocal`, or mentioned in a string
that reads as code (a forward reference); a name imported from a package is one of its
submodules (`auth_models.user` would not be loaded); the statement shares its line, or
has comments inside that the rewrite would drop.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from typing import Sequence, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (MetadataWrapper, ParentNodeProvider, PositionProvider,
                             ScopeProvider)

from ..findings import Finding
from ..project.layout import has_module
from .base import (Attempt, Declined, Refusal, binders_by_name, char_col,
                   exported_names, lines_of, names_in_strings, parse_ast, parse_cst,
                   refuse_all)

# (relative level, dotted parent or "", imported name, alias): an aliased import
Target = tuple[int, str, str, str]


@dataclasses.dataclass
class _Plan:
    """Edits collected from every statement fixed in one pass."""

    lines: dict[int, list[cst.SimpleStatementLine]] = dataclasses.field(
        default_factory=dict)  # id(statement line) -> replacement lines
    renames: dict[int, cst.BaseExpression] = dataclasses.field(default_factory=dict)
    targets: set[tuple[int, Target]] = dataclasses.field(default_factory=set)


class _Module:
    """The module being fixed, parsed both ways, with what every statement needs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = lines_of(text)
        self.tree = parse_ast(text)
        self.exported = exported_names(self.tree)
        self.cst = parse_cst(text)
        self.wrapper = MetadataWrapper(self.cst, unsafe_skip_copy=True)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.imports = {(p.start.line, p.start.column): node
                        for node, p in self.positions.items()
                        if isinstance(node, cst.ImportFrom)}
        self.binders = binders_by_name(self.tree)
        self.in_strings = names_in_strings(self.tree)
        self.declared: set[str] = set()  # deleted, global or nonlocal names
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                self.declared.update(node.names)
            elif isinstance(node, ast.Delete):
                self.declared.update(
                    t.id for t in node.targets if isinstance(t, ast.Name))


def fix_alias(text: str, findings: Sequence[Finding]) -> Attempt:
    """Alias the imports of `findings`, renaming the names they bound."""
    try:
        module = _Module(text)
    except Declined as declined:
        return refuse_all(text, findings, str(declined))
    plan = _Plan()
    refusals = []
    for finding in findings:
        try:
            _plan_statement(module, finding, plan)
        except Declined as declined:
            refusals.append(Refusal(finding, str(declined)))
    if not plan.lines and not plan.renames:
        return Attempt(text, refusals)
    new = module.wrapper.module.visit(_Apply(plan))
    return Attempt(new.code, refusals)


def _plan_statement(module: _Module, finding: Finding, plan: _Plan) -> None:
    data = finding.data
    key = (finding.line, char_col(module.lines, finding.line, finding.col))
    node = module.imports.get(key)
    if node is None:
        raise Declined("cannot locate the import")
    line = module.parents.get(node)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        raise Declined("the import shares its line with other statements")
    if isinstance(node.names, cst.ImportStar):
        raise Declined("`import *` cannot be aliased")
    if module.exported is None:
        raise Declined("`__all__` is not a plain list of strings")
    scope = module.scopes.get(node)
    if scope is None:
        raise Declined("cannot tell the scope of the import")
    relative = len(node.relative)
    dotted = get_full_name_for_node(node.module) if node.module is not None else ""
    if dotted is None:
        raise Declined("cannot read the module name")
    domain = str(data.get("domain"))
    inner = tuple(data.get("inner") or ())
    bad = [a for a in node.names if a.asname is None]
    if not bad:
        raise Declined("nothing to alias")
    for alias in bad:
        _check_name(module, scope, node, _name_of(alias))

    if inner:  # `from <domain>.<module...> import Name`: alias the module
        parent, _, last = dotted.rpartition(".")
        if not last or (not parent and not relative):
            raise Declined("cannot split the module name")
        _check_not_submodules(data, domain, inner, [_name_of(a) for a in bad])
        target = (relative, parent, last, f"{domain}_{last}")
        reuse = _reuse(module, scope, node, target, plan)
        renames = {name: _attribute(target[3], name)
                   for name in (_name_of(a) for a in bad)}
        kept = [a for a in node.names if a.asname is not None]
        new_lines = _rewrite(module, node, line, kept, [] if reuse else [target],
                             replace_in_place=not kept)
        _commit(module, scope, node, renames, line, new_lines, plan,
                [] if reuse else [target])
        return

    # `from <domain> import module`: alias each module where it stands
    aliases: list[cst.ImportAlias] = []
    renames, added = {}, []
    for alias in node.names:
        if alias.asname is not None:
            aliases.append(alias)
            continue
        name = _name_of(alias)
        target = (relative, dotted, name, f"{domain}_{name}")
        renames[name] = cst.Name(target[3])
        if _reuse(module, scope, node, target, plan):
            continue
        added.append(target)
        aliases.append(alias.with_changes(
            asname=cst.AsName(name=cst.Name(target[3]))))
    if len(aliases) == len(node.names):
        new_node = node.with_changes(names=aliases)
        new_lines = [line.with_changes(body=[new_node])]
    else:
        new_lines = _rewrite(module, node, line, aliases, [], replace_in_place=False)
    _commit(module, scope, node, renames, line, new_lines, plan, added)


def _name_of(alias: cst.ImportAlias) -> str:
    name = get_full_name_for_node(alias.name)
    if name is None or "." in name:
        raise Declined("cannot read an imported name")
    return name


def _attribute(base: str, name: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(base), attr=cst.Name(name))


def _check_name(module: _Module, scope, node: cst.ImportFrom, name: str) -> None:
    """Decline when renaming the uses of `name` could change what the module does."""
    if name in (module.exported or ()):
        raise Declined(f"`{name}` is re-exported through `__all__`")
    if name in module.declared:
        raise Declined(f"`{name}` is deleted or declared global/nonlocal")
    assignments = scope.assignments[name]
    if len(assignments) != 1 or next(iter(assignments)).node is not node:
        raise Declined(f"`{name}` is bound more than once in its scope")
    if name in module.in_strings:
        raise Declined(f"`{name}` is mentioned in a string annotation or forward "
                       "reference")
    for access in next(iter(assignments)).references:
        if not isinstance(access.node, cst.Name):
            raise Declined(f"`{name}` is used in a string annotation")
        if len(access.referents) != 1:
            raise Declined(f"a use of `{name}` may refer to another binding")


def _check_not_submodules(data, domain: str, inner: tuple[str, ...],
                          names: list[str]) -> None:
    app_root = data.get("app_root")
    if not app_root:
        raise Declined("cannot find the imported module to tell its submodules apart")
    folder = os.path.join(str(app_root), domain, *inner)
    if os.path.isdir(folder):
        for name in names:
            if has_module(folder, name):
                raise Declined(f"`{name}` is a submodule: the aliased package would "
                               "not load it")
    elif not os.path.isfile(folder + ".py"):
        raise Declined("cannot find the imported module to tell its submodules apart")


def _reuse(module: _Module, scope, node: cst.ImportFrom, target: Target,
           plan: _Plan) -> bool:
    """Whether `scope` imports `target` already; Declined if its name is taken."""
    relative, parent, name, alias = target
    if (id(scope), target) in plan.targets:
        return True
    identical = loads = False
    for binder in module.binders.get(alias, ()):
        if isinstance(binder, ast.ImportFrom) and binder.level == relative and (
                binder.module or "") == parent and all(
                a.name == name for a in binder.names if (a.asname or a.name) == alias):
            identical = True
        elif isinstance(binder, ast.Name) and isinstance(binder.ctx, ast.Load):
            loads = True
        else:
            raise Declined(f"`{alias}` already names something else in this module")
    if loads and not identical:
        raise Declined(f"`{alias}` already names something else in this module")
    # Reuse an identical import of the same scope only when it comes first: code that
    # runs at import time between the two would not see the later one yet.
    here = module.positions[node].start.line
    return any(isinstance(a.node, cst.ImportFrom) and a.node in module.positions
               and module.positions[a.node].start.line < here
               for a in scope.assignments[alias])


def _rewrite(module: _Module, node: cst.ImportFrom, line: cst.SimpleStatementLine,
             kept: list[cst.ImportAlias], targets: list[Target],
             replace_in_place: bool) -> list[cst.SimpleStatementLine]:
    """The lines replacing `line`: the statement with `kept` names, then `targets`."""
    if "#" in module.wrapper.module.code_for_node(node):
        raise Declined("the import has comments inside that the rewrite would drop")
    new_imports = [_import_of(target) for target in targets]
    if replace_in_place and new_imports:
        first = new_imports.pop(0).with_changes(semicolon=node.semicolon)
        result = [line.with_changes(body=[first])]
    elif kept:
        trimmed = node.with_changes(names=_fix_commas(node, kept))
        result = [line.with_changes(body=[trimmed])]
    else:
        if _comments_on(line) or _alone_in_block(module, line):
            raise Declined("the same aliased import exists; remove this one by hand")
        result = []
    return result + [cst.SimpleStatementLine(body=[imp]) for imp in new_imports]


def _import_of(target: Target) -> cst.ImportFrom:
    relative, parent, name, alias = target
    module = cst.parse_expression(parent) if parent else None
    return cst.ImportFrom(
        module=module,  # type: ignore[arg-type]
        names=[cst.ImportAlias(name=cst.Name(name),
                               asname=cst.AsName(name=cst.Name(alias)))],
        relative=[cst.Dot() for _ in range(relative)],
    )


def _fix_commas(node: cst.ImportFrom,
                kept: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    last = node.names[-1]  # type: ignore[index]
    trailing = last.comma if node.lpar is not None else cst.MaybeSentinel.DEFAULT
    return [*kept[:-1], kept[-1].with_changes(comma=trailing)]


def _comments_on(line: cst.SimpleStatementLine) -> bool:
    if any(empty.comment is not None for empty in line.leading_lines):
        return True
    return line.trailing_whitespace.comment is not None


def _alone_in_block(module: _Module, line: cst.SimpleStatementLine) -> bool:
    block = module.parents.get(line)
    body = getattr(block, "body", None)
    return isinstance(block, cst.IndentedBlock) and len(body or ()) == 1


def _commit(module: _Module, scope, node: cst.ImportFrom, renames: dict[str, object],
            line: cst.SimpleStatementLine, new_lines: list[cst.SimpleStatementLine],
            plan: _Plan, added: list[Target]) -> None:
    for name, replacement in renames.items():
        assignment = next(iter(scope.assignments[name]))
        for access in assignment.references:
            plan.renames[id(access.node)] = replacement  # type: ignore[assignment]
    plan.lines[id(line)] = new_lines
    for target in added:
        plan.targets.add((id(scope), target))


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        replacement = self.plan.renames.get(id(original))
        if replacement is None:
            return updated
        return replacement.deep_clone().with_changes(lpar=updated.lpar,
                                                     rpar=updated.rpar)

    def leave_SimpleStatementLine(
            self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.FlattenSentinel, cst.RemovalSentinel]:
        lines = self.plan.lines.get(id(original))
        if lines is None:
            return updated
        if not lines:
            return cst.RemoveFromParent()
        return cst.FlattenSentinel(lines)
