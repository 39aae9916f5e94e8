"""/ai/workflow-gen: GitHub Actions steps that install the project and run Codeflash."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines.answers import ask_and_read
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.types import Task
from codeflash_engine.text.cuts import marker
from codeflash_engine.text.markdown import extract_code_blocks

#: files that tell how a project installs and tests; others are listed by name only
RELEVANT = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "Pipfile",
    "poetry.lock",
    "uv.lock",
    "tox.ini",
    "noxfile.py",
    "Makefile",
    ".python-version",
    "environment.yml",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "package.json",
    "pom.xml",
    "build.gradle*",
    "go.mod",
)
#: RELEVANT as one expression: a repository of 20,000 files took ~400 ms of the event loop with
#: one fnmatch call per pattern, path and name
_RELEVANT = re.compile("|".join(fnmatch.translate(pattern) for pattern in RELEVANT))
MAX_FILE_CHARS = 12_000
MAX_TOTAL_CHARS = 60_000


def relevant_files(repo_files: Mapping[str, str]) -> dict[str, str]:
    """The install- and test-related files, each cut to MAX_FILE_CHARS, within MAX_TOTAL_CHARS."""
    out: dict[str, str] = {}
    total = 0
    for path in sorted(repo_files):
        name = path.rsplit("/", 1)[-1]
        if not (_RELEVANT.match(path) or _RELEVANT.match(name)):
            continue
        text = repo_files[path]
        if len(text) > MAX_FILE_CHARS:  # the cut is said in the text, as everywhere in prompts
            text = text[:MAX_FILE_CHARS] + "\n" + marker(len(text) - MAX_FILE_CHARS)
        if total + len(text) > MAX_TOTAL_CHARS:
            break
        out[path] = text
        total += len(text)
    return out


async def workflow_steps(engine: Engine, *, trace_id: str | None, fields: Mapping[str, Any]) -> str:
    """YAML steps for the Codeflash workflow, from the project's install and test files."""
    repo_files: Mapping[str, str] = fields.get("repo_files") or {}
    spec = engine.languages.resolve("python")
    prompt = await engine.prompt(
        Task.WORKFLOW,
        spec,
        None,
        {**fields, "repo_files": relevant_files(repo_files), "file_names": sorted(repo_files)[:500]},
    )
    steps = await ask_and_read(
        engine, prompt, task=Task.WORKFLOW, trace_id=trace_id, deadline=engine.deadline(), read=_steps
    )
    if steps is None:
        raise UpstreamFailed("the model returned no workflow steps, twice")
    return steps


def _steps(text: str) -> str | None:
    """The steps of the answer's first YAML block (tagged ``yaml``/``yml`` or untagged, fenced with
    backticks or tildes, or cut off at the end), else the whole answer."""
    blocks = extract_code_blocks(text, language_tags=("yaml", "yml"), default_language="yaml")
    return (blocks[0].code if blocks else text.strip()) or None
