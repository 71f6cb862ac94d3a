"""A workbook that links to another workbook (an externalLink part, [1]Sheet1!A1 in its formulas), as
copying sheets between books leaves one: check grades what the file holds, each formula that reaches
the other book from the value saved with it, and says so in one line; the copy that LibreOffice reads
names no other book. The inspection's default, which train --design keeps, still refuses the link, and
a link beside anything else that reaches outside is refused as before."""
import json
import re
import zipfile

import openpyxl
import pytest
from hostile import RELATIONSHIPS, SHEET, book_with_formula, linked_book, with_content_type, with_member
from test_untrusted import assert_refused

from bp_excel.cli import main
from labkit import untrusted
from labkit.cli import UsageError

TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
WEBSERVICE = b'WEBSERVICE("http://127.0.0.1:9/")'


def _other_book(folder):
    """The workbook linked to, where following the link finds it: its A1 is 0.9, not the 0.0275 saved."""
    path = folder / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = 0.9
    wb.save(path)
    return path


def _note(book, n=5):
    return f"  note: {n} formulas reached another workbook ({book}) and were graded from their saved values; " \
           "the link was not followed"


def test_check_grades_formulas_that_reach_another_book_from_their_saved_values(tmp_path, capsys, libreoffice):
    """h1 of the first row reaches the other book: the right value saved with it is OK, a wrong one is
    WRONG at that cell; the other book's 0.9 would be wrong, nothing at all too."""
    other = _other_book(tmp_path).as_uri()
    (tmp_path / "right").mkdir(), (tmp_path / "wrong").mkdir()
    right = linked_book(tmp_path / "right", other)
    wrong = linked_book(tmp_path / "wrong", other, h1="0.03")
    assert main(["check", str(right), str(wrong)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{right}: OK (1 table)", _note(other),
                                f"{wrong}: WRONG: sheet 'Sheet': h1 (column I) from row 3", _note(other)], out
    assert err == ""
    assert main(["check", str(right)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [f"{right}: OK (1 table)", _note(other)]
    assert main(["check", "--json", str(right)]) == 0
    (report,) = json.loads(capsys.readouterr().out)["workbooks"]
    assert report["linked"] == {"books": [other], "formulas": 5}


def test_the_copy_libreoffice_reads_names_no_other_book(tmp_path):
    target = "http://127.0.0.1:9/other.xlsx"
    inspection = untrusted.inspect(linked_book(tmp_path, target), allow_stale_links=True)
    assert inspection.links.books == (target,) and inspection.links.formulas == 5
    copy = untrusted.private_copy(inspection, tmp_path / "copy.xlsx")
    with zipfile.ZipFile(copy) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    assert not [name for name in parts if "externalLink" in name]
    for name, data in parts.items():
        assert b"127.0.0.1" not in data and b"externalLink" not in data and b"externalReference" not in data, name
    assert untrusted.inspect(copy).links is None  # the copy passes the strict inspection: nothing reaches out
    sheet = openpyxl.load_workbook(copy)["Sheet"]  # formulas as typed
    assert [sheet[cell].value for cell in ("I3", "AH40", "AI40", "AJ40", "AK40")] == [0.0275, 0.055, 0.1, 0.2,
                                                                                      "saved text"]
    assert sheet["J3"].value == "=1/(1+EXP(-I3))"  # the rest of the book still computes from it


STALE = {
    "a link with its formulas": (lambda p: linked_book(p, "other.xlsx"), "links to another workbook"),
    "an external-link part alone": (lambda p: with_member(p, "xl/externalLinks/externalLink1.xml", "<externalLink/>"),
                                    "links to another workbook (xl/externalLinks/externalLink1.xml)"),
    "an external-link part at another path": (lambda p: with_content_type(
        p, "xl/misc/book.xml", f"{TYPES}.externalLink+xml",
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'),
        "links to another workbook (xl/misc/book.xml)"),
    "an external reference alone": (lambda p: book_with_formula(p, "=[1]Sheet1!A1*2"),
                                    "cell AH3 uses an external workbook reference"),
}


@pytest.mark.parametrize("kind", list(STALE))
def test_only_an_inspection_told_to_accepts_a_link_to_another_book(tmp_path, kind):
    build, fragment = STALE[kind]
    path = build(tmp_path)
    with pytest.raises(UsageError, match=re.escape(fragment)):
        untrusted.inspect(path)
    assert untrusted.inspect(path, allow_stale_links=True).links is not None


def _in_sheet(xml):
    return {SHEET: lambda d: d.replace(b"</sheetData>", b'<row r="41">' + xml + b"</row></sheetData>")}


REFUSED = {
    "a web function in another cell": (lambda p: linked_book(p, "o.xlsx", more=_in_sheet(
        b'<c r="AH41"><f>' + WEBSERVICE + b"</f></c>")), "cell AH41 uses the function WEBSERVICE"),
    "a web function beside the reference": (lambda p: linked_book(p, "o.xlsx", more=_in_sheet(
        b'<c r="AH41"><f>[1]Sheet1!A1&amp;' + WEBSERVICE + b"</f><v>1</v></c>")),
        "cell AH41 uses the function WEBSERVICE"),
    "a DDE link in the link's part": (lambda p: linked_book(p, "o.xlsx", book=b'<ddeLink ddeService="cmd" '
                                                                              b'ddeTopic="/c calc"/>'),
                                      "xl/externalLinks/externalLink1.xml holds a DDE link"),
    "an OLE link in the link's part": (lambda p: linked_book(p, "o.xlsx", book=b'<oleLink r:id="rId1" progId="x"/>'),
                                       "holds a link to an OLE object"),
    "a web query": (lambda p: linked_book(p, "o.xlsx", more={"[Content_Types].xml": lambda d: d.replace(
        b"</Types>", f'<Override PartName="/xl/connections.xml" ContentType="{TYPES}.connections+xml"/></Types>'
        .encode())}, added={"xl/connections.xml": b'<connections xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><connection id="1" name="q" type="4"><webPr '
                            b'url="http://127.0.0.1:9/"/></connection></connections>'}),
                    "has a data connection (xl/connections.xml)"),
    "macros": (lambda p: linked_book(p, "o.xlsx", added={"xl/vbaProject.bin": b"\x00" * 64}), "holds macros"),
    "a defined name that reaches the other book": (lambda p: linked_book(p, "o.xlsx", more={
        "xl/workbook.xml": lambda d: d.replace(b"<definedNames/>", b'<definedNames><definedName name="rate">'
                                               b"[1]Sheet1!$A$1</definedName></definedNames>")}),
        "the defined name rate uses an external workbook reference"),
    "the other book's path from the workbook itself": (lambda p: linked_book(p, "o.xlsx", more={
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            f'<Relationship Id="rIdP" Type="{RELATIONSHIPS}/externalLinkPath" Target="http://127.0.0.1:9/o.xlsx" '
            f'TargetMode="External"/></Relationships>').encode())}), "links to another workbook"),
    "a sheet read from the link's part": (lambda p: linked_book(p, "o.xlsx", more={
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            f'<Relationship Id="rIdS" Type="{RELATIONSHIPS}/worksheet" Target="externalLinks/externalLink1.xml"/>'
            f"</Relationships>").encode())}), "links to another workbook (xl/_rels/workbook.xml.rels: worksheet"),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_link_beside_anything_else_that_reaches_outside_is_refused(tmp_path, capsys, kind):
    build, fragment = REFUSED[kind]
    assert_refused(build(tmp_path), capsys, fragment)


def test_a_sheet_too_large_to_pin_is_refused(tmp_path, capsys, monkeypatch):
    """A sheet whose formulas are pinned is read whole into memory: over the limit, it is refused."""
    from labkit import stale_links

    monkeypatch.setattr(stale_links, "MAX_PINNED_PART_BYTES", 1000)
    assert_refused(linked_book(tmp_path, "o.xlsx"), capsys,
                   "sheet1.xml, whose formulas reach another workbook, is over")


def test_a_link_that_no_formula_uses_is_named_as_such():
    """As Excel leaves a link behind when the sheets that used it are gone: no "0 formulas reached"."""
    from bp_excel.check.report import linked_line

    assert linked_line({"linked": {"books": ["old.xlsx"], "formulas": 0}}) == [
        "  note: it links to another workbook (old.xlsx), which none of its formulas uses; the link was not followed"]
    assert linked_line({"linked": {"books": ["old.xlsx"], "formulas": 1}}) == [
        "  note: 1 formula reached another workbook (old.xlsx) and was graded from its saved value; the link was "
        "not followed"]
    assert linked_line({}) == []
