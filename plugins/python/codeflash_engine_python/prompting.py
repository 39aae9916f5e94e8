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
        request = attrs.evolve(request, target=found or request.target)
    return render_prompt(request, [PROMPTS])
