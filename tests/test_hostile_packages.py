"""Check's inspection reads a workbook as the package it is, so a dangerous thing is found however it is
spelled: each variant here once passed a text-pattern inspection (issue 38's probe). Each is refused
in one line with exit 2, before LibreOffice opens it."""
import zipfile

import pytest
from hostile import MAIN, SHEET, formula_cell, in_sheet, plain, rewritten, with_content_type, with_workbook_relationship
from test_untrusted import assert_refused

from labkit import untrusted

URL = b'"http://127.0.0.1:9/"'
WEBSERVICE = b"WEBSERVICE(" + URL + b")"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _utf16_sheet(folder):
    def encode(data):
        text = data.decode("utf-8").split("?>", 1)[-1]
        text = text.replace("</sheetData>", '<row r="40"><c r="AH40"><f>WEBSERVICE("http://127.0.0.1:9/")</f></c></row></sheetData>')
        return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
    return rewritten(folder, {SHEET: encode})


def _prefixed_sheet(folder):
    def prefix(data):
        text = data.decode().replace(MAIN.decode(), MAIN.decode().replace("xmlns=", "xmlns:x="))
        text = text.replace("<", "<x:").replace("<x:/", "</x:").replace("<x:?", "<?")
        return text.replace("</x:sheetData>", '<x:row r="40"><x:c r="AH40"><x:f>WEBSERVICE("http://127.0.0.1:9/")'
                                              "</x:f></x:c></x:row></x:sheetData>").encode()
    return rewritten(folder, {SHEET: prefix})


def _moved_sheet(folder, to, declared):
    """The sheet, holding WEBSERVICE, moved to a part named `to`: its content type follows it where
    declared, else nothing declares one (LibreOffice follows the workbook's relationship all the same)."""
    override = b"/" + to.encode() if declared else b"/x"
    return rewritten(folder, {
        SHEET: lambda d: d.replace(b"</sheetData>", b'<row r="40"><c r="AH40"><f>' + WEBSERVICE + b"</f></c></row></sheetData>"),
        "[Content_Types].xml": lambda d: d.replace(b"/xl/worksheets/sheet1.xml", override),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"worksheets/sheet1.xml", to.removeprefix("xl/").encode())},
        renamed={SHEET: to})


def _many_prefixed_cells(folder):
    cells = b"".join(b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
                     for _ in range(untrusted.MAX_CELLS // 1000 + 1))
    rows = b'<row r="50">' + cells * 1000 + b"</row>"
    return in_sheet(folder, b"</sheetData>", rows)


VARIANTS = {
    "character references": (lambda p: formula_cell(p, b"&#87;EBSERVICE(&#34;http://127.0.0.1:9/&#34;)"), "WEBSERVICE"),
    "CDATA": (lambda p: formula_cell(p, b"<![CDATA[" + WEBSERVICE + b"]]>"), "WEBSERVICE"),
    "attributes in another order": (lambda p: formula_cell(p, WEBSERVICE, b'<c t="str" r="AH3">'), "WEBSERVICE"),
    "a cell without r": (lambda p: formula_cell(p, WEBSERVICE, b"<c>"), "WEBSERVICE"),
    "a comment inside the formula": (lambda p: formula_cell(p, b"WEB<!-- x -->SERVICE(" + URL + b")"), "WEBSERVICE"),
    "an _xlfn prefix": (lambda p: formula_cell(p, b"_xlfn.WEBSERVICE(" + URL + b")"), "WEBSERVICE"),
    "a sheet at another path": (lambda p: _moved_sheet(p, "xl/data/numbers.bin", declared=True), "WEBSERVICE"),
    "UTF-16": (_utf16_sheet, "WEBSERVICE"),
    "prefixed tags": (_prefixed_sheet, "WEBSERVICE"),
    "a defined name": (lambda p: rewritten(p, {"xl/workbook.xml": lambda d: d.replace(
        b"</workbook>", b'<definedNames><definedName name="pixel">' + WEBSERVICE + b"</definedName></definedNames>"
        b"</workbook>")}), "the defined name pixel uses the function WEBSERVICE"),
    "a conditional format": (lambda p: in_sheet(p, b"<pageMargins", b'<conditionalFormatting sqref="A1"><cfRule '
                             b'type="expression" priority="1"><formula>' + WEBSERVICE + b"</formula></cfRule>"
                             b"</conditionalFormatting>"), "a conditional format of A1 uses the function WEBSERVICE"),
    "a data validation": (lambda p: in_sheet(p, b"<pageMargins", b'<dataValidations count="1"><dataValidation '
                          b'type="custom" sqref="B2"><formula1>' + WEBSERVICE + b"</formula1></dataValidation>"
                          b"</dataValidations>"), "a data validation of B2 uses the function WEBSERVICE"),
    "DDE as a character reference": (lambda p: formula_cell(p, b"cmd&#124;' /c calc'!A0"), "a DDE link"),
    "INDIRECT built from strings": (lambda p: formula_cell(p, b'INDIRECT("[other"&amp;".xlsx]Sheet1!A1")'),
                                    "builds a reference from text (INDIRECT)"),
    "a macro project under another name": (lambda p: with_content_type(
        p, "xl/notes.bin", "application/vnd.ms-office.vbaProject", b"\x00" * 64), "holds macros (xl/notes.bin)"),
    "a macro project by its relationship": (lambda p: rewritten(p, {"xl/_rels/workbook.xml.rels": lambda d: d.replace(
        b"</Relationships>", b'<Relationship Id="rIdM" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="data.bin"/></Relationships>')}, added={"xl/data.bin": b"\x00" * 64}), "holds macros"),
    "a web-query connection": (lambda p: with_content_type(
        p, "xl/connections.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
        b'<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><connection id="1" '
        b'name="q" type="4"><webPr url="http://127.0.0.1:9/"/></connection></connections>'),
        "has a data connection (xl/connections.xml)"),
    "an external OLE object": (lambda p: with_workbook_relationship(p, f"{REL}/oleObject", "http://127.0.0.1:9/x"),
                               "links outside the workbook"),
    "a part outside the package": (lambda p: with_workbook_relationship(p, f"{REL}/theme", "../../../etc/passwd",
                                                                        mode="Internal"),
                                   "names a part outside the workbook"),
    "1.2 million prefixed cells": (_many_prefixed_cells, "cells: refused"),
    "a billion laughs": (lambda p: rewritten(p, {SHEET: lambda d: b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a '
                         b'"aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + d.split(b"?>", 1)[-1]
                         .replace(b"<sheetData>", b"<sheetData>&b;", 1)}), "declares XML entities"),
    "an encrypted part": (lambda p: _flagged(p, 0x1), "is encrypted"),
    "an unknown compression method": (lambda p: _flagged(p, 0, method=99), "cannot be unpacked"),
    "a damaged part": (lambda p: _damaged(p), "cannot be unpacked"),
}


def _flagged(folder, flags, method=None):
    path = plain(folder, "hostile.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(SHEET)
    # The local header (offset 6: flags, 8: method) and the central directory's entry (8, 10) of the sheet.
    central = data.find(b"PK\x01\x02")
    while central != -1 and data[central + 46:central + 46 + len(SHEET)] != SHEET.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    for at, flag_at, method_at in ((info.header_offset, 6, 8), (central, 8, 10)):
        data[at + flag_at] |= flags
        if method is not None:
            data[at + method_at:at + method_at + 2] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def _damaged(folder):
    path = plain(folder, "hostile.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10:start + 30] = bytes(20)  # the deflated bytes broken: a CRC or inflate error
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", list(VARIANTS))
@pytest.mark.slow
def test_each_variant_is_refused_in_one_line(tmp_path, capsys, kind):
    build, fragment = VARIANTS[kind]
    assert_refused(build(tmp_path), capsys, fragment)


def test_a_plain_workbook_passes_with_nothing_removed(tmp_path):
    inspection = untrusted.inspect(plain(tmp_path))
    assert inspection.removed == () and inspection.dropped == frozenset()


def test_a_value_openpyxl_cannot_read_is_not_graded_and_never_exit_1(tmp_path, capsys, libreoffice):
    from bp_excel.cli import main

    book = in_sheet(tmp_path, b"</sheetData>", b'<row r="45"><c r="A45" t="n"><v>abc</v></c></row>')
    assert main(["check", str(book)]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [
        f"bp_excel check: {book} not graded: an unexpected ValueError: invalid literal for int() with base 10: 'abc'"]


@pytest.mark.parametrize("name", ["Data[1]", "A" * 40, "", "Sheet/1", "SHEET"])
def test_a_sheet_name_libreoffice_changes_is_still_graded(tmp_path, capsys, libreoffice, name):
    """LibreOffice renames a sheet whose name it cannot keep; the table on it is graded all the same.
    "SHEET" stands beside a sheet named "Sheet", which holds the table."""
    from bp_excel.cli import main

    if name == "SHEET":
        book = rewritten(tmp_path, {"xl/workbook.xml": lambda d: d.replace(b"</sheets>", (
            b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="SHEET" '
            b'sheetId="2" state="visible" r:id="rIdS"/></sheets>')),
            "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
                b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'worksheet" Target="worksheets/sheet2.xml"/></Relationships>')),
            "[Content_Types].xml": lambda d: d.replace(b"</Types>", (
                b'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.worksheet+xml"/></Types>'))},
            added={"xl/worksheets/sheet2.xml": b'<worksheet ' + MAIN + b"><sheetData/></worksheet>"})
    else:
        book = rewritten(tmp_path, {"xl/workbook.xml": lambda d: d.replace(
            b'name="Sheet"', b'name="' + name.encode() + b'"', 1)})
    assert main(["check", str(book)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith(f"{book}: OK (1 table)")


def _twice(folder):
    path = plain(folder, "hostile.xlsx")
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr(SHEET, b"<worksheet/>")
    return path


MORE_VARIANTS = {
    "a sheet under a name that is not .xml": (lambda p: _moved_sheet(p, "xl/worksheets/sheet1.dat", declared=False),
                                              "the function WEBSERVICE"),
    "a part named twice": (_twice, "holds two parts named xl/worksheets/sheet1.xml"),
    "DDE as a function": (lambda p: formula_cell(p, b'DDE("soffice","/etc/passwd","A1")'), "the function DDE"),
    "INDIRECT to a Calc-style file": (lambda p: formula_cell(p, b"INDIRECT(\"'../x.ods'#$Sheet1.A1\")"),
                                      "builds a reference from text (INDIRECT)"),
    "a name with a line break": (lambda p: with_workbook_relationship(p, f"{REL}/oleObject", "http://x/&#10;ok"),
                                 "links outside the workbook"),
}


@pytest.mark.parametrize("kind", list(MORE_VARIANTS))
def test_each_further_variant_is_refused_in_one_line(tmp_path, capsys, kind):
    build, fragment = MORE_VARIANTS[kind]
    assert_refused(build(tmp_path), capsys, fragment)


def test_what_normal_workbooks_hold_passes(tmp_path):
    """A table's structured reference (Excel's Format as Table) and legacy VML that is not
    well-formed (a text box's <br> left open, as Excel writes it) are no reason to refuse."""
    book = rewritten(tmp_path, {SHEET: lambda d: d.replace(b"</sheetData>", b'<row r="40"><c r="AH40"><f>SUM(Table1[Amount])'
                                                                           b"+Table1[[#This Row],[x]]</f></c></row></sheetData>")},
                     added={"xl/drawings/vmlDrawing1.vml": b'<xml><v:shape><v:textbox><div>a<br>b</div></v:textbox></xml>'})
    assert untrusted.inspect(book).removed == ()


def test_a_damaged_picture_costs_only_its_own_file(tmp_path, capsys, libreoffice):
    from bp_excel.cli import main

    bad = rewritten(tmp_path, {}, added={"xl/media/image1.png": b"\x89PNG" + bytes(4000)})
    data = bytearray(bad.read_bytes())
    at = data.find(b"xl/media/image1.png") + len("xl/media/image1.png") + 100  # inside the stored bytes
    data[at:at + 8] = b"damaged!"
    bad.write_bytes(bytes(data))
    good = plain(tmp_path, "good.xlsx")
    assert main(["check", str(bad), str(good)]) == 2
    out, err = capsys.readouterr()
    assert out.strip() == f"{good}: OK (1 table)"
    assert len(err.strip().splitlines()) == 1 and "is not a readable .xlsx workbook" in err, err


@pytest.mark.slow
def test_a_part_of_ten_million_elements_is_inspected_in_flat_memory(tmp_path):
    import subprocess
    import sys

    book = in_sheet(tmp_path, b"</sheetData>", b'<row r="60">' + b"<a/>" * 10_000_000 + b"</row>")
    # VmHWM, this process's own peak (getrusage's maxrss keeps the peak of the pytest that forked it).
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom labkit import untrusted\n"
                           "untrusted.inspect(sys.argv[1])\n"
                           "print(next(line.split()[1] for line in open('/proc/self/status') "
                           "if line.startswith('VmHWM')))", str(book)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) < 400_000, done.stdout  # kB: the part unpacks to 40 MB; a tree of it took 1.4 GB
