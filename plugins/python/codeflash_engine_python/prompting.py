"""Python prompts: the plugin's own templates, falling back to the core ones for anything missing."""

from __future__ import annotations

from pathlib import Path

from codeflash_engine.plugins.prompting import render_prompt
from codeflash_engine.plugins.types import Prompt, PromptRequest

#: the plugin's templates (``<task>.system.j2`` / ``<task>.user.j2`` and ``_py_*.j2`` partials)
PROMPTS = Path(__file__).resolve().parent / "prompts"


def build_python_prompt(request: PromptRequest) -> Prompt:
    """Render the Python templates of ``request.task``."""
    return render_prompt(request, [PROMPTS])
