"""Loading the realistic Java cases of ``cases/``: original files, raw LLM answers, and a report."""

from __future__ import annotations

import json
from pathlib import Path

from codeflash_engine.plugins.types import CandidatesRequest, CodeFile, Task
from codeflash_engine.text.markdown import CodeBlock, write_markdown
from codeflash_engine_java.candidates import Outcome

CASES = Path(__file__).resolve().parent / "cases"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())


def load_request(name: str, task: Task = Task.OPTIMIZE) -> CandidatesRequest:
    """The request of case ``name``: its files (target first) and its answers in file order."""
    folder = CASES / name
    meta = json.loads((folder / "case.json").read_text())
    files = tuple(CodeFile(path, (folder / "files" / path).read_text()) for path in meta["files"])
    answers = tuple(p.read_text() for p in sorted((folder / "answers").glob("*.md")))
    return CandidatesRequest(
        task=task,
        language="java",
        language_version=meta.get("language_version", "17"),
        original=files,
        answers=answers,
        target=meta.get("target"),
    )


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
