"""Rendering prompt templates (jinja2) into :class:`Prompt` messages.

Templates are named ``<task>.system.j2`` and ``<task>.user.j2``. They are looked up first in the
folders a plugin passes (so a plugin overrides a core template by shipping one of the same
name), then in the core's ``prompts/`` folder. In a user template, the line
``<<<cache-break>>>`` marks the end of the stable prefix that providers may cache.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import jinja2

from codeflash_engine.plugins.types import Prompt, PromptRequest

CORE_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
CACHE_BREAK = "<<<cache-break>>>\n"


@functools.lru_cache(maxsize=64)
def _environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*dirs, CORE_PROMPTS]),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,
        auto_reload=False,  # templates ship with their package: no stat() of each file per render
    )
    env.filters["fence"] = fence
    return env


def fence(code: str | None, tag: str | None = "") -> str:
    """Wrap ``code`` in a markdown fence longer than any backtick run inside it (None: empty)."""
    code = code or ""
    tag = tag or ""
    longest = run = 0
    for ch in code:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{tag}\n{code.rstrip()}\n{ticks}"


def template_names(task: str) -> tuple[str, str]:
    return f"{task}.system.j2", f"{task}.user.j2"


def render_prompt(request: PromptRequest, template_dirs: Sequence[Path] = ()) -> Prompt:
    """Render the system and user templates of ``request.task`` with ``request.context``.

    The context also gets ``language`` and ``language_version`` from the request.
    """
    env = _environment(tuple(Path(d) for d in template_dirs))
    system_name, user_name = template_names(request.task.value)
    variables = {
        "language": request.language,
        "language_version": request.language_version,
        **request.context,
    }
    system = env.get_template(system_name).render(variables).strip()
    user = env.get_template(user_name).render(variables)
    prefix = 0
    if CACHE_BREAK in user:
        head, _, tail = user.partition(CACHE_BREAK)
        prefix = len(head)
        user = head + tail
    return Prompt(system=system, user=user.strip(), cache_prefix_chars=prefix)
