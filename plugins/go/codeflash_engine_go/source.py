"""A parsed piece of Go (tree-sitter-go), its top-level declarations, and byte-range edits.

Everything is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks never share parser state between calls. The language-neutral part (text,
spans, edits) is :class:`codeflash_engine.plugins.treesitter.Source`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import attrs
import tree_sitter_go
from tree_sitter import Language, Node

from codeflash_engine.plugins import treesitter
from codeflash_engine.plugins.treesitter import Edit, apply_edits, parse, walk

LANGUAGE = Language(tree_sitter_go.language())

FUNCTION_NODES = frozenset({"function_declaration", "method_declaration"})
#: what may stand at the top level of a Go file
DECLARATION_NODES = frozenset(
    {
        "package_clause",
        "import_declaration",
        "function_declaration",
        "method_declaration",
        "type_declaration",
        "var_declaration",
        "const_declaration",
        "comment",
    }
)
_SPACE = re.compile(rb"\s+")


@attrs.frozen
class ImportSpec:
    """One import: its path, its explicit name (alias, ``_`` or ``.``) if any, and its source text."""

    path: str
    alias: str | None
    text: str

    @property
    def name(self) -> str:
        """The identifier the file uses for the package: the alias, else guessed from the path.

        The guess follows the usual naming: the last element, skipping a major version suffix
        (``.../v2``), cut at the first dot (``gopkg.in/yaml.v3`` -> ``yaml``) and after the last
        dash (``go-sqlite3`` -> ``sqlite3``).
        """
        if self.alias:
            return self.alias
        parts = [p for p in self.path.split("/") if p] or [self.path]
        last = parts[-2] if re.fullmatch(r"v\d+", parts[-1]) and len(parts) > 1 else parts[-1]
        return last.split(".")[0].rsplit("-", 1)[-1]


@attrs.frozen
class Function:
    """A top-level function or method: ``receiver`` is the receiver's base type name, or ""."""

    name: str
    receiver: str
    node: Node

    @property
    def key(self) -> tuple[str, str]:
        return (self.receiver, self.name)

    @property
    def qualified(self) -> str:
        return f"{self.receiver}.{self.name}" if self.receiver else self.name


@attrs.frozen
class Source(treesitter.Source):
    """Go code, its UTF-8 bytes and its tree (Go's comment node type is the default ``comment``)."""

    @classmethod
    def parse(cls, code: str) -> Source:
        return cls(code=code, data=code.encode("utf-8"), tree=parse(LANGUAGE, code))

    def squeezed(self, node: Node | None) -> bytes:
        """The bytes of ``node`` without whitespace (formatting-insensitive comparison)."""
        if node is None:
            return b""
        return _SPACE.sub(b"", self.data[node.start_byte : node.end_byte])

    def edited(self, edits: Iterable[Edit]) -> Source:
        return Source.parse(apply_edits(self.data, edits).decode("utf-8"))

    # ------------------------------------------------------------------ top level
    def package(self) -> Node | None:
        return next((n for n in self.root.named_children if n.type == "package_clause"), None)

    def package_name(self) -> str | None:
        clause = self.package()
        if clause is None:
            return None
        name = next((c for c in clause.named_children if c.type == "package_identifier"), None)
        return self.text(name) or None

    def import_declarations(self) -> list[Node]:
        return [n for n in self.root.named_children if n.type == "import_declaration"]

    def imports(self) -> list[ImportSpec]:
        out: list[ImportSpec] = []
        for declaration in self.import_declarations():
            for spec in descendants(declaration, "import_spec"):
                path_node = spec.child_by_field_name("path")
                name_node = spec.child_by_field_name("name")
                path = self.text(path_node).strip('"`')
                out.append(ImportSpec(path=path, alias=self.text(name_node) or None, text=self.text(spec)))
        return out

    def functions(self) -> list[Function]:
        out: list[Function] = []
        for node in self.root.named_children:
            if node.type not in FUNCTION_NODES:
                continue
            name = self.text(node.child_by_field_name("name"))
            receiver = receiver_type(self, node) if node.type == "method_declaration" else ""
            out.append(Function(name=name, receiver=receiver, node=node))
        return out

    def declared_names(self) -> set[str]:
        """Names declared at the top level: functions (not methods), types, vars and consts."""
        names: set[str] = set()
        for node in self.root.named_children:
            if node.type == "function_declaration":
                names.add(self.text(node.child_by_field_name("name")))
            elif node.type in ("type_declaration", "var_declaration", "const_declaration"):
                for spec in node.named_children:
                    for child in spec.children_by_field_name("name"):
                        names.add(self.text(child))
        return names

    def selector_operands(self) -> set[str]:
        """Identifiers used as ``x`` in ``x.Name`` (package references among them)."""
        found: set[str] = set()
        for node in descendants(self.root, "selector_expression"):
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                found.add(self.text(operand))
        for node in descendants(self.root, "qualified_type"):
            package = node.child_by_field_name("package")
            if package is not None:
                found.add(self.text(package))
        return found

    def local_names(self) -> set[str]:
        """Every identifier that some declaration in the file introduces (params, vars, :=, range)."""
        names: set[str] = set()
        for kind in ("parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"):
            for node in descendants(self.root, kind):
                names.update(self.text(n) for n in node.children_by_field_name("name"))
        for kind in ("short_var_declaration", "range_clause"):
            for node in descendants(self.root, kind):
                left = node.child_by_field_name("left")
                if left is not None:
                    names.update(self.text(n) for n in left.named_children if n.type == "identifier")
        return names


def receiver_type(source: Source, method: Node) -> str:
    """The base type name of a method's receiver: ``(s *Stack[T])`` -> ``Stack``."""
    receiver = method.child_by_field_name("receiver")
    if receiver is None:
        return ""
    for node in walk(receiver):
        if node.type == "type_identifier":
            return source.text(node)
    return ""


def descendants(node: Node, *kinds: str) -> Iterator[Node]:
    """Every node under ``node`` (itself included) of one of ``kinds``, in document order."""
    wanted = frozenset(kinds)
    return (n for n in walk(node) if n.type in wanted)
