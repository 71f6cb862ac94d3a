"""bp_excel check on layouts it has not seen (issue 36): where a table ends, several tables on one
sheet, each with its own learning rate. Each workbook is built cell by cell (tests/handmade.py)."""
import handmade
import pytest

from bp_excel.check.checker import check

pytestmark = pytest.mark.usefixtures("libreoffice")
TIMEOUT = 300


def _stacked():
    """A second table right under the first (no blank row between), in the same columns, with o2
    computed from w6 where w7 belongs."""
    wb = handmade.write(rows=5, header_row=2)
    return handmade.write(rows=5, header_row=8, mistake="w6 for w7", wb=wb)


LAYOUTS = {"stacked": _stacked}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every layout above, checked in one run (one LibreOffice process), by name."""
    folder = tmp_path_factory.mktemp("layouts")
    paths = {name: handmade.save(build(), folder / f"{name}.xlsx") for name, build in LAYOUTS.items()}
    return dict(zip(paths, check(list(paths.values()), TIMEOUT)))


def test_a_table_ends_where_the_next_ones_header_row_begins(graded):
    first, second = graded["stacked"]["tables"]
    assert (first["header_row"], first["first_row"], first["last_row"]) == (2, 3, 7)
    assert (second["header_row"], second["first_row"], second["last_row"]) == (8, 9, 13)
    assert first["ok"], first["wrong"]
    assert [(f["quantity"], f["first_row"]) for f in second["wrong"]] == [("o2", 9)]
    assert "uses w6 where w7" in second["wrong"][0]["mistake"]
