"""Python prompts: the plugin's own templates, falling back to the core ones for anything missing."""

from __future__ import annotations

from pathlib import Path

import attrs

from codeflash_engine import Prompt, PromptRequest, render_prompt
from codeflash_engine_python.candidates.pipeline import infer_target

#: the plugin's templates (``<task>.system.j2`` / ``<task>.user.j2`` and ``_py_*.j2`` partials)
PROMPTS = Path(__file__).resolve().parent / "prompts"


def build_python_prompt(request: PromptRequest) -> Prompt:
    """Render the Python templates of ``request.task``, naming the target even when the request
    does not (it is then the function postprocessing will take for the target)."""
    if request.original and (request.target is None or request.target.class_name is None):
        found = infer_target(request.original, request.language_version, request.target)
        # a named target the code does not define (a review of a function shown in part) stays named
        if found is not None and (request.target is None or found.name == request.target.name):
            request = attrs.evolve(request, target=found)
    return render_prompt(request, [PROMPTS], python_minor=python_minor(request.language_version))


def python_minor(version: str | None) -> int | None:
    """The minor version of a Python 3 version string (``"3.12.1"`` -> 12), None when unknown."""
    parts = (version or "").strip().split(".")
    if len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit():
        return int(parts[1])
    return None
