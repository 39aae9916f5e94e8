"""Package and import declarations of a Java file, and merging the original's into a candidate.

A candidate often drops the imports of the original. :func:`missing_imports` finds the original
single-type and static imports whose names the candidate uses but does not declare, and the
original's wildcard imports when the candidate uses names nothing in it resolves.
"""

from __future__ import annotations

import attrs
from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit, captures
from codeflash_engine_java.source import COMMENT_TYPES, LANGUAGE, Source

USED_QUERY = "[(identifier) (type_identifier)] @id"
UNQUALIFIED_CALL_QUERY = "(method_invocation !object name: (identifier) @call)"
DECLARED_QUERY = """
(class_declaration name: (identifier) @name)
(interface_declaration name: (identifier) @name)
(enum_declaration name: (identifier) @name)
(record_declaration name: (identifier) @name)
(annotation_type_declaration name: (identifier) @name)
(type_parameter (type_identifier) @name)
(method_declaration name: (identifier) @name)
"""

#: types every Java file sees without an import (java.lang), the ones code commonly uses
JAVA_LANG = frozenset(
    [
        "Object",
        "String",
        "StringBuilder",
        "StringBuffer",
        "CharSequence",
        "Math",
        "StrictMath",
        "System",
        "Runtime",
        "Thread",
        "Runnable",
        "Integer",
        "Long",
        "Short",
        "Byte",
        "Double",
        "Float",
        "Character",
        "Boolean",
        "Number",
        "Void",
        "Class",
        "Enum",
        "Record",
        "Iterable",
        "Comparable",
        "Cloneable",
        "AutoCloseable",
        "Throwable",
        "Exception",
        "Error",
        "RuntimeException",
        "IllegalArgumentException",
        "IllegalStateException",
        "NullPointerException",
        "IndexOutOfBoundsException",
        "ArrayIndexOutOfBoundsException",
        "StringIndexOutOfBoundsException",
        "ArithmeticException",
        "ClassCastException",
        "UnsupportedOperationException",
        "NumberFormatException",
        "CloneNotSupportedException",
        "InterruptedException",
        "ArrayStoreException",
        "NegativeArraySizeException",
        "SecurityException",
        "StackOverflowError",
        "OutOfMemoryError",
        "AssertionError",
        "Override",
        "Deprecated",
        "SuppressWarnings",
        "FunctionalInterface",
        "SafeVarargs",
        "ThreadLocal",
        "Process",
        "ProcessBuilder",
    ]
)


@attrs.frozen
class Import:
    """One import declaration: its text, the name it binds (None for a wildcard), and whether static."""

    node: Node
    text: str
    name: str | None
    static: bool

    @property
    def wildcard(self) -> bool:
        return self.name is None


def imports(source: Source) -> list[Import]:
    """The import declarations of the file, in order."""
    found: list[Import] = []
    for node in source.root.named_children:
        if node.type != "import_declaration":
            continue
        static = any(c.type == "static" for c in node.children)
        wildcard = any(c.type == "asterisk" for c in node.named_children)
        path = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
        name = None
        if not wildcard and path is not None:
            last = path.child_by_field_name("name") if path.type == "scoped_identifier" else path
            name = source.text(last) if last is not None else None
        found.append(Import(node, source.text(node), name, static))
    return found


def package(source: Source) -> Node | None:
    return next((n for n in source.root.named_children if n.type == "package_declaration"), None)


def _outside_imports(source: Source, nodes: list[Node]) -> list[Node]:
    kinds = ("import_declaration", "package_declaration")
    header = [(n.start_byte, n.end_byte) for n in source.root.named_children if n.type in kinds]
    return [n for n in nodes if not any(lo <= n.start_byte < hi for lo, hi in header)]


def used_names(source: Source) -> set[str]:
    """Identifiers and type names the file mentions outside its package and import lines."""
    nodes = _outside_imports(source, captures(LANGUAGE, USED_QUERY, source.root).get("id", []))
    return {source.text(n) for n in nodes}


def declared_names(source: Source) -> set[str]:
    """Types, type parameters and methods the file declares, and the names its imports bind."""
    names = {source.text(n) for n in captures(LANGUAGE, DECLARED_QUERY, source.root).get("name", ())}
    names.update(i.name for i in imports(source) if i.name is not None)
    return names


def unresolved(source: Source) -> set[str]:
    """Names only a wildcard import could provide: unknown capitalised names, unknown bare calls."""
    known = declared_names(source) | JAVA_LANG
    types = {n for n in used_names(source) if n[:1].isupper() and n not in known}
    calls = {source.text(n) for n in captures(LANGUAGE, UNQUALIFIED_CALL_QUERY, source.root).get("call", ())}
    return types | {c for c in calls if c not in known}


def missing_imports(original: Source, candidate: Source) -> list[str]:
    """Import declarations (text) of the original that the candidate needs and lacks."""
    have = {i.text for i in imports(candidate)}
    pending = [i for i in imports(original) if i.text not in have]
    if not pending:
        return []
    declared = declared_names(candidate)
    used = used_names(candidate)
    needed: list[str] = []
    wildcards: list[str] = []
    for imp in pending:
        if imp.wildcard:
            wildcards.append(imp.text)
        elif imp.name in used and imp.name not in declared:
            needed.append(imp.text)
    if wildcards and unresolved(candidate):
        needed.extend(wildcards)
    return needed


def header_edits(original: Source, candidate: Source) -> list[Edit]:
    """Edits giving the candidate the original's package and the imports it needs."""
    edits: list[Edit] = []
    original_package = package(original)
    own_package = package(candidate)
    if original_package is not None:
        wanted = original.text(original_package)
        if own_package is None:
            edits.append(Edit(0, 0, f"{wanted}\n\n".encode()))
        elif candidate.text(own_package) != wanted:
            edits.append(Edit(own_package.start_byte, own_package.end_byte, wanted.encode("utf-8")))
    lines = missing_imports(original, candidate)
    if lines:
        edits.append(import_insertion(candidate, lines))
    return edits


def import_insertion(source: Source, lines: list[str]) -> Edit:
    """The edit inserting import ``lines`` after the last import, the package, or at the top."""
    block = "\n".join(lines)
    last_import = None
    for node in source.root.named_children:
        if node.type == "import_declaration":
            last_import = node
    if last_import is not None:
        return Edit(last_import.end_byte, last_import.end_byte, f"\n{block}".encode())
    own_package = package(source)
    if own_package is not None:
        return Edit(own_package.end_byte, own_package.end_byte, f"\n\n{block}".encode())
    first = _first_code(source)
    at = first.start_byte if first is not None else 0
    return Edit(at, at, f"{block}\n\n".encode())


def _first_code(source: Source) -> Node | None:
    """The first type or member, with the comments (javadoc) right before it."""
    children = source.root.named_children
    for index, node in enumerate(children):
        if node.type in COMMENT_TYPES or node.type in ("package_declaration", "import_declaration"):
            continue
        start = index
        while start > 0 and children[start - 1].type in COMMENT_TYPES:
            start -= 1
        return children[start]
    return None
