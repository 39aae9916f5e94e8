"""Prompts for Java: the plugin's templates plus what they need to know.

Besides the request's fields, the templates get: ``fence_tag`` (``java``), ``target_path`` (the
first file), ``java_version`` (the major version, ``"17"``; ``"1.8"`` is read as ``8``),
``java_features`` (the language features that version allows), ``class_name`` (from the
qualified name when the request has none) and, for test generation, ``package_name`` and
``test_class_name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from codeflash_engine.plugins.prompting import render_prompt
from codeflash_engine.plugins.types import Prompt, PromptRequest, Task
from codeflash_engine.text.markdown import parse_markdown

PROMPTS = Path(__file__).resolve().parent / "prompts"

SPECIALISED = frozenset(
    {
        Task.OPTIMIZE,
        Task.OPTIMIZE_LINE_PROFILER,
        Task.REFINE,
        Task.REPAIR,
        Task.ADAPTIVE,
        Task.TESTGEN,
        Task.TESTGEN_REVIEW,
        Task.TESTGEN_REPAIR,
        Task.EXPLAIN,
        Task.REVIEW,
    }
)
CODE_FIELDS = ("source_code", "original_source_code", "source_code_being_tested", "function_source_code")

#: (first version, feature) in order
FEATURES = (
    (8, "lambdas and streams"),
    (9, "List.of/Set.of/Map.of"),
    (10, "`var` for locals"),
    (14, "switch expressions"),
    (15, "text blocks"),
    (16, "records and pattern matching for instanceof"),
    (17, "sealed classes"),
    (21, "pattern matching for switch, record patterns and sequenced collections"),
)
_VERSION = re.compile(r"^\s*(?:1\.)?(\d+)")


def build_prompt(request: PromptRequest) -> Prompt | None:
    """Render this plugin's templates for ``request`` (None for tasks left to the core)."""
    if request.task not in SPECIALISED:
        return None
    context = {**request.context, **language_context(request.language_version, request.context)}
    return render_prompt(attrs.evolve(request, context=context), [PROMPTS])


def major_version(version: str | None) -> int | None:
    """``"17"`` -> 17, ``"1.8.0_392"`` -> 8, ``"21.0.2"`` -> 21, else None."""
    match = _VERSION.match(version or "")
    return int(match.group(1)) if match else None


def language_context(version: str | None, context: Mapping[str, Any]) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    code = next((str(context[k]) for k in CODE_FIELDS if context.get(k)), "")
    paths = [b.path for b in parse_markdown(code) if b.path]
    major = major_version(version)
    extra: dict[str, Any] = {
        "fence_tag": "java",
        "target_path": paths[0] if paths else None,
        "java_version": str(major) if major is not None else None,
        "java_features": [f for v, f in FEATURES if major is None or v <= major],
    }
    class_name = context.get("class_name") or _class_from(context)
    if class_name:
        extra["class_name"] = class_name
    module_path = str(context.get("module_path") or "")
    if module_path:
        package_name, _, simple = module_path.rpartition(".")
        function = str(context.get("function_name") or "").rsplit(".", 1)[-1]
        extra["package_name"] = package_name
        extra["test_class_name"] = f"{simple or class_name or 'Generated'}{function[:1].upper()}{function[1:]}Test"
    return extra


def _class_from(context: Mapping[str, Any]) -> str | None:
    qualified = str(context.get("qualified_name") or context.get("function_name") or "")
    if "." in qualified:
        return qualified.rsplit(".", 2)[-2]
    function = context.get("function_to_optimize")
    parents = function.get("parents") if isinstance(function, Mapping) else None
    if isinstance(parents, list) and parents and isinstance(parents[-1], Mapping):
        name = parents[-1].get("name")
        return str(name) if name else None
    return None
