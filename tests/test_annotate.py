"""check --annotate (bp_excel/check/annotate.py) on hand-made workbooks (tests/handmade.py) and, where
this checkout has them, the students' workbooks in shared/student-workbooks/: the first wrong cell
of each wrong column gets a fill and a note in the report's words, a Feedback sheet comes first, and
the rest is the learner's own: every other part byte for byte, no new schema error, the same values
when LibreOffice recalculates it, charts and pictures kept."""
import copy
import json
import time
import zipfile
from pathlib import Path

import handmade
import openpyxl
import pytest
from helpers import audit, call_main, schema_errors
from lxml import etree
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.workbook.defined_name import DefinedName
from PIL import Image as Picture

from bp_excel.check import annotate
from bp_excel.check.checker import check
from bp_excel.cli import main
from labkit import ooxml
from labkit.engines import recalculate_many_with_libreoffice

pytestmark = pytest.mark.usefixtures("libreoffice")
TIMEOUT = 300
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "student-workbooks"
COURSE = [f"course-workbook-{k}.xlsx" for k in (1, 2, 3)]
HANDMADE = ["right.xlsx", "a_h1 for a_h2.xlsx", "blank cell.xlsx", "two wrong sheets.xlsx",
            "chart, picture, notes, two sheets.xlsx"]
NAMES = HANDMADE + [pytest.param(name, marks=pytest.mark.skipif(not (SHARED / name).is_file(),
                                                                reason="shared/student-workbooks/ is not here"))
                    for name in COURSE]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _with_everything(folder):
    """A template sheet (right) beside the learner's, which is wrong in o2 (w6 where w7 belongs, from
    S3) and in E1 (no ½ in U3 alone) and has a chart, a picture, the learner's own notes (one on
    S3), a defined name of its own, and is the active sheet."""
    wb = handmade.write(rows=12)
    wb.active.title = "template"
    handmade.write(rows=12, mistake="w6 for w7", sheet="mine", wb=wb)
    ws = wb["mine"]
    ws["U3"] = "=(A3-R3)^2"
    chart = ScatterChart()
    rows = {"min_row": 3, "max_row": 14}
    chart.series.append(Series(Reference(ws, min_col=23, **rows), Reference(ws, min_col=1, **rows)))
    ws.add_chart(chart, "AH2")
    Picture.new("RGB", (40, 30), (200, 30, 30)).save(folder / "picture.png")
    ws.add_image(Image(folder / "picture.png"), "AH20")
    ws["S3"].comment = Comment("my own note on o2", "Learner")
    ws["A1"].comment = Comment("started on Monday", "Learner")
    ws.defined_names["rate"] = DefinedName("rate", attr_text="mine!$G$1")
    wb.active = 1
    return wb


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """{name: (original, copy, report)}: every workbook above checked in one run and annotated."""
    folder, out = tmp_path_factory.mktemp("books"), tmp_path_factory.mktemp("annotated")
    blank = handmade.write(rows=8)
    blank.active["X5"] = None  # dE/dw1 of row 5 left blank: its mark makes the cell
    two = handmade.write(rows=6, mistake="no half")
    handmade.write(rows=6, mistake="i1 for i2", sheet="second", wb=two)
    books = {"right.xlsx": handmade.write(), "a_h1 for a_h2.xlsx": handmade.write(mistake="a_h1 for a_h2"),
             "blank cell.xlsx": blank, "two wrong sheets.xlsx": two,
             "chart, picture, notes, two sheets.xlsx": _with_everything(folder)}
    paths = [handmade.save(wb, folder / name) for name, wb in books.items()]
    paths += [SHARED / name for name in COURSE if (SHARED / name).is_file()]
    reports = check(paths, TIMEOUT)
    assert annotate.write(reports, out) == [f"annotated copies in {out}: {', '.join(p.name for p in paths)}"]
    return {path.name: (path, out / path.name, report) for path, report in zip(paths, reports)}


def _parts(path):
    with zipfile.ZipFile(path) as archive:
        return {member.filename: ooxml.read(archive, member) for member in archive.infolist()}


def _rels(part):
    folder, _, file = part.rpartition("/")
    return f"{folder}/_rels/{file}.rels".lstrip("/")


def _targets(parts, source, kind):
    rels = _rels(source)
    if rels not in parts:
        return []
    return [link.target for link in ooxml.relationships(rels, ooxml.parse(rels, parts[rels])) if link.kind == kind]


def _sheets(parts):
    """[(sheet name, part)] in the workbook's order, read with ooxml alone."""
    (book,) = _targets(parts, "", "officeDocument")
    rels = _rels(book)
    ids = {link.id: link.target for link in ooxml.relationships(rels, ooxml.parse(rels, parts[rels]))}
    sheets = ooxml.parse(book, parts[book]).iter(f"{MAIN}sheet")
    return [(s.get("name"), ids[next(v for k, v in s.attrib.items() if k.endswith("}id"))]) for s in sheets]


def _marks(report):
    """{sheet: {cells marked}} of a report."""
    marks = {}
    for table in report["tables"]:
        for finding in table["wrong"]:
            marks.setdefault(table["sheet"], set()).add(f"{finding.column}{finding.first_row}")
    return marks


@pytest.mark.parametrize("name", NAMES)
def test_every_part_that_the_marks_do_not_need_is_the_learners_own_byte_for_byte(annotated, name):
    original, annotated_copy, report = annotated[name]
    before, after = _parts(original), _parts(annotated_copy)
    (book,) = _targets(before, "", "officeDocument")
    needed = {"[Content_Types].xml", book, _rels(book)}
    sheets = dict(_sheets(before))
    for sheet in _marks(report):
        part = sheets[sheet]
        needed |= {part, _rels(part), *_targets(before, book, "styles"), *_targets(before, part, "comments"),
                   *_targets(before, part, "vmlDrawing")}
    assert set(before) <= set(after)
    assert [n for n in before if n not in needed and before[n] != after[n]] == []
    types = ooxml.content_types(ooxml.parse("[Content_Types].xml", after["[Content_Types].xml"]))
    new = sorted(ooxml.content_type(n, types).rpartition(".")[2] for n in set(after) - set(before))
    expected = ["worksheet+xml"]
    for sheet in _marks(report):
        part = sheets[sheet]
        expected += ["comments+xml"] * (not _targets(before, part, "comments"))
        expected += ["vmlDrawing"] * (not _targets(before, part, "vmlDrawing"))
        expected += ["relationships+xml"] * (_rels(part) not in before)
    assert new == sorted(expected)
    if not report["ok"]:
        assert before[_targets(before, book, "styles")[0]] != after[_targets(after, book, "styles")[0]]


def _without(root, marked, legacy):
    """The sheet root with the marked cells' style, and their <legacyDrawing> where legacy, left out."""
    root = copy.deepcopy(root)
    for cell in root.iter(f"{MAIN}c"):
        if cell.get("r") in marked:
            cell.attrib.pop("s", None)
    for element in root.findall(f"{MAIN}legacyDrawing") if legacy else []:
        root.remove(element)
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("name", NAMES)
def test_a_marked_sheet_differs_only_in_its_marked_cells_style_and_its_notes_drawing(annotated, name):
    original, annotated_copy, report = annotated[name]
    before, after = _parts(original), _parts(annotated_copy)
    sheets = dict(_sheets(before))
    for sheet, marked in _marks(report).items():
        old, new = (ooxml.parse(sheets[sheet], parts[sheets[sheet]]) for parts in (before, after))
        made = {c.get("r") for c in new.iter(f"{MAIN}c")} - {c.get("r") for c in old.iter(f"{MAIN}c")}
        assert made <= marked
        for cell in [c for c in new.iter(f"{MAIN}c") if c.get("r") in made]:
            cell.getparent().remove(cell)
        assert _without(old, marked, False) == _without(new, marked, old.find(f"{MAIN}legacyDrawing") is None)
        assert len(new.findall(f"{MAIN}legacyDrawing")) == 1


def _format(cell):
    """What a cell's style gives it, but its fill (openpyxl's proxies compare only as copies)."""
    styles = (cell.font, cell.border, cell.alignment, cell.protection)
    return (cell.number_format, *(copy.copy(style) for style in styles))


@pytest.mark.parametrize("name", NAMES)
def test_each_first_wrong_cell_has_the_fill_and_a_note_in_the_hints_words_and_keeps_its_format(annotated, name):
    original, annotated_copy, report = annotated[name]
    before, after = openpyxl.load_workbook(original), openpyxl.load_workbook(annotated_copy)
    assert after.sheetnames == ["Feedback", *before.sheetnames]
    for table in report["tables"]:
        for finding in table["wrong"]:
            ref = finding.cell
            cell, own = after[table["sheet"]][ref], before[table["sheet"]][ref]
            assert (cell.fill.fill_type, cell.fill.fgColor.rgb) == ("solid", annotate.FILL)
            assert _format(cell) == _format(own) and cell.value == own.value
            note = cell.comment.text
            assert finding.hint in note and (finding.mistake or "") in note
            assert f"is wrong from row {finding.first_row}" in note
            assert "the answer" not in note and finding.solution not in note
    marked = {(s, c) for s, cells in _marks(report).items() for c in cells}
    for ws in before.worksheets:
        for row in after[ws.title].iter_rows():
            for cell in row:
                if (ws.title, cell.coordinate) not in marked:
                    assert copy.copy(cell.fill) == copy.copy(ws[cell.coordinate].fill), (ws.title, cell.coordinate)


@pytest.mark.parametrize("name", NAMES)
def test_the_feedback_sheet_in_front_says_the_verdict_each_wrong_cell_and_how_to_check_again(annotated, name):
    original, annotated_copy, report = annotated[name]
    feedback = openpyxl.load_workbook(annotated_copy)["Feedback"]
    text = [[c.value for c in row] for row in feedback.iter_rows()]
    assert text[1][0].startswith("RIGHT" if report["ok"] else "WRONG")
    assert text[-1][1] == f"python -m bp_excel check {original.name}"
    links = {c.coordinate: c.hyperlink.location for row in feedback.iter_rows() for c in row if c.hyperlink}
    wrong = [(t["sheet"], f"{f.column}{f.first_row}") for t in report["tables"] for f in t["wrong"]]
    assert sorted(links.values()) == sorted(f"'{sheet}'!{cell}" for sheet, cell in wrong)
    for coordinate in links:
        assert feedback[coordinate].value in {f"{sheet}!{cell}" for sheet, cell in wrong}


def test_a_learners_own_notes_stay_and_the_marked_cells_own_note_comes_first(annotated):
    original, annotated_copy, report = annotated["chart, picture, notes, two sheets.xlsx"]
    ws = openpyxl.load_workbook(annotated_copy)["mine"]
    assert ws["A1"].comment.text == "started on Monday"
    own, _, ours = ws["S3"].comment.text.partition("\n\n")
    assert own == "my own note on o2" and ours.startswith("o2 (column S) is wrong from row 3") and "w6" in ours
    assert ws["U3"].comment.text.startswith("E1 (column U) is wrong from row 3")
    assert sum(name.endswith(".vml") for name in _parts(annotated_copy)) == 1


def test_each_sheets_new_notes_drawing_has_shape_ids_of_its_own(annotated):
    _, annotated_copy, report = annotated["two wrong sheets.xlsx"]
    parts = _parts(annotated_copy)
    drawings = [ooxml.parse(name, parts[name]) for name in parts if name.endswith(".vml")]
    blocks = [e.get("data") for drawing in drawings for e in drawing.iter() if ooxml.local(e) == "idmap"]
    shapes = [e.get("id") for drawing in drawings for e in drawing.iter() if ooxml.local(e) == "shape"]
    assert len(drawings) == len(_marks(report)) == 2 and sorted(blocks) == ["1", "2"]
    assert sorted(shapes) == ["_x0000_s1025", "_x0000_s2049"]


def test_every_index_that_counts_sheets_moves_with_the_sheet_put_first(annotated):
    original, annotated_copy, _ = annotated["chart, picture, notes, two sheets.xlsx"]
    (before_view, before_name), (after_view, after_name) = [
        (next(root.iter(f"{MAIN}workbookView")), next(root.iter(f"{MAIN}definedName")))
        for root in (ooxml.parse("book", _parts(path)["xl/workbook.xml"]) for path in (original, annotated_copy))]
    assert (before_view.get("activeTab"), before_name.get("localSheetId")) == ("1", "1")
    assert (after_view.get("activeTab"), after_name.get("localSheetId")) == ("2", "2")
    assert after_view.get("firstSheet", "0") == "0"  # the Feedback tab in view
    assert openpyxl.load_workbook(annotated_copy).active.title == "mine"


def test_a_chart_and_a_picture_are_kept_part_for_part(annotated):
    for name in ["chart, picture, notes, two sheets.xlsx", *[n for n in COURSE if n in annotated]]:
        original, annotated_copy, _ = annotated[name]
        before, after = _parts(original), _parts(annotated_copy)
        drawn = [n for n in before if n.startswith(("xl/charts/", "xl/media/", "xl/drawings/drawing"))]
        assert any(n.startswith("xl/charts/") for n in drawn)
        assert any(n.startswith("xl/media/") for n in drawn) or name != "chart, picture, notes, two sheets.xlsx"
        assert all(before[n] == after[n] for n in drawn)
        with zipfile.ZipFile(original) as a, zipfile.ZipFile(annotated_copy) as b:
            assert ooxml.drawn_objects(b) == {"Feedback": 0, **ooxml.drawn_objects(a)}


def test_no_new_schema_error(annotated):
    for name, (original, annotated_copy, _) in annotated.items():
        errors = [{(e["part_uri"], e["description"]) for e in schema_errors(audit(path))}
                  for path in (original, annotated_copy)]
        assert errors[1] - errors[0] == set(), name


def test_libreoffice_recalculates_the_copy_to_the_originals_values(annotated):
    originals, copies = zip(*[(original, annotated_copy) for original, annotated_copy, _ in annotated.values()])
    values = recalculate_many_with_libreoffice([*originals, *copies], TIMEOUT)
    for name, before, after in zip(annotated, values[:len(originals)], values[len(originals):]):
        assert isinstance(after, dict), (name, after)
        assert list(after) == ["Feedback", *before] and {s: after[s] for s in before} == before, name


def test_solutions_put_the_answer_in_the_note_only_when_asked(annotated, tmp_path):
    original, _, report = annotated["a_h1 for a_h2.xlsx"]
    annotate.annotate(report, tmp_path / "with answers.xlsx", solutions=True)
    note = openpyxl.load_workbook(tmp_path / "with answers.xlsx")["Sheet"]["Z3"].comment.text
    assert f"the answer: {report['tables'][0]['wrong'][0].solution}" in note


def test_a_sheet_named_feedback_already_keeps_its_name_and_the_new_one_gets_a_number(tmp_path):
    wb = handmade.write(rows=4)
    wb.create_sheet("feedback")
    book = handmade.save(wb, tmp_path / "book.xlsx")
    annotate.annotate({"file": str(book), "ok": True, "tables": []}, tmp_path / "copy.xlsx")
    assert openpyxl.load_workbook(tmp_path / "copy.xlsx").sheetnames == ["Feedback 2", "Sheet", "feedback"]


def test_the_command_writes_copies_and_one_line_for_the_files_without_one(tmp_path, capsys):
    wrong = handmade.save(handmade.write(rows=6, mistake="no half"), tmp_path / "wrong.xlsx")
    refused = tmp_path / "notes.xlsx"
    refused.write_text("not a workbook")
    out = tmp_path / "feedback"
    code, said = call_main(main, ["check", str(wrong), str(refused), "--annotate", str(out)], capsys)
    assert code == 2 and said.out.splitlines()[-2:] == [f"annotated copy in {out}: wrong.xlsx",
                                                        f"no annotated copy of {refused} (refused)"]
    assert sorted(p.name for p in out.iterdir()) == ["wrong.xlsx"]
    assert annotate.write([{"file": "late.xlsx", "not_graded": "LibreOffice ran out of time"}], out) == \
        ["no annotated copy of late.xlsx (not graded)"]


@pytest.mark.parametrize("where, says", [("a file", "is a file, not a folder"), ("no parent", "no folder"),
                                         ("the workbook's own folder", "would replace it")])
def test_the_output_folder_is_checked_before_anything_is_graded(tmp_path, capsys, monkeypatch, where, says):
    book = handmade.save(handmade.write(rows=4), tmp_path / "book.xlsx")
    (tmp_path / "a file").write_text("")
    folder = {"a file": tmp_path / "a file", "no parent": tmp_path / "missing" / "out",
              "the workbook's own folder": tmp_path}[where]
    monkeypatch.setattr("bp_excel.cli.check_workbooks", lambda *args: pytest.fail("graded before the folder's check"))
    started = time.monotonic()
    code, said = call_main(main, ["check", str(book), "--annotate", str(folder)], capsys)
    assert code == 2 and said.out == "" and len(said.err.splitlines()) == 1 and says in said.err, said
    assert time.monotonic() - started < 10


def test_json_stays_one_object_and_the_copies_line_goes_to_stderr(annotated, tmp_path, capsys):
    original, _, _ = annotated["right.xlsx"]
    code, said = call_main(main, ["check", str(original), "--json", "--annotate", str(tmp_path / "out")], capsys)
    assert code == 0 and json.loads(said.out)["workbooks"][0]["ok"]
    assert said.err.strip() == f"annotated copy in {tmp_path / 'out'}: right.xlsx"
    assert (tmp_path / "out" / "right.xlsx").is_file()
