"""A workbook that links to another workbook (an externalLink part, [1]Sheet1!A1 in its formulas), as
copying sheets between books leaves one: an inspection told to accept it makes a copy for LibreOffice
that names no other book, each formula that reaches one pinned to the value saved with it. The
inspection's default, which train --design keeps, still refuses the link."""
import re
import zipfile

import openpyxl
import pytest
from hostile import book_with_formula, linked_book, with_content_type, with_member

from labkit import untrusted
from labkit.cli import UsageError

TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


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
