"""Removing assertions from a Java test while keeping the calls to the code under test.

The performance variant of a generated test must time the function, not the checks around it.
Every assertion statement (JUnit 4 and 5, TestNG, AssertJ chains, Hamcrest ``assertThat``, soft
assertions, ``fail``, and Java's own ``assert``) is replaced by the calls to the function under
test it contains: a call in the assertion's arguments becomes a statement of its own; a call in
a parameterless lambda (``assertThrows(X.class, () -> f(x))``, ``assertAll``, ``assertTimeout``)
runs inside ``try { ... } catch (Throwable ...) { }`` so an expected exception does not fail the
test. Calls inside lambdas that take parameters are dropped (their arguments are not in scope).
"""

from __future__ import annotations

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit, apply_edits, captures
from codeflash_engine_java.source import LANGUAGE, Source

#: the methods that assert, across JUnit 4/5, TestNG, AssertJ and Hamcrest
ASSERT_METHODS = frozenset(
    {
        "assertEquals",
        "assertNotEquals",
        "assertTrue",
        "assertFalse",
        "assertNull",
        "assertNotNull",
        "assertSame",
        "assertNotSame",
        "assertArrayEquals",
        "assertIterableEquals",
        "assertLinesMatch",
        "assertThrows",
        "assertThrowsExactly",
        "assertDoesNotThrow",
        "assertTimeout",
        "assertTimeoutPreemptively",
        "assertAll",
        "assertInstanceOf",
        "assertEqualsNoOrder",
        "assertEqualsDeep",
        "assertNotEqualsDeep",
        "expectThrows",
        "fail",
        "assertThat",
        "assertThatThrownBy",
        "assertThatCode",
        "assertThatExceptionOfType",
        "assertThatNoException",
        "assertThatIllegalArgumentException",
        "assertThatIllegalStateException",
        "assertThatNullPointerException",
        "assertThatIOException",
        "assertSoftly",
        "then",
        "thenThrownBy",
        "thenCode",
    }
)
CATCH_NAME = "codeflashIgnored"

STATEMENT_QUERY = """
(expression_statement (method_invocation) @call) @statement
(assert_statement) @statement
(lambda_expression body: (method_invocation) @statement)
"""
CALL_QUERY = "(method_invocation) @call"
LAMBDA_QUERY = "(lambda_expression) @lambda"


def is_assertion(statement: Node) -> bool:
    """An ``assert`` statement, or a statement whose call chain starts with an assertion method."""
    if statement.type == "assert_statement":
        return True
    return bool(statement.named_children) and is_assertion_call(statement.named_children[0])


def is_assertion_call(expression: Node) -> bool:
    """A call chain (``assertThat(x).isEqualTo(y)``) whose first call is an assertion method."""
    root = expression
    while root.type == "method_invocation":
        inner = root.child_by_field_name("object")
        if inner is None or inner.type != "method_invocation":
            break
        root = inner
    if root.type != "method_invocation":
        return False
    name = root.child_by_field_name("name")
    return name is not None and (name.text or b"").decode("utf-8") in ASSERT_METHODS


def strip_assertions(source: Source, function_name: str) -> str:
    """The whole test with its assertions replaced by the calls to ``function_name`` they hold."""
    return _render(source, source.root, function_name)


def _render(source: Source, node: Node, function_name: str) -> str:
    """The text of ``node`` with its outermost assertion statements replaced."""
    edits: list[Edit] = []
    for statement in _outermost_assertions(source, node):
        if statement.type == "method_invocation":
            replacement = _replacement(source, statement, function_name, " ")
            edits.append(Edit(statement.start_byte, statement.end_byte, f"{{ {replacement} }}".encode()))
            continue
        replacement = _replacement(source, statement, function_name, "\n" + source.indent_of(statement))
        if replacement:
            edits.append(Edit(statement.start_byte, statement.end_byte, replacement.encode("utf-8")))
        else:
            start, end = source.line_span(statement)
            edits.append(Edit(start, end, b""))
    shifted = [Edit(e.start - node.start_byte, e.end - node.start_byte, e.text) for e in edits]
    return apply_edits(source.data[node.start_byte : node.end_byte], shifted).decode("utf-8")


def _outermost_assertions(source: Source, node: Node) -> list[Node]:
    found = captures(LANGUAGE, STATEMENT_QUERY, node).get("statement", [])
    statements = [s for s in found if (is_assertion_call(s) if s.type == "method_invocation" else is_assertion(s))]
    statements = [s for s in statements if s != node]
    outermost: list[Node] = []
    for statement in statements:
        if outermost and statement.start_byte < outermost[-1].end_byte:
            continue
        outermost.append(statement)
    return outermost


def _replacement(source: Source, statement: Node, function_name: str, separator: str) -> str:
    """The statements that keep the calls of one assertion (empty when there are none)."""
    lambdas = [n for n in captures(LANGUAGE, LAMBDA_QUERY, statement).get("lambda", []) if n != statement]
    outer_lambdas = _outermost(lambdas)
    pieces: list[tuple[int, str]] = []
    for call in _calls(statement, function_name):
        if not any(_contains(lam, call) for lam in lambdas):
            pieces.append((call.start_byte, f"{source.text(call)};"))
    for lam in outer_lambdas:
        if _has_parameters(lam):
            continue
        body = lam.child_by_field_name("body")
        if body is None or not _calls(body, function_name):
            continue
        pieces.append((lam.start_byte, _guarded(source, body, function_name, source.indent_of(statement))))
    return separator.join(text for _, text in sorted(pieces))


def _guarded(source: Source, body: Node, function_name: str, indent: str) -> str:
    """A parameterless lambda's work, run so that an exception it throws is ignored."""
    if body.type == "block":
        inner = _reindent(_render(source, body, function_name), indent)
    else:
        calls = [c for c in _calls(body, function_name) if not _inside_lambda(c, body)]
        inner = "{ " + " ".join(f"{source.text(c)};" for c in calls) + " }"
    return f"try {inner} catch (Throwable {CATCH_NAME}) {{ }}"


def _reindent(block: str, indent: str) -> str:
    """A ``{ ... }`` block whose inner lines are re-indented one level under ``indent``."""
    lines = block.strip()[1:-1].splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) <= 1:
        return "{ " + "".join(lines).strip() + " }"
    margin = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    body = "\n".join(f"{indent}    {line[margin:]}" if line.strip() else "" for line in lines)
    return "{\n" + body + "\n" + indent + "}"


def _calls(node: Node, function_name: str) -> list[Node]:
    """The outermost calls of ``function_name`` under ``node``."""
    calls = captures(LANGUAGE, CALL_QUERY, node).get("call", [])
    return _outermost([c for c in calls if _name(c) == function_name])


def _name(call: Node) -> str:
    name = call.child_by_field_name("name")
    return (name.text or b"").decode("utf-8") if name is not None else ""


def _outermost(nodes: list[Node]) -> list[Node]:
    ordered = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
    out: list[Node] = []
    for node in ordered:
        if out and node.start_byte < out[-1].end_byte:
            continue
        out.append(node)
    return out


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _inside_lambda(node: Node, stop: Node) -> bool:
    current: Node | None = node
    while current is not None and current != stop:
        if current.type == "lambda_expression":
            return True
        current = current.parent
    return False


def _has_parameters(lam: Node) -> bool:
    params = lam.child_by_field_name("parameters")
    return params is not None and (params.type == "identifier" or bool(params.named_children))
