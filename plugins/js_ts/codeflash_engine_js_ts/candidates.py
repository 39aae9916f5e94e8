"""Turning raw LLM answers into clean JavaScript/TypeScript candidates: the skeleton's JS/TS parts.

The engine's :class:`CandidateCleaner` maps each answer onto the request's files, refuses answers
cut off by the token limit and drops unchanged or duplicate ones. Here, per file: parse it (a
bare method is wrapped back into its class); restore what the model must not change (the
target's name, parameters, ``export``/``async`` form and class membership; bodies the model left
out as ``// ... unchanged``); add the original imports the new code uses; reject anything that
does not parse; and normalise comments, layout and local names, so that equal candidates compare
equal.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import TypeGuard

import attrs
from tree_sitter import Node

from codeflash_engine import CandidateCleaner, CandidatesRequest, CodeFile, Rejected, Target
from codeflash_engine.plugins.treesitter import Edit, apply_edits, walk
from codeflash_engine_js_ts.imports import Binding, add_imports, bindings, declared_names, missing_imports
from codeflash_engine_js_ts.normalize import normal_form
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.structure import (
    Definition,
    binding_names,
    bound_names,
    definitions,
    function_body,
    function_parameters,
    is_async,
    is_commonjs,
    is_generator,
    is_placeholder_body,
    parameter_shapes,
)

log = logging.getLogger(__name__)

#: fence tags accepted in answers, for either language (models mix them up)
LANGUAGE_TAGS = ("javascript", "js", "jsx", "mjs", "cjs", "node", "typescript", "ts", "tsx", "mts", "cts")

Norm = tuple[str, str]


def matches(target: Target, definition: Definition) -> bool:
    """True when ``definition`` is the target function (a method only in the right class)."""
    function = definition.function
    if function is None or definition.key is None:
        return False
    name = function.child_by_field_name("name")
    own = (name.text or b"").decode("utf-8") if name is not None else definition.key
    return own == target.name and definition.class_name == target.class_name


@attrs.frozen
class OriginalFile:
    """A file of the request, parsed once: its definitions by key and their normal forms."""

    path: str | None
    source: Source
    functions: dict[str, Definition]
    norms: frozenset[Norm]
    texts: frozenset[tuple[str, str]]
    class_headers: dict[str, str]
    #: the names the file reads or sets on ``this`` (``this.cache = ...`` in a constructor)
    this_names: frozenset[str]

    @property
    def keys(self) -> frozenset[str]:
        """The keys of the file's definitions (``f``, ``class A``, ``A.m``, ``A.field x``...)."""
        return frozenset(key for key, _ in self.texts if key)


@attrs.frozen
class Original:
    """The request's read-writable code, target file first, and the target."""

    language: str
    files: tuple[OriginalFile, ...]
    target: Target
    trusted: bool = True
    """True when the request named the target, or when it could be inferred reliably."""

    @property
    def target_known(self) -> bool:
        """True when the target is named or reliably inferred, and is a definition of the first file.

        Otherwise (an unreliable guess, or a shape the plugin does not understand) the target is
        not enforced: candidates are still validated, restored, deduplicated and given imports.
        """
        known = any(matches(self.target, d) for d in self.files[0].functions.values()) if self.files else False
        return self.trusted and known


def original_file(language: str, file: CodeFile) -> OriginalFile:
    source = Source.parse(language, file.code, file.path)
    defs = definitions(source)
    functions = {d.key: d for d in defs if d.function is not None and d.key is not None}
    headers = {d.class_name: source.span(d.start, d.end) for d in defs if d.key == f"class {d.class_name}"}
    return OriginalFile(
        path=file.path,
        source=source,
        functions=functions,
        norms=frozenset(_norms(source, defs)),
        texts=frozenset((d.key or "", source.span(d.start, d.end)) for d in defs),
        class_headers={k: v for k, v in headers.items() if k is not None},
        this_names=frozenset(
            source.text(prop)
            for node in walk(source.root)
            if node.type == "member_expression"
            and (owner := node.child_by_field_name("object")) is not None
            and owner.type == "this"
            and (prop := node.child_by_field_name("property")) is not None
        ),
    )


def infer_target(file: OriginalFile) -> tuple[Target | None, bool]:
    """The target when the request does not name it, and whether to trust the guess.

    The client writes the target file as its imports, then the target (a function, or a method
    inside its class after the fields and the constructor), then the helpers: so the target is
    the first function of the file, or the first method of a class that comes first. When the
    file starts with anything else the guess is not trusted (and so not enforced).
    """
    defs = [d for d in definitions(file.source) if not _is_directive(d)]
    if not defs:
        return None, False
    first = defs[0]
    if first.function is not None and first.key is not None:
        return Target(_own_name(first), _own_name(first), path=file.path), True
    if first.key == f"class {first.class_name}" and first.class_name:
        for member in defs[1:]:
            if member.class_name != first.class_name:
                break
            if member.function is not None and _own_name(member) != "constructor":
                name = _own_name(member)
                return Target(name, f"{first.class_name}.{name}", first.class_name, file.path), True
    return None, False


def target_of(language: str, original: Sequence[CodeFile]) -> Target | None:
    """The target a request without one is about (what the prompt names), as the cleaner infers it."""
    return infer_target(original_file(language, original[0]))[0] if original else None


def _own_name(definition: Definition) -> str:
    name_node = definition.function.child_by_field_name("name") if definition.function else None
    return (name_node.text or b"").decode("utf-8") if name_node is not None else definition.key or ""


def _is_directive(definition: Definition) -> bool:
    node = definition.node
    return node.type == "expression_statement" and bool(node.named_children) and node.named_children[0].type == "string"


def _norms(source: Source, defs: Sequence[Definition]) -> list[Norm]:
    return [(d.key or "", normal_form(source, d.node, d.start, d.end)) for d in defs]


class JsTsCleaner(CandidateCleaner[Original, OriginalFile, Source]):
    """The skeleton's JavaScript/TypeScript parts (see the module docstring)."""

    accepted_tags = LANGUAGE_TAGS
    logger = log

    def analyse(self, request: CandidatesRequest) -> Original:
        """Parse the request's files and work out the target (given, or the first function)."""
        files = tuple(original_file(request.language, f) for f in request.original)
        if request.target is not None:
            return Original(language=request.language, files=files, target=request.target)
        target, trusted = infer_target(files[0]) if files else (None, False)
        return Original(language=request.language, files=files, target=target or Target("", ""), trusted=trusted)

    def original_files(self, original: Original) -> Sequence[tuple[str | None, OriginalFile]]:
        return [(f.path, f) for f in original.files]

    def clean_file(self, code: str, file: OriginalFile, original: Original, *, first: bool) -> Source:
        """Parse, restore signatures and left-out bodies, add missing imports; raise Rejected if invalid."""
        source = Source.parse(original.language, code, file.path)
        if not source.ok and first and original.target.class_name:
            source = _wrap_in_class(source, file, original)
        if not source.ok:
            raise Rejected(f"{file.path}: does not parse ({source.problems()[0]})")
        enforced = first and original.target_known
        edits = _restorations(source, file, original.target if enforced else None)
        if edits:
            source = source.edited(edits, original.language)
        insert = add_imports(source, missing_imports(file.source, source))
        if insert is not None:
            source = source.edited([insert], original.language)
        copyable = client_copyable_edits(source, file)
        if copyable:
            source = source.edited(copyable, original.language)
        if enforced and original.target.class_name:
            for lift in (lifted_field_edits, lifted_method_edits):
                lifted = lift(source, file, original.target)
                if lifted:
                    source = source.edited(lifted, original.language)
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


CLEANER = JsTsCleaner()
postprocess = CLEANER.postprocess
triage = CLEANER.triage


def _wrap_in_class(source: Source, file: OriginalFile, original: Original) -> Source:
    """A bare method (``sum(xs) { ... }``) put back inside its class, imports kept in front."""
    class_name = original.target.class_name or ""
    header = file.class_headers.get(class_name, f"class {class_name} ").rstrip()
    lines = source.code.splitlines()
    split = 0
    while split < len(lines) and (not lines[split].strip() or _is_import_line(lines[split])):
        split += 1
    head = "\n".join(lines[:split]).strip()
    body = "\n".join("  " + line if line.strip() else "" for line in lines[split:])
    wrapped = f"{head}\n\n" if head else ""
    wrapped += f"{header} {{\n{body}\n}}\n"
    candidate = Source.parse(original.language, wrapped, file.path)
    return candidate if candidate.ok else source


def _is_import_line(line: str) -> bool:
    stripped = line.strip()
    is_require = "require(" in stripped and stripped.startswith(("const ", "let ", "var "))
    return stripped.startswith("import ") or is_require


def _restorations(source: Source, file: OriginalFile, target: Target | None) -> list[Edit]:
    """Edits that restore signatures and left-out bodies; Rejected when the target is unusable."""
    edits: list[Edit] = []
    found_target = False
    for definition in definitions(source):
        if definition.function is None or definition.key is None:
            continue
        is_target = target is not None and matches(target, definition)
        found_target = found_target or is_target
        before = _original_target(file, target) if is_target else file.functions.get(definition.key)
        if before is None:
            continue
        edits.extend(_restore(source, definition, file.source, before, is_target=is_target))
    if target is not None and not found_target:
        raise Rejected(f"the answer does not define {target.qualified_name}")
    return edits


def _original_target(file: OriginalFile, target: Target | None) -> Definition | None:
    return next((d for d in file.functions.values() if target is not None and matches(target, d)), None)


def _restore(source: Source, new: Definition, old_source: Source, old: Definition, *, is_target: bool) -> list[Edit]:
    """Edits putting back the original signature of ``new`` (or all of it for a left-out body)."""
    assert new.function is not None and old.function is not None
    new_body, old_body = function_body(new.function), function_body(old.function)
    if new_body is None or old_body is None:
        return []
    if is_placeholder_body(source, new_body):
        if is_target:
            raise Rejected("the target's body was left out")
        return [Edit(new.start, new.end, old_source.span(old.start, old.end).encode("utf-8"))]
    header = _header(source, new, old_source, old)
    if header is None:
        if is_target:
            reason = _incompatibility(source, new.function, old_source, old.function)
            raise Rejected(reason or "the answer changed the target's signature")
        return []
    edits: list[Edit] = []
    if new_body.type != "statement_block" and old_body.type == "statement_block":
        block = "{\n  return " + source.text(new_body) + ";\n}"
        edits.append(Edit(new.start, new_body.end_byte, (header + block).encode("utf-8")))
    elif source.span(new.start, new_body.start_byte) != header:
        edits.append(Edit(new.start, new_body.start_byte, header.encode("utf-8")))
    if old.end == old_body.end_byte and new.end > new_body.end_byte:
        edits.append(Edit(new_body.end_byte, new.end, b""))
    return edits


def _header(source: Source, new: Definition, old_source: Source, old: Definition) -> str | None:
    """The original's header with the candidate's parameter names, or None when incompatible."""
    assert new.function is not None and old.function is not None
    old_body = function_body(old.function)
    assert old_body is not None
    if _incompatibility(source, new.function, old_source, old.function) is not None:
        return None
    new_params, old_params = function_parameters(new.function), function_parameters(old.function)
    old_header = old_source.span(old.start, old_body.start_byte)
    if old_params is None or new_params is None or binding_names(new_params) == binding_names(old_params):
        return old_header
    return (
        old_source.span(old.start, old_params.start_byte)
        + source.text(new_params)
        + old_source.span(old_params.end_byte, old_body.start_byte)
    )


def _incompatibility(source: Source, new: Node, old_source: Source, old: Node) -> str | None:
    """Why the candidate function cannot take the original's signature, or None when it can.

    It can when its parameters bind the same names, or have the same shape (kind and type of
    each parameter; only the names differ), and it did not become async or change generator form.
    """
    if is_async(new) and not is_async(old):
        return "the answer made the target async (callers would get a Promise)"
    if is_generator(new) != is_generator(old):
        return "the answer changed whether the target is a generator"
    new_params, old_params = function_parameters(new), function_parameters(old)
    if old_params is None or new_params is None:
        return None if old_params is None and new_params is None else "the answer changed the target's parameters"
    if binding_names(new_params) == binding_names(old_params):
        return None
    if parameter_shapes(source, new_params) != parameter_shapes(old_source, old_params):
        return "the answer changed the target's parameters"
    return None


def client_copyable_edits(source: Source, file: OriginalFile) -> list[Edit]:
    """Edits giving what a candidate adds at the top level a form the client copies into the file.

    The client (0.20.6) puts a candidate into the project by replacing the functions it knows
    (the target and its existing helpers) and copying the *new variable, class and type
    declarations*; it copies neither new function declarations nor new imports. A helper the
    answer adds next to the target (``function buildIndex(rows) { ... }``, as the prompt invites)
    or a new import (``import { createHash } from 'node:crypto'``) would be lost, and the candidate
    fail with a ``ReferenceError``. So a new top-level function becomes a ``const`` bound to the
    same function: ``const buildIndex = function buildIndex(rows) { ... };`` (``export``,
    ``async`` and generator forms kept; TypeScript overloads left alone); and the names a new
    ``import`` adds come from ``await import(...)`` (``const { createHash } = await
    import('node:crypto');``, top-level ``await``: the file is an ES module when it imports), or
    from ``require(...)`` in a CommonJS file.
    Type-only imports are left alone: they have no runtime effect.
    """
    known = declared_names(file.source)
    overloaded = {
        source.text(signature_name)
        for node in source.root.named_children
        if (inner := _declaration_of(node)).type == "function_signature"
        and (signature_name := inner.child_by_field_name("name")) is not None
    }
    edits: list[Edit] = []
    for node in source.root.named_children:
        inner = _declaration_of(node)
        if inner.type not in ("function_declaration", "generator_function_declaration"):
            continue
        name_node = inner.child_by_field_name("name")
        name = source.text(name_node) if name_node is not None else ""
        if not name or name in known or name in overloaded:
            continue
        text = f"const {name} = {source.text(inner)};"
        edits.append(Edit(inner.start_byte, inner.end_byte, text.encode("utf-8")))
    edits.extend(_new_imports(source, known, commonjs=is_commonjs(file.source)))
    edits.extend(_new_requires(source, known))
    return edits


def _declaration_of(node: Node) -> Node:
    if node.type == "export_statement":
        return node.child_by_field_name("declaration") or node
    return node


#: field values made afresh on first use as well as at construction (with empty containers)
_LITERALS = frozenset({"number", "string", "true", "false", "null", "undefined"})
#: field values that are functions: made afresh, with the same ``this`` in the target as in the class
_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function"})
#: field values that are functions taking the ``this`` they are called on (not arrows)
_RECEIVING = frozenset({"function_expression", "function"})


def lifted_field_edits(source: Source, file: OriginalFile, target: Target) -> list[Edit]:
    """Edits giving the fields a candidate adds to the target's class a form the client keeps.

    The client (0.20.6) replaces only the target method's body: a field the answer adds to the
    class would be missing, and the method read ``undefined``. So:

    - a new static field read only on the class (``Ledger.LIMIT`` or ``Ledger.#LIMIT``, also
      ``this.constructor.LIMIT`` in a method and ``this.LIMIT`` in a static method) becomes a
      module-level ``const Ledger_LIMIT = 64;``, which the client copies, and those reads read it.
      Its value must not need the class: no ``super``, and no use of the class (its name, or
      ``this``) but reads of other statics moved with it (which then read their constants);
    - a new instance field holding a fresh value (an empty ``new Map()``, ``[]``, ``{}``, a
      literal, or a function whose free names the target does not rebind) and used on ``this``
      in a method is set by the target itself before anything else: ``this.cache ??= new Map();``;
    - a new private instance field (``#memo = new Map()``) used only as ``this.#memo`` (not
      assigned) in methods becomes a module-level ``WeakMap`` of the instances: the target starts
      with ``if (!Ledger_memo.has(this)) Ledger_memo.set(this, new Map());`` and its uses read
      ``Ledger_memo.get(this)``, so the instances' own properties stay as they were. In
      TypeScript, public fields take this form too (typed, and ``get(this)!``): ``this.memo``
      would not type-check, the class the client keeps not declaring ``memo``. A field holding
      a ``function`` gets the ``this`` it is called on: ``this.#f(x)`` becomes
      ``Ledger_f.get(this).call(this, x)`` (and it stays when a use gives it a ``this`` another
      way, see :func:`_receives_no_other_this`);

    Left alone: everything else (a static nothing reads, one written or read other ways, fields
    holding other values, fields named like a method or accessor of the class).
    """
    class_name = target.class_name or ""
    defs = definitions(source)
    unit = next((d for d in defs if d.key == f"class {class_name}"), None)
    method = next((d.function for d in defs if d.key == f"{class_name}.{target.name}" and d.function), None)
    body = function_body(method) if method is not None else None
    if unit is None or method is None or body is None:
        return []
    known = file.keys
    taken = declared_names(source)
    methods = {_own_name(d) for d in defs if d.class_name == class_name and d.function is not None}
    statics: dict[str, Static] = {}
    mapped: list[tuple[str, Node, Node, list[Node]]] = []  # to a WeakMap: the name, the field, its value, its uses
    publics: list[tuple[str, Node]] = []  # the name, the field
    for field in defs:
        if field.class_name != class_name or field.key in known or ".field " not in (field.key or ""):
            continue
        node = field.node
        name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
        value = node.child_by_field_name("value")
        if name_node is None or value is None or name_node.type not in _MEMBER_NAMES:
            continue
        name = source.text(name_node)
        static = _has_token(node, "static")
        if not static and name in file.this_names:
            continue  # the original has it already (set in its constructor): not new
        if name in methods:
            continue  # a method or accessor of the name: the field hides it, or is a member twice
        if static:
            reads = _static_reads(source, unit.node, class_name, name)
            if reads:  # else read by nothing, or not only as `Class.name`
                statics[name] = (node, value, reads)
        elif not _is_fresh(source, value, method, class_name):
            continue
        elif name_node.type == "private_property_identifier" or source.is_typescript:
            uses = _field_uses(source, unit.node, name_node)
            if uses and value.type in _RECEIVING:  # `this.#f()` passes `this` to the function: so must its call
                uses = uses if all(_receives_no_other_this(use) for use in uses) else None
            if uses:
                mapped.append((name, node, value, uses))
        elif any(_is_this_member(source, n, name) and _in_method(n) for n in walk(unit.node)):
            publics.append((name, node))  # used by the target, or by a helper it calls
    moved = _movable_statics(source, class_name, statics, taken)
    # what the reads of a moved static and the uses of a private field become
    swaps = {read: local for name, local in moved.items() for read in statics[name][2]}
    edits: list[Edit] = []
    for name, local in moved.items():
        node, value, _ = statics[name]
        annotation = node.child_by_field_name("type")
        typed = source.text(annotation) if annotation is not None else ""
        text = f"const {local}{typed} = {_swapped(source, value.start_byte, value.end_byte, swaps)};\n\n"
        edits.append(Edit(unit.start, unit.start, text.encode()))
    setup: list[tuple[int, str]] = []  # the field's place, the statement setting it
    calls: list[tuple[Node, Node, str]] = []  # a function field called on `this`: the call, its arguments, the read
    for name, node, value, uses in mapped:
        local = _fresh_local(f"{class_name}_{name.lstrip('#')}", taken)
        annotation = node.child_by_field_name("type")  # TypeScript: `: Map<string, number>`
        if annotation is not None and _inside_only(source, annotation, unit.node):
            annotation = None  # the class's type parameters (or `this`) are not known outside it
        typed = f"<object, {source.text(annotation).lstrip(':').strip()}>" if annotation is not None else ""
        edits.append(Edit(unit.start, unit.start, f"const {local} = new WeakMap{typed}();\n\n".encode()))
        read = f"{local}.get(this){'!' if source.is_typescript else ''}"  # set first
        for use in uses:
            arguments = _call_arguments(use) if value.type in _RECEIVING else None
            if arguments is None:
                swaps[use] = read
            else:
                calls.append((_parent(use), arguments, read))
        initial = _swapped(source, value.start_byte, value.end_byte, swaps)
        setup.append((node.start_byte, f"if (!{local}.has(this)) {local}.set(this, {initial});"))
    for call, arguments, read in sorted(calls, key=lambda c: c[0].end_byte - c[0].start_byte):  # inner ones first
        passed = _swapped(source, arguments.start_byte + 1, arguments.end_byte - 1, swaps).strip()
        swaps[call] = f"{read}.call(this{', ' + passed if passed else ''})"
    for name, node in publics:
        value = node.child_by_field_name("value")
        assert value is not None  # only fields with a value were kept
        setup.append((node.start_byte, f"this.{name} ??= {_swapped(source, value.start_byte, value.end_byte, swaps)};"))
    removed = [statics[name][0] for name in moved] + [node for _, node, _, _ in mapped]
    edits.extend(Edit(*source.removal_span(node), b"") for node in removed)
    edits.extend(
        Edit(node.start_byte, node.end_byte, text.encode())
        for node, text in swaps.items()
        if not any(r.start_byte <= node.start_byte < r.end_byte for r in removed)
    )
    if setup:
        first = body.named_children[0] if body.named_children else None
        indent = " " * (first.start_point[1] if first is not None else method.start_point[1] + 2)
        text = "".join(f"\n{indent}{line}" for _, line in sorted(setup))
        edits.append(Edit(body.start_byte + 1, body.start_byte + 1, text.encode("utf-8")))
    return edits


#: the node types of a class member's own name
_MEMBER_NAMES = frozenset({"property_identifier", "private_property_identifier"})
#: a new static field: the field, its value, its reads
Static = tuple[Node, Node, list[Node]]


def _fresh_local(name: str, taken: set[str]) -> str:
    """``name``, or with ``_`` before it until no top-level name of the file is the same (then taken)."""
    while name in taken:
        name = f"_{name}"
    taken.add(name)
    return name


def _movable_statics(source: Source, class_name: str, statics: dict[str, Static], taken: set[str]) -> dict[str, str]:
    """The ``statics`` whose values do not need the class (see :func:`_movable`), in their order,
    each with the name of the constant it becomes."""
    movable = dict(statics)
    while True:  # a value may read only statics that move too, and come before it (as constants must)
        names = list(movable)
        stay = [
            name
            for i, (name, (_, value, _)) in enumerate(movable.items())
            if not _movable(source, value, class_name, names[:i])
        ]
        if not stay:
            break
        for name in stay:
            del movable[name]
    return {name: _fresh_local(f"{class_name}_{name.lstrip('#')}", taken) for name in movable}


def _swapped(source: Source, start: int, end: int, swaps: Mapping[Node, str]) -> str:
    """The code from ``start`` to ``end`` with the nodes of ``swaps`` inside it replaced by their
    texts (:func:`apply_edits`: a node inside another one replaced goes with it)."""
    edits = [
        Edit(n.start_byte - start, n.end_byte - start, text.encode("utf-8"))
        for n, text in swaps.items()
        if start <= n.start_byte and n.end_byte <= end
    ]
    return apply_edits(source.data[start:end], edits).decode("utf-8")


def _movable(source: Source, value: Node, class_name: str, earlier: Collection[str]) -> bool:
    """``value`` means the same before the class: no ``super``, and no ``this`` or use of the
    class's name other than reading a static of ``earlier`` (those moving too, declared before
    it). Such a read is on the class (``Ledger.X``, or ``this.X`` where ``this`` is the class):
    a static moves only when all its reads are (:func:`_static_reads`)."""
    for node in walk(value):
        if node.type == "super":
            return False
        if node.type == "this" or (node.type == "identifier" and source.text(node) == class_name):
            member = node.parent  # `Ledger.X`: only a member has a property, and the class is its object
            read = member.child_by_field_name("property") if member is not None else None
            if read is None or source.text(read) not in earlier:
                return False
    return True


def _field_uses(source: Source, cls: Node, name_node: Node) -> list[Node] | None:
    """The ``this.name`` (``this.#name``) expressions of the class, all in methods and none
    assigned to; None when the name is used any other way. A public name is also the name of
    other objects' properties (``Math.round``): only its uses on ``this`` count."""
    name = source.text(name_node)
    public = name_node.type == "property_identifier"
    uses: list[Node] = []
    for node in walk(cls):
        if node.type != name_node.type or node == name_node or source.text(node) != name:
            continue
        member = node.parent
        if member is None or not _is_this_member(source, member, name):
            if public:
                continue  # another object's property of the same name
            return None
        if _is_written(member) or not _in_method(member):
            return None
        uses.append(member)
    return uses


#: a class field's node, in JavaScript and in TypeScript
_FIELDS = ("field_definition", "public_field_definition")


def _call_arguments(member: Node) -> Node | None:
    """The arguments of the call ``member`` is the callee of (``this.#f(x)``), if it is one. An
    expression whose parent is a call is its callee: a call's other children are its arguments
    (and type arguments), never a member expression; a tagged template's ``arguments`` are a
    template string, not a list."""
    call = _parent(member)
    arguments = call.child_by_field_name("arguments") if call.type == "call_expression" else None
    return arguments if _is_arguments(arguments) else None


def _parent(node: Node) -> Node:
    """The parent of ``node``, which has one."""
    assert node.parent is not None
    return node.parent


def _receives_no_other_this(member: Node) -> bool:
    """The function ``member`` (``this.#f``) holds is called with arguments, given no receiver
    (read as a value: ``xs.map(this.#f, this)``, ``this.#f.call(o)``), but not called another way
    that passes ``this`` to it (a tagged template, ``(this.#f)(x)``) nor constructed
    (``new this.#f()``: ``new Ledger_f.get(this)()`` would call ``get`` as the constructor)."""
    if _call_arguments(member) is not None:
        return True
    # A member expression right under a call or a `new` is its callee (their other children are
    # lists of arguments or type arguments): a call that is left here is a tagged template.
    return _parent(member).type not in ("parenthesized_expression", "call_expression", "new_expression")


def _in_method(node: Node) -> bool:
    """``node`` is inside a method's body (not a field's initializer)."""
    parent = node.parent
    while parent is not None and parent.type not in ("method_definition", *_FIELDS):
        parent = parent.parent
    return parent is not None and parent.type == "method_definition"


def _is_written(member: Node) -> bool:
    """``member`` is assigned to or updated (``x.y = 1``, ``x.y += 1``, ``x.y++``)."""
    parent = member.parent
    return parent is not None and (
        parent.type == "update_expression"
        or (parent.type.endswith("assignment_expression") and parent.child_by_field_name("left") == member)
    )


#: where the class's own name is harmless to a moved static: (parent's type, the parent's field it fills)
_CLASS_NAME_PLACES = frozenset(
    {
        ("class_declaration", "name"),  # class Ledger {...}
        ("class", "name"),  # const X = class Ledger {...}
        ("member_expression", "object"),  # Ledger.x
        ("new_expression", "constructor"),  # new Ledger()
    }
)


def _names_its_class(identifier: Node) -> bool:
    """The class's name declaring it, reaching a member (``Class.x``) or constructing (``new Class()``)
    (``identifier`` is inside the class, so it has a parent)."""
    parent = _parent(identifier)
    return any(
        parent.type == kind and parent.child_by_field_name(field) == identifier for kind, field in _CLASS_NAME_PLACES
    )


def _is_this_member(source: Source, node: Node, name: str) -> bool:
    """``this.name``."""
    if node.type != "member_expression":
        return False
    owner, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    return owner is not None and owner.type == "this" and prop is not None and source.text(prop) == name


def _is_fresh(source: Source, value: Node, method: Node, class_name: str) -> bool:
    """A field's ``value`` is made afresh when set by ``method`` as well as at construction: a
    literal, an empty container, arithmetic on literals and the class's statics
    (``Ledger.SIZE * 2``), or a function none of whose free names ``method`` rebinds."""
    if value.type == "new_expression":
        arguments = value.child_by_field_name("arguments")
        return arguments is None or not arguments.named_children
    if value.type in ("array", "object"):
        return not value.named_children
    if value.type in _FUNCTIONS:
        if any(n.type in ("super", "private_property_identifier") for n in walk(value)):
            return False  # in the target, the class of the client's file has neither
        used = {source.text(n) for n in walk(value) if n.type == "identifier"}
        return not (used - bound_names(value)) & bound_names(method)
    return _is_constant(source, value, class_name)


def _is_constant(source: Source, value: Node, class_name: str) -> bool:
    """``value`` is a literal, or operators on literals and reads of the class's statics."""
    if value.type in _LITERALS:
        return True
    if value.type in ("binary_expression", "unary_expression", "parenthesized_expression"):
        return all(_is_constant(source, operand, class_name) for operand in value.named_children)
    if value.type == "member_expression":  # a static: `Ledger.K`, or `this.constructor.K` (in a field's value)
        owner, prop = value.child_by_field_name("object"), value.child_by_field_name("property")
        on_class = owner is not None and (source.text(owner) == class_name or _is_this_constructor(source, owner))
        return on_class and prop is not None and prop.type in _MEMBER_NAMES
    return False


def _static_reads(source: Source, cls: Node, class_name: str, name: str) -> list[Node] | None:
    """The reads of ``name`` on the class in the class (``Class.name``, ``this.constructor.name``
    in an instance's code, ``this.name`` in a static's: see :func:`_is_class_reference`); None when
    it is referred to in any other way (or written to), or when the class itself is used as a
    value (``const { name } = Class``, ``Object.keys(this)`` in a static method)."""
    reads: list[Node] = []
    for node in walk(cls):
        if _is_class_reference(source, node, cls, class_name) and not _names_its_class(node):
            return None
        member = node.parent if node.type in _MEMBER_NAMES and source.text(node) == name else None
        if member is not None and member.type == "member_expression":  # not a declaration, key or method
            owner = member.child_by_field_name("object")
            if owner is None or not _is_class_reference(source, owner, cls, class_name) or _is_written(member):
                return None
            reads.append(member)
    return reads


def _is_class_reference(source: Source, node: Node, cls: Node, class_name: str) -> bool:
    """``node`` is the class: its name, ``this`` in its static code (a static method, a static
    field's value, a static block) or ``this.constructor`` in its instances' code (a method, a
    field's value). A subclass reached the same ways would bring its own statics; the class's new
    statics are its own (no subclass the original knows declares them)."""
    if node.type == "identifier":
        return source.text(node) == class_name
    if node.type == "this":
        return _this_scope(node, cls) == "static"
    return _is_this_constructor(source, node) and _this_scope(node, cls) == "instance"


def _is_this_constructor(source: Source, node: Node) -> bool:
    """``this.constructor``."""
    return _is_this_member(source, node, "constructor")


#: functions with their own ``this``: the one a method or field of the class has does not reach inside
_OWN_THIS = frozenset(
    {
        "function_expression",
        "function",
        "function_declaration",
        "generator_function",
        "generator_function_declaration",
        "class_body",
    }
)


def _this_scope(node: Node, cls: Node) -> str | None:
    """What ``this`` is at ``node`` in the class ``cls``: ``"static"`` (the class itself), in a
    static method, static field's value or static block; ``"instance"``, in a method or a field's
    value; None elsewhere (inside a ``function`` or a nested class, or outside the class's body).
    Arrow functions take the ``this`` around them."""
    declaration = _declaration_of(cls)
    child, parent = node, node.parent
    while parent is not None and parent.type not in _OWN_THIS:
        owner = parent.parent
        if owner is not None and owner.type == "class_body" and owner.parent == declaration:
            if child in (parent.child_by_field_name("name"), parent.child_by_field_name("property")):
                return None  # a computed key (`[this.x]() {}`): evaluated around the class
            if parent.type == "class_static_block" or _has_token(parent, "static"):
                return "static"
            return "instance" if parent.type in ("method_definition", *_FIELDS) else None
        child, parent = parent, owner
    return None


def lifted_method_edits(source: Source, file: OriginalFile, target: Target) -> list[Edit]:
    """Edits moving the methods and getters a candidate adds to the target's class out of it,
    where the client copies them.

    The client (0.20.6) replaces only the target method of a class: a helper method the answer
    adds next to it (``_index() { ... }`` called as ``this._index()``) would be lost, and the
    candidate fail with ``this._index is not a function``. Such a method becomes a module-level
    ``const Ledger__index = function (...) { ... };`` (a new declaration, which the client copies)
    and its calls ``Ledger__index.call(this, ...)``: the same ``this``, arguments and result. A
    getter read as ``this.size`` becomes ``Ledger_size.call(this)``, and a static method called
    through an instance ``Ledger_make.call(this.constructor, ...)``. A setter assigned in a
    statement of its own, ``this.limit = n;``, becomes ``Ledger_set_limit.call(this, n);``: the
    same call, and the statement drops the assignment's value either way. Calls inside the moved
    methods (one helper calling another, or itself) are rewritten the same way.
    Left alone (and lost, as before): members using ``super`` or a private name that does not
    move with them (``this.#count``), members referred to other than by a call (a read, for a
    getter; a lone assignment, for a setter) on ``this`` (or on the class, for a static one),
    with the other accessor of their name (``this.size += 1`` needs both), and the members
    :func:`_liftable_members` leaves out. A member nothing uses stays too: the client sends only
    the parts of the class around the target, so an answer repeating the rest of the class is
    not adding it.
    """
    class_name = target.class_name or ""
    known = set(file.functions)
    defs = definitions(source)
    members = [
        d
        for d in defs
        if d.class_name == class_name and d.function is not None and d.key is not None and d.key not in known
    ]
    unit = next((d for d in defs if d.key == f"class {class_name}"), None)
    if unit is None:
        return []
    taken = declared_names(source)
    keys = [d.key or "" for d in defs if d.class_name == class_name]
    fields = {key.partition(".field ")[2] for key in keys if ".field " in key}
    found = _liftable_members(source, members, class_name, fields, file.this_names)
    while True:  # a member using private names moves only with the members of those names
        uses = _member_uses(source, unit.node, class_name, {key: (_method(m), "") for key, (m, _) in found.items()})
        used = {_member_name(key) for key, _ in uses.values()}
        stuck = [key for key, (m, _) in found.items() if not (_private_names(source, _method(m)) or set()) <= used]
        if not stuck:
            break
        for key in stuck:
            del found[key]
    lifted = {key: (_method(m), _fresh_local(local, taken)) for key, (m, local) in found.items()}
    uses = _member_uses(source, unit.node, class_name, lifted)
    if not uses:
        return []  # referred to in other ways, or used by nothing: left as they were
    texts = {node: text for node, (_, text) in uses.items()}
    edits: list[Edit] = []
    moved: list[Node] = []
    for key, (member, _) in found.items():
        method = _method(member)
        if key not in {used for used, _ in uses.values()}:
            continue
        params = method.child_by_field_name("type_parameters") or method.child_by_field_name("parameters")
        assert params is not None  # a method always has its parameter list
        prefix = "async " if any(c.type == "async" for c in method.children) else ""
        star = "*" if any(c.type == "*" for c in method.children) else ""
        code = _dedented(_swapped(source, params.start_byte, method.end_byte, texts), method.start_point[1])
        generic = False
        if source.is_typescript:
            code, generic = _typed_function(source, unit.node, method, code)
        text = f"const {lifted[key][1]}{': any' if generic else ''} = {prefix}function{star} {code};\n\n"
        edits.append(Edit(unit.start, unit.start, text.encode("utf-8")))
        edits.append(Edit(*source.removal_span(member.node), b""))
        moved.append(member.node)
    edits.extend(
        Edit(node.start_byte, node.end_byte, text.encode("utf-8"))
        for node, text in texts.items()
        if not any(other.start_byte <= node.start_byte < other.end_byte for other in [*moved, *texts] if other != node)
    )
    return edits


def _method(member: Definition) -> Node:
    assert member.function is not None  # only methods are lifted
    return member.function


def _private_names(source: Source, method: Node) -> set[str] | None:
    """The private names (``#count``) the method uses; None when it uses ``super``. Outside its
    class, its code would not even parse, unless each of those names is moved out too."""
    name = method.child_by_field_name("name")
    nodes = [node for child in method.named_children if child != name for node in walk(child)]
    if any(node.type == "super" for node in nodes):
        return None
    return {source.text(node) for node in nodes if node.type == "private_property_identifier"}


def _member_uses(
    source: Source, cls: Node, class_name: str, lifted: Mapping[str, tuple[Node, str]]
) -> dict[Node, tuple[str, str]]:
    """What to write for each use of a lifted member in the class, by node, with the member's key
    (see :func:`_liftable_members`; ``lifted`` gives each key's method and constant):
    ``this.m(args)`` (``Class.m(args)``) becomes ``m_const.call(this, args)`` (the uses inside
    ``args`` rewritten too), a getter's ``this.g`` becomes ``g_const.call(this)``, and a setter's
    ``this.s = value;`` ``set_s_const.call(this, value);``. A static one may also be reached
    through an instance: ``this.constructor.m(args)`` becomes ``m_const.call(this.constructor,
    args)``. A member referred to in any other way has no uses: it stays, with the other
    accessor of its name."""
    found: list[tuple[Node, str, Node, tuple[int, int]]] = []  # the use, the key, the receiver, what it passes
    other: set[str] = set()  # names referred to in another way
    for node in walk(cls):
        if node.type != "member_expression":
            continue
        prop, owner = node.child_by_field_name("property"), node.child_by_field_name("object")
        name = source.text(prop) if prop is not None else ""
        member = lifted.get(name) or lifted.get(_setter_key(name))
        if owner is None or member is None:
            continue
        through_instance = _has_token(member[0], "static") and _is_class_reference(source, owner, cls, class_name)
        if owner.type != "this" and source.text(owner) != class_name and not through_instance:
            continue
        use = _use_of(node, name, lifted)
        if use is None:
            other.add(name)
        else:
            found.append((use[0], use[1], owner, use[2]))
    found = [use for use in found if _member_name(use[1]) not in other]
    uses: dict[Node, tuple[str, str]] = {}
    for node, key, owner, (start, end) in sorted(found, key=lambda f: f[0].end_byte - f[0].start_byte):
        inner = {n: text for n, (_, text) in uses.items()}  # the smaller ones: those inside it are done
        passed = _swapped(source, start, end, inner).strip()
        uses[node] = (key, f"{lifted[key][1]}.call({source.text(owner)}{', ' + passed if passed else ''})")
    return uses


def _use_of(
    member: Node, name: str, lifted: Mapping[str, tuple[Node, str]]
) -> tuple[Node, str, tuple[int, int]] | None:
    """How ``member`` (``this.name``) uses a lifted member: the expression a call of it replaces,
    the key of the member called, and the span of the code it passes; None when no call can serve
    (a method not called, a getter written to, a setter's value used or read back)."""
    if _setter_key(name) in lifted and _is_assigned_alone(member):
        assignment = _parent(member)
        value = assignment.child_by_field_name("right")
        assert value is not None  # an assignment always has its value
        return assignment, _setter_key(name), (value.start_byte, value.end_byte)
    method = lifted.get(name)
    if method is None:
        return None
    if _has_token(method[0], "get"):
        return None if _is_written(member) else (member, name, (member.end_byte, member.end_byte))
    call = member.parent  # a call of the method: the member is its callee (not a tagged template's)
    arguments = call.child_by_field_name("arguments") if call is not None else None
    if call is not None and call.child_by_field_name("function") == member and _is_arguments(arguments):
        return call, name, (arguments.start_byte + 1, arguments.end_byte - 1)
    return None


def _liftable_members(
    source: Source, members: Sequence[Definition], class_name: str, fields: Collection[str], this_names: Collection[str]
) -> dict[str, tuple[Definition, str]]:
    """The new methods and accessors of the class that may move out, by key (a method's or
    getter's name, ``set name`` for a setter), each with the name of its constant
    (``Ledger_size``, ``Ledger_set_size``).

    Left out: a constructor; members using ``super``; members named like a field of the class
    (the field hides them on the instances); two members of one key, or a setter next to a
    method or to a getter of the other placement (static or not); and a setter of a name the
    original file uses on ``this`` (``this.rows = rows`` in its constructor would call it in the
    answer, and not in the client's file).
    """
    found: dict[str, tuple[Definition, str]] = {}
    twice: set[str] = set()  # names with two members of one key
    for member in members:
        method = _method(member)
        name_node = method.child_by_field_name("name")
        assert name_node is not None  # a method always has its name
        name = source.text(name_node)
        setter = _has_token(method, "set")
        if name == "constructor" or name in fields or _private_names(source, method) is None:
            continue
        if setter and name in this_names:
            continue
        key = _setter_key(name) if setter else name
        if key in found:
            twice.add(name)
        found[key] = (member, f"{class_name}_{'set_' if setter else ''}{name.lstrip('#')}")
    for key, (member, _) in list(found.items()):
        name = _member_name(key)
        paired = found.get(name) if key != name else None
        if paired is None:
            continue
        method, getter = _method(member), _method(paired[0])
        if not _has_token(getter, "get") or _has_token(method, "static") != _has_token(getter, "static"):
            twice.add(name)
    return {key: member for key, member in found.items() if _member_name(key) not in twice}


def _setter_key(name: str) -> str:
    """The key of the setter of ``name`` (see :func:`_liftable_members`)."""
    return f"set {name}"


def _member_name(key: str) -> str:
    """The name of the member of ``key``: a setter's key without its ``set``."""
    return key.removeprefix("set ")


def _has_token(method: Node, token: str) -> bool:
    """``method`` is written with the keyword ``token`` (``static``, ``get``, ``set``, ``async``)."""
    return any(c.type == token for c in method.children)


def _is_assigned_alone(member: Node) -> bool:
    """``member`` is assigned with ``=`` in a statement of its own (``this.x = value;``), so the
    assignment's value (the value assigned, not what a setter returns) is not used."""
    assignment = member.parent
    return (
        assignment is not None
        and assignment.type == "assignment_expression"
        and assignment.child_by_field_name("left") == member
        and assignment.parent is not None
        and assignment.parent.type == "expression_statement"
    )


def _typed_function(source: Source, cls: Node, method: Node, code: str) -> tuple[str, bool]:
    """``code`` (a TypeScript method from its parameters on) as a function's, so that ``tsc
    --strict`` takes it outside its class: an explicit ``this: any`` (its members may be private),
    and, when it uses them, the class's type parameters with its own (those with a default last);
    and whether the function is generic (then its constant is typed ``any``: a generic function's
    type parameters are not inferred through ``.call``)."""
    params = method.child_by_field_name("parameters")
    own = method.child_by_field_name("type_parameters")
    assert params is not None  # a method always has its parameter list
    at = params.start_byte - (own or params).start_byte + 1  # just inside `(`: swaps come later
    code = code[:at] + ("this: any, " if params.named_children else "this: any") + code[at:]
    outer = _type_parameters(cls)
    names = _type_names(source, outer)
    if outer is None or not names & _type_names(source, method):
        return code, own is not None  # unused type parameters would be an error under `noUnusedParameters`
    listed = [*outer.named_children, *(own.named_children if own is not None else ())]
    ordered = sorted(listed, key=lambda n: n.child_by_field_name("value") is not None)  # stable: required first
    text = f"<{', '.join(source.text(n) for n in ordered)}>"
    return text + (code[own.end_byte - own.start_byte :] if own is not None else code), True


def _type_parameters(cls: Node) -> Node | None:
    """The class's type parameters (``<T extends Entry = Entry>``), if it has any."""
    declaration = cls.child_by_field_name("declaration") if cls.type == "export_statement" else cls
    return declaration.child_by_field_name("type_parameters") if declaration is not None else None


def _inside_only(source: Source, annotation: Node, cls: Node) -> bool:
    """The type ``annotation`` means something only inside the class: it names the class's type
    parameters, or ``this``."""
    if any(n.type == "this_type" for n in walk(annotation)):
        return True
    return bool(_type_names(source, annotation) & _type_names(source, _type_parameters(cls)))


def _type_names(source: Source, node: Node | None) -> set[str]:
    """The type names written under ``node`` (for type parameters: the names they declare)."""
    if node is None:
        return set()
    if node.type == "type_parameters":
        return {source.text(n.child_by_field_name("name") or n) for n in node.named_children}
    return {source.text(n) for n in walk(node) if n.type == "type_identifier"}


def _is_arguments(node: Node | None) -> TypeGuard[Node]:
    return node is not None and node.type == "arguments"


def _dedented(text: str, column: int) -> str:
    """``text`` (a method's code from its parameters on) with its continuation lines moved left by
    ``column`` blanks, where they have them."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(line[column:] if line[:column].isspace() else line for line in rest)])


def _new_imports(source: Source, known: set[str], *, commonjs: bool) -> list[Edit]:
    """``import`` statements binding new names, as ``const`` declarations of those names.

    In an ES module: ``const { x } = await import(...)`` (the names the file already has stay in
    an ``import``). In a CommonJS file, which cannot hold an ``import``: ``const { x } =
    require(...)``, and an import binding only names the file has goes altogether.
    """
    edits: list[Edit] = []
    for statement, found in _import_statements(source):
        module = statement.child_by_field_name("source")
        if module is None or any(c.type == "type" for c in statement.children):
            continue
        new = [b for b in found if b.name not in known and not b.piece.startswith("type ")]
        kept = [b for b in found if b.name in known or b.piece.startswith("type ")]
        if not (new or commonjs):
            continue
        specifier = source.text(module)
        if commonjs:
            lines = [f"const {b.name} = require({specifier});" for b in new if b.kind in ("default", "namespace")]
            named = [_destructured(b.kind, b.piece) for b in new if b.kind not in ("default", "namespace")]
            loaded = f"require({specifier})"
        else:
            lines = [_static_import(kept, specifier)] if kept else []
            lines += [f"const {b.name} = await import({specifier});" for b in new if b.kind == "namespace"]
            named = [_destructured(b.kind, b.piece) for b in new if b.kind != "namespace"]
            loaded = f"await import({specifier})"
        if named:
            lines.append(f"const {{ {', '.join(named)} }} = {loaded};")
        text = "\n".join(lines).encode("utf-8")
        edits.append(
            Edit(statement.start_byte, statement.end_byte, text)
            if lines
            else Edit(*source.removal_span(statement), b"")
        )
    return edits


def _new_requires(source: Source, known: set[str]) -> list[Edit]:
    """``require`` declarations reduced to the names new to the file.

    The client copies a declaration binding any new name whole: ``const { normalizeWord,
    foldWord } = require('./text')`` next to the file's own ``const { normalizeWord } =
    require('./text')`` would declare ``normalizeWord`` twice (a ``SyntaxError``). So it becomes
    ``const { foldWord } = require('./text')``.
    """
    edits: list[Edit] = []
    for statement, found in _import_statements(source):
        if statement.type == "import_statement":
            continue
        new = [b for b in found if b.name not in known]
        if not new or len(new) == len(found):
            continue  # the client copies only a declaration binding a new name, and then whole
        declarators: dict[str, list[str]] = {}  # a whole declarator, or the properties taken from one module
        for b in new:
            if b.kind == "property":
                declarators.setdefault(b.source, []).append(b.piece)
            else:
                declarators.setdefault(b.piece, [])
        parts = [f"{{ {', '.join(pieces)} }} = {key}" if pieces else key for key, pieces in declarators.items()]
        keyword = statement.children[0].type
        edits.append(Edit(statement.start_byte, statement.end_byte, f"{keyword} {', '.join(parts)};".encode()))
    return edits


def _import_statements(source: Source) -> list[tuple[Node, list[Binding]]]:
    """The file's ``import`` statements and ``require`` declarations, each with its bindings."""
    grouped: dict[int, tuple[Node, list[Binding]]] = {}
    for binding in bindings(source):
        grouped.setdefault(binding.statement.start_byte, (binding.statement, []))[1].append(binding)
    return list(grouped.values())


def _static_import(pieces: list[Binding], specifier: str) -> str:
    parts = [b.piece for b in pieces if b.kind in ("default", "namespace")]
    named = [b.piece for b in pieces if b.kind not in ("default", "namespace")]
    if named:
        parts.append("{ " + ", ".join(named) + " }")
    return f"import {', '.join(parts)} from {specifier};"


def _destructured(kind: str, piece: str) -> str:
    """A binding of an ESM import as a destructuring property of the module namespace."""
    if kind == "default":
        return f"default: {piece}"
    imported, _, local = piece.partition(" as ")
    return f"{imported}: {local}" if local else imported
