"""The shared tree-sitter parse: a long source read in pieces gives the same tree, and lets other
threads (the event loop) run while it parses."""

from __future__ import annotations

import threading
import time

import tree_sitter_javascript
from tree_sitter import Language, Parser

from codeflash_engine.plugins.treesitter import READ_CHUNK, parse

JS = Language(tree_sitter_javascript.language())
#: a template literal and a block comment across piece boundaries, over a few hundred KB
SOURCE = (
    "const a = `first line\n"
    + "x" * (READ_CHUNK + 7)
    + "`;\n/* a comment\n"
    + "y" * READ_CHUNK
    + " */\n"
    + "function f(n) {\n  let s = 0;\n  for (let i = 0; i < n; i++) { s += i * 2; }\n  return s;\n}\n" * 3000
)


def test_a_long_source_read_in_pieces_gives_the_tree_of_one_read() -> None:
    assert len(SOURCE.encode()) > 10 * READ_CHUNK
    whole = Parser(JS).parse(SOURCE.encode())
    assert str(parse(JS, SOURCE).root_node) == str(whole.root_node)
    assert not whole.root_node.has_error


def test_other_threads_run_while_a_long_source_parses() -> None:
    code = "let x = 1;\n" * 200_000  # 2 MB
    started = time.perf_counter()
    Parser(JS).parse(code.encode())
    one_read = time.perf_counter() - started
    gaps: list[float] = []
    done = threading.Event()

    def probe() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    thread = threading.Thread(target=probe)
    thread.start()
    time.sleep(0.02)
    tree = parse(JS, code)
    done.set()
    thread.join()
    assert tree.root_node.end_byte == len(code)
    # one read holds the GIL for the whole parse; in pieces, the probe is never held that long
    assert max(gaps) < one_read / 2, (max(gaps), one_read)
