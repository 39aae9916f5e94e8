"""Rendering prompt templates (jinja2) into :class:`Prompt` messages.

Templates are named ``<task>.system.j2`` and ``<task>.user.j2``. They are looked up first in the
folders a plugin passes, then in the core's ``codeflash_engine/prompts`` folder. A plugin
template named like a core one replaces it; to change only part of a core template, extend it
under the ``core/`` prefix and override its blocks::

    {% extends "core/optimize.system.j2" %}
    {% block guidance %}- Prefer primitive arrays to boxed collections.{% endblock %}

In a user template, the line ``<<<cache-break>>>`` marks the end of the stable prefix that
providers may cache.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from codeflash_engine.plugins.types import Prompt, PromptRequest
from codeflash_engine.text.profiles import compare_profiles, coverage_first_line, numbered, trim_profile

CORE_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
CORE_PREFIX = "core"
CACHE_BREAK = "<<<cache-break>>>\n"


@functools.lru_cache(maxsize=64)
def _environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader([*dirs, CORE_PROMPTS]),
                jinja2.PrefixLoader({CORE_PREFIX: jinja2.FileSystemLoader(CORE_PROMPTS)}),
            ]
        ),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,
        auto_reload=False,  # templates ship with their package: no stat() of each file per render
    )
    env.filters["fence"] = fence
    env.filters["trim_profile"] = trim_profile
    env.filters["numbered"] = numbered
    env.filters["stable_order"] = stable_order
    env.globals["compare_profiles"] = compare_profiles
    env.globals["coverage_first_line"] = coverage_first_line
    return env


def stable_order(items: Sequence[object] | None) -> list[int]:
    """Indices of ``items`` in an order set by their content, not by their position: the order the
    client happened to send them in cannot bias a judge (position bias), and the same items are
    always shown in the same order."""
    values = list(items or ())
    return sorted(range(len(values)), key=lambda i: (hashlib.sha256(str(values[i]).encode()).hexdigest(), i))


#: a run of backticks
_BACKTICK_RUNS = re.compile("`+")


def fence(code: str | None, tag: str | None = "") -> str:
    """Wrap ``code`` in a markdown fence longer than any backtick run inside it (None: empty)."""
    code = code or ""
    tag = tag or ""
    # Scans in C: a loop over the characters took ~0.3 s per MiB (32 ranked diffs, 10 s of CPU)
    longest = max(map(len, _BACKTICK_RUNS.findall(code)), default=0) if "`" in code else 0
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{tag}\n{code.rstrip()}\n{ticks}"


def template_names(task: str) -> tuple[str, str]:
    return f"{task}.system.j2", f"{task}.user.j2"


def template_variables(request: PromptRequest) -> dict[str, Any]:
    """What templates see: the task's fields by their contract names, then the parsed view.

    ``language``, ``language_version``, ``fence_tag``, ``is_async``, ``target`` (a
    :class:`Target` or None) and, from the target, ``function_name`` (its qualified name, as the
    client writes it), ``class_name`` and ``target_path``.
    """
    target = request.target
    return {
        **request.fields,
        "language": request.language,
        "language_version": request.language_version,
        "fence_tag": request.fence_tag or request.language,
        "is_async": request.is_async or bool(request.fields.get("is_async")),
        "target": target,
        "function_name": target.qualified_name if target else request.fields.get("function_name"),
        "class_name": target.class_name if target else request.fields.get("class_name"),
        "target_path": target.path if target and target.path else next((f.path for f in request.original), None),
    }


def render_partial(name: str, template_dirs: Sequence[Path] = (), **variables: Any) -> str:
    """Render one template (a partial such as ``_budget_note.j2``) with ``variables``."""
    env = _environment(tuple(Path(d) for d in template_dirs))
    return env.get_template(name).render(variables)


def render_prompt(request: PromptRequest, template_dirs: Sequence[Path] = (), **extra: Any) -> Prompt:
    """Render the system and user templates of ``request.task``.

    Variables: :func:`template_variables`, then ``extra`` (a plugin's own, e.g. ``java_version``).
    """
    env = _environment(tuple(Path(d) for d in template_dirs))
    system_name, user_name = template_names(request.task.value)
    variables = {**template_variables(request), **extra}
    system = env.get_template(system_name).render(variables).strip()
    user = env.get_template(user_name).render(variables)
    prefix = 0
    if CACHE_BREAK in user:
        head, _, tail = user.partition(CACHE_BREAK)
        prefix = len(head)
        user = head + tail
    return Prompt(system=system, user=user.strip(), cache_prefix_chars=prefix)
