""".ods and legacy .xls, read by check as an .xlsx is: what a file is comes from its content, and
must agree with its name; each is inspected as its format is (a hostile one refused in one line,
exit 2, before LibreOffice sees it), then converted to .xlsx by LibreOffice and inspected and graded
as any .xlsx: a right one right, a planted mistake the same finding as in the .xlsx it came from."""
import contextlib
import csv
import io
import json
import subprocess
import zipfile
from pathlib import Path

import handmade
import openpyxl
import pytest
from formats_built import biff, boundsheet, compound_file, ods
from openpyxl.chart import LineChart, Reference
from test_untrusted import assert_refused

from bp_excel.cli import main
from labkit import engines, formats, untrusted
from labkit.cli import UsageError

TIMEOUT = 180
TEMPLATE = b"application/vnd.oasis.opendocument.spreadsheet-template"
TEXT = b"application/vnd.oasis.opendocument.text"
TABLE_12, TABLE_13 = (b"urn:oasis:names:tc:opendocument:xmlns:table:" + v for v in (b"1.2", b"1.3"))
FORM = b"urn:oasis:names:tc:opendocument:xmlns:form:1.0"


def _zip_bomb_ods(folder):
    path = ods(folder)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("Pictures/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(untrusted.MAX_UNPACKED_BYTES // 2**20 + 10):
                member.write(bytes(2**20))
    return path


EVENT = (b'<office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" '
         b'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
         b"</office:event-listeners>")
HOSTILE_ODS = {
    "a Basic macro": (lambda p: ods(p, members={"Basic/Standard/Module1.xml": b"<a/>"}), "holds macros (Basic/"),
    "a Python script": (lambda p: ods(p, members={"Scripts/python/run.py": b"import os"}), "holds macros (Scripts/"),
    "an event bound to a macro": (lambda p: ods(p, scripts=EVENT), "holds macros (an event bound to a script)"),
    "a zip bomb": (_zip_bomb_ods, "a zip bomb?"),
    "a mimetype that says text": (lambda p: ods(p, mimetype=TEXT), f"file of type {TEXT.decode()}, not a "),
    "a template named .ods": (lambda p: ods(p, mimetype=TEMPLATE), "not a spreadsheet"),
    "a password": (lambda p: ods(p, manifest=b'<manifest:encryption-data manifest:checksum="x"/>'),
                   "is password-protected"),
    "a linked sheet": (lambda p: ods(p, table=b'<table:table-source xlink:href="file:///etc/passwd"/>'),
                       "links to another file (a linked sheet)"),
    "WEBSERVICE in a formula": (lambda p: ods(p, cell=b'<table:table-cell table:formula="of:=WEBSERVICE(&quot;'
                                                      b'http://127.0.0.1/&quot;)"/>'), "uses the function WEBSERVICE"),
    "another file in a formula": (lambda p: ods(p, cell=b'<table:table-cell table:formula="of:=[\'file:///etc/'
                                                        b'passwd\'#$Sheet1.A1]"/>'), "uses a link (file:)"),
    "a linked picture": (lambda p: ods(p, table=b'<table:shapes><draw:frame><draw:image xlink:href="http://'
                                                b'127.0.0.1/p.png"/></draw:frame></table:shapes>'), "links outside"),
    "a repeated value, past the cells limit": (lambda p: ods(p, table=b'<table:table-row table:number-rows-repeated='
                                                               b'"2000"><table:table-cell table:number-columns-repeated'
                                                               b'="1024" office:value-type="float" office:value="1"/>'
                                                               b"</table:table-row>"), "has over 1,000,000 cells"),
    "entity declarations": (lambda p: ods(p, doctype=b'<!DOCTYPE x [<!ENTITY boom "boom">]>'), "declares XML entities"),
    # LibreOffice reads the table namespace of ODF 1.2 or 1.3 as 1.0's: so must the inspection.
    "WEBSERVICE in table:1.3's formula": (lambda p: ods(p, cell=b'<table:table-cell xmlns:t3="' + TABLE_13 + b'" '
                                                             b't3:formula="of:=WEBSERVICE(&quot;http://127.0.0.1/&quot;)"'
                                                             b'/>'), "uses the function WEBSERVICE"),
    "table:1.2's repeats, past the cells limit": (lambda p: ods(p, table=b'<t2:table-row xmlns:t2="' + TABLE_12 + b'" '
                                                                   b't2:number-rows-repeated="2000"><t2:table-cell '
                                                                   b't2:number-columns-repeated="1024" office:value-type='
                                                                   b'"float" office:value="1"/></t2:table-row>'),
                                                  "has over 1,000,000 cells"),
    "a data connection in table:1.2": (lambda p: ods(p, table=b'<t2:database-source-sql xmlns:t2="' + TABLE_12 +
                                                     b'" t2:database-name="x" t2:sql-statement="select 1"/>'),
                                       "has a data connection"),
    # LibreOffice reads "+2000" and " 2000" as 2000.
    "repeats written '+2000', past the cells limit": (lambda p: ods(p, table=b'<table:table-row table:number-rows-'
                                                                       b'repeated="+2000"><table:table-cell table:number-'
                                                                       b'columns-repeated=" 1024" office:value-type='
                                                                       b'"float" office:value="1"/></table:table-row>'),
                                                      "has over 1,000,000 cells"),
    "a repeat count that is no number": (lambda p: ods(p, cell=b'<table:table-cell table:number-columns-repeated="lots" '
                                                            b'office:value-type="float" office:value="1"/>'),
                                         "not a whole number"),
    "a form's picture from outside": (lambda p: ods(p, table=b'<office:forms><form:form xmlns:form="' + FORM +
                                                    b'"><form:image form:image-data="file:///etc/passwd"/></form:form>'
                                                    b"</office:forms>"), "links outside"),
    "a pivot table fed by a data source": (lambda p: ods(p, table=b'<table:source-service table:name="com.sun.star.sdb.'
                                                         b'RowSet" table:source-name="x" table:object-name="y"/>'),
                                           "has a data connection"),
    "parts nested 300 deep": (lambda p: ods(p, cell=b'<table:table-cell><text:p>' + b"<text:span>" * 300 +
                                            b"</text:span>" * 300 + b"</text:p></table:table-cell>"),
                              "nested too deeply"),
    "not a zip": (lambda p: _file(p, "hostile.ods", b"name,grade\n"), "is not an .ods workbook"),
}
HOSTILE_XLS = {
    "a VBA project": (lambda p: compound_file(p / "hostile.xls", stream=biff(boundsheet("Sheet1", 0)),
                                              storages=("_VBA_PROJECT_CUR", "VBA")), "holds macros (_VBA_PROJECT_CUR)"),
    "an Excel 4 macro sheet": (lambda p: compound_file(p / "hostile.xls", stream=biff(boundsheet("Macro1", 1))),
                               "holds macros (an Excel 4 macro sheet)"),
    "a password": (lambda p: compound_file(p / "hostile.xls", stream=biff((0x002F, bytes(54)))),
                   "is password-protected"),
    "an encrypted .xlsx named .xls": (lambda p: compound_file(p / "hostile.xls", "EncryptedPackage"),
                                      "is password-protected"),
    "no Workbook stream": (lambda p: compound_file(p / "hostile.xls", "Other"), "no Workbook stream"),
    "the signature and garbage": (lambda p: _file(p, "hostile.xls", untrusted.ENCRYPTED_OR_OLD + bytes(4000)),
                                  "is not a readable .xls workbook"),
}
# A file whose name and content disagree, or a format check does not read.
MISMATCHED = {
    "a .csv": (lambda p: _file(p, "marks.csv", b"name,grade\n"), "reads .xlsx, .ods and .xls workbooks, not .csv"),
    "a .numbers": (lambda p: _file(p, "book.numbers", b"PK\x03\x04"), "not .numbers"),
    "an .ots template": (lambda p: ods(p, "book.ots", mimetype=TEMPLATE), "not .ots"),
    "an .xlt template": (lambda p: compound_file(p / "book.xlt", stream=biff()), "not .xlt"),
    "no extension": (lambda p: _file(p, "book", b"PK\x03\x04"), "not a file without an extension"),
    "an .ods named .xlsx": (lambda p: ods(p, "book.xlsx"), "holds an .ods workbook, not the .xlsx its name says"),
    "an .xlsx named .ods": (lambda p: handmade.save(handmade.write(rows=3), p / "book.ods"),
                            "holds an .xlsx workbook, not the .ods its name says"),
    "an .xlsx named .xls": (lambda p: handmade.save(handmade.write(rows=3), p / "book.xls"),
                            "holds an .xlsx workbook, not the .xls its name says"),
    "an .xls named .xlsx": (lambda p: compound_file(p / "book.xlsx", stream=biff()),
                            "is password-protected or an old .xls"),
}


def _file(folder, name, data):
    (folder / name).write_bytes(data)
    return folder / name


@pytest.mark.parametrize("kind", list(HOSTILE_ODS))
def test_each_hostile_ods_is_refused_in_one_line(tmp_path, capsys, kind):
    build, fragment = HOSTILE_ODS[kind]
    assert_refused(build(tmp_path), capsys, fragment)


@pytest.mark.parametrize("kind", list(HOSTILE_ODS))
def test_each_hostile_ods_is_refused_before_libreoffice_sees_it(tmp_path, kind):
    """The refusal comes from the inspection of the .ods itself, not from the .xlsx LibreOffice
    would make of it (by then it would have computed, expanded or fetched what it was asked to)."""
    build, fragment = HOSTILE_ODS[kind]
    path = build(tmp_path)
    with pytest.raises(UsageError, match=None) as refused:
        formats.inspect(path, formats.detect(path))
    assert fragment in str(refused.value)


@pytest.mark.parametrize("kind", list(HOSTILE_XLS))
def test_each_hostile_xls_is_refused_in_one_line(tmp_path, capsys, kind):
    build, fragment = HOSTILE_XLS[kind]
    assert_refused(build(tmp_path), capsys, fragment)


@pytest.mark.parametrize("kind", list(MISMATCHED))
def test_a_name_that_disagrees_with_the_content_or_another_format_is_refused(tmp_path, capsys, kind):
    build, fragment = MISMATCHED[kind]
    assert_refused(build(tmp_path), capsys, fragment)


def test_an_ods_over_the_size_limit(tmp_path, capsys, monkeypatch):
    path = ods(tmp_path)
    monkeypatch.setattr(untrusted, "MAX_FILE_BYTES", path.stat().st_size - 1)
    assert_refused(path, capsys, "is over the limit")


def _converted(paths, extension, folder):
    """LibreOffice's own conversion of each .xlsx to extension (ods, xls), in folder, as a learner's
    LibreOffice would save it: a throw-away profile, headless."""
    subprocess.run([engines.find_soffice(), f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", extension, "--outdir", str(folder), *map(str, paths)],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return [folder / f"{path.stem}.{extension}" for path in paths]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, libreoffice):
    """One class in three formats, checked once with --json, --annotate and --gradebook: a right
    workbook with a chart of E_total and a wrong one as .xlsx (amy, dan), as .ods (ben, eve) and as
    .xls (cat, fay), an .ods with a hyperlink to the web in a cell (gus), and an .ods with a macro (hal)."""
    folder = tmp_path_factory.mktemp("formats")
    made = folder / "made"
    made.mkdir()
    right, wrong = handmade.write(rows=5), handmade.write(rows=5, mistake="a_h1 for a_h2")
    chart = LineChart()  # in an .ods, a chart is an object whose data is its document: xlink:href=".."
    chart.add_data(Reference(right.active, min_col=23, min_row=2, max_row=7), titles_from_data=True)
    right.active.add_chart(chart, "AH10")
    linked = handmade.write(rows=5)
    linked.active["AH1"] = "course page"
    linked.active["AH1"].hyperlink = "http://127.0.0.1:9/course"
    books = {name: handmade.save(wb, made / f"{name}.xlsx") for name, wb in
             (("amy", right), ("ben", right), ("cat", right), ("dan", wrong), ("eve", wrong), ("fay", wrong),
              ("gus", linked))}
    amy, ben, cat, dan, eve, fay, gus = books.values()
    ben, eve, gus = _converted([ben, eve, gus], "ods", folder)
    cat, fay = _converted([cat, fay], "xls", folder)
    hal = ods(folder, "hal.ods", members={"Basic/Standard/Module1.xml": b"<a/>"})
    paths = [amy, ben, cat, dan, eve, fay, gus, hal]
    feedback, grades = folder / "feedback", folder / "grades.csv"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # capsys is one test's only
        code = main(["check", *map(str, paths), "--json", "--annotate", str(feedback), "--gradebook", str(grades),
                     "--timeout", str(TIMEOUT)])
    reports = {Path(report["file"]).stem: report for report in json.loads(out.getvalue())["workbooks"]}
    return code, reports, err.getvalue(), feedback, grades


def _first_wrong(report):
    (table,) = report["tables"]
    keys = ("quantity", "column", "first_row", "kind", "mistake", "hint", "formula")
    return {key: table["wrong"][0][key] for key in keys}


def test_a_right_ods_and_xls_grade_right_as_the_xlsx(graded_class):
    _, reports, _, _, _ = graded_class
    for name, converted in (("amy", None), ("ben", "ods"), ("cat", "xls")):
        assert reports[name]["ok"] and len(reports[name]["tables"]) == 1, reports[name]
        assert reports[name].get("converted") == converted
        assert reports[name]["tables"][0]["columns"] == reports["amy"]["tables"][0]["columns"]


def test_a_planted_mistake_is_the_same_finding_in_each_format(graded_class):
    _, reports, _, _, _ = graded_class
    in_xlsx = _first_wrong(reports["dan"])
    assert in_xlsx["quantity"] == "dE/dw3" and "uses a_h1 where a_h2" in in_xlsx["mistake"]
    for name in ("eve", "fay"):
        assert not reports[name]["ok"]
        assert _first_wrong(reports[name]) == in_xlsx, name
        assert [f["quantity"] for f in reports[name]["tables"][0]["wrong"]] == \
            [f["quantity"] for f in reports["dan"]["tables"][0]["wrong"]]


def test_what_survives_conversion_is_inspected_as_in_an_xlsx(graded_class):
    """The .ods's hyperlink to the web comes through LibreOffice's conversion as the .xlsx's
    hyperlink relationship, which the .xlsx inspection leaves out of the copy that is graded."""
    _, reports, _, _, _ = graded_class
    assert reports["gus"]["ok"]
    assert any("a hyperlink to http://127.0.0.1:9/course" in line for line in reports["gus"]["removed"])


def test_a_hostile_ods_in_the_class_costs_only_its_own_line(graded_class):
    code, reports, err, _, _ = graded_class
    assert code == 2 and "holds macros (Basic/Standard/Module1.xml)" in reports["hal"]["error"]
    lines = err.strip().splitlines()
    assert [line for line in lines if line.startswith("bp_excel check: ")] == \
        [f"bp_excel check: error: {reports['hal']['error']}"]


def test_an_ods_or_xls_gets_an_xlsx_copy_marked_where_it_goes_wrong(graded_class):
    _, reports, err, feedback, _ = graded_class
    assert "eve.xlsx (of " in err and "fay.xlsx (of " in err and "no annotated copy of " in err
    assert sorted(path.name for path in feedback.iterdir()) == sorted(
        f"{name}.xlsx" for name in ("amy", "ben", "cat", "dan", "eve", "fay", "gus"))
    for name in ("eve", "fay"):
        wb = openpyxl.load_workbook(feedback / f"{name}.xlsx")
        assert wb.sheetnames[0] == "Feedback" and f"check {name}.{reports[name]['converted']}" in \
            " ".join(str(c.value) for row in wb["Feedback"].iter_rows() for c in row if c.value)
        cell = wb["Sheet"][f"{_first_wrong(reports[name])['column']}{_first_wrong(reports[name])['first_row']}"]
        assert cell.comment and "uses a_h1 where a_h2" in cell.comment.text


def test_the_gradebook_has_a_row_for_each_format(graded_class):
    _, reports, _, _, grades = graded_class
    with open(grades, newline="", encoding="utf-8-sig") as f:
        rows = {Path(row["file"]).name: row for row in csv.DictReader(f)}
    assert rows["eve.ods"]["verdict"] == rows["fay.xls"]["verdict"] == rows["dan.xlsx"]["verdict"] == "wrong"
    assert rows["eve.ods"]["likely mistake"] == rows["dan.xlsx"]["likely mistake"]
    assert rows["ben.ods"]["verdict"] == rows["cat.xls"]["verdict"] == "right"
    assert rows["hal.ods"]["verdict"] == "refused" and "holds macros" in rows["hal.ods"]["why not graded or refused"]



def test_a_refusal_of_the_converted_xlsx_names_the_file_handed_in(tmp_path):
    converted = tmp_path / "private" / "book0.xlsx"
    readable = formats.Readable("class/eve.ods", "ods", converted)
    said = readable.said(UsageError(f"{converted} holds macros (xl/vbaProject.bin): refused"))
    assert said == "class/eve.ods (as .xlsx) holds macros (xl/vbaProject.bin): refused"
