"""Prompts for Java: the plugin's templates plus what they need to know.

Besides the request's fields and the core's variables (see :func:`codeflash_engine.render_prompt`),
the templates get ``java_version`` (the major version, ``"17"``; ``"1.8"`` is read as ``8``),
``java_features`` (the language features that version allows) and, for test generation,
``package_name`` and ``test_class_name``. A request that does not name its target (``/ai/optimize``)
gets the one the candidate cleaner infers from the code, so the prompt names it too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs

from codeflash_engine import Prompt, PromptRequest, Task, render_prompt
from codeflash_engine_java.candidates import target_of

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
    if request.original and (request.target is None or request.target.class_name is None):
        # a line profile names the method only (`sumOfSquares`): its class comes from the code
        request = attrs.evolve(request, target=target_of(request.original, request.target))
    return render_prompt(request, [PROMPTS], **language_context(request))


def major_version(version: str | None) -> int | None:
    """``"17"`` -> 17, ``"1.8.0_392"`` -> 8, ``"21.0.2"`` -> 21, else None."""
    match = _VERSION.match(version or "")
    return int(match.group(1)) if match else None


def language_context(request: PromptRequest) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    major = major_version(request.language_version)
    extra: dict[str, Any] = {
        "java_version": str(major) if major is not None else None,
        "java_features": [f for v, f in FEATURES if major is None or v <= major],
    }
    module_path = str(request.fields.get("module_path") or "")
    if module_path:
        target = request.target
        package_name, _, simple = module_path.rpartition(".")
        class_name = target.class_name if target else None
        function = target.name if target else ""
        extra["package_name"] = package_name
        extra["test_class_name"] = f"{simple or class_name or 'Generated'}{function[:1].upper()}{function[1:]}Test"
    return extra
