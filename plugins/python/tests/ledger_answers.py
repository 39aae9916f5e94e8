"""Long whole-context answers for the differential test (test_python_merge_differential.py).

The original, ``billing/ledger.py``, has a target (``summarize``) that builds a ``Ledger`` and
calls nine helper functions by name, so the client sends a code context of some 2,500
characters: the imports and constants, the class with the methods the target calls, the
helpers and the target. Models answer such a context by repeating it whole, most definitions
unchanged, which makes the answer's block 2,000 characters and more: the length from which the
Python cleaner drops the definitions an answer repeats verbatim (``drop_verbatim_definitions``).

:func:`ledger_answer` writes such answers: the context repeated (a helper left out now and
then), the target rewritten, and at random: a method added at the end of the unchanged class
(the target calls it), a ``functools`` cache decorator above an otherwise unchanged pure helper
(a comment line between them or above them at times), a statement appended after the final
block (``try``, ``if`` or ``for``) of a helper, an unchanged helper or the class repeated with a
comment or blank-line change, a helper rewritten. Every changed helper stays called by name by
the target (the client writes back the original of a helper the target no longer names).
"""

from __future__ import annotations

import random

#: the imports and constants, as the client sends them
HEADER = (
    'import math\nfrom collections import defaultdict\n\nRATE = 0.2\nDIGITS = 2\n_CURRENCIES = ("EUR", "USD", "GBP")\n'
)

#: the methods of ``Ledger``, all of which the target calls
METHODS = """    def __init__(self):
        self.groups = defaultdict(list)
        self.skipped = 0

    def add(self, key, amount, currency):
        sign = 1 if currency in _CURRENCIES else -1
        self.groups[key].append(sign * amount)

    def skip(self):
        self.skipped += 1

    def items(self):
        return sorted(self.groups.items())
"""

#: ``Ledger`` as the client sends it: without its docstring, a blank line after its header
CLASS = "class Ledger:\n\n" + METHODS

#: the helpers, in the original's order
HELPERS = {
    "parse_amount": '''def parse_amount(text):
    """The amount ``text`` holds, or None."""
    try:
        return float(text)
    except ValueError:
        pass
''',
    "currency_of": '''def currency_of(text):
    """The known currency code ``text`` names, or None."""
    code = text.strip().upper()
    if code in _CURRENCIES:
        return code
''',
    "label": '''def label(account, currency):
    """The group label of an account in a currency."""
    return f"{account.strip().lower()}/{currency or '?'}"
''',
    "taxed": '''def taxed(amount):
    """The amount with the tax added, rounded."""
    return round(amount * (1 + RATE), DIGITS)
''',
    "spread": '''def spread(values):
    """The distance between the lowest and the highest value."""
    low = min(values)
    high = max(values)
    return round(high - low, DIGITS)
''',
    "mean": '''def mean(values):
    """The average value, rounded."""
    return round(sum(values) / len(values), DIGITS)
''',
    "positives": '''def positives(values):
    """How many values are above zero."""
    count = 0
    for value in values:
        if value > 0:
            count += 1
    return count
''',
    "largest": '''def largest(values):
    """The highest value, or None for no values."""
    best = None
    for value in values:
        if best is None or value > best:
            best = value
    return best
''',
    "first_negative": '''def first_negative(values):
    """The first negative value, or None."""
    for value in values:
        if value < 0:
            return value
''',
}

#: the loop of the target that fills the ledger
LOOP = """    for line in lines:
        account, amount, currency = line.split(",")
        value = parse_amount(amount)
        if value is None or math.isnan(value):
            ledger.skip()
            continue
        code = currency_of(currency)
        ledger.add(label(account, code), value, code)
"""

#: the loop of the target that makes the report
REPORT = """    report = {}
    for key, values in ledger.items():
        report[key] = (
            taxed(sum(values)),
            spread(values),
            mean(values),
            positives(values),
            largest(values),
            first_negative(values),
        )
"""


def summarize(loop: str, report: str, uses: str = "") -> str:
    """The target with ``loop`` filling the ledger, ``report`` making the report, and ``uses``
    adding to it."""
    return (
        f"def summarize(lines):\n    ledger = Ledger()\n{loop}{report}"
        f'    report["skipped"] = ledger.skipped\n{uses}    return report\n'
    )


TARGET = summarize(LOOP, REPORT)

#: the user's module
CODE = (
    f'"""Ledger summaries per account and currency."""\n\n{HEADER}\n\n'
    + 'class Ledger:\n    """Signed amounts per account label."""\n\n'
    + METHODS
    + "".join(f"\n\n{text}" for text in HELPERS.values())
    + f"\n\n{TARGET}"
)

#: what the probe evaluates: skipped and unknown amounts and currencies, groups with and
#: without negative values, an empty input
PROBES = (
    "summarize(['a,10,eur', 'b,-3.5,usd', 'A ,2,EUR', 'c,x,eur', 'b,4,xyz', 'b,-1,usd', 'd,nan,gbp', 'e,7,gbp'])",
    "summarize(['z,1e3,usd', 'z,-2,usd', 'y,,gbp', 'y,5,chf'])",
    "summarize([])",
)

#: the texts a whole-context answer repeats verbatim: each must be in the client's context
VERBATIM = (HEADER, CLASS, *HELPERS.values(), TARGET)

#: the methods an answer adds at the end of ``Ledger``, by name, and the target's use of them
NEW_METHODS = {
    "count": (
        "\n    def count(self):\n        return sum(len(values) for values in self.groups.values())\n",
        '    report["count"] = ledger.count()\n',
    ),
    "add_many": (
        "\n    def add_many(self, rows):\n        for key, amount, currency in rows:\n"
        "            self.add(key, amount, currency)\n",
        "",
    ),
}

#: the cache decorators an answer puts above a pure helper, with the import each needs
DECORATORS = (
    ("@functools.lru_cache(maxsize=None)", "import functools"),
    ("@functools.cache", "import functools"),
    ("@lru_cache(maxsize=None)", "from functools import lru_cache"),
    ("@cache", "from functools import cache"),
)

#: the statements an answer appends after a helper's final block: one that changes nothing,
#: one whose change shows
APPENDED = {
    "parse_amount": ("    return None\n", "    return 0.0\n"),
    "currency_of": ("    return None\n", '    return "XXX"\n'),
    "first_negative": ("    return None\n", "    return 0.0\n"),
}

#: the helpers rewritten to the same results
REWRITTEN = {
    "spread": "def spread(values):\n    return round(max(values) - min(values), DIGITS)\n",
    "positives": "def positives(values):\n    return sum(1 for value in values if value > 0)\n",
    "largest": "def largest(values):\n    return max(values, default=None)\n",
    "first_negative": "def first_negative(values):\n    return next((value for value in values if value < 0), None)\n",
}

#: pure helpers of hashable arguments, which a cache decorator may wrap
PURE = ("parse_amount", "currency_of", "label", "taxed")


def ledger_answer(rng: random.Random) -> str:
    """The code of a whole-context answer for ``summarize`` (see the module docstring)."""
    imports: list[str] = []
    changed = False
    parts = []
    class_kind = rng.choices(["same", "gains", "reflowed", "omit"], weights=[50, 30, 10, 10])[0]
    method = rng.choice(list(NEW_METHODS)) if class_kind == "gains" else None
    if class_kind == "gains" and method is not None:
        parts.append(CLASS + NEW_METHODS[method][0])
        changed = True
    elif class_kind != "omit":
        parts.append(CLASS.replace(":\n\n", ":\n", 1) if class_kind == "reflowed" else CLASS)
    for name, text in HELPERS.items():
        helper, helper_changed = _helper(rng, name, text, imports)
        parts += [helper] if helper else []
        changed = changed or helper_changed
    parts.append(_target(rng, method, changed))
    header = "\n".join([*imports, HEADER]) if imports else HEADER
    return "\n\n\n".join(p.rstrip("\n") for p in [header, *parts]) + "\n"


def _helper(rng: random.Random, name: str, text: str, imports: list[str]) -> tuple[str, bool]:
    """The helper ``name`` as the answer repeats it (empty when left out), and whether it
    changed in a way the client must keep."""
    kinds = {"same": 55, "omit": 6, "comment": 10, "blank": 4}
    if name in PURE:
        kinds["decorated"] = 14
    if name in APPENDED:
        kinds["appended"] = 14
    if name in REWRITTEN:
        kinds["rewritten"] = 6
    kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
    if kind == "omit":
        return "", False
    if kind == "comment":
        comment = rng.choice(["# Unchanged.\n", "# This helper is already optimal.\n"])
        if rng.random() < 0.5:  # above the definition
            return comment + text, False
        lines = text.splitlines(keepends=True)  # below the docstring
        return "".join([*lines[:2], f"    {comment}", *lines[2:]]), False
    if kind == "blank":  # a blank line after the docstring, or before the last line
        lines = text.splitlines(keepends=True)
        at = rng.choice([2, len(lines) - 1])
        return "".join([*lines[:at], "\n", *lines[at:]]), False
    if kind == "decorated":
        decorator, needed = rng.choice(DECORATORS)
        if needed not in imports:
            imports.append(needed)
        note = rng.choice(["", "# Pure: the same arguments give the same result.\n"])
        if rng.random() < 0.5:
            return f"{note}{decorator}\n{text}", True
        return f"{decorator}\n{note}{text}", True
    if kind == "appended":
        nothing, shows = APPENDED[name]
        statement = rng.choice([nothing, shows])  # the engine rightly drops an answer changing nothing else
        return text + rng.choice(["", "\n"]) + statement, statement is shows
    if kind == "rewritten":
        return REWRITTEN[name], True
    return text, False


#: the target's loop rewritten, by name (``rows`` for the new method ``add_many``)
LOOPS = {
    "same": LOOP,
    "aliases": LOOP.replace("    for line", "    skip = ledger.skip\n    add = ledger.add\n    for line", 1)
    .replace("ledger.skip()", "skip()")
    .replace("ledger.add(", "add("),
    "walrus": LOOP.replace(
        "value = parse_amount(amount)\n        if value is None", "if (value := parse_amount(amount)) is None"
    ),
    "split": LOOP.replace(
        '    for line in lines:\n        account, amount, currency = line.split(",")\n',
        '    for account, amount, currency in (line.split(",") for line in lines):\n',
    ),
    "rows": "    rows = []\n"
    + LOOP.replace("ledger.add(label(account, code), value, code)", "rows.append((label(account, code), value, code))")
    + "    ledger.add_many(rows)\n",
}

#: the target's report rewritten, by name
REPORTS = {
    "same": REPORT,
    "comprehension": REPORT.replace("    report = {}\n    for key, values in ledger.items():\n", "")
    .replace("        report[key] = (", "    report = {\n        key: (")
    .replace("        )\n", "        )\n        for key, values in ledger.items()\n    }\n"),
    "total": REPORT.replace(
        "        report[key] = (\n            taxed(sum(values)),",
        "        total = sum(values)\n        report[key] = (\n            taxed(total),",
    ),
}


def _target(rng: random.Random, method: str | None, changed: bool) -> str:
    """``summarize`` rewritten to use ``method``, the new method of ``Ledger`` (when not None);
    left unchanged at times when something else ``changed``."""
    loops = ["same", "aliases", "walrus", "split"] if changed else ["aliases", "walrus", "split"]
    loop = "rows" if method == "add_many" else rng.choice(loops)
    uses = NEW_METHODS[method][1] if method is not None else ""
    return summarize(LOOPS[loop], REPORTS[rng.choice(list(REPORTS))], uses)
