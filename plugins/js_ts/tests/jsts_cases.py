"""Loading the realistic cases of ``cases/``: original files, raw LLM answers, and a report."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codeflash_engine import CandidatesRequest, CodeFile, Target, Task
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Outcome
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.text.markdown import CodeBlock, write_markdown
from codeflash_engine_js_ts import plugin

CASES = Path(__file__).resolve().parent / "cases"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())


def load_request(name: str, task: Task = Task.OPTIMIZE) -> CandidatesRequest:
    """The request of case ``name``: its files (target first) and its answers in file order."""
    folder = CASES / name
    meta = json.loads((folder / "case.json").read_text())
    files = tuple(CodeFile(path, (folder / "files" / path).read_text()) for path in meta["files"])
    return candidates_request(
        task=task,
        language=meta["language"],
        language_version=meta.get("language_version", "20.11.1"),
        original=files,
        answers=[p.read_text() for p in sorted((folder / "answers").glob("*.md"))],
        target=meta.get("target"),
    )


@functools.cache
def host() -> PluginHost:
    """The engine's builtins and this plugin only."""
    loaded = PluginHost()
    loaded.load(eps=[])
    loaded.register(plugin, "js_ts")
    return loaded


def candidates_request(
    *, answers: Sequence[str], target: str | None = None, original: Sequence[CodeFile], language: str, **rest: Any
) -> CandidatesRequest:
    """A request as the engine hands it to the plugin: answers read (prose, edits applied), target parsed."""
    read = tuple(read_answer(host(), language, text, original=original) for text in answers)
    return CandidatesRequest(
        language=language,
        original=tuple(original),
        answers=read,
        target=Target.parse(target, path=original[0].path) if target else None,
        fence_tags=next((s.fence_tags for s in (plugin.JAVASCRIPT, plugin.TYPESCRIPT) if s.name == language), ()),
        **rest,
    )


def report(request: CandidatesRequest, outcomes: list[Outcome]) -> str:
    """Each answer's fate; kept candidates as the client receives them (contract markdown)."""
    parts: list[str] = []
    for outcome in outcomes:
        parts.append(f"## answer #{outcome.answer_index + 1}: {outcome.reason}")
        if outcome.candidate is not None:
            parts.append(f"explanation: {outcome.candidate.explanation}")
            blocks = [CodeBlock(request.language, f.path, f.code) for f in outcome.candidate.files]
            parts.append(write_markdown(blocks))
        parts.append("")
    return "\n".join(parts)
