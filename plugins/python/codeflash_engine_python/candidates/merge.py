"""Merge a candidate's code for one file into the original file, definition by definition.

This mirrors how the CLI applies a candidate (contract 4.3 and 4.4) so that what we return is
what the CLI will run: a definition the candidate does not mention stays as it was; a function
or method it redefines replaces the original (keeping the original header); a new function,
class, method or module-level assignment is added; a new import is added, unless only the
discarded annotations of a header we put back read it; anything else in the answer (example
calls, ``if __name__ == "__main__":`` demos) is ignored. Only the text of the definitions that
change is touched, so the rest of the file keeps its comments and layout.

A definition may also change kind, in the original's place: a function may replace a class, and
an assignment (``helper = lambda ...``) a function, unless it reads the name (it wraps the def)
or binds the target (the CLI replaces the target's def by name). A class answered in place of a
function is ignored, as the CLI ignores it: it adds a class only under a name the original does
not define, and keeps the function.

Whether a definition changed is decided on compiled code (see :mod:`.normalize`): the candidate's
block is compiled once, which is also the client's own syntax check. Text we alter ourselves
(re-indentation, a restored header) is compiled again on its own.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Collection, Mapping, Sequence

import attrs

from codeflash_engine import Rejected
from codeflash_engine_python.candidates.module import (
    ModuleIndex,
    Unit,
    accessor_role,
    convert_indentation,
    dedent,
    import_key,
    reindent,
    string_continuation_lines,
    unit_key,
    words,
)
from codeflash_engine_python.candidates.normalize import decorators_key, function_code_key
from codeflash_engine_python.candidates.placeholder import elision, is_stub
from codeflash_engine_python.candidates.placement import assignment_too_early
from codeflash_engine_python.candidates.signature import (
    decorator_name,
    describe_change,
    dropped_decorators,
    restore_header,
)
from codeflash_engine_python.names import (
    all_nodes,
    bound_names,
    import_statements,
    importable_words,
    missing_imports,
    used_names,
)
from codeflash_engine_python.source import (
    Edit,
    SourceText,
    apply_edits,
    docstring_statement,
    first_line,
    lines_after_imports,
    split_lines,
)
from codeflash_engine_python.syntax import parse

Function = ast.FunctionDef | ast.AsyncFunctionDef


@attrs.frozen
class Change:
    """One definition the candidate changes or adds, by key, with what identifies its new code
    and the words of its text (what it may refer to: see :func:`words`)."""

    key: str
    normal: object
    added: bool
    #: the definition's new text (read for its words only when the candidate adds top-level code)
    text: str = attrs.field(default="", eq=False, repr=False)

    @property
    def uses(self) -> frozenset[str]:
        """The words of its text: what it may refer to (see :func:`words`)."""
        return words(self.text)

    @property
    def new_top_level(self) -> str | None:
        """The name a new top-level definition (function, class, assignment) binds, else None."""
        return self.key.lstrip("=") if self.added and "." not in self.key else None


@attrs.frozen
class MergeResult:
    """The merged file (None when nothing changed), what changed, and the imports added."""

    text: str | None
    changes: tuple[Change, ...] = ()
    imports: tuple[str, ...] = ()

    @property
    def replaced(self) -> int:
        """How many existing definitions the candidate changed."""
        return sum(1 for c in self.changes if not c.added)


@attrs.define
class _Piece:
    """A candidate definition ready to be spliced.

    ``key`` is where it goes in the original, ``own_key`` what it is called in the candidate
    (they differ for a method answered at top level), ``text`` its whole lines and ``indent``
    the indentation of its first line.
    """

    key: str
    own_key: str
    node: ast.stmt
    text: str
    indent: str


def _piece(source: SourceText, node: ast.stmt, key: str, own_key: str | None = None) -> _Piece:
    text = source.segment(node)
    line = source.lines[first_line(node) - 1]
    return _Piece(key, own_key or key, node, text, line[: len(line) - len(line.lstrip())])


def _already_imported(node: ast.Import | ast.ImportFrom, original: ModuleIndex) -> bool:
    """Every name the import binds is already imported the same way by the original."""
    if import_key(node) in original.import_keys:
        return True
    wanted = import_statements(ast.Module(body=[node], type_ignores=[]))
    return bool(wanted) and all(original.imports.get(name) == line for name, line in wanted.items())


def _rebinds_function(node: ast.stmt, name: str, original: ModuleIndex, target: str | None) -> bool:
    """``node``, an assignment to ``name``, is the answer's new binding for the original's
    ``def name``: the original assigns no value to the name (that assignment is what it replaces),
    the value does not read it (``helper = cache(helper)`` wraps the def), it is not the target."""
    unit = original.units.get(name)
    return (
        unit is not None
        and unit.is_function
        and f"={name}" not in original.units
        and name != target
        and name not in used_names([node])
    )


def _owner_class(node: ast.stmt, original: ModuleIndex, candidate: ModuleIndex, target: str | None) -> str | None:
    """The class of the original whose method ``node``, a top-level function taking ``self`` or
    ``cls`` (or a ``@staticmethod``), is: the target's class when it is the target, else the only
    class with a method of that name; None when there is none (or several), or when the answer
    gives that class too."""
    if not isinstance(node, Function):
        return None
    first = node.args.args[0].arg if node.args.args else None
    if first not in {"self", "cls"} and "staticmethod" not in {decorator_name(d) for d in node.decorator_list}:
        return None
    target_class, _, target_method = (target or "").rpartition(".")
    if target_class and node.name == target_method:
        owners = [target_class]
    else:
        owners = [name for name in original.classes if f"{name}.{node.name}" in original.units]
    return owners[0] if len(owners) == 1 and owners[0] not in candidate.classes else None


def _collect(candidate: ModuleIndex, target: str | None, original: ModuleIndex) -> tuple[list[_Piece], list[str]]:
    """The candidate's definitions in order (last one wins per key) and its new import statements."""
    pieces: dict[str, _Piece] = {}
    imports: list[str] = []
    source = candidate.source
    for node in candidate.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
            if not is_future and not _already_imported(node, original):  # a future import only works first
                imports.append(dedent(source.segment(node), _piece(source, node, "").indent))
            continue
        own_key = unit_key(node)
        if own_key is None:
            continue
        key = own_key
        owner = _owner_class(node, original, candidate, target) if key not in original.units else None
        if owner is not None:
            key = f"{owner}.{key}"  # a method answered at top level: back into its class
        elif key.startswith("=") and _rebinds_function(node, key[1:], original, target):
            key = key[1:]
        role = accessor_role(node) if isinstance(node, Function) else ""
        slot = f"{key}#{role}" if role else key
        pieces.pop(slot, None)
        pieces[slot] = _piece(source, node, key, own_key)
        if isinstance(node, ast.ClassDef) and node.name in original.classes:
            for item in node.body:
                member = unit_key(item, node.name)
                if member is not None and isinstance(item, Function):
                    role = accessor_role(item)  # a property's getter and setter are two pieces
                    slot = f"{member}#{role}" if role else member
                    pieces.pop(slot, None)
                    pieces[slot] = _piece(source, item, member)
    return list(pieces.values()), imports


def _in_file_indentation(piece: _Piece, candidate: ModuleIndex, unit: str) -> _Piece:
    """The piece indented with the original file's ``unit`` (a tab, two spaces...) instead of the
    answer's, as the CLI writes code it adds to a file (else the file would mix both); the piece
    as it was when its own indentation is not one unit throughout, or when the conversion would
    change what its code means."""
    steps = candidate.indent_steps(piece.node, stop_at=unit)
    if len(steps) != 1 or unit in steps:
        return piece
    step = (next(iter(steps)), unit)
    keep = string_continuation_lines(piece.node, first_line(piece.node))
    text = convert_indentation(piece.text, piece.indent, step, keep)
    if text == piece.text:
        return piece
    try:
        same = _shape(ast.parse(dedent(text, piece.indent))) == _shape(ast.parse(dedent(piece.text, piece.indent)))
    except SyntaxError:
        same = False
    return attrs.evolve(piece, text=text) if same else piece


def _shape(tree: ast.Module) -> str:
    """A tree's dump without docstrings (whose inner lines re-indentation shifts too)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | Function) and body:
            head = body[0]
            if (
                isinstance(head, ast.Expr)
                and isinstance(head.value, ast.Constant)
                and isinstance(head.value.value, str)
            ):
                head.value.value = ""
    return ast.dump(tree, annotate_fields=False)


def _check_compiles(text: str, indent: str, what: str) -> None:
    """:class:`Rejected` unless a definition's text compiles on its own (after our own edits)."""
    try:
        tree = ast.parse(dedent(text, indent))
    except SyntaxError as exc:
        raise Rejected(f"{what} does not parse after our edits: {exc.msg}") from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, Function) or function_code_key(node) is None:
        raise Rejected(f"{what} does not compile")


def _function_key(index: ModuleIndex, key: str, node: ast.stmt, restored: Sequence[ast.expr] = ()) -> object:
    """What identifies a function's new code: its decorators (after the ``restored`` ones put back
    on it) and its compiled body."""
    compiled = index.code_key(key)
    if compiled is None:
        raise Rejected(f"{key} does not compile")
    own = decorators_key(node)
    if restored:
        own = "|".join([*(ast.dump(d, annotate_fields=False) for d in restored), *([own] if own else [])])
    return (own, compiled)


def _prepare_function(piece: _Piece, original: ModuleIndex, unit: Unit) -> tuple[str, list[ast.expr]] | None:
    """The text replacing ``unit`` and the original decorators put back on it (see
    :func:`dropped_decorators`); None to keep the original; :class:`Rejected` if unusable."""
    node = piece.node
    assert isinstance(node, Function) and isinstance(unit.node, Function)
    if is_stub(node) and not is_stub(unit.node):
        return None
    reason = elision(node, piece.text)
    if reason:
        raise Rejected(f"{piece.key}: {reason}")
    change = describe_change(unit.node, node)
    if change:
        raise Rejected(f"{piece.key}: signature {change}")
    text = piece.text
    if piece.indent != unit.indent:
        keep = string_continuation_lines(node, first_line(node))
        text = reindent(text, piece.indent, unit.indent, keep)
    text = _with_original_docstring(text, piece, original, unit.node)
    dropped = dropped_decorators(unit.node, node)
    if dropped:
        source = original.source
        text = "".join(f"{unit.indent}@{source.text[slice(*source.node_span(d))]}\n" for d in dropped) + text
    restored = restore_header(text, original.text(unit))
    if restored != piece.text:
        _check_compiles(restored, unit.indent, piece.key)
    return restored, dropped


def _alone_on_its_lines(lines: Sequence[str], node: ast.stmt, first: int = 1) -> bool:
    """``node`` stands alone on its lines (nothing but blanks before it, nothing but a comment
    after it); ``lines`` are those of its file from line ``first`` on."""
    start = lines[node.lineno - first].encode()
    end = lines[(node.end_lineno or node.lineno) - first].encode()
    rest = end[node.end_col_offset :].decode(errors="replace").strip()
    return not start[: node.col_offset].strip() and (not rest or rest.startswith("#"))


def _with_original_docstring(text: str, piece: _Piece, original: ModuleIndex, before: Function) -> str:
    """``text``, the candidate's function at the original's indentation, with the original's
    docstring put back when the candidate has none: models leave documentation (and its doctests)
    out of their answers, and the client takes the candidate's body as it is. Left as it is when
    the two bodies are not indented alike, or a docstring or first statement shares a line."""
    node = piece.node
    assert isinstance(node, Function)
    doc = docstring_statement(before.body)
    if doc is None or docstring_statement(node.body) is not None:
        return text
    body, top = node.body[0], first_line(node)
    lines = split_lines(text)
    at = body.lineno - top
    if not (0 < at < len(lines) and len(lines) == len(split_lines(piece.text))):
        return text
    if not _alone_on_its_lines(split_lines(piece.text), body, top) or not _alone_on_its_lines(
        original.source.lines, doc
    ):
        return text
    line, doc_line = lines[at], original.source.lines[doc.lineno - 1]
    if line[: len(line) - len(line.lstrip())] != doc_line[: len(doc_line) - len(doc_line.lstrip())]:
        return text
    doc_text = "".join(original.source.lines[doc.lineno - 1 : doc.end_lineno or doc.lineno])
    return "".join(lines[:at]) + doc_text + "".join(lines[at:])


def _header_names(node: Function) -> set[str]:
    """The names a function's header reads: its annotations and default values."""
    return used_names([node.args, *([node.returns] if node.returns else [])])


def _new_piece_key(piece: _Piece, candidate: ModuleIndex) -> object:
    node = piece.node
    if isinstance(node, Function):
        return _function_key(candidate, piece.own_key, node)
    if isinstance(node, ast.ClassDef):
        methods = tuple(
            (item.name, _function_key(candidate, f"{node.name}.{item.name}", item))
            for item in node.body
            if isinstance(item, Function)
        )
        others = tuple(ast.dump(s, annotate_fields=False) for s in node.body if not isinstance(s, Function))
        return ("class", decorators_key(node), methods, others)
    return ast.dump(node, annotate_fields=False)


def _anchor(original: ModuleIndex, key: str) -> int:
    """Where new top-level definitions placed before the top-level unit ``key`` in the answer go."""
    unit = original.units.get(key)
    return unit.start if unit is not None else len(original.source.text)


class _Merge:
    """The edits and changes of one merge, built piece by piece.

    ``discarded`` holds the names the candidate's headers read that the original headers put back
    over them do not.
    """

    def __init__(self, original: ModuleIndex, candidate: ModuleIndex, target: str | None) -> None:
        self.original = original
        self.candidate = candidate
        self.target_class = (target or "").rpartition(".")[0]
        self.edits: list[Edit] = []
        self.changes: list[Change] = []
        self.pending: list[_Piece] = []
        self.used: list[_Piece] = []
        self.discarded: set[str] = set()

    def flush_pending(self, at: int, *, at_end: bool = False) -> None:
        """Insert the new top-level definitions seen so far at ``at``."""
        if not self.pending:
            return
        body = "\n\n".join(dedent(p.text, p.indent).rstrip("\n") + "\n" for p in self.pending)
        self.edits.append(Edit(at, at, ("\n\n" + body) if at_end else (body + "\n\n")))
        for piece in self.pending:
            self.changes.append(Change(piece.key, _new_piece_key(piece, self.candidate), True, piece.text))
            self.used.append(piece)
        self.pending = []

    def add_method(self, piece: _Piece) -> None:
        """A new method of an existing class goes at the end of the class."""
        class_name = piece.key.split(".")[0]
        indent = self.original.class_body_indent(class_name)
        text = piece.text
        if indent != piece.indent:
            text = reindent(text, piece.indent, indent, string_continuation_lines(piece.node, first_line(piece.node)))
            _check_compiles(text, indent, piece.key)
        at = self.original.class_end(class_name)
        self.edits.append(Edit(at, at, "\n" + text.rstrip("\n") + "\n"))
        self.changes.append(Change(piece.key, _new_piece_key(piece, self.candidate), True, text))
        self.used.append(piece)

    def replace(self, piece: _Piece, unit: Unit) -> None:
        """Replace an existing definition when the candidate really changed it."""
        node = piece.node
        if dedent(piece.text, piece.indent) == dedent(self.original.text(unit), unit.indent):
            return  # repeated verbatim (whole-file answers): nothing to check or compile
        if isinstance(unit.node, Function) and isinstance(node, Function):
            prepared = _prepare_function(piece, self.original, unit)
            if prepared is None:
                return
            text, dropped = prepared
            new = _function_key(self.candidate, piece.own_key, node, dropped)
            old = _function_key(self.original, unit.key, unit.node)
            self.discarded |= _header_names(node) - _header_names(unit.node)
        elif not unit.is_function and not isinstance(node, Function):
            text = reindent(piece.text, piece.indent, unit.indent)
            new = ast.dump(node, annotate_fields=False)
            old = ast.dump(unit.node, annotate_fields=False)
        elif unit.key == self.target_class:
            raise Rejected(f"{piece.key}: the class of the target became a function")
        else:  # a function for a class, an assignment for a function: the answer's, in the original's place
            text = reindent(piece.text, piece.indent, unit.indent)
            new, old = _new_piece_key(piece, self.candidate), None
        if new == old:
            return
        if self.original.source.text[unit.end - 1 : unit.end] == "\n" and not text.endswith("\n"):
            text += "\n"
        self.edits.append(Edit(unit.start, unit.end, text))
        self.changes.append(Change(piece.key, new, False, text))
        self.used.append(piece)


def merge_file(
    original: ModuleIndex,
    candidate: ModuleIndex,
    *,
    target: str | None,
    known_imports: Mapping[str, str],
    unused: Collection[str] = frozenset(),
) -> MergeResult:
    """Merge ``candidate`` into ``original``; :class:`Rejected` when the candidate is unusable.

    ``unused``: keys of new top-level definitions to leave out (nothing the candidate keeps
    refers to them), and with them the answer's imports that only they needed.
    """
    pieces, imports = _collect(candidate, target, original)
    if unused:
        pieces = [p for p in pieces if p.key not in unused or p.key in original.units or "." in p.key]
    if original.indent_unit:
        pieces = [_in_file_indentation(piece, candidate, original.indent_unit) for piece in pieces]
    merge = _Merge(original, candidate, target)
    last: Unit | None = None
    for piece in pieces:
        if isinstance(piece.node, Function) and accessor_role(piece.node) == "overload":
            continue  # typing stubs: the implementation is what runs
        unit = original.unit_for(piece.key, piece.node)
        if unit is None and piece.key in original.units:
            continue  # an accessor of a property the original does not define (a setter): not the client's to add
        if unit is None:
            if "." in piece.key:
                class_name, _, name = piece.key.partition(".")
                if name in original.unseen_attributes.get(class_name, ()):
                    continue  # it would replace, for every caller, what the file does not show (a property...)
                merge.add_method(piece)
            else:
                merge.pending.append(piece)
            continue
        if "." not in piece.key:
            merge.flush_pending(_anchor(original, piece.key))
            last = unit
        if not isinstance(piece.node, ast.ClassDef):  # its methods are pieces; in place of a function: ignored
            merge.replace(piece, unit)
    if last is not None and merge.pending and _code_runs_after(original, last):
        definitions = [p for p in merge.pending if isinstance(p.node, Function | ast.ClassDef)]
        merge.pending = [p for p in merge.pending if not isinstance(p.node, Function | ast.ClassDef)]
        rest, merge.pending = merge.pending, definitions
        merge.flush_pending(last.end, at_end=True)
        merge.pending = rest
    merge.flush_pending(len(original.source.text), at_end=True)
    if not merge.changes:
        return MergeResult(text=None)
    new_assignments = [p.node for p in merge.used if p.key.startswith("=") and p.key not in original.units]
    too_early = assignment_too_early(new_assignments, original, candidate) if new_assignments else None
    if too_early:
        name, read = too_early
        raise Rejected(f"{name}: the client puts it right after the imports, before {read}, which it reads")
    if unused:
        imports = _used_imports(imports, merge.used, original)
    import_lines = _needed_imports(imports, merge.used, original, candidate, known_imports)
    edits = merge.edits
    if merge.discarded:
        import_lines = _without_discarded(import_lines, merge.discarded, original, edits)
    if import_lines:
        lines = "".join(line.rstrip("\n") + "\n" for line in import_lines)
        edits.insert(0, lines_after_imports(original.source, original.tree, lines))
    text = apply_edits(original.source.text, edits)
    return MergeResult(text=text, changes=tuple(merge.changes), imports=tuple(import_lines))


def _code_runs_after(original: ModuleIndex, unit: Unit) -> bool:
    """A top-level statement after ``unit`` calls something when the module runs (``if __name__ ==
    "__main__": main()``, ``app = create_app()``): then the new functions and classes the answer put
    after ``unit`` go right after it, as the client places them, not at the end of the file, where
    that code would run before they exist."""
    return any(
        not isinstance(node, Function | ast.ClassDef | ast.Import | ast.ImportFrom)
        and original.source.line_start(node.lineno) >= unit.end
        and any(isinstance(inner, ast.Call) for inner in ast.walk(node))
        for node in original.tree.body
    )


def _needed_imports(
    imports: list[str],
    new: list[_Piece],
    original: ModuleIndex,
    candidate: ModuleIndex,
    known_imports: Mapping[str, str],
) -> list[str]:
    """The candidate's own new imports, plus imports for names its new code uses and nobody binds.

    Cheap checks first, each exact: the words of the new code that could need an import, less the
    names either file imports or defines at its top level; only if some remain are the new nodes
    walked for the names they read, and both whole files for every name they bind.
    """
    settled = original.imports.keys() | candidate.imports.keys() | original.top_level | candidate.top_level
    words = importable_words("\n".join(piece.text for piece in new), known_imports) - settled
    if not words:
        return imports  # the common case: the new code uses only what the files import or define
    used = {name for name in used_names([piece.node for piece in new]) if name in words}
    if not used or not (used - original.bound):
        return imports
    extra = missing_imports(used, original.bound | candidate.bound, known_imports, third_party=True)
    return [*imports, *(line for line in extra if line not in imports)]


def _used_imports(imports: list[str], used: list[_Piece], original: ModuleIndex) -> list[str]:
    """The answer's import lines binding a name that the code spliced in or the original mentions."""
    mentioned = words("\n".join(piece.text for piece in used)) | original.words
    kept = []
    for line in imports:
        bound = import_statements(ast.parse(line)).keys()
        if not bound or not bound.isdisjoint(mentioned):  # ``import *`` binds nothing we can see: kept
            kept.append(line)
    return kept


def _import_bound(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _without_discarded(lines: list[str], discarded: set[str], original: ModuleIndex, edits: list[Edit]) -> list[str]:
    """Import ``lines`` less the names in ``discarded`` that the merged code (``original`` with
    ``edits``) does not read: a line left with no name, or only with names the original imports
    the same way, goes; one left with others is written anew.

    The merged code is parsed only when a line binds a discarded name (a header was put back over
    annotations the candidate imported for).
    """
    parsed = [(line, ast.parse(line)) for line in lines]
    suspects = {name for _, tree in parsed for name in import_statements(tree)} & discarded
    if not suspects:
        return lines
    unused = suspects - used_names([ast.parse(apply_edits(original.source.text, edits))])
    kept: list[str] = []
    for line, tree in parsed:
        body = [_less_names(node, unused, original) for node in tree.body]
        if body == tree.body:
            kept.append(line)
        elif any(body):
            kept.append(ast.unparse(ast.Module(body=[n for n in body if n], type_ignores=[])))
    return kept


def _less_names(node: ast.stmt, names: set[str], original: ModuleIndex) -> ast.stmt | None:
    """An import statement without the aliases binding ``names``: the same node when none does,
    None when none is left or the original already imports the rest; any other statement as it is."""
    if not isinstance(node, ast.Import | ast.ImportFrom):
        return node
    aliases = [a for a in node.names if _import_bound(a) not in names]
    if len(aliases) == len(node.names):
        return node
    less = copy.copy(node)
    less.names = aliases
    return less if aliases and not _already_imported(less, original) else None


def alias_shadowed_imports(candidate: ModuleIndex, original: ModuleIndex, language_version: str | None) -> ModuleIndex:
    """``candidate`` with each new import that binds a name the original module defines itself (a
    class, function or assignment: ``from collections import Counter`` in a module with a class
    ``Counter`` of its own) imported under an alias, and its reads in the answer's changed or new
    definitions made through the alias; the same index when there is no such import.

    The client adds the import at the top of the file, where the module's own definition, made
    later, rebinds the name: the candidate would call the project's ``Counter``; were the module's
    definition made first, the import would replace it for every other function of the module.
    The answer means the import where it does not define the name itself; a definition it repeats
    verbatim keeps the module's meaning (it is not merged), and a function binding the name itself
    is left as it is.
    """
    own = original.top_level - original.imports.keys()
    clashes: dict[str, ast.alias] = {}
    for node in candidate.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*" or (isinstance(node, ast.Import) and not alias.asname and "." in alias.name):
                    continue
                bound = _import_bound(alias)
                if bound in own and bound not in candidate.top_level:
                    clashes[bound] = alias
    if not clashes:
        return candidate
    taken = original.words | candidate.words
    renamed: dict[str, str] = {}
    for bound in clashes:
        new = f"_{bound}"
        while new in taken:
            new = f"_{new}"
        taken |= {new}
        renamed[bound] = new
    source = candidate.source
    edits: list[Edit] = []
    for bound, alias in clashes.items():
        start = source.offset(alias.lineno, alias.col_offset)
        end = source.offset(alias.end_lineno or alias.lineno, alias.end_col_offset or 0)
        edits.append(Edit(start, end, f"{alias.name} as {renamed[bound]}"))
    for key, unit in candidate.units.items():
        if isinstance(unit.node, ast.ClassDef):
            continue  # its methods are units of their own
        before = original.units.get(key)
        if before is not None and ast.dump(before.node) == ast.dump(unit.node):
            continue  # repeated as it was: the module's meaning
        reads = set(renamed) - (bound_names(unit.node) - {getattr(unit.node, "name", "")})
        for inner in all_nodes([unit.node]):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and inner.id in reads:
                start, end = source.node_span(inner)
                edits.append(Edit(start, end, renamed[inner.id]))
    try:
        code = apply_edits(source.text, edits)
        return ModuleIndex(code, parse(code, language_version))
    except (SyntaxError, ValueError):
        return candidate
