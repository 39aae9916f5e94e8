"""Prompts for Go: the plugin's templates plus what they need to know.

Besides the request's fields, the templates get: ``fence_tag`` (``go``), ``target_path`` (the
first file of the code), ``package_name`` (its package clause), ``target`` (the function or
method being optimized, from the request or the first function of the code), ``receiver`` (the
type of a method's receiver), ``go_version`` (``"1.22"``, from ``"1.22.1"`` or ``"go1.22.1"``)
and ``go_features`` (what that version allows beyond Go 1.17).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from codeflash_engine.plugins.prompting import render_prompt
from codeflash_engine.plugins.types import Prompt, PromptRequest
from codeflash_engine.text.markdown import parse_markdown
from codeflash_engine_go.source import Source
from codeflash_engine_go.syntax import go_version

PROMPTS = Path(__file__).resolve().parent / "prompts"

#: fields that hold the code, most relevant first
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
    context = {**request.context, **language_context(request.language_version, request.context)}
    return render_prompt(attrs.evolve(request, context=context), [PROMPTS])


def language_context(version: str | None, context: Mapping[str, Any]) -> dict[str, Any]:
    """The extra template variables (see the module docstring)."""
    code = next((str(context[k]) for k in CODE_FIELDS if context.get(k)), "")
    blocks = parse_markdown(code)
    first = blocks[0].code if blocks else code
    source = Source.parse(first)
    functions = source.functions()
    named = str(context.get("qualified_name") or context.get("function_name") or "")
    target = named or (functions[0].qualified if functions else "")
    receiver = target.rsplit(".", 1)[0] if "." in target else None
    parsed = go_version(version)
    return {
        "fence_tag": "go",
        "target_path": blocks[0].path if blocks else None,
        "package_name": source.package_name() or _package_from_path(str(context.get("module_path") or "")),
        "target": target,
        "receiver": receiver,
        "go_version": f"{parsed[0]}.{parsed[1]}" if parsed else None,
        "go_features": [f for minor, f in FEATURES if parsed is None or parsed >= (1, minor)],
    }


def _package_from_path(path: str) -> str | None:
    folder = path.replace("\\", "/").rsplit("/", 2)
    name = folder[-2] if len(folder) >= 2 else ""
    return name if name.isidentifier() else None
