"""The README's pictures of a design workbook: its Design sheet, and its Runs sheet's chart holding
the runs of the standard design kept in results/ (their own summary.json files), as LibreOffice
prints them. python tools/design_pictures.py [RUN_DIR ...] writes docs/design-sheet.png and
docs/design-runs.png."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from labkit import engines
from mnist_keras.architecture import fingerprint, layers_of
from mnist_keras.config import recipe
from mnist_keras.design import runs_sheet
from mnist_keras.design.record import record_run
from mnist_keras.design.workbook import write_design

ROOT = Path(__file__).parent.parent
DOCS, RESULTS = ROOT / "docs", ROOT / "results"
SCREENS = {"Design": ("A1:P48", "design-sheet.png"), "Runs": (f"A1:K{runs_sheet.TARGET_ROW - 1}", "design-runs.png")}


def trimmed(png, destination):
    """The picture without the page's white margins."""
    from PIL import Image, ImageChops

    page = Image.open(png).convert("RGB")
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    page.crop((box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 10)).save(destination, optimize=True)


def main(run_dirs):
    summaries = [json.loads(Path(run, "summary.json").read_text()) for run in run_dirs]
    hp = recipe(**{key: summaries[0]["hyperparameters"][key] for key in ("dropout", "dropout_kind", "dropout_where")})
    layers = layers_of(hp)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp, "standard.xlsx")
        write_design(book, layers, hp, "1-5", "The standard model, one layer per row")
        for run, summary in zip(run_dirs, summaries):
            record_run(book, summary, Path(run), fingerprint(layers))
        for sheet, (area, png) in SCREENS.items():
            wb = openpyxl.load_workbook(book)
            for ws in wb.worksheets:
                ws.sheet_state = "visible" if ws.title == sheet else "hidden"
            wb.active = wb.sheetnames.index(sheet)
            wb[sheet].print_area = area
            wb[sheet].page_setup.fitToHeight = 1
            one = Path(tmp, f"{sheet}.xlsx")
            wb.save(one)
            pdf = engines.convert_with_libreoffice(one, "pdf", tmp, 120)
            page = Path(tmp, sheet)
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(page)], check=True)
            trimmed(Path(tmp, f"{sheet}.png"), DOCS / png)
            print(f"wrote docs/{png}")


if __name__ == "__main__":
    # The default's first five runs, in the order their seeds were drawn (README: "five runs").
    main(sys.argv[1:] or [str(RESULTS / f"dropout-final-s{seed}") for seed in (35404, 43989, 69010, 90887, 55701)])
