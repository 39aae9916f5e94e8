"""Loading the realistic Java cases of ``cases/``: original files, raw LLM answers, and a report."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from codeflash_engine import Answer, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Outcome
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.text.markdown import CodeBlock, write_markdown
from codeflash_engine_java import plugin

CASES = Path(__file__).resolve().parent / "cases"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())


def load_request(name: str, task: Task = Task.OPTIMIZE) -> CandidatesRequest:
    """The request of case ``name``: its files (target first) and its answers in file order."""
    folder = CASES / name
    meta = json.loads((folder / "case.json").read_text())
    files = tuple(CodeFile(path, (folder / "files" / path).read_text()) for path in meta["files"])
    texts = [p.read_text() for p in sorted((folder / "answers").glob("*.md"))]
    return CandidatesRequest(
        task=task,
        language="java",
        language_version=meta.get("language_version", "17"),
        original=files,
        answers=answers(texts, files),
        target=Target.parse(meta["target"], path=files[0].path) if meta.get("target") else None,
        fence_tags=plugin.JAVA.fence_tags,
    )


@functools.cache
def host() -> PluginHost:
    """The engine's builtins and this plugin only."""
    loaded = PluginHost()
    loaded.load(eps=[])
    loaded.register(plugin, "java")
    return loaded


def answers(texts: Sequence[str], original: Sequence[CodeFile]) -> tuple[Answer, ...]:
    """The answers as the engine hands them to the plugin (prose read, edits applied)."""
    return tuple(read_answer(host(), "java", text, original=original) for text in texts)


def report(outcomes: list[Outcome]) -> str:
    """Each answer's fate; kept candidates as the client receives them (contract markdown)."""
    parts: list[str] = []
    for outcome in outcomes:
        parts.append(f"## answer #{outcome.answer_index + 1}: {outcome.reason}")
        if outcome.candidate is not None:
            parts.append(f"explanation: {outcome.candidate.explanation}")
            parts.append(write_markdown([CodeBlock("java", f.path, f.code) for f in outcome.candidate.files]))
        parts.append("")
    return "\n".join(parts)
