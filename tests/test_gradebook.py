"""bp_excel check --gradebook on a class of hand-made workbooks (tests/handmade.py): right ones, ones
with seeded mistakes, refused ones and a broken one. What each row should say, the order and the
count of each mistake are worked out here from what was seeded, not from the gradebook's code."""
import contextlib
import csv
import io
import time
import zipfile
from collections import Counter
from pathlib import Path

import handmade
import hostile
import openpyxl
import pytest
from helpers import audit, call_main, schema_errors
from openpyxl.utils import get_column_letter

from bp_excel.check import gradebook
from bp_excel.check.findings import KINDS
from bp_excel.cli import main
from labkit import engines

TIMEOUT = 300
FIRST = 3  # handmade's iteration 0, under its header in row 2
COLUMN = {h: get_column_letter(k + 1) for k, h in enumerate(handmade.HEADERS)}
UNNAMED = "sigmoid sign"  # the seeded mistake that check has no name for


def _unreadable_headers(folder):
    wb = handmade.write(rows=10)
    for col in range(1, len(handmade.HEADERS) + 1):
        wb.active.cell(2, col).value = f"column {col}"
    return handmade.save(wb, folder / "unnamed.xlsx")


def _sheet_without_its_part(folder):
    """A sheet that names a relationship the workbook lacks: LibreOffice opens it, the grading cannot."""
    return hostile.rewritten(folder, {"xl/workbook.xml": lambda d: d.replace(b'r:id="rId1"', b'r:id="rId99"', 1)})


# The class, in the order given on the command line: (verdict, seeded mistake or how it is built).
CLASS = {
    "amy.xlsx": ("right", {}),
    "ben.xlsx": ("wrong", {"mistake": "a_h1 for a_h2"}),
    "cat.xlsx": ("refused", lambda folder: hostile.book_with_formula(folder, '=WEBSERVICE("http://127.0.0.1/")')),
    "dan.xlsx": ("wrong", {"mistake": "no half"}),
    "eve.xlsx": ("not graded", _sheet_without_its_part),
    "fay.xlsx": ("right", {"greek": True}),
    "gus.xlsx": ("wrong", {"mistake": "w6 for w7"}),
    "hal.xlsx": ("wrong", {"mistake": UNNAMED}),
    "ivy.xlsx": ("wrong", {"update": "={w}+{rate}*{gradient}"}),
    "jon.xlsx": ("refused", _unreadable_headers),
    "kim.xlsx": ("wrong", {"mistake": "i1 for i2"}),
}
WHY = {"cat.xlsx": "WEBSERVICE", "eve.xlsx": "rId99", "jon.xlsx": "no backpropagation table found"}


def seeded(kwargs):
    """(first wrong quantity, its cell, words of its likely mistake or None, its kind) of a seeded workbook."""
    if "update" in kwargs:  # every update climbs the error; iteration 0's weights are typed
        return "w1", f"{COLUMN['w1']}{FIRST + 1}", "the update's sign", "wrong-sign"
    quantity, _, words = handmade.MISTAKES[kwargs["mistake"]]
    header = quantity.replace("dE/d", "∂E/∂").replace("E_total", "E_tot")
    return quantity, f"{COLUMN[header]}{FIRST}", words, handmade.KIND[kwargs["mistake"]]


def _build(folder):
    paths = []
    for name, (_, how) in CLASS.items():
        own = folder / name.removesuffix(".xlsx")
        own.mkdir()
        made = how(own) if callable(how) else handmade.save(handmade.write(rows=10, **how), own / "book.xlsx")
        paths.append(made.rename(folder / name))
    return paths


def _sheet_rows(path, sheet):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, libreoffice):
    """The class checked twice, with --gradebook grades.xlsx and with grades.csv:
    {suffix: (exit status, stdout, stderr, the gradebook's path)}."""
    folder = tmp_path_factory.mktemp("class")
    paths = _build(folder)
    runs = {}
    for suffix in gradebook.SUFFIXES:
        book = folder / f"grades{suffix}"
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # capsys is one test's only
            status = main(["check", *map(str, paths), "--gradebook", str(book), "--timeout", str(TIMEOUT)])
        runs[suffix] = status, out.getvalue(), err.getvalue(), book
    return runs


def expected_rows(folder):
    """The rows the seeding calls for, in the order a teacher reads them: not graded, refused,
    wrong, right; the order given within each."""
    order = ["not graded", "refused", "wrong", "right"]
    rows = []
    for name, (verdict, how) in sorted(CLASS.items(), key=lambda item: order.index(item[1][0])):
        row = {"file": str(folder / name), "verdict": verdict}
        if verdict == "wrong":
            row["first wrong"], row["cell"], row["words"], _ = seeded(how)
        rows.append(row)
    return rows


def test_the_report_keeps_a_line_per_file_and_its_exit_status_and_says_what_it_wrote(graded_class):
    status, out, err, book = graded_class[".xlsx"]
    verdicts = Counter(verdict for verdict, _ in CLASS.values())
    assert status == 2  # a refused file: check's status, with or without a gradebook
    lines = out.strip().splitlines()
    assert len(lines) == verdicts["right"] + verdicts["wrong"] + 1
    assert sum(": OK (1 table)" in line for line in lines) == verdicts["right"]
    assert sum(": WRONG: " in line for line in lines) == verdicts["wrong"]
    assert lines[-1] == (f"wrote {book}: {len(CLASS)} workbooks: {verdicts['right']} right, {verdicts['wrong']} wrong, "
                         f"{verdicts['refused']} refused, {verdicts['not graded']} not graded")
    assert len(err.strip().splitlines()) == verdicts["refused"] + verdicts["not graded"]


def test_one_row_per_workbook_those_who_need_help_first(graded_class):
    _, _, _, book = graded_class[".xlsx"]
    header, *rows = _sheet_rows(book, gradebook.GRADEBOOK_SHEET)
    found = [dict(zip(header, row)) for row in rows]
    expected = expected_rows(book.parent)
    assert [(r["file"], r["verdict"]) for r in found] == [(r["file"], r["verdict"]) for r in expected]
    for row, want in zip(found, expected):
        name = Path(row["file"]).name
        if want["verdict"] in ("refused", "not graded"):
            assert WHY[name] in row["why not graded or refused"], row
            assert row["tables found"] is None and row["first wrong"] is None
            continue
        assert row["tables found"] == 1 and row["why not graded or refused"] is None
        if want["verdict"] == "right":
            assert row["first wrong"] is row["cell"] is row["likely mistake"] is None, row
            continue
        assert (row["sheet"], row["first wrong"], row["cell"]) == ("Sheet", want["first wrong"], want["cell"]), row
        if want["words"]:
            assert want["words"] in row["likely mistake"], row
        else:
            assert row["likely mistake"] is None, row
        assert row["how far it carries into E_total"].startswith("E_total is"), row


def test_the_mistakes_are_counted_by_kind_across_the_class(graded_class):
    _, _, _, book = graded_class[".xlsx"]
    # One count per workbook for each kind of mistake seeded in it, however many of its columns show it
    # (ben's a_h1 for a_h2 is wrong in dE/dw3 and dE/dw4); check has no name for the sigmoid's sign.
    expected = Counter(seeded(how)[3] for verdict, how in CLASS.values() if verdict == "wrong")
    header, *rows = _sheet_rows(book, gradebook.MISTAKES_SHEET)
    assert header == ["likely mistake", "workbooks", "kind"]
    assert {kind: workbooks for _, workbooks, kind in rows} == dict(expected)
    assert all(label == KINDS[kind] for label, _, kind in rows)
    assert [n for _, n, _ in rows] == sorted((n for _, n, _ in rows), reverse=True)  # the most common first


def test_different_neighbours_are_one_kind_of_mistake(graded_class):
    """ben uses a_h1 where a_h2 belongs, gus w6 where w7 does, kim i1 where i2 does: each row says its
    own, and the class's count has them together, three workbooks of one kind."""
    _, _, _, book = graded_class[".xlsx"]
    header, *rows = _sheet_rows(book, gradebook.GRADEBOOK_SHEET)
    said = {Path(r[0]).name: dict(zip(header, r))["likely mistake"] for r in rows}
    assert [said[name] for name in ("ben.xlsx", "gus.xlsx", "kim.xlsx")] == [
        "uses a_h1 where a_h2 belongs", "uses w6 where w7 belongs", "uses i1 where i2 belongs"]
    _, *counts = _sheet_rows(book, gradebook.MISTAKES_SHEET)
    assert [(n, kind) for _, n, kind in counts if "neighbour" in kind] == [(3, "wrong-neighbour")]

def test_the_csv_holds_the_same_rows(graded_class):
    status, out, _, csv_path = graded_class[".csv"]
    _, _, _, book = graded_class[".xlsx"]
    assert status == 2 and out.strip().splitlines()[-1].startswith(f"wrote {csv_path}: {len(CLASS)} workbooks: ")
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        from_csv = list(csv.reader(f))
    from_xlsx = [["" if v is None else str(v) for v in row] for row in _sheet_rows(book, gradebook.GRADEBOOK_SHEET)]
    assert from_csv == from_xlsx


def test_the_gradebook_passes_the_schema_and_opens_in_libreoffice_with_its_chart(graded_class, tmp_path):
    _, _, _, book = graded_class[".xlsx"]
    assert schema_errors(audit(book)) == []
    opened = engines.convert_with_libreoffice(book, "xlsx", tmp_path, TIMEOUT)
    values = engines.saved_values(opened)
    assert list(values) == [gradebook.GRADEBOOK_SHEET, gradebook.MISTAKES_SHEET]
    for sheet, rows in values.items():
        assert [r[:2] for r in rows] == [r[:2] for r in _sheet_rows(book, sheet)]
    with zipfile.ZipFile(opened) as saved:
        assert any(name.startswith("xl/charts/chart") for name in saved.namelist())


def test_a_file_libreoffice_ran_out_of_time_on_is_one_row_of_its_own():
    # The checker's record of such a file (test_sandbox.py makes one for real: 30 s of LibreOffice).
    slow = {"file": "slow.xlsx", "not_graded": "LibreOffice did not finish within 8 s (raise --timeout, or check "
                                               "that no dialog or stale process blocks it)"}
    right = {"file": "amy.xlsx", "ok": True, "tables": [{"wrong": []}], "removed": []}
    rows = gradebook.rows([right, slow])
    assert [(r["file"], r["verdict"]) for r in rows] == [("slow.xlsx", "not graded"), ("amy.xlsx", "right")]
    assert rows[0]["why not graded or refused"] == slow["not_graded"]


def test_a_class_without_a_wrong_workbook_has_no_chart(tmp_path):
    book = tmp_path / "grades.xlsx"
    gradebook.write(book, [{"file": "amy.xlsx", "ok": True, "tables": [{"wrong": []}], "removed": []}])
    assert _sheet_rows(book, gradebook.MISTAKES_SHEET) == [
        ["likely mistake", "workbooks", "kind"], ["no wrong workbook", None, None]]
    with zipfile.ZipFile(book) as written:
        assert not any(name.startswith("xl/charts/") for name in written.namelist())


@pytest.mark.parametrize("name, words", [("grades.txt", "must end in .xlsx or .csv, got"),
                                         ("no-such-folder/grades.xlsx", "no folder")])
def test_a_gradebook_that_cannot_be_written_is_refused_before_grading(tmp_path, capsys, name, words):
    started = time.monotonic()
    status, captured = call_main(main, ["check", str(tmp_path / "absent.xlsx"), "--gradebook",
                                        str(tmp_path / name)], capsys)
    assert status == 2 and captured.out == "" and time.monotonic() - started < 10
    assert len(captured.err.strip().splitlines()) == 1 and words in captured.err, captured.err
    assert "absent.xlsx" not in captured.err  # grading had not started: the workbook was not looked at
    assert list(tmp_path.iterdir()) == []


def test_fifty_workbooks_with_a_gradebook_within_a_minute(tmp_path, capsys, libreoffice):
    """The floor for a class: 50 hand-made workbooks, every seeded mistake among them, checked and
    written to a gradebook in under 60 s on 2 cores (a generous bound: about 10 s measured)."""
    mistakes = [None, *handmade.MISTAKES]
    paths = [handmade.save(handmade.write(rows=40, mistake=mistakes[k % len(mistakes)]), tmp_path / f"s{k:02}.xlsx")
             for k in range(50)]
    book = tmp_path / "grades.xlsx"
    started = time.monotonic()
    status, captured = call_main(main, ["check", *map(str, paths), "--gradebook", str(book)], capsys)
    elapsed = time.monotonic() - started
    right = sum(k % len(mistakes) == 0 for k in range(50))
    assert status == 1, captured.err
    assert captured.out.strip().splitlines()[-1] == f"wrote {book}: 50 workbooks: {right} right, {50 - right} wrong"
    verdicts = [row[1] for row in _sheet_rows(book, gradebook.GRADEBOOK_SHEET)[1:]]
    assert verdicts == ["wrong"] * (50 - right) + ["right"] * right
    assert elapsed < 60, f"{elapsed:.1f} s"
