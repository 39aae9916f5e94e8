"""Turning raw LLM answers into clean Go optimization candidates.

For each answer, in order: take its code per file of the request (fenced blocks, or an edit
applied to the original); put back the target's signature line; reject a file that does not
validate; drop the answer when it equals the original once comments and whitespace are ignored,
or equals an earlier answer. Only files that changed are returned, target file first.

This version works on lines of text, so it suits most languages as a start. Make it
syntax-aware (a parser, e.g. tree-sitter) as the plugin grows: restore whole signatures, add
imports the original had, re-wrap bare methods into their class, normalise local names...
"""

from __future__ import annotations

import re

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile
from codeflash_engine.text.edits import apply_edit, detect_format
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine.text.prose import explanation_of

from codeflash_engine_go import syntax

#: a definition line: optional modifiers, a keyword, an optional receiver, then the name
DEFINITION = re.compile(r"^\s*(?:\w+\s+)*?(?:func|fn|def|function|fun|sub|proc)\s+(?:\([^)]*\)\s*)?(\w+)", re.MULTILINE)
_SPACE = re.compile(r"\s+")


def postprocess(request: CandidatesRequest) -> list[Candidate]:
    """The clean candidates of ``request``, in answer order."""
    original = {f.path: f.code for f in request.original}
    order = [f.path for f in request.original]
    target = (request.target or infer_target(request.original[0].code if request.original else "")).split(".")[-1]
    seen: set[tuple[tuple[str, str], ...]] = set()
    out: list[Candidate] = []
    for index, answer in enumerate(request.answers):
        files: list[CodeFile] = []
        for path, code in code_by_file(answer, request).items():
            if path == order[0] and target:
                code = restore_signature(code, original[path], target)
            if syntax.problems(code):
                files = []
                break
            if normal_form(code) != normal_form(original.get(path, "")):
                files.append(CodeFile(path=path, code=code.strip() + "\n"))
        if not files:
            continue
        key = tuple(sorted((f.path or "", normal_form(f.code)) for f in files))
        if key in seen:
            continue
        seen.add(key)
        files.sort(key=lambda f: order.index(f.path) if f.path in order else len(order))
        out.append(Candidate(files=tuple(files), answer_index=index, explanation=explanation_of(answer)))
    return out


def code_by_file(answer: str, request: CandidatesRequest) -> dict[str | None, str]:
    """The answer's code for each file of the request (an edit is applied to the originals)."""
    known = [f.path for f in request.original if f.path]
    if detect_format(answer) is not None:
        result = apply_edit({f.path: f.code for f in request.original if f.path}, answer, default_path=known[0])
        return {} if result.errors else {p: c for p, c in result.files.items() if p in known}
    blocks = extract_code_blocks(
        answer,
        language_tags=request.fence_tags or (request.language,),
        default_language=request.language,
        known_paths=known,
    )
    out: dict[str | None, str] = {}
    for block in blocks:
        path = block.path if block.path is not None else (known[0] if known else None)
        if path in known:
            out[path] = block.code
    return out


def infer_target(code: str) -> str:
    """The first function defined in ``code`` (the client sends the target first)."""
    match = DEFINITION.search(code)
    return match.group(1) if match else ""


def definition_line(code: str, name: str) -> tuple[int, int] | None:
    """Start and end of the line that defines ``name`` in ``code``."""
    for match in DEFINITION.finditer(code):
        if match.group(1) == name:
            at = match.start(1)
            end = code.find("\n", at)
            return code.rfind("\n", 0, at) + 1, len(code) if end < 0 else end
    return None


def restore_signature(code: str, original: str, name: str) -> str:
    """``code`` with the definition line of ``name`` put back as the original writes it."""
    before, after = definition_line(original, name), definition_line(code, name)
    if before is None or after is None:
        return code
    old, new = original[before[0] : before[1]], code[after[0] : after[1]]
    if old.strip() == new.strip():
        return code
    indent = new[: len(new) - len(new.lstrip())]
    return code[: after[0]] + indent + old.strip() + code[after[1] :]


def normal_form(code: str) -> str:
    """``code`` without comments and whitespace: equal normal forms are the same candidate."""
    lines = [line.split(syntax.LINE_COMMENT, 1)[0] for line in code.splitlines()]
    return _SPACE.sub("", "".join(lines))
