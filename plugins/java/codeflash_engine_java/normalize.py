"""A normal form of Java code, to drop unchanged candidates and duplicates.

Two units have the same normal form when they differ only in comments, whitespace and layout,
trailing commas in initialisers, and the names of locals, parameters, loop, catch, resource and
lambda variables declared inside them (renamed ``$0``, ``$1``, ... in order of appearance).
"""

from __future__ import annotations

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import captures, leaves
from codeflash_engine_java.source import COMMENT_TYPES, LANGUAGE, Source

#: names bound inside a unit
LOCALS_QUERY = """
(variable_declarator name: (identifier) @bind)
(formal_parameter name: (identifier) @bind)
(catch_formal_parameter name: (identifier) @bind)
(enhanced_for_statement name: (identifier) @bind)
(lambda_expression parameters: (identifier) @bind)
(inferred_parameters (identifier) @bind)
(resource name: (identifier) @bind)
"""

CLOSERS = frozenset({"}", ")"})


def local_names(node: Node) -> set[str]:
    """Names bound inside ``node``."""
    return {(n.text or b"").decode("utf-8") for n in captures(LANGUAGE, LOCALS_QUERY, node).get("bind", ())}


def normal_form(source: Source, node: Node, start: int | None = None, end: int | None = None) -> str:
    """The normal form of the leaves of ``node`` between byte offsets ``start`` and ``end``."""
    lo = node.start_byte if start is None else start
    hi = node.end_byte if end is None else end
    names = local_names(node) if node.type != "field_declaration" else set()
    renamed: dict[str, str] = {}
    tokens: list[str] = []
    for leaf in leaves(node, COMMENT_TYPES):
        if leaf.start_byte < lo or leaf.end_byte > hi or leaf.type in COMMENT_TYPES:
            continue
        if leaf.type == "," and leaf.next_sibling is not None and leaf.next_sibling.type in CLOSERS:
            continue
        text = source.data[leaf.start_byte : leaf.end_byte].decode("utf-8")
        if leaf.type == "identifier" and text in names:
            text = renamed.setdefault(text, f"${len(renamed)}")
        tokens.append(text)
    return " ".join(tokens)
