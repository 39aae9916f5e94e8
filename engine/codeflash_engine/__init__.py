"""codeflash-engine: the AI service behind the Codeflash CLI.

Plugin API v1, the stable surface for language plugins, is what this module exports::

    from codeflash_engine import hookimpl, LanguageSpec, CandidateCleaner, render_prompt

Everything else (``codeflash_engine.plugins.*``, ``codeflash_engine.text.*``, ...) is internal
and may change between releases. The hooks themselves are documented in
:mod:`codeflash_engine.plugins.hookspecs`.
"""

from importlib.metadata import PackageNotFoundError, version

from codeflash_engine.plugins.candidates import CandidateCleaner, Cleaned, Rejected, code_by_file, describe
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.prompting import render_prompt
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    Target,
    Task,
    TestsRequest,
)
from codeflash_engine.text.markdown import extract_code_blocks

try:
    __version__ = version("codeflash-engine")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Answer",
    "Candidate",
    "CandidateCleaner",
    "CandidatesRequest",
    "Cleaned",
    "CodeFile",
    "DiffRequest",
    "DiffResult",
    "GeneratedTests",
    "LanguageSpec",
    "Prompt",
    "PromptRequest",
    "Rejected",
    "SyntaxProblem",
    "Target",
    "Task",
    "TestsRequest",
    "__version__",
    "code_by_file",
    "describe",
    "extract_code_blocks",
    "hookimpl",
    "render_prompt",
]
