"""Conformance samples for the languages of the plugins shipped with codeflash-engine.

Each plugin turns the suite on with one line in its ``tests/conftest.py``::

    from codeflash_engine.testing.plugin_kit.reference import PYTHON as codeflash_engine_conformance
    from codeflash_engine.testing.plugin_kit.reference import JAVA as codeflash_engine_conformance
    from codeflash_engine.testing.plugin_kit.reference import JS_TS as codeflash_engine_conformance

They also serve as worked examples of :class:`LanguageSamples` for other languages.
"""

from __future__ import annotations

from codeflash_engine.testing.plugin_kit.samples import LanguageSamples

# ---------------------------------------------------------------------------------------- Python

_PY_ORIGINAL = '''\
import math


def spread(xs: list[float]) -> float:
    """Standard deviation of xs."""
    total = 0.0
    for x in xs:
        total += x
    mean = total / len(xs)
    acc = 0.0
    for x in xs:
        acc += (x - mean) ** 2
    return math.sqrt(acc / len(xs))
'''

PYTHON = LanguageSamples(
    language="python",
    plugin="python",
    language_version="3.11.7",
    valid="def f(x):\n    return x + 1\n",
    invalid="def f(x):\n    return [x,\n\n\ny = 2\n",
    invalid_line=2,
    original={"stats/spread.py": _PY_ORIGINAL},
    target="spread",
    signature="def spread(xs: list[float]) -> float:",
    improved=[
        "Sum once with the built-in, then a generator.\n\n```python:stats/spread.py\nimport math\n\n\n"
        "def spread(xs: list[float]) -> float:\n    mean = sum(xs) / len(xs)\n"
        "    return math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))\n```\n",
        "Use math.fsum.\n\n```python:stats/spread.py\nimport math\n\n\n"
        "def spread(xs: list[float]) -> float:\n    n = len(xs)\n    mean = math.fsum(xs) / n\n"
        "    return math.sqrt(math.fsum((x - mean) * (x - mean) for x in xs) / n)\n```\n",
    ],
    identical=[
        "Already optimal.\n\n```python:stats/spread.py\n"
        + _PY_ORIGINAL.replace("    total = 0.0\n", "    total = 0.0  # sum\n")
        + "```\n"
    ],
    changed_signature=[
        "Accept any iterable.\n\n```python:stats/spread.py\nimport math\n\n\n"
        "def spread(xs, ddof=0):\n    xs = list(xs)\n    mean = sum(xs) / len(xs)\n"
        "    return math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - ddof))\n```\n"
    ],
    test_framework="pytest",
    test_answer="```python\nfrom stats.spread import spread\n\n\ndef test_constant():\n"
    "    assert spread([2.0, 2.0, 2.0]) == 0.0\n\n\ndef test_pair():\n    assert spread([1.0, 3.0]) == 1.0\n```\n",
    module_path="stats.spread",
    test_module_path="tests.test_spread__unit_test_0",
)

# ---------------------------------------------------------------------------------------- Java

_JAVA_ORIGINAL = """\
package com.acme.util;

import java.util.ArrayList;
import java.util.List;

public final class Numbers {
    public static long sumOfSquares(List<Integer> values) {
        List<Long> squares = new ArrayList<>();
        for (Integer v : values) {
            squares.add((long) v * v);
        }
        long total = 0;
        for (Long s : squares) {
            total += s;
        }
        return total;
    }
}
"""

_JAVA_FAST = """\
package com.acme.util;

import java.util.List;

public final class Numbers {
    public static long sumOfSquares(List<Integer> values) {
        long total = 0;
        for (int i = 0, n = values.size(); i < n; i++) {
            long v = values.get(i);
            total += v * v;
        }
        return total;
    }
}
"""

JAVA = LanguageSamples(
    language="java",
    plugin="java",
    language_version="17",
    valid="class A {\n    int f() {\n        return 1;\n    }\n}\n",
    invalid="class A {\n    int f() {\n        return 1 +;\n    }\n}\n",
    invalid_line=3,
    original={"src/main/java/com/acme/util/Numbers.java": _JAVA_ORIGINAL},
    target="Numbers.sumOfSquares",
    signature="public static long sumOfSquares(List<Integer> values)",
    improved=[
        f"One pass, no boxing of the squares.\n\n```java:src/main/java/com/acme/util/Numbers.java\n{_JAVA_FAST}```\n",
        "A stream.\n\n```java:src/main/java/com/acme/util/Numbers.java\npackage com.acme.util;\n\n"
        "import java.util.List;\n\npublic final class Numbers {\n"
        "    public static long sumOfSquares(List<Integer> values) {\n"
        "        return values.stream().mapToLong(v -> (long) v * v).sum();\n    }\n}\n```\n",
    ],
    identical=[
        "No change.\n\n```java:src/main/java/com/acme/util/Numbers.java\n"
        + _JAVA_ORIGINAL.replace("long total = 0;", "long total = 0; // running sum")
        + "```\n"
    ],
    changed_signature=[
        "Take an array.\n\n```java:src/main/java/com/acme/util/Numbers.java\npackage com.acme.util;\n\n"
        "public final class Numbers {\n    public static long sumOfSquares(int[] values) {\n"
        "        long total = 0;\n        for (int v : values) {\n            total += (long) v * v;\n        }\n"
        "        return total;\n    }\n}\n```\n"
    ],
    test_framework="junit5",
    test_answer="```java\npackage com.acme.util;\n\nimport static org.junit.jupiter.api.Assertions.assertEquals;\n\n"
    "import java.util.List;\nimport org.junit.jupiter.api.Test;\n\nclass NumbersSumOfSquaresTest {\n"
    "    @Test\n    void smallList() {\n"
    "        assertEquals(14L, Numbers.sumOfSquares(List.of(1, 2, 3)));\n    }\n}\n```\n",
    module_path="com.acme.util.Numbers",
    test_module_path="com.acme.util.NumbersSumOfSquaresTest",
)

# ---------------------------------------------------------------------------------------- JS / TS

_JS_ORIGINAL = """\
export function uniqueSorted(values) {
  const out = [];
  for (const v of values) {
    if (!out.includes(v)) {
      out.push(v);
    }
  }
  return out.sort((a, b) => a - b);
}
"""

JAVASCRIPT = LanguageSamples(
    language="javascript",
    plugin="js_ts",
    language_version="20.11.1",
    valid="function f(x) {\n  return x + 1;\n}\n",
    invalid="function f(x) {\n  return x +;\n}\n",
    invalid_line=2,
    original={"src/unique.js": _JS_ORIGINAL},
    target="uniqueSorted",
    signature="export function uniqueSorted(values)",
    improved=[
        "A Set removes duplicates in O(n).\n\n```javascript:src/unique.js\nexport function uniqueSorted(values) {\n"
        "  return Array.from(new Set(values)).sort((a, b) => a - b);\n}\n```\n",
        "Spread a Set.\n\n```javascript:src/unique.js\nexport function uniqueSorted(values) {\n"
        "  const out = [...new Set(values)];\n  out.sort((a, b) => a - b);\n  return out;\n}\n```\n",
    ],
    identical=[f"Nothing to improve.\n\n```javascript:src/unique.js\n{_JS_ORIGINAL.replace('  ', '    ')}```\n"],
    changed_signature=[
        "Sort descending too.\n\n```javascript:src/unique.js\nexport function uniqueSorted(values, descending) {\n"
        "  const out = [...new Set(values)].sort((a, b) => a - b);\n"
        "  return descending ? out.reverse() : out;\n}\n```\n"
    ],
    test_framework="jest",
    test_answer="```javascript\nimport { uniqueSorted } from '../src/unique.js';\n\n"
    "describe('uniqueSorted', () => {\n  test('removes duplicates', () => {\n"
    "    expect(uniqueSorted([3, 1, 3, 2])).toEqual([1, 2, 3]);\n  });\n});\n```\n",
    module_path="../src/unique.js",
    test_module_path="tests/unique.test.js",
    testgen_fields={"module_system": "esm"},
)

_TS_ORIGINAL = """\
export function total(prices: number[], rate: number): number {
  let sum = 0;
  for (let i = 0; i < prices.length; i++) {
    sum = sum + prices[i] * (1 + rate);
  }
  return sum;
}
"""

TYPESCRIPT = LanguageSamples(
    language="typescript",
    plugin="js_ts",
    language_version="20.11.1",
    valid="function f(x: number): number {\n  return x + 1;\n}\n",
    invalid="function f(x: number): number {\n  return x +;\n}\n",
    invalid_line=2,
    original={"src/total.ts": _TS_ORIGINAL},
    target="total",
    signature="export function total(prices: number[], rate: number): number",
    improved=[
        "Multiply once.\n\n```typescript:src/total.ts\n"
        "export function total(prices: number[], rate: number): number {\n"
        "  let sum = 0;\n  for (const p of prices) {\n    sum += p;\n  }\n  return sum * (1 + rate);\n}\n```\n",
        "Reduce.\n\n```typescript:src/total.ts\nexport function total(prices: number[], rate: number): number {\n"
        "  return prices.reduce((acc, p) => acc + p, 0) * (1 + rate);\n}\n```\n",
    ],
    identical=[f"As is.\n\n```typescript:src/total.ts\n{_TS_ORIGINAL.replace('sum = sum +', 'sum = sum  +')}```\n"],
    changed_signature=[
        "Default rate.\n\n```typescript:src/total.ts\n"
        "export function total(prices: readonly number[], rate = 0): number {\n"
        "  return prices.reduce((acc, p) => acc + p, 0) * (1 + rate);\n}\n```\n"
    ],
    test_framework="jest",
    test_answer="```typescript\nimport { total } from '../src/total';\n\n"
    "describe('total', () => {\n  it('applies the rate once', () => {\n"
    "    expect(total([10, 20], 0.5)).toBeCloseTo(45);\n  });\n});\n```\n",
    module_path="../src/total",
    test_module_path="tests/total.test.ts",
    testgen_fields={"module_system": "commonjs"},
)

#: the js_ts plugin provides both languages
JS_TS = (JAVASCRIPT, TYPESCRIPT)
