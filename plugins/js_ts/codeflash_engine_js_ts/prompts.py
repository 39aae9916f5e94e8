"""Prompts for JavaScript and TypeScript: the plugin's templates plus what they need to know.

Besides the request's fields and the core's variables (see :func:`codeflash_engine.render_prompt`),
the templates get: ``target_path`` (the first file), ``is_tsx`` / ``is_jsx``, ``module_system``
(sent by the client, else read from the code), ``runtime`` (``Node.js 20.11.1``) and, for test
generation, ``import_line``: the exact statement that imports the code under test. A request that
does not name its target (``/ai/optimize``) gets the one the candidate cleaner infers from the
code, so the prompt names it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from codeflash_engine import CodeFile, Prompt, PromptRequest, Task, render_prompt
from codeflash_engine_js_ts.candidates import target_of
from codeflash_engine_js_ts.exports import DEFAULT, export_style
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.structure import is_commonjs, is_esm
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
#: request fields that may hold the code, in order of preference (to read the module system from)
CODE_FIELDS = (
    "source_code",
    "original_source_code",
    "source_code_being_tested",
    "function_source_code",
    "module_source_code",
    "original_code",
)


def build_prompt(request: PromptRequest) -> Prompt | None:
    """Render this plugin's templates for ``request`` (None for tasks left to the core)."""
    if request.task not in SPECIALISED:
        return None
    if request.target is None and request.original:
        request = attrs.evolve(request, target=target_of(request.language, request.original))
    return render_prompt(request, [PROMPTS], **language_context(request))


def language_context(request: PromptRequest) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    fields, language = request.fields, request.language
    paths = [f.path for f in request.original if f.path]
    function = fields.get("function_to_optimize")
    if isinstance(function, Mapping) and function.get("file_path"):
        paths.append(str(function["file_path"]))
    code = "\n".join(f.code for f in request.original)
    code = code or next((str(fields[k]) for k in CODE_FIELDS if fields.get(k)), "")
    module_system = fields.get("module_system") or _module_system(language, code)
    extra: dict[str, Any] = {
        "target_path": paths[0] if paths else None,
        "is_tsx": any(p.endswith(".tsx") for p in paths),
        "is_jsx": any(p.endswith(".jsx") for p in paths),
        "module_system": module_system,
        "runtime": f"Node.js {request.language_version}" if request.language_version else None,
    }
    target = request.target
    subject = (target.class_name or target.name) if target else str(fields.get("class_name") or "")
    if fields.get("module_path"):
        extra["import_line"] = import_line(
            language, subject, str(fields["module_path"]), request.original, module_system
        )
    return extra


def _module_system(language: str, code: str) -> str | None:
    if language == "typescript":
        return "esm"
    source = Source.parse(language, code)
    if is_esm(source):
        return "esm"
    return "commonjs" if is_commonjs(source) else None


def import_line(language: str, subject: str, module: str, files: Sequence[CodeFile], module_system: str | None) -> str:
    """The statement that imports ``subject`` (the code under test) from ``module``, in the module
    system and export form of ``files``."""
    style = export_style([Source.parse(language, f.code, f.path) for f in files], subject)
    esm = language == "typescript" or module_system == "esm"
    spec = Spec(subject, MODULE_OBJECT) if style == DEFAULT else Spec(subject, subject)
    return render_esm([spec], module, "'") if esm else render_commonjs([spec], module, "'")
