"""Turning raw LLM answers into clean Java optimization candidates: the Java parts of the skeleton.

The engine's :class:`CandidateCleaner` maps each answer onto the request's files, refuses answers
cut off by the token limit and drops unchanged or duplicate ones. Here, per file: parse it (bare
methods are put back into their class); restore what the model must not change (each known
method's modifiers, annotations, type parameters, return type, name and throws clause, matched by
parameter types so overloads stay apart; bodies left out as ``// ... unchanged``; the package);
add the original imports the new code uses; reject anything that does not parse; and normalise
comments, layout and local names, so that equal candidates compare equal.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import attrs
from tree_sitter import Node

from codeflash_engine import CandidateCleaner, CandidatesRequest, CodeFile, Rejected, Target
from codeflash_engine.plugins.treesitter import Edit, apply_edits
from codeflash_engine_java.imports import header_edits
from codeflash_engine_java.normalize import normal_form
from codeflash_engine_java.source import Source
from codeflash_engine_java.structure import (
    FUNCTION_NODES,
    TYPE_NODES,
    Definition,
    definitions,
    is_placeholder_body,
    parameter_name,
    parameters,
)

log = logging.getLogger(__name__)

Norm = tuple[str, str]


def matches(target: Target, definition: Definition) -> bool:
    """``definition`` is the target method: same name, in the target's class when it has one."""
    if definition.function is None or definition.name != target.name:
        return False
    return target.class_name is None or definition.class_name == target.class_name


@attrs.frozen
class OriginalFile:
    """A file of the request, parsed once."""

    path: str | None
    source: Source
    functions: dict[str, Definition]
    norms: frozenset[Norm]
    texts: frozenset[tuple[str, str]]
    headers: dict[tuple[str, ...], str]


@attrs.frozen
class Original:
    """The request's read-writable code, target file first, and the target."""

    files: tuple[OriginalFile, ...]
    target: Target
    trusted: bool = True
    """True when the request named the target, or when it could be inferred reliably."""

    @property
    def target_known(self) -> bool:
        """True when the target is named or reliably inferred, and is a method of the first file.

        Otherwise the target is not enforced (a guess only guides where bare methods go).
        """
        known = any(matches(self.target, d) for d in self.files[0].functions.values()) if self.files else False
        return self.trusted and known

    def target_classes(self) -> tuple[str, ...]:
        """The chain of classes around the target in the original (outermost first)."""
        for definition in self.files[0].functions.values() if self.files else ():
            if matches(self.target, definition):
                return definition.classes
        return (self.target.class_name,) if self.target.class_name else ()


def original_file(file: CodeFile) -> OriginalFile:
    source = Source.parse(file.code)
    defs = definitions(source)
    return OriginalFile(
        path=file.path,
        source=source,
        functions={d.key: d for d in defs if d.function is not None and d.key is not None},
        norms=frozenset(_norms(source, defs)),
        texts=frozenset((d.key or "", source.span(d.start, d.end)) for d in defs),
        headers={d.classes: source.span(d.start, d.end).rstrip() for d in defs if d.node.type in TYPE_NODES},
    )


def infer_target(file: OriginalFile) -> tuple[Target | None, bool]:
    """The target when the request does not name it, and whether to trust the guess.

    The client writes the target file as its imports, then the target method inside its class
    skeleton (fields and constructors first), then the helpers: so the target is the first
    method that is not a constructor, trusted when the file's first declaration is a type.
    """
    defs = definitions(file.source)
    for definition in defs:
        if definition.name and definition.name != "<init>":
            trusted = defs[0].node.type in TYPE_NODES or defs[0] is definition
            qualified = ".".join((*definition.classes, definition.name))
            return Target(definition.name, qualified, definition.class_name, file.path), trusted
    return None, False


def target_of(original: Sequence[CodeFile], named: Target | None = None) -> Target | None:
    """The target the prompt names: ``named`` with its class when it names the method only (a
    line profile's ``median``) and one class of the first file has methods of that name; without
    ``named``, the one the cleaner infers."""
    if not original:
        return named
    file = original_file(original[0])
    if named is None:
        return infer_target(file)[0]
    if named.class_name is not None:
        return named
    chains = {d.classes for d in file.functions.values() if d.name == named.name and d.classes}
    if len(chains) != 1:
        return named  # no such method, or methods of that name in several classes
    [classes] = chains
    return Target(named.name, ".".join((*classes, named.name)), classes[-1], named.path or file.path)


def _norms(source: Source, defs: Sequence[Definition]) -> list[Norm]:
    return [(d.key or "", normal_form(source, d.node, d.start, d.end)) for d in defs]


class JavaCleaner(CandidateCleaner[Original, OriginalFile, Source]):
    """The skeleton's Java parts (see the module docstring)."""

    accepted_tags = ("java",)
    logger = log

    def analyse(self, request: CandidatesRequest) -> Original:
        files = tuple(original_file(f) for f in request.original)
        if request.target is not None:
            return Original(files=files, target=request.target)
        target, trusted = infer_target(files[0]) if files else (None, False)
        return Original(files=files, target=target or Target("", ""), trusted=trusted)

    def original_files(self, original: Original) -> Sequence[tuple[str | None, OriginalFile]]:
        return [(f.path, f) for f in original.files]

    def clean_file(self, code: str, file: OriginalFile, original: Original, *, first: bool) -> Source:
        """Parse, wrap bare members, restore signatures, bodies, package and imports; Rejected if invalid."""
        source = Source.parse(code)
        if first and _has_bare_members(source):
            source = _wrap_in_classes(source, file, original.target_classes())
        if not source.ok:
            raise Rejected(f"{file.path}: does not parse ({source.problems()[0]})")
        enforced = first and original.target_known
        edits = _restorations(source, file, original.target if enforced else None)
        if edits:
            source = source.edited(edits)
        header = header_edits(file.source, source)
        if header:
            source = source.edited(header)
        if not source.ok:
            raise Rejected(f"{file.path}: does not parse after restoring signatures ({source.problems()[0]})")
        return source

    def changes(self, cleaned: Source, file: OriginalFile) -> Sequence[Hashable]:
        """Normal forms of the definitions that are new or differ from the original, sorted.

        A definition whose text equals the original's (same key) is unchanged without normalising it.
        """
        changed: list[Norm] = []
        for definition in definitions(cleaned):
            key = definition.key or ""
            if (key, cleaned.span(definition.start, definition.end)) in file.texts:
                continue
            norm = (key, normal_form(cleaned, definition.node, definition.start, definition.end))
            if norm not in file.norms:
                changed.append(norm)
        return list[Hashable](sorted(changed))

    def text(self, cleaned: Source) -> str:
        return cleaned.code.strip() + "\n"


CLEANER = JavaCleaner()
postprocess = CLEANER.postprocess
triage = CLEANER.triage


def _has_bare_members(source: Source) -> bool:
    kinds = {n.type for n in source.root.named_children}
    return bool(kinds & (FUNCTION_NODES | {"field_declaration"})) and not kinds & TYPE_NODES


def _wrap_in_classes(source: Source, file: OriginalFile, classes: tuple[str, ...]) -> Source:
    """Methods given without their class, put back inside the original class (and its outer ones)."""
    if not classes:
        return source
    split = 0
    for node in source.root.named_children:
        if node.type in ("package_declaration", "import_declaration"):
            split = node.end_byte
    head = source.span(0, split).strip()
    body = source.span(split, len(source.data)).strip("\n")
    for depth in range(len(classes), 0, -1):
        header = file.headers.get(classes[:depth], f"class {classes[depth - 1]}")
        indented = "\n".join("    " + line if line.strip() else "" for line in body.splitlines())
        body = f"{header} {{\n{indented}\n}}"
    wrapped = Source.parse((f"{head}\n\n" if head else "") + body + "\n")
    return wrapped if wrapped.ok else source


def _restorations(source: Source, file: OriginalFile, target: Target | None) -> list[Edit]:
    """Edits restoring known methods' headers and left-out bodies; Rejected when the target is unusable.

    Every overload named like the target counts as the target: at least one must keep its
    parameter types and have a real body.
    """
    edits: list[Edit] = []
    found = written = overloads = False
    for definition in definitions(source):
        if definition.function is None or definition.key is None:
            continue
        is_target = target is not None and matches(target, definition)
        before = file.functions.get(definition.key)
        if before is None:
            overloads = overloads or is_target
            continue
        restored = _restore(source, definition, file.source, before)
        found = found or is_target
        written = written or (is_target and not _left_out(source, definition))
        edits.extend(restored)
    if target is not None and not found:
        if overloads:
            raise Rejected(f"the answer changed the parameter types of {target.qualified_name}")
        raise Rejected(f"the answer does not define {target.qualified_name}")
    if target is not None and not written:
        raise Rejected("the target's body was left out")
    return edits


def _left_out(source: Source, definition: Definition) -> bool:
    assert definition.function is not None
    return is_placeholder_body(source, definition.function.child_by_field_name("body"))


def _restore(source: Source, new: Definition, old_source: Source, old: Definition) -> list[Edit]:
    """Put back the original header of ``new`` (with its own parameter names), or all of it."""
    assert new.function is not None and old.function is not None
    new_body, old_body = new.function.child_by_field_name("body"), old.function.child_by_field_name("body")
    if new_body is None or old_body is None:
        return []
    if is_placeholder_body(source, new_body):
        return [Edit(new.start, new.end, old_source.span(old.start, old.end).encode("utf-8"))]
    old_params = old.function.child_by_field_name("parameters")
    if old_params is None:
        return []
    header = (
        old_source.span(old.start, old_params.start_byte)
        + _parameters_text(source, new.function, old_source, old.function)
        + old_source.span(old_params.end_byte, old_body.start_byte)
    )
    if source.span(new.start, new_body.start_byte) == header:
        return []
    return [Edit(new.start, new_body.start_byte, header.encode("utf-8"))]


def _parameters_text(source: Source, new: Node, old_source: Source, old: Node) -> str:
    """The original parameter list (annotations, ``final``) with the candidate's parameter names."""
    old_list = old.child_by_field_name("parameters")
    assert old_list is not None
    pairs = list(zip(parameters(old), parameters(new), strict=False))
    edits: list[Edit] = []
    for old_param, new_param in pairs:
        old_name, new_name = parameter_name(old_param), parameter_name(new_param)
        if old_name is not None and new_name is not None and old_source.text(old_name) != source.text(new_name):
            start, end = old_name.start_byte - old_list.start_byte, old_name.end_byte - old_list.start_byte
            edits.append(Edit(start, end, source.text(new_name).encode("utf-8")))
    return apply_edits(old_source.data[old_list.start_byte : old_list.end_byte], edits).decode("utf-8")
