"""A finding of check as a record (findings.py): a kind from the list, the same fields in --json
for every finding, and a gradebook that counts a class's mistakes by kind, each workbook once per
kind, whatever quantities its sentence names. No spreadsheet engine: the records are made here."""
import re
from pathlib import Path

import pytest

from bp_excel.check import gradebook, mistakes
from bp_excel.check.findings import KINDS, Finding, Mistake
from bp_excel.check.report import finding_lines, for_json, summary_line


def _finding(quantity="dE/dw3", kind="wrong-neighbour", mistake="uses a_h1 where a_h2 belongs", **fields):
    return Finding(**{"quantity": quantity, "column": "Z", "first_row": 3, "expected": 0.1, "found": 0.2,
                      "formula": "=J3", "kind": kind, "mistake": mistake,
                      "hint": "Z3 uses J3, a_h1, where a_h2 belongs", "rows_wrong": 4,
                      "solution": "Z3 should be =L3", **fields})


def _workbook(name, *findings):
    return {"file": name, "ok": not findings, "removed": [],
            "tables": [{"sheet": "Sheet", "wrong": list(findings), "warnings": []}]}


def test_a_finding_of_a_kind_check_does_not_know_is_refused():
    with pytest.raises(ValueError, match="no mistake kind 'neighbour'"):
        _finding(kind="neighbour")
    with pytest.raises(ValueError):
        Mistake("sign", "the update's sign")


def test_json_gives_every_field_and_the_answer_only_when_asked():
    finding = _finding(carries="E_total is 1e-05 off at row 9 because of it")
    (table,) = for_json(_workbook("a.xlsx", finding))["tables"]
    (as_json,) = table["wrong"]
    assert as_json["kind"] == "wrong-neighbour" and as_json["mistake"] == "uses a_h1 where a_h2 belongs"
    assert "solution" not in as_json and as_json["carries"].startswith("E_total is")
    (table,) = for_json(_workbook("a.xlsx", finding), solutions=True)["tables"]
    assert table["wrong"][0]["solution"] == "Z3 should be =L3"


def test_the_report_reads_the_record():
    finding = _finding()
    assert summary_line(_workbook("a.xlsx", finding)) == ("a.xlsx: WRONG: sheet 'Sheet': dE/dw3 (column Z) from row 3: "
                                                          "uses a_h1 where a_h2 belongs")
    assert "likely mistake: uses a_h1 where a_h2 belongs" in finding_lines(finding)
    unnamed = _finding(kind="unrecognized", mistake=None)
    assert not any(line.startswith("likely mistake") for line in finding_lines(unnamed))
    assert not any(line.startswith("the answer") for line in finding_lines(finding))
    assert finding_lines(finding, solutions=True)[-1] == "the answer: Z3 should be =L3"


def test_a_class_is_counted_by_kind_each_workbook_once_per_kind():
    neighbour = {"a_h1 for a_h2": _finding(), "w6 for w7": _finding("o2", mistake="uses w6 where w7 belongs"),
                 "i1 for i2": _finding("dE/dw2", mistake="uses i1 where i2 belongs")}
    sign = _finding("w1", kind="wrong-sign", mistake="the update's sign: w + lr·∂E_total/∂w climbs the error")
    reports = [
        _workbook("ben.xlsx", neighbour["a_h1 for a_h2"], _finding("dE/dw4")),  # two columns, one kind
        _workbook("gus.xlsx", neighbour["w6 for w7"], sign),
        _workbook("kim.xlsx", neighbour["i1 for i2"]),
        _workbook("amy.xlsx"),
        {"file": "cat.xlsx", "error": "refused"},
    ]
    assert gradebook.mistake_counts(reports) == [("wrong-neighbour", 3), ("wrong-sign", 1)]
    rows = {row["file"]: row for row in gradebook.rows(reports)}
    assert rows["gus.xlsx"]["likely mistake"] == "uses w6 where w7 belongs" and rows["gus.xlsx"]["cell"] == "Z3"


def test_every_kind_has_a_label_for_the_gradebook():
    assert all(isinstance(label, str) and label for label in KINDS.values())
    assert len(set(KINDS.values())) == len(KINDS)


@pytest.mark.parametrize("typed, computed, kind, words", [
    (None, None, "blank", "left empty"),
    ("oops", "oops", "no-number", "holds 'oops', not a number"),
    ("=1/0", "#DIV/0!", "no-number", "its formula gives '#DIV/0!', not a number"),
    ("=J3*2", 0.25, "unrecognized", None),
])
def test_a_cell_without_a_number_is_named_by_what_it_holds(typed, computed, kind, words):
    assert mistakes.no_number(typed, computed) == Mistake(kind, words)


def test_the_docs_list_every_kind():
    docs = (Path(__file__).parent.parent / "docs" / "workbook.md").read_text(encoding="utf-8")
    listed = {kind for row in re.findall(r"^  \| (`[a-z-]+`(?:, `[a-z-]+`)*) \|", docs, re.MULTILINE)
              for kind in re.findall(r"`([a-z-]+)`", row)}
    assert listed == set(KINDS)
