"""Pictures of what a learner sees first: each sheet's first screen, printed to PDF by
LibreOffice and turned into PNGs by poppler's pdftoppm."""
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

from bp_excel.build import start_here, summary
from labkit import engines
from labkit.cli import UsageError
from labkit.files import write_atomically

# About one laptop screen of each kind of sheet, at 100% zoom; the start-here sheet whole, as a page.
FIRST_SCREEN = {summary.SHEET: "A1:P38"}
LEARNING_RATE_SCREEN = "A1:R30"
RESOLUTION_DPI = 100


def file_name(sheet):
    return sheet.lower().replace(" ", "-") + ".png"


def render(workbook, out_dir, timeout):
    """Write out_dir/<sheet>.png of each sheet's first screen; returns the paths."""
    if shutil.which("pdftoppm") is None:
        raise UsageError("pdftoppm not found (Debian/Ubuntu: sudo apt-get install poppler-utils)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bp_excel_render_") as tmp:
        wb = openpyxl.load_workbook(workbook)
        for ws in wb.worksheets:
            whole = f"A1:H{ws.max_row}" if ws.title == start_here.SHEET else None
            ws.print_area = whole or FIRST_SCREEN.get(ws.title, LEARNING_RATE_SCREEN)
            ws.page_setup.orientation = "portrait" if whole else "landscape"
            ws.print_title_rows = None
            ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
        screens = Path(tmp, "screens.xlsx")
        wb.save(screens)
        pdf = engines.convert_with_libreoffice(screens, "pdf", tmp, timeout)
        subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION_DPI), str(pdf), str(Path(tmp, "page"))],
                       check=True, capture_output=True, timeout=timeout)
        pages = sorted(Path(tmp).glob("page-*.png"))
        if len(pages) != len(wb.worksheets):
            raise UsageError(f"LibreOffice printed {len(pages)} pages for {len(wb.worksheets)} sheets")
        paths = []
        for ws, page in zip(wb.worksheets, pages):
            path = out_dir / file_name(ws.title)
            write_atomically(path, lambda tmp: shutil.copyfile(page, tmp))
            paths.append(path)
    return paths
