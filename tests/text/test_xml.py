"""XML-style tags in LLM answers."""

from __future__ import annotations

from codeflash_engine.text.xml import extract_tag, extract_tags


def test_first_occurrence_with_prose_around() -> None:
    text = "Thinking...\n<explanation>Use a set.</explanation>\n<code>\nx = set(xs)\n</code> <code>y</code>"
    assert extract_tag(text, "explanation") == "Use a set."
    assert extract_tag(text, "code") == "x = set(xs)"
    assert extract_tags(text, "code") == ["x = set(xs)", "y"]


def test_missing_tag_is_none_and_names_must_match_whole() -> None:
    assert extract_tag("no tags here", "code") is None
    assert extract_tag("<codex>1</codex>", "code") is None
    assert extract_tags("<code_block>1</code_block>", "code") == []


def test_case_and_attributes_are_tolerated() -> None:
    assert extract_tag('<CODE lang="python">x</Code>', "code") == "x"
    assert extract_tag("<code >x</code >", "Code") == "x"
    assert extract_tag("<code/> <code>x</code>", "code") == ""


def test_missing_closing_tag_at_the_end() -> None:
    assert extract_tag("<code>\ndef f():\n    return 1\n", "code") == "def f():\n    return 1"
    assert extract_tag("<code>x = 1\n</co", "code") == "x = 1"
    assert extract_tags("<e>a<e>b", "e") == ["a", "b"]


def test_content_is_returned_verbatim_inside() -> None:
    code = "    if a < b and c > d:\n        return '<code>'"
    assert extract_tag(f"<code>\n\n{code}\n\n</code>", "code") == code
    assert extract_tag("<code>a &lt; b</code>", "code") == "a &lt; b"


def test_unclosed_tag_before_a_closed_one() -> None:
    assert extract_tags("<e>a<e>b</e", "e") == ["a", "b"]
    assert extract_tags("<e>a</e><e>b<e>c", "e") == ["a", "b", "c"]


def test_only_a_closing_tag_cut_at_the_very_end_is_dropped() -> None:
    """An unterminated element loses a cut ``</tag`` at its end, and nothing else with a ``<``."""
    cases = [
        ("<code></co", ""),  # the cut tag is the whole content
        ("<code>x = 1\n</code ", "x = 1"),  # as long as the closing tag, but no '>'
        ("<code>x = 1\n</", "x = 1"),
        ("<code>if a < b:\n    pass", "if a < b:\n    pass"),
        ("<code>return a <b", "return a <b"),  # a '<' near the end that is not a closing tag
        ("<code>return a</c0", "return a</c0"),
        ("<code>x = '</code'  # quoted", "x = '</code'  # quoted"),
    ]
    for text, expected in cases:
        assert extract_tag(text, "code") == expected, text
