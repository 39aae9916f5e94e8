"""Prompts for Go: the plugin's templates plus what they need to know.

Besides the request's fields and the core's variables (see :func:`codeflash_engine.render_prompt`;
``function_name`` is the target's qualified name, ``Type.Method`` for a method), the templates
get: ``target_path`` (the first file of the code), ``package_name`` (its package clause),
``receiver`` (the type of a method's receiver), ``go_version`` (``"1.22"``, from ``"1.22.1"`` or
``"go1.22.1"``) and ``go_features`` (what that version allows beyond Go 1.17). A request that does
not name its target gets the one the candidate cleaner infers (the first function of the code), and
a named one is looked up in the code as the cleaner does (``Median`` is the method ``Series.Median``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from codeflash_engine import CodeFile, Prompt, PromptRequest, render_prompt
from codeflash_engine_go.candidates import original_file, target_of
from codeflash_engine_go.syntax import go_version

PROMPTS = Path(__file__).resolve().parent / "prompts"

#: fields that may hold the code when it is not in markdown blocks, most relevant first
CODE_FIELDS = (
    "source_code",
    "original_source_code",
    "source_code_being_tested",
    "module_source_code",
    "function_source_code",
    "original_code",
)

#: (minor version of Go 1.x, what it allows)
FEATURES = (
    (18, "generics (type parameters)"),
    (21, "the min, max and clear built-ins, and the slices, maps and cmp packages"),
    (22, "ranging over an integer, and a fresh loop variable per iteration"),
    (23, "iterators: range over functions (iter.Seq)"),
)


def build_prompt(request: PromptRequest) -> Prompt:
    """Render this plugin's templates (the core's fill the gaps) with the Go context added."""
    files = code_files(request)
    if files:
        request = attrs.evolve(request, target=target_of(files, request.target))
    return render_prompt(request, [PROMPTS], **language_context(request, files))


def code_files(request: PromptRequest) -> tuple[CodeFile, ...]:
    """The request's files; else its code as one file without a path (a bare function, unfenced)."""
    if request.original:
        return request.original
    code = next((str(request.fields[k]) for k in CODE_FIELDS if request.fields.get(k)), "")
    return (CodeFile(None, code),) if code else ()


def language_context(request: PromptRequest, files: tuple[CodeFile, ...]) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    package = original_file(files[0]).source.package_name() if files else None
    parsed = go_version(request.language_version)
    return {
        "target_path": files[0].path if files else None,
        "package_name": package or _package_from_path(str(request.fields.get("module_path") or "")),
        "receiver": request.target.class_name if request.target else None,
        "go_version": f"{parsed[0]}.{parsed[1]}" if parsed else None,
        "go_features": [f for minor, f in FEATURES if parsed is None or parsed >= (1, minor)],
    }


def _package_from_path(path: str) -> str | None:
    folder = path.replace("\\", "/").rsplit("/", 2)
    name = folder[-2] if len(folder) >= 2 else ""
    return name if name.isidentifier() else None
