"""Answers adding members to the target's class behave the same once the client has merged them.

The client (0.20.6) keeps only the target method's body and the file's new top-level declarations.
A seeded generator writes answers whose target uses new static and instance fields (numbers,
arithmetic on statics, empty containers, functions), private ones, helper methods (static or
not, calling each other) and getters; each answer runs in Node as written and as the client
would merge the engine's candidate (the original class, the target's body replaced, the
candidate's new declarations before it). Every answer that runs must give the same results
both ways. Left out on purpose, because the engine leaves them in the class (so the client
loses them): setters, and private fields holding a `function` (not an arrow).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest
from jsts_cases import candidates_request

from codeflash_engine import CodeFile, Task
from codeflash_engine.plugins.treesitter import walk
from codeflash_engine_js_ts.candidates import triage
from codeflash_engine_js_ts.source import Source

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

ORIGINAL = (
    "class Ledger {\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
    "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + r.v, 0);\n  }\n}\n"
)
FUNCTIONS = ["(x) => x * 2", "(x) => x + this.rows.length", "function (x) { return x + this.rows.length; }"]
METHODS = ["return x + 1;", "return x + this.rows.length;", "return [x].concat(this.rows).length;"]


def answer(rng: random.Random) -> str:
    """A class with one to five new members, all used by the target, in a shuffled order."""
    members: list[str] = []
    uses: list[str] = []
    statics: list[str] = []  # numeric statics declared so far (a later one may read them)
    helpers: list[str] = []  # instance methods declared so far (a later one may call them)
    for i in range(rng.randint(1, 5)):
        kind = rng.choice(["map", "array", "number", "function", "method", "getter", "calls"])
        static = rng.random() < 0.35 and kind in ("number", "map", "function", "method")
        private = rng.random() < 0.3 and not (kind == "function" and not static)
        name = f"{'#' if private else ''}m{i}"
        owner, prefix = ("Ledger", "static ") if static else ("this", "")
        if kind in ("method", "calls"):
            body = "return x * 3;" if static else rng.choice(METHODS)
            if kind == "calls" and not static and helpers:  # a helper calling an earlier one
                body = f"return this.{rng.choice(helpers)}(x) + 1;"
            members.append(f"  {prefix}{name}(x) {{\n    {body}\n  }}")
            if not static:
                helpers.append(name)
            uses.append(f"{owner}.{name}({owner}.{name}(2))" if kind == "calls" else f"{owner}.{name}(2)")
        elif kind == "getter":
            members.append(f"  get {name}() {{\n    return this.rows.length;\n  }}")
            uses.append(f"this.{name}")
        else:
            value = {
                "map": "new Map()",
                "array": "[]",
                "function": rng.choice(FUNCTIONS[:2] if private else FUNCTIONS),
                "number": f"Ledger.{rng.choice(statics)} * 2" if statics and rng.random() < 0.5 else str(i + 1),
            }[kind]
            members.append(f"  {prefix}{name} = {value};")
            if static and kind == "number" and not private:
                statics.append(name)
            uses.append(
                {
                    "map": f"({owner}.{name}.set(1, ({owner}.{name}.get(1) ?? 0) + 1), {owner}.{name}.get(1))",
                    "array": f"({owner}.{name}.push(1), {owner}.{name}.length)",
                    "function": f"{owner}.{name}(5)",
                    "number": f"{owner}.{name}",
                }[kind]
            )
    if rng.random() < 0.5 and not any("= Ledger." in m for m in members):  # one reading another stays after it
        rng.shuffle(members)
    body = "    return [" + ", ".join(uses) + ", cat];\n"
    return (
        "export class Ledger {\n" + "\n".join(members) + "\n\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  total(cat) {\n" + body + "  }\n}\n"
    )


def merged(candidate: str) -> str:
    """What the client makes of ``candidate``: its top-level declarations, then the original class
    with the target's body taken from the candidate."""
    source = Source.parse("javascript", candidate)
    declarations: list[str] = []
    body = None
    for node in source.root.named_children:
        inner = node.child_by_field_name("declaration") if node.type == "export_statement" else node
        if inner is not None and inner.type == "class_declaration":
            for member in walk(inner):
                name = member.child_by_field_name("name") if member.type == "method_definition" else None
                if name is not None and source.text(name) == "total":
                    block = member.child_by_field_name("body")
                    assert block is not None
                    body = source.text(block)
        else:
            declarations.append(source.text(node))
    assert body is not None
    head = ORIGINAL[: ORIGINAL.index("  total(cat) ") + len("  total(cat) ")]
    return "\n".join(declarations) + "\n" + head + body + "\n}\n"


RUNNER = r"""
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const shown = (k, v) => (typeof v === 'function' ? 'fn' : v instanceof Map ? [...v] : v);
const run = (code) => {
  try {
    const f = new Function(code + "\nconst l = new Ledger([{ c: 'a', v: 1 }, { c: 'b', v: 2 }]);"
      + "\nreturn JSON.stringify([l.total('a'), l.total('a'), l.total('b')], " + shown.toString() + ");");
    return f();
  } catch (e) {
    return 'ERR ' + e.constructor.name + ': ' + e.message;
  }
};
console.log(JSON.stringify(cases.map((c) => [run(c[0]), run(c[1])])));
"""


def test_merged_candidates_behave_as_the_answers() -> None:
    rng = random.Random(20261207)
    original = CodeFile("src/ledger.js", "export " + ORIGINAL)
    cases: list[tuple[str, str]] = []
    for _ in range(300):
        text = answer(rng)
        request = candidates_request(
            task=Task.OPTIMIZE,
            language="javascript",
            language_version=None,
            original=(original,),
            answers=(f"```javascript\n{text}```",),
            target="Ledger.total",
        )
        [outcome] = triage(request)
        assert outcome.candidate is not None, (outcome.reason, text)
        cases.append((text.replace("export class", "class"), merged(outcome.candidate.files[0].code)))
    run = subprocess.run(["node", "-e", RUNNER], input=json.dumps(cases), capture_output=True, text=True, check=True)
    results = json.loads(run.stdout)
    ran = [(case, a, m) for case, (a, m) in zip(cases, results, strict=True) if not a.startswith("ERR")]
    assert len(ran) > 250  # the generator writes answers that run
    differ = [f"{case[0]}\n=> {case[1]}\nanswer: {a}\nmerged: {m}" for case, a, m in ran if a != m]
    assert not differ, f"{len(differ)} differ; the first:\n{differ[0]}"
