"""Hostile workbooks, built here, each refused by check in one line with exit 2 within 10 s,
before any spreadsheet engine opens it, and with nothing written beside it."""
import time
import zipfile

import handmade
import pytest
from hostile import book_with_formula, with_member, with_sheet_xml

from bp_excel.cli import main
from labkit import untrusted


def zip_bomb(tmp_path):
    path = handmade.save(handmade.write(rows=3), tmp_path / "hostile.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
            block = bytes(2**20)
            for _ in range(untrusted.MAX_UNPACKED_BYTES // 2**20 + 10):
                member.write(block)
    return path


HOSTILE = {
    "WEBSERVICE": (lambda p: book_with_formula(p, '=WEBSERVICE("http://127.0.0.1/")'), "the function WEBSERVICE"),
    "FILTERXML": (lambda p: book_with_formula(p, '=FILTERXML("<a>1</a>","//a")'), "the function FILTERXML"),
    "DDE": (lambda p: book_with_formula(p, "=cmd|' /c calc'!A0"), "a DDE link"),
    "a file: hyperlink": (lambda p: book_with_formula(p, '=HYPERLINK("file:///etc/passwd","x")'), "HYPERLINK"),
    "a URL in a formula": (lambda p: book_with_formula(p, '="http://127.0.0.1/"&A1'), "a link (http:)"),
    "macros": (lambda p: with_member(p, "xl/vbaProject.bin", b"\x00" * 100), "holds macros (xl/vbaProject.bin)"),
    "entity declarations": (lambda p: with_sheet_xml(p, lambda d: d.replace(
        b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY boom "boom">]><worksheet', 1)), "declares XML entities"),
    "a zip bomb": (zip_bomb, "a zip bomb?"),
    "a password": (lambda p: _file(p, untrusted.ENCRYPTED_OR_OLD + bytes(4000)), "is password-protected or an old .xls"),
    "not a workbook": (lambda p: _file(p, b"name,grade\n"), "is not an .xlsx workbook"),
    "a zip that is not a workbook": (lambda p: _plain_zip(p), "no [Content_Types].xml or xl/workbook.xml"),
}


def _file(folder, data):
    path = folder / "hostile.xlsx"
    path.write_bytes(data)
    return path


def _plain_zip(folder):
    path = folder / "hostile.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")
    return path


def assert_refused(path, capsys, fragment):
    folder = sorted(path.parent.iterdir())
    started = time.monotonic()
    code = main(["check", str(path)])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, err
    assert elapsed < 10
    assert sorted(path.parent.iterdir()) == folder  # nothing written beside it


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_each_hostile_file_is_refused_in_one_line(tmp_path, capsys, kind):
    build, fragment = HOSTILE[kind]
    assert_refused(build(tmp_path), capsys, fragment)


def test_a_file_over_the_size_limit(tmp_path, capsys, monkeypatch):
    path = handmade.save(handmade.write(rows=3), tmp_path / "big.xlsx")
    monkeypatch.setattr(untrusted, "MAX_FILE_BYTES", path.stat().st_size - 1)
    assert_refused(path, capsys, "is over the limit")


def test_too_many_cells(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(untrusted, "MAX_CELLS", 50)
    assert_refused(handmade.save(handmade.write(rows=3), tmp_path / "many.xlsx"), capsys, "has over 50 cells")


def test_a_class_goes_on_past_a_refused_file(tmp_path, capsys, libreoffice):
    good = handmade.save(handmade.write(rows=5), tmp_path / "good.xlsx")
    bad = book_with_formula(tmp_path, '=WEBSERVICE("http://127.0.0.1/")')
    assert main(["check", str(bad), str(good)]) == 2
    out, err = capsys.readouterr()
    assert out.strip() == f"{good}: OK (1 table)"
    assert len(err.strip().splitlines()) == 1 and "WEBSERVICE" in err
