"""Tests of the Go plugin.

The assignment at the bottom turns on codeflash-engine's conformance suite: pytest then runs,
under this file, one test per rule of the hook contract against the installed plugin (entry
point ``go``). The samples describe the language; rewrite them in real Go as soon
as the plugin understands it (every answer is a whole model answer: prose and fenced code).
"""

from __future__ import annotations

from codeflash_engine.testing.plugin_kit import LanguageSamples

ORIGINAL = """\
// spread returns the sum of xs.
func spread(xs) {
    total = 0
    for x in xs {
        total = total + x
    }
    return total
}
"""

SAMPLES = LanguageSamples(
    language="go",
    plugin="go",
    language_version="1.0",
    valid="func f(x) {\n    return x + 1\n}\n",
    invalid="func f(x) {\n    return (x + 1\n}\n",
    invalid_line=3,
    invalid_column=1,
    original={"src/stats.go": ORIGINAL},
    target="spread",
    signature="func spread(xs) {",
    improved=[
        "Use the built-in sum.\n\n```go:src/stats.go\nfunc spread(xs) {\n    return sum(xs)\n}\n```\n",
        "Index instead of iterating.\n\n```go:src/stats.go\nfunc spread(xs) {\n    total = 0\n"
        "    for i in range(len(xs)) {\n        total += xs[i]\n    }\n    return total\n}\n```\n",
    ],
    identical=[
        "It is already fast.\n\n```go:src/stats.go\n"
        + ORIGINAL.replace("    ", "  ").replace("// spread", "// Spread")
        + "```\n"
    ],
    changed_signature=[
        "Start from a value.\n\n```go:src/stats.go\n"
        "func spread(xs, start) {\n    return start + sum(xs)\n}\n```\n"
    ],
    test_framework="go-test",
    test_answer="```go\ntest spread_adds {\n    expect(spread([1, 2]) == 3)\n}\n```\n",
    module_path="src/stats.go",
    test_module_path="tests/stats_test.go",
)

codeflash_engine_conformance = SAMPLES
