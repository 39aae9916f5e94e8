"""Turning raw LLM answers into clean Go optimization candidates.

For each answer, in order: take its code per file of the request (fenced ``go`` blocks, a block
without a path going to the target's file, or an edit applied to the originals); move a function
the model wrote into the wrong file back to the file that defines it; then, per file:

- parse it; put back the package clause the original has (added, or renamed);
- for every function or method the original defines (matched by receiver type and name): a body
  left out (``// ... unchanged``) gets the original function back (the target's may not be left
  out); a changed signature (receiver type, type parameters, parameter or result types) rejects
  the answer; otherwise the original header is put back, with the answer's parameter names;
- add the imports the new code uses that the original had, and standard packages it uses without
  importing them;
- reject the file when it does not validate (for the request's Go version).

Answers that change nothing once comments and layout are ignored, and answers equal to an earlier
one, are dropped. Only changed files are returned, target file first. Whole files are returned:
the client replaces functions by name and merges new imports and globals itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs
from tree_sitter import Node

from codeflash_engine.plugins.candidates import Outcome, Rejected, code_by_file, triage_answers
from codeflash_engine.plugins.treesitter import Edit, apply_edits
from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile
from codeflash_engine_go.source import Function, ImportSpec, Source, descendants
from codeflash_engine_go.syntax import source_problems

log = logging.getLogger(__name__)

LANGUAGE_TAGS = ("go", "golang")

#: standard packages added when the code uses them without importing them (name -> path)
STANDARD_PACKAGES = {
    "bytes": "bytes",
    "errors": "errors",
    "fmt": "fmt",
    "maps": "maps",
    "math": "math",
    "reflect": "reflect",
    "bits": "math/bits",
    "slices": "slices",
    "sort": "sort",
    "strconv": "strconv",
    "strings": "strings",
    "sync": "sync",
    "testing": "testing",
    "atomic": "sync/atomic",
    "time": "time",
    "unicode": "unicode",
    "utf8": "unicode/utf8",
}

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

    def owner(self, key: Key) -> OriginalFile | None:
        """The file that defines the function ``key``."""
        return next((f for f in self.files if key in f.functions), None)


def analyse(request: CandidatesRequest) -> Original:
    files = tuple(_original_file(f) for f in request.original)
    base = {f.path: Source.parse(f.code) for f in request.base}
    return Original(files=files, target=_target(request.target, files), version=request.language_version, base=base)


def _original_file(file: CodeFile) -> OriginalFile:
    source = Source.parse(file.code)
    return OriginalFile(
        path=file.path,
        source=source,
        functions={f.key: f for f in source.functions()},
        norms=declarations(source),
        imports=tuple(source.imports()),
    )


def _target(named: str | None, files: Sequence[OriginalFile]) -> Key | None:
    """The target's key: as named (``Type.Method`` or ``name``), else the first function of the first file."""
    if not files:
        return None
    first = files[0].functions
    if not named:
        return next(iter(first), None)
    receiver, _, name = named.rpartition(".")
    receiver = receiver.rsplit(".", 1)[-1]
    if (receiver, name) in first:
        return (receiver, name)
    return next((k for k in first if k[1] == name), (receiver, name))


def postprocess(request: CandidatesRequest) -> list[Candidate]:
    """Clean every answer; keep the valid, changed and distinct ones, in order."""
    return [o.candidate for o in triage(request) if o.candidate is not None]


def triage(request: CandidatesRequest) -> list[Outcome]:
    """The fate of every answer, in order (drops are logged at debug level)."""
    original = analyse(request)
    return triage_answers(request.answers, lambda answer: clean_answer(answer, original), logger=log)


def clean_answer(answer: str, original: Original) -> tuple[tuple[CodeFile, ...], tuple[object, ...]]:
    """The cleaned changed files of one answer, and its deduplication key (empty: unchanged)."""
    code_by_file = _rehome(_code_by_file(answer, original), original)
    if not code_by_file:
        raise Rejected("no Go code block for any file of the request")
    files: list[CodeFile] = []
    key: list[object] = []
    for file in original.files:
        if file.path not in code_by_file:
            continue
        source = clean_file(code_by_file[file.path], file, original)
        changed = sorted((k, norm) for k, norm in declarations(source).items() if file.norms.get(k) != norm)
        if changed:
            files.append(CodeFile(path=file.path, code=source.code.strip() + "\n"))
            key.append((file.path, tuple(changed)))
    return tuple(files), tuple(key)


def _code_by_file(answer: str, original: Original) -> dict[str | None, str]:
    files = [CodeFile(path=f.path, code=f.source.code) for f in original.files]
    return code_by_file(answer, files, language_tags=LANGUAGE_TAGS, default_language="go")


def _rehome(code_by_file: dict[str | None, str], original: Original) -> dict[str | None, str]:
    """Move functions written in a file that does not define them to the file that does."""
    moved: dict[str | None, list[str]] = {}
    out = dict(code_by_file)
    for path, code in code_by_file.items():
        here = next((f for f in original.files if f.path == path), None)
        source = Source.parse(code)
        if here is None or source.root.has_error:
            continue
        cuts: list[Edit] = []
        for function in source.functions():
            owner = original.owner(function.key)
            if owner is not None and owner is not here and function.key not in here.functions:
                moved.setdefault(owner.path, []).append(source.text(function.node))
                cuts.append(Edit(function.node.start_byte, function.node.end_byte, b""))
        if cuts:
            out[path] = source.edited(cuts).code
    for path, functions in moved.items():
        existing = out.get(path)
        out[path] = "\n\n".join([existing, *functions] if existing else functions)
    return out


def clean_file(code: str, file: OriginalFile, original: Original) -> Source:
    """Parse, restore the package clause, signatures and left-out bodies, add imports; Rejected if invalid."""
    source = Source.parse(code)
    if source.root.has_error:
        raise Rejected(f"{file.path}: does not parse ({source_problems(source)[0]})")
    source = _restore_package(source, file)
    edits = _restorations(source, file, original.target if file is original.files[0] else None)
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


# ------------------------------------------------------------------------------------- imports


def add_imports(source: Source, original_imports: Sequence[ImportSpec]) -> Source:
    """Add the original's imports the code uses, and standard packages it uses unimported."""
    present = {spec.path for spec in source.imports()}
    names = {spec.name for spec in source.imports()}
    used = source.selector_operands() - source.local_names() - source.declared_names()
    wanted: list[str] = []
    for spec in original_imports:
        if spec.path in present:
            continue
        if spec.name in used or spec.alias in ("_", "."):
            wanted.append(spec.text)
            names.add(spec.name)
    for name in sorted(used - names):
        path = STANDARD_PACKAGES.get(name)
        if path is not None and path not in present:
            wanted.append(f'"{path}"')
    if not wanted:
        return source
    return Source.parse(insert_imports(source, wanted))


def insert_imports(source: Source, specs: Sequence[str]) -> str:
    """The code with ``specs`` (import spec texts) added to its import declarations."""
    declarations = source.import_declarations()
    lines = "".join(f"\t{spec}\n" for spec in specs)
    if declarations:
        last = declarations[-1]
        group = next((c for c in last.named_children if c.type == "import_spec_list"), None)
        if group is not None:
            close = group.end_byte - 1  # the ")"
            before = source.data[:close].rstrip(b" \t")
            joiner = b"" if before.endswith(b"\n") else b"\n"
            return (before + joiner + lines.encode() + source.data[close:]).decode("utf-8")
        single = source.data[last.start_byte : last.end_byte].decode("utf-8").removeprefix("import").strip()
        block = f"import (\n\t{single}\n{lines})"
        return (source.data[: last.start_byte] + block.encode() + source.data[last.end_byte :]).decode("utf-8")
    clause = source.package()
    block = f"import (\n{lines})\n"
    if clause is None:
        return f"{block}\n{source.code.lstrip()}"
    head, tail = source.data[: clause.end_byte].decode("utf-8"), source.data[clause.end_byte :].decode("utf-8")
    return f"{head}\n\n{block}\n{tail.lstrip()}"


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
