"""A structural check of SARIF 2.1.0 logs, for the parts our logs use.

Written from the SARIF 2.1.0 schema's required properties, types and enumerations, plus
what GitHub code scanning needs on top (a rule id on every result, a location with a
file and a start line, every rule described). It returns problems as readable strings,
so a failing test says what is wrong. No new dependency: the schema's rules for the
objects we emit are few and are written out here.
"""

from __future__ import annotations

import re
from typing import Any

LEVELS = {"none", "note", "warning", "error"}
COLUMN_KINDS = {"utf16CodeUnits", "unicodeCodePoints"}
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def problems(log: Any) -> list[str]:
    """Everything in `log` that breaks SARIF 2.1.0 or GitHub's needs; [] when valid."""
    found: list[str] = []
    if not isinstance(log, dict):
        return ["the log is not an object"]
    if log.get("version") != "2.1.0":
        found.append("sarifLog.version must be '2.1.0'")
    if "$schema" in log and not isinstance(log["$schema"], str):
        found.append("sarifLog.$schema must be a string")
    runs = log.get("runs")
    if not isinstance(runs, list):
        return found + ["sarifLog.runs must be an array"]
    for i, run in enumerate(runs):
        found += _run(run, f"runs[{i}]")
    return found


def _message(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    if not isinstance(value.get("text"), str) and not isinstance(value.get("id"), str):
        return [f"{where} needs `text` (or `id`)"]
    return []


def _multiformat(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return [f"{where} must be an object with a string `text`"]
    if "markdown" in value and not isinstance(value["markdown"], str):
        return [f"{where}.markdown must be a string"]
    return []


def _run(run: Any, where: str) -> list[str]:
    if not isinstance(run, dict):
        return [f"{where} must be an object"]
    found: list[str] = []
    tool = run.get("tool")
    if not isinstance(tool, dict) or not isinstance(tool.get("driver"), dict):
        return [f"{where}.tool.driver is required"]
    driver = tool["driver"]
    if not isinstance(driver.get("name"), str) or not driver["name"]:
        found.append(f"{where}.tool.driver.name is required")
    rules = driver.get("rules", [])
    if not isinstance(rules, list):
        return found + [f"{where}.tool.driver.rules must be an array"]
    ids = []
    for i, rule in enumerate(rules):
        found += _rule(rule, f"{where}.tool.driver.rules[{i}]")
        ids.append(rule.get("id") if isinstance(rule, dict) else None)
    if len(set(ids)) != len(ids):
        found.append(f"{where}.tool.driver.rules ids must be unique")
    if "columnKind" in run and run["columnKind"] not in COLUMN_KINDS:
        found.append(f"{where}.columnKind must be one of {sorted(COLUMN_KINDS)}")
    bases = run.get("originalUriBaseIds", {})
    if not isinstance(bases, dict):
        found.append(f"{where}.originalUriBaseIds must be an object")
    else:
        for name, location in bases.items():
            uri = location.get("uri") if isinstance(location, dict) else None
            if not isinstance(uri, str) or not uri.endswith("/"):
                found.append(f"{where}.originalUriBaseIds[{name}].uri must end "
                             "with '/'")
            elif "uriBaseId" not in location and not _URI_SCHEME.match(uri):
                found.append(f"{where}.originalUriBaseIds[{name}].uri must be absolute")
    for i, invocation in enumerate(run.get("invocations", [])):
        found += _invocation(invocation, f"{where}.invocations[{i}]", bases)
    results = run.get("results", [])
    if not isinstance(results, list):
        return found + [f"{where}.results must be an array"]
    for i, result in enumerate(results):
        found += _result(result, f"{where}.results[{i}]", ids, bases)
    return found


def _rule(rule: Any, where: str) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where} must be an object"]
    found = []
    if not isinstance(rule.get("id"), str) or not rule["id"]:
        found.append(f"{where}.id is required")
    if "name" in rule and not isinstance(rule["name"], str):
        found.append(f"{where}.name must be a string")
    # GitHub shows these on every alert: we require them of every rule.
    for key in ("shortDescription", "fullDescription", "help"):
        if key not in rule:
            found.append(f"{where}.{key} is missing")
        else:
            found += _multiformat(rule[key], f"{where}.{key}")
    config = rule.get("defaultConfiguration")
    if config is not None:
        if not isinstance(config, dict):
            found.append(f"{where}.defaultConfiguration must be an object")
        else:
            if "level" in config and config["level"] not in LEVELS:
                found.append(f"{where}.defaultConfiguration.level is not a SARIF level")
            if "enabled" in config and not isinstance(config["enabled"], bool):
                found.append(f"{where}.defaultConfiguration.enabled must be a boolean")
    tags = (rule.get("properties") or {}).get("tags", [])
    if not isinstance(tags, list) or len(set(tags)) != len(tags) or not all(
            isinstance(t, str) for t in tags):
        found.append(f"{where}.properties.tags must be unique strings")
    return found


def _artifact(location: Any, where: str, bases: dict) -> list[str]:
    if not isinstance(location, dict):
        return [f"{where} must be an object"]
    uri = location.get("uri")
    if not isinstance(uri, str) or not uri:
        return [f"{where}.uri is required"]
    found = []
    if "uriBaseId" in location:
        if _URI_SCHEME.match(uri) or uri.startswith("/"):
            found.append(f"{where}.uri must be relative when `uriBaseId` is given")
        if location["uriBaseId"] not in bases:
            found.append(f"{where}.uriBaseId is not in run.originalUriBaseIds")
    elif not _URI_SCHEME.match(uri):
        found.append(f"{where}.uri is relative but has no `uriBaseId`")
    if " " in uri or "\\" in uri:
        found.append(f"{where}.uri must be a URI (spaces and backslashes escaped)")
    return found


def _region(region: Any, where: str) -> list[str]:
    if not isinstance(region, dict):
        return [f"{where} must be an object"]
    found = []
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        value = region.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            found.append(f"{where}.{key} must be an integer >= 1")
    if not isinstance(region.get("startLine"), int):
        found.append(f"{where}.startLine is required (GitHub)")
    start, end = region.get("startLine"), region.get("endLine")
    if isinstance(start, int) and isinstance(end, int) and end < start:
        found.append(f"{where}.endLine is before startLine")
    first, last = region.get("startColumn"), region.get("endColumn")
    if start == end and isinstance(first, int) and isinstance(last, int) \
            and last < first:
        found.append(f"{where}.endColumn is before startColumn")
    return found


def _result(result: Any, where: str, ids: list, bases: dict) -> list[str]:
    if not isinstance(result, dict):
        return [f"{where} must be an object"]
    found = _message(result.get("message"), f"{where}.message")
    rule_id, index = result.get("ruleId"), result.get("ruleIndex")
    if not isinstance(rule_id, str):
        found.append(f"{where}.ruleId is required (GitHub)")
    if index is not None:
        if not isinstance(index, int) or not 0 <= index < len(ids):
            found.append(f"{where}.ruleIndex points outside tool.driver.rules")
        elif ids[index] != rule_id:
            found.append(f"{where}.ruleIndex names {ids[index]}, not {rule_id}")
    if "level" in result and result["level"] not in LEVELS:
        found.append(f"{where}.level is not a SARIF level")
    locations = result.get("locations")
    if not isinstance(locations, list) or not locations:
        return found + [f"{where}.locations needs a location (GitHub)"]
    for i, location in enumerate(locations):
        physical = (location.get("physicalLocation") if isinstance(location, dict)
                    else None)
        if not isinstance(physical, dict):
            found.append(f"{where}.locations[{i}].physicalLocation is required "
                         "(GitHub)")
            continue
        found += _artifact(physical.get("artifactLocation"),
                           f"{where}.locations[{i}].physicalLocation.artifactLocation",
                           bases)
        found += _region(physical.get("region"),
                         f"{where}.locations[{i}].physicalLocation.region")
    return found


def _invocation(invocation: Any, where: str, bases: dict) -> list[str]:
    if not isinstance(invocation, dict):
        return [f"{where} must be an object"]
    found = []
    if not isinstance(invocation.get("executionSuccessful"), bool):
        found.append(f"{where}.executionSuccessful is required")
    for i, note in enumerate(invocation.get("toolExecutionNotifications", [])):
        here = f"{where}.toolExecutionNotifications[{i}]"
        found += _message(note.get("message"), f"{here}.message")
        if "level" in note and note["level"] not in LEVELS:
            found.append(f"{here}.level is not a level")
        for location in note.get("locations", []):
            physical = location.get("physicalLocation", {})
            found += _artifact(physical.get("artifactLocation"), f"{here}.location",
                               bases)
    return found
