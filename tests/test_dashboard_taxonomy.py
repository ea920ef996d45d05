"""The dashboard's policy editor offers the taxonomy the rules know: its taxonomy.js mirrors
chalicelib/rules/taxonomy.py (a category missing there could not be given a threshold)."""

from __future__ import annotations

import json
import pathlib
import re

from chalicelib.rules import taxonomy

SOURCE = (
    pathlib.Path(__file__).resolve().parent.parent / "chalicelib" / "dashboard" / "taxonomy.js"
).read_text()


def block(name: str, opening: str, closing: str) -> str:
    match = re.search(rf"export const {name} = \{opening}(.*?)^\{closing};", SOURCE, re.S | re.M)
    assert match, f"{name} is no longer a literal in taxonomy.js"
    return match.group(1)


def test_the_top_level_categories_are_the_rules_own_in_their_order():
    listed = json.loads(f"[{block('TOP_LEVEL', '[', ']').strip().rstrip(',')}]")
    assert tuple(listed) == taxonomy.TOP_LEVEL


def test_every_category_has_the_parent_the_rules_give_it():
    pairs = re.findall(r'^\s*("[^"]+"): ("[^"]+"),$', block("PARENT", "{", "}"), re.M)
    assert {json.loads(k): json.loads(v) for k, v in pairs} == taxonomy.PARENT
