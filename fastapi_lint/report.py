"""The command's reports: text, json, sarif and github.

- `text`: `path:line:col: CODE message` per finding, then a one-line summary;
- `json`: a list of
  `{path, line, column, end_line, end_column, code, message, fixable}`;
- `sarif`: SARIF 2.1.0 for GitHub code scanning, every rule described in the tool's
  driver, paths relative to the project root;
- `github`: workflow commands,
  `::warning file=...,line=...,col=...,title=CODE::message`.

Lines and columns are 1-based; columns count characters. An end column points just
past the finding, as SARIF's `endColumn` does. Files that could not be checked are
listed on stderr in every format, and also inside the SARIF log and as `::error`
commands.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import pathlib
import urllib.parse
from typing import Any, Optional, TextIO

from . import __version__, rules
from .runner import FileResult

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://pypi.org/project/fastapi-lint/"


@dataclasses.dataclass
class Report:
    """Everything one run found, in the order it is reported."""

    results: list[FileResult]
    project_root: str
    problems: list[tuple[str, str]]  # (display path, message): paths not walked
    mode: str = "check"
    unsafe: bool = False

    @property
    def findings(self):
        """(file result, finding, (column, end column)) for every finding, in order."""
        for result in self.results:
            for finding, columns in zip(result.findings, result.columns):
                yield result, finding, columns

    @property
    def errors(self) -> list[str]:
        """One line per file or folder that could not be checked."""
        lines = [f"{path}: error: {message}" for path, message in self.problems]
        for result in self.results:
            if result.error is not None:
                lines.append(f"{_where(result)}: error: {result.error.message}")
        return lines

    def fixed(self) -> collections.Counter:
        """Findings fixed, per code."""
        counts: collections.Counter = collections.Counter()
        for result in self.results:
            counts.update(result.fixed)
        return counts


def _where(result: FileResult) -> str:
    error = result.error
    if error is None or error.line is None:
        return result.display
    if error.col is None:
        return f"{result.display}:{error.line}"
    return f"{result.display}:{error.line}:{error.col}"


def _fix_kind(finding) -> Optional[str]:
    return finding.rule.fix if finding.fixable else None


# -- text -------------------------------------------------------------------------

def write_text(report: Report, out: TextIO, statistics: bool = False) -> None:
    """One line per finding, the statistics when asked, and the summary line."""
    for result, finding, (col, _) in report.findings:
        out.write(f"{result.display}:{finding.line}:{col}: {finding.code} "
                  f"{finding.message}\n")
    if statistics:
        write_statistics(report, out)
    out.write(summary(report) + "\n")


def write_statistics(report: Report, out: TextIO) -> None:
    """One line per code: count, code, rule name, how many have a fix."""
    counts: collections.Counter = collections.Counter()
    fixable: collections.Counter = collections.Counter()
    for _, finding, _ in report.findings:
        counts[finding.code] += 1
        if finding.fixable:
            fixable[finding.code] += 1
    for code in sorted(counts):
        note = f" ({fixable[code]} fixable)" if fixable[code] else ""
        out.write(f"{counts[code]:<6} {code} {rules.get(code).name}{note}\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    """The one-line summary of a run."""
    files = len(report.results)
    findings = list(report.findings)
    with_findings = len({id(result) for result, _, _ in findings})
    unreadable = len(report.errors)
    tail = f"; {_plural(unreadable, 'path')} could not be checked" if unreadable else ""
    fixed = sum(report.fixed().values())
    if report.mode == "diff":
        changed = sum(1 for r in report.results if r.diff)
        return (f"Would fix {_plural(fixed, 'finding')} in "
                f"{_plural(changed, 'file')}{tail}.")
    if report.mode == "fix":
        changed = sum(1 for r in report.results if r.fixed)
        left = f"{_plural(len(findings), 'finding')} left"
        return (f"Fixed {_plural(fixed, 'finding')} in {_plural(changed, 'file')}; "
                f"{left}{tail}.")
    if not findings:
        return f"No findings in {_plural(files, 'file')}{tail}."
    safe = sum(1 for _, f, _ in findings if _fix_kind(f) == "safe")
    unsafe = sum(1 for _, f, _ in findings if _fix_kind(f) == "unsafe")
    hints = []
    if safe:
        hints.append(f"{safe} fixable with `--fix`")
    if unsafe:
        hints.append(f"{unsafe} more with `--fix --unsafe-fixes`")
    hint = f" ({', '.join(hints)})" if hints else ""
    return (f"Found {_plural(len(findings), 'finding')}{hint} in {with_findings} of "
            f"{_plural(files, 'file')}{tail}.")


# -- json -------------------------------------------------------------------------

def json_findings(report: Report) -> list[dict[str, Any]]:
    """The findings as the json format lists them."""
    items = []
    for result, finding, (col, end_col) in report.findings:
        items.append({
            "path": result.display,
            "line": finding.line,
            "column": col,
            "end_line": finding.end_line if end_col is not None else None,
            "end_column": end_col,
            "code": finding.code,
            "message": finding.message,
            "fixable": finding.fixable,
        })
    return items


def write_json(report: Report, out: TextIO) -> None:
    """The findings as a JSON list."""
    json.dump(json_findings(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


# -- github -----------------------------------------------------------------------

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(report: Report, out: TextIO) -> None:
    """GitHub workflow commands: a warning per finding, an error per unchecked file."""
    for result, finding, (col, _) in report.findings:
        out.write(f"::warning file={_escape_property(result.display)},"
                  f"line={finding.line},col={col},title={finding.code}::"
                  f"{_escape_data(finding.message)}\n")
    for result in report.results:
        error = result.error
        if error is None:
            continue
        where = [f"file={_escape_property(result.display)}"]
        if error.line is not None:
            where.append(f"line={error.line}")
        if error.col is not None:
            where.append(f"col={error.col}")
        out.write(f"::error {','.join(where)},title=fastapi-lint::"
                  f"{_escape_data(error.message)}\n")
    for path, message in report.problems:
        out.write(f"::error file={_escape_property(path)},title=fastapi-lint::"
                  f"{_escape_data(message)}\n")


# -- sarif ------------------------------------------------------------------------

def _doc(rule: rules.Rule) -> Optional[str]:
    try:
        return rule.doc
    except (OSError, ValueError):
        return None


def doc_section(doc: str, title: str) -> Optional[str]:
    """The text of one `## title` section of a rule page, without the heading."""
    marker = f"\n## {title}\n"
    start = doc.find(marker)
    if start < 0:
        return None
    body = doc[start + len(marker):]
    end = body.find("\n## ")
    return (body if end < 0 else body[:end]).strip() or None


def sarif_rule(rule: rules.Rule) -> dict[str, Any]:
    """The SARIF reportingDescriptor of one rule."""
    doc = _doc(rule)
    full = (doc_section(doc, "What it does") if doc else None) or rule.summary
    help_text = doc or rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": "warning", "enabled": rule.default},
        "properties": {"tags": ["fastapi", rule.family], "fix": rule.fix or "none"},
    }


def _artifact(path: str, root: str) -> dict[str, str]:
    relative = os.path.relpath(path, root)
    outside = relative == ".." or relative.startswith(".." + os.sep)
    if outside or os.path.isabs(relative):
        return {"uri": pathlib.Path(path).as_uri()}
    posix = pathlib.PurePath(relative).as_posix()
    return {"uri": urllib.parse.quote(posix), "uriBaseId": "%SRCROOT%"}


def _folder_uri(folder: str) -> str:
    uri = pathlib.Path(folder).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_log(report: Report) -> dict[str, Any]:
    """The whole SARIF 2.1.0 log of a run."""
    codes = list(rules.RULES)
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for result, finding, (col, end_col) in report.findings:
        region: dict[str, int] = {"startLine": finding.line, "startColumn": col}
        if finding.end_line is not None and end_col is not None:
            region["endLine"] = finding.end_line
            region["endColumn"] = end_col
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": "warning",
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(result.path, report.project_root),
                "region": region,
            }}],
        })
    notifications = []
    for result in report.results:
        if result.error is None:
            continue
        location: dict[str, Any] = {
            "artifactLocation": _artifact(result.path, report.project_root)}
        if result.error.line is not None:
            location["region"] = {"startLine": result.error.line}
        notifications.append({"level": "error",
                              "message": {"text": result.error.message},
                              "locations": [{"physicalLocation": location}]})
    for path, message in report.problems:
        notifications.append({"level": "error",
                              "message": {"text": f"{path}: {message}"}})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "fastapi-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": TOOL_URI,
                "rules": [sarif_rule(rules.get(code)) for code in codes],
            }},
            "originalUriBaseIds": {
                "%SRCROOT%": {"uri": _folder_uri(report.project_root)}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }


def write_sarif(report: Report, out: TextIO) -> None:
    """The SARIF 2.1.0 log."""
    json.dump(sarif_log(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


def write(report: Report, fmt: str, out: TextIO, statistics: bool = False) -> None:
    """Write the findings of `report` in format `fmt` (statistics only for text)."""
    if fmt == "json":
        write_json(report, out)
    elif fmt == "sarif":
        write_sarif(report, out)
    elif fmt == "github":
        write_github(report, out)
    else:
        write_text(report, out, statistics)
