"""Turning raw LLM answers into clean Go optimization candidates: the Go parts of the skeleton.

The engine's :class:`CandidateCleaner` takes each answer's code per file of the request (fenced
``go`` blocks, a block without a path going to the target's file, or the files an edit produced),
refuses answers cut off by the token limit and drops unchanged or duplicate ones. Here, a function
the model wrote into the wrong file is first moved back to the file that defines it; then, per file:

- parse it; put back the package clause the original has (added, or renamed);
- for every function or method the original defines (matched by receiver type and name): a body
  left out (``// ... unchanged``) gets the original function back (the target's may not be left
  out); a changed signature (receiver type, type parameters, parameter or result types) rejects
  the answer; otherwise the original header is put back, with the answer's parameter names;
- add the imports the new code uses that the original had, and standard packages it uses without
  importing them;
- reject the file when it does not validate (for the request's Go version).

Changes are compared with comments and layout ignored. Whole files are returned: the client
replaces functions by name and merges new imports and globals itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Hashable, Sequence

import attrs
from tree_sitter import Node

from codeflash_engine import Answer, CandidateCleaner, CandidatesRequest, CodeFile, Rejected, Target
from codeflash_engine.plugins.treesitter import Edit, apply_edits
from codeflash_engine_go.imports import add_imports
from codeflash_engine_go.source import Function, ImportSpec, Source, descendants
from codeflash_engine_go.syntax import source_problems

log = logging.getLogger(__name__)

LANGUAGE_TAGS = ("go", "golang")

Key = tuple[str, str]
DeclKey = tuple[str, ...]


@attrs.frozen
class OriginalFile:
    """A file of the request, parsed once."""

    path: str | None
    source: Source
    functions: dict[Key, Function]
    norms: dict[DeclKey, str]
    imports: tuple[ImportSpec, ...]


@attrs.frozen
class Original:
    """The request's files (target file first), the target, the Go version, and the base candidate.

    ``base`` holds, per path, the earlier candidate that refine, repair and adaptive improve.
    """

    files: tuple[OriginalFile, ...]
    target: Key | None
    version: str | None
    base: dict[str | None, Source] = attrs.field(factory=dict)


@functools.lru_cache(maxsize=32)
def original_file(file: CodeFile) -> OriginalFile:
    """``file`` parsed (cached: the skeleton's steps and the prompt read the same files)."""
    source = Source.parse(file.code)
    return OriginalFile(
        path=file.path,
        source=source,
        functions={f.key: f for f in source.functions()},
        norms=declarations(source),
        imports=tuple(source.imports()),
    )


def target_key(target: Target | None, files: Sequence[OriginalFile]) -> Key | None:
    """The target's key: as named (``Type.Method`` or ``name``), else the first function of the first file."""
    if not files:
        return None
    first = files[0].functions
    if target is None:
        return next(iter(first), None)
    key = (target.class_name or "", target.name)
    if key in first:
        return key
    return next((k for k in first if k[1] == target.name), key)


def target_of(original: Sequence[CodeFile], named: Target | None = None) -> Target | None:
    """The function the cleaner takes for the target (what the prompt names): ``named`` found in the
    first file (a bare ``Median`` is the method ``Series.Median``), or its first function."""
    files = [original_file(f) for f in original[:1]]
    function = files[0].functions.get(target_key(named, files) or ("", "")) if files else None
    if function is None:
        return named
    return Target(function.name, function.qualified, function.receiver or None, files[0].path)


class GoCleaner(CandidateCleaner[Original, OriginalFile, Source]):
    """The skeleton's Go parts (see the module docstring)."""

    accepted_tags = LANGUAGE_TAGS
    logger = log

    def analyse(self, request: CandidatesRequest) -> Original:
        files = tuple(original_file(f) for f in request.original)
        base = {f.path: Source.parse(f.code) for f in request.base}
        target = target_key(request.target, files)
        return Original(files=files, target=target, version=request.language_version, base=base)

    def original_files(self, original: Original) -> Sequence[tuple[str | None, OriginalFile]]:
        return [(f.path, f) for f in original.files]

    def code_of(self, answer: Answer, request: CandidatesRequest, original: Original) -> dict[str | None, str]:
        """The skeleton's mapping, then functions written in a file that does not define them moved
        to the file that does."""
        return _rehome(super().code_of(answer, request, original), original.files)

    def clean_file(self, code: str, file: OriginalFile, original: Original, *, first: bool) -> Source:
        """Parse, restore the package clause, signatures and left-out bodies, add imports; Rejected if invalid."""
        source = Source.parse(code)
        if source.root.has_error:
            raise Rejected(f"{file.path}: does not parse ({source_problems(source)[0]})")
        source = _restore_package(source, file)
        edits = _restorations(source, file, original.target if first else None)
        if edits:
            source = source.edited(edits)
        base = original.base.get(file.path)
        if base is not None:
            source = carry_over(source, file, base)
        source = add_imports(source, [*file.imports, *(base.imports() if base is not None else ())])
        problems = source_problems(source, original.version)
        if problems:
            raise Rejected(f"{file.path}: {problems[0]}")
        return source

    def changes(self, cleaned: Source, file: OriginalFile) -> Sequence[Hashable]:
        return [(k, norm) for k, norm in sorted(declarations(cleaned).items()) if file.norms.get(k) != norm]

    def text(self, cleaned: Source) -> str:
        return cleaned.code.strip() + "\n"


CLEANER = GoCleaner()
postprocess = CLEANER.postprocess
triage = CLEANER.triage


def _rehome(code_by_file: dict[str | None, str], files: Sequence[OriginalFile]) -> dict[str | None, str]:
    """Move functions written in a file that does not define them to the file that does."""
    moved: dict[str | None, list[str]] = {}
    out = dict(code_by_file)
    for path, code in code_by_file.items():
        here = next((f for f in files if f.path == path), None)
        source = Source.parse(code)
        if here is None or source.root.has_error:
            continue
        cuts: list[Edit] = []
        for function in source.functions():
            owner = next((f for f in files if function.key in f.functions), None)
            if owner is not None and owner is not here and function.key not in here.functions:
                moved.setdefault(owner.path, []).append(source.text(function.node))
                cuts.append(Edit(function.node.start_byte, function.node.end_byte, b""))
        if cuts:
            out[path] = source.edited(cuts).code
    for path, functions in moved.items():
        existing = out.get(path)
        out[path] = "\n\n".join([existing, *functions] if existing else functions)
    return out


def _restore_package(source: Source, file: OriginalFile) -> Source:
    wanted = file.source.package_name()
    if wanted is None:
        return source
    clause = source.package()
    if clause is None:
        return Source.parse(f"package {wanted}\n\n{source.code.lstrip()}")
    if source.package_name() != wanted:
        return source.edited([Edit(clause.start_byte, clause.end_byte, f"package {wanted}".encode())])
    return source


# ------------------------------------------------------------------------------------- signatures


def _restorations(source: Source, file: OriginalFile, target: Key | None) -> list[Edit]:
    edits: list[Edit] = []
    for function in source.functions():
        before = file.functions.get(function.key)
        if before is None:
            continue
        body = function.node.child_by_field_name("body")
        if body is None or is_placeholder(source, body):
            if function.key == target:
                raise Rejected(f"the body of {function.qualified} was left out")
            edits.append(Edit(function.node.start_byte, function.node.end_byte, file.source.text(before.node).encode()))
            continue
        if before.node.child_by_field_name("body") is None:  # implemented elsewhere (assembly, linkname)
            raise Rejected(f"the answer gave a body to {function.qualified}, which the original declares without one")
        if shape(source, function.node) != shape(file.source, before.node):
            raise Rejected(f"the answer changed the signature of {function.qualified}")
        header = original_header(source, function.node, file.source, before.node)
        doc = doc_comment(file.source, before.node) if not doc_comment(source, function.node) else ""
        if header is not None or doc:
            text = header if header is not None else source.data[function.node.start_byte : body.start_byte].decode()
            edits.append(Edit(function.node.start_byte, body.start_byte, (doc + text).encode()))
    return edits


def doc_comment(source: Source, node: Node) -> str:
    """The comment lines right above ``node`` (its doc comment), with their newlines, or ""."""
    start, above, previous = None, node, node.prev_named_sibling
    while previous is not None and previous.type == "comment" and previous.end_point[0] + 1 == above.start_point[0]:
        start = previous.start_byte
        above, previous = previous, previous.prev_named_sibling
    return "" if start is None else source.data[start : node.start_byte].decode("utf-8")


def is_placeholder(source: Source, body: Node) -> bool:
    """True for a body with no statement, only comments such as ``// ... existing code``."""
    children = [c for n in body.named_children for c in (n.named_children if n.type == "statement_list" else [n])]
    if any(c.type != "comment" for c in children):
        return False
    comments = " ".join(source.text(c) for c in descendants(body, "comment"))
    return "..." in comments or "unchanged" in comments.lower() or "existing" in comments.lower()


def _types(source: Source, parameters: Node | None) -> list[bytes]:
    """One entry per parameter: its type, without whitespace (``a, b int`` gives two)."""
    if parameters is None:
        return []
    if parameters.type != "parameter_list":
        return [source.squeezed(parameters)]
    out: list[bytes] = []
    for declaration in parameters.named_children:
        if declaration.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        kind = source.squeezed(declaration.child_by_field_name("type"))
        if declaration.type == "variadic_parameter_declaration":
            kind = b"..." + kind
        out.extend([kind] * max(1, len(declaration.children_by_field_name("name"))))
    return out


def shape(source: Source, function: Node) -> tuple[object, ...]:
    """What callers see of a function: receiver type, type parameters, parameter and result types."""
    return (
        tuple(_types(source, function.child_by_field_name("receiver"))),
        source.squeezed(function.child_by_field_name("type_parameters")),
        tuple(_types(source, function.child_by_field_name("parameters"))),
        tuple(_types(source, function.child_by_field_name("result"))),
    )


def _names(source: Source, function: Node) -> list[Node]:
    """The identifiers naming the receiver, the parameters and named results, in order."""
    out: list[Node] = []
    for field in ("receiver", "parameters", "result"):
        node = function.child_by_field_name(field)
        if node is None or node.type != "parameter_list":
            continue
        for declaration in node.named_children:
            out.extend(declaration.children_by_field_name("name"))
    return out


def original_header(source: Source, new: Node, old_source: Source, old: Node) -> str | None:
    """The original header of ``old`` with the names ``new`` gives its parameters, or None if equal."""
    new_body, old_body = new.child_by_field_name("body"), old.child_by_field_name("body")
    assert new_body is not None and old_body is not None
    current = source.data[new.start_byte : new_body.start_byte].decode("utf-8")
    old_names, new_names = _names(old_source, old), _names(source, new)
    if len(old_names) != len(new_names):
        return None  # the same types, named differently (e.g. unnamed results): keep the answer's
    renames = [
        Edit(o.start_byte - old.start_byte, o.end_byte - old.start_byte, source.text(n).encode())
        for o, n in zip(old_names, new_names, strict=True)
        if old_source.text(o) != source.text(n)
    ]
    header = apply_edits(old_source.data[old.start_byte : old_body.start_byte], renames).decode("utf-8")
    return None if header == current else header


def carry_over(source: Source, file: OriginalFile, base: Source) -> Source:
    """Add the declarations the base candidate introduced that the code uses but no longer defines.

    The client applies every candidate to the original, so a helper a refinement keeps calling
    must be in the refinement itself.
    """
    used = {source.text(n) for n in descendants(source.root, "identifier", "type_identifier")}
    missing = used - source.declared_names() - source.local_names() - file.source.declared_names()
    if not missing:
        return source
    added: list[str] = []
    for node in base.root.named_children:
        if node.type == "function_declaration":
            names = {base.text(node.child_by_field_name("name"))}
        elif node.type in ("type_declaration", "var_declaration", "const_declaration"):
            names = {base.text(n) for spec in node.named_children for n in spec.children_by_field_name("name")}
        else:
            continue
        if names & missing:
            added.append(doc_comment(base, node) + base.text(node))
    if not added:
        return source
    return Source.parse(source.code.rstrip() + "\n\n" + "\n\n".join(added) + "\n")


# ------------------------------------------------------------------------------------- normal forms


def declarations(source: Source) -> dict[DeclKey, str]:
    """Top-level declarations (not the package or imports) by key, in a layout-free normal form."""
    out: dict[DeclKey, str] = {}
    functions = {f.node.start_byte: f for f in source.functions()}
    for node in source.root.named_children:
        if node.start_byte in functions and node.type in ("function_declaration", "method_declaration"):
            key: DeclKey = ("func", *functions[node.start_byte].key)
        elif node.type in ("type_declaration", "var_declaration", "const_declaration"):
            names = [source.text(n) for spec in node.named_children for n in spec.children_by_field_name("name")]
            key = (node.type, *names)
        else:
            continue
        out[key] = normal_form(source, node)
    return out


def normal_form(source: Source, node: Node) -> str:
    """The tokens of ``node`` without comments, space-separated."""
    tokens: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            continue
        if current.child_count == 0 or current.type in ("interpreted_string_literal", "raw_string_literal"):
            tokens.append(source.text(current))
            continue
        stack.extend(reversed(current.children))
    return " ".join(tokens)
