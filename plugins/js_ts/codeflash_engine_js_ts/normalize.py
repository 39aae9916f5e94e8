"""A normal form of JavaScript/TypeScript code, to drop unchanged candidates and duplicates.

Two units have the same normal form when they differ only in comments, whitespace and layout,
optional semicolons, trailing commas, the quote style of strings, and the names of variables
and parameters declared inside them (renamed ``$0``, ``$1``, ... in order of appearance).
"""

from __future__ import annotations

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import captures, leaves
from codeflash_engine_js_ts.source import COMMENT_TYPES, Source
from codeflash_engine_js_ts.structure import binding_names

#: bindings declared inside a unit (variables, parameters, catch and loop variables)
LOCALS_QUERY = """
(variable_declarator name: (_) @bind)
(formal_parameters) @params
(arrow_function parameter: (identifier) @bind)
(catch_clause parameter: (_) @bind)
(for_in_statement left: (_) @bind)
"""

CLOSERS = frozenset({"}", "]", ")"})
QUOTES = frozenset({"'", '"'})


def local_names(source: Source, node: Node) -> set[str]:
    """Names bound inside ``node`` (its own parameters included)."""
    found = captures(source.grammar, LOCALS_QUERY, node)
    names: set[str] = set()
    for captured in (*found.get("bind", ()), *found.get("params", ())):
        names.update(binding_names(captured))
    return names


def normal_form(source: Source, node: Node, start: int | None = None, end: int | None = None) -> str:
    """The normal form of the leaves of ``node`` between byte offsets ``start`` and ``end``."""
    lo = node.start_byte if start is None else start
    hi = node.end_byte if end is None else end
    names = local_names(source, node)
    renamed: dict[str, str] = {}
    tokens: list[str] = []
    for leaf in leaves(node, COMMENT_TYPES):
        if leaf.start_byte < lo or leaf.end_byte > hi or leaf.type in COMMENT_TYPES:
            continue
        token = _token(source, leaf, names, renamed)
        if token:
            tokens.append(token)
    return " ".join(tokens)


def _token(source: Source, leaf: Node, names: set[str], renamed: dict[str, str]) -> str:
    kind = leaf.type
    if kind == ";" and (leaf.parent is None or leaf.parent.type != "for_statement"):
        return ""
    if kind == ",":
        following = leaf.next_sibling
        if following is not None and following.type in CLOSERS:
            return ""
    if kind in QUOTES:
        return '"'
    text = source.data[leaf.start_byte : leaf.end_byte].decode("utf-8")
    if kind == "identifier" and text in names:
        return renamed.setdefault(text, f"${len(renamed)}")
    return text
