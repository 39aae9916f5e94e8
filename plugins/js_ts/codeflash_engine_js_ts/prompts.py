"""Prompts for JavaScript and TypeScript: the plugin's templates plus what they need to know.

Besides the request's fields, the templates get: ``fence_tag`` (the tag the answer's code blocks
must carry), ``target_path`` (the first file), ``is_tsx`` / ``is_jsx``, ``module_system`` (sent
by the client, else read from the code), ``runtime`` (``Node.js 20.11.1``) and, for test
generation, ``import_line``: the exact statement that imports the code under test.
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
from codeflash_engine_js_ts.exports import DEFAULT, export_style
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.testgen import MODULE_OBJECT, Spec, render_commonjs, render_esm

PROMPTS = Path(__file__).resolve().parent / "prompts"

#: tasks with templates of their own here; the others use the core's
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
#: request fields that may hold the code, in order of preference
CODE_FIELDS = (
    "source_code",
    "original_source_code",
    "source_code_being_tested",
    "function_source_code",
    "module_source_code",
    "original_code",
)
_ESM = re.compile(r"^\s*(import\s[^(]|export\s)", re.MULTILINE)
_COMMONJS = re.compile(r"\brequire\s*\(|\bmodule\.exports\b|^\s*exports\.\w+\s*=", re.MULTILINE)


def build_prompt(request: PromptRequest) -> Prompt | None:
    """Render this plugin's templates for ``request`` (None for tasks left to the core)."""
    if request.task not in SPECIALISED:
        return None
    context = {**request.context, **language_context(request.language, request.language_version, request.context)}
    return render_prompt(attrs.evolve(request, context=context), [PROMPTS])


def language_context(language: str, version: str | None, context: Mapping[str, Any]) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    code = next((str(context[k]) for k in CODE_FIELDS if context.get(k)), "")
    blocks = parse_markdown(code)
    paths = [b.path for b in blocks if b.path]
    function = context.get("function_to_optimize")
    if isinstance(function, Mapping) and function.get("file_path"):
        paths.append(str(function["file_path"]))
    module_system = context.get("module_system") or _module_system(language, code)
    extra: dict[str, Any] = {
        "fence_tag": language,
        "target_path": paths[0] if paths else None,
        "is_tsx": any(p.endswith(".tsx") for p in paths),
        "is_jsx": any(p.endswith(".jsx") for p in paths),
        "module_system": module_system,
        "runtime": f"Node.js {version}" if version else None,
    }
    qualified = str(context.get("qualified_name") or context.get("function_name") or "")
    if not context.get("class_name") and "." in qualified:
        extra["class_name"] = qualified.rsplit(".", 2)[-2]
    if context.get("module_path"):
        extra["import_line"] = import_line(language, context, blocks, module_system)
    return extra


def _module_system(language: str, code: str) -> str | None:
    if language == "typescript" or _ESM.search(code):
        return "esm"
    if _COMMONJS.search(code):
        return "commonjs"
    return None


def import_line(language: str, context: Mapping[str, Any], blocks: list[Any], module_system: str | None) -> str:
    """The statement that imports the code under test, in the module system and export form."""
    subject = str(context.get("class_name") or context.get("function_name") or "").rsplit(".", 1)[-1]
    sources = [Source.parse(language, b.code, b.path) for b in blocks]
    style = export_style(sources, subject)
    module = str(context["module_path"])
    esm = language == "typescript" or module_system == "esm"
    spec = Spec(subject, MODULE_OBJECT) if style == DEFAULT else Spec(subject, subject)
    return render_esm([spec], module, "'") if esm else render_commonjs([spec], module, "'")
