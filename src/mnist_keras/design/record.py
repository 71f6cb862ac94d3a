"""A finished run written back into its design workbook, without losing what the learner wrote.

openpyxl keeps values, formulas, formatting, validations and conditional formats, but not every
drawing (a chart or picture of the learner's own), and a workbook open in Excel or LibreOffice
would be written under its user. In either case the run goes into a copy beside the workbook, and
one line says so."""
import hashlib
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no sweep workers share a folder there
    fcntl = None

import openpyxl

from labkit import ooxml, untrusted
from labkit.files import write_atomically
from mnist_keras.design import runs_sheet


def lock_file(path):
    """The lock file of an Excel or LibreOffice that has path open, or None."""
    candidates = [path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}"),
                  path.with_name(f"~${path.name[2:]}")]  # Excel drops two characters of a long name
    return next((lock for lock in candidates if lock.exists()), None)


def _would_lose(path):
    """What openpyxl would drop on saving path, in words; None when nothing."""
    inspection = untrusted.inspect(path)  # the learner may have changed it while the run trained
    with zipfile.ZipFile(inspection.path) as archive:
        drawn = ooxml.drawn_objects(archive)
    ours = {runs_sheet.RUNS: 1}
    extra = {sheet: count - ours.get(sheet, 0) for sheet, count in drawn.items() if count > ours.get(sheet, 0)}
    if extra:
        sheet, count = next(iter(extra.items()))
        return f"{count} chart(s) or picture(s) on the {sheet} sheet, which this tool cannot carry over"
    return None


def record_run(design_path, summary, run_dir, fingerprint):
    """Append the run to the design workbook (or, where that would lose something or the workbook is
    open, to a copy beside it). Returns (the file written, why not the workbook itself or None).
    The sweep's workers may finish at once: they append one at a time, by a lock file of this
    workbook's in the temporary folder (nothing is written beside the learner's files)."""
    design_path = Path(design_path)
    key = hashlib.sha256(str(design_path.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir(), f"mnist_keras-design-{key}.lock"), "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        return _record(design_path, summary, Path(run_dir), fingerprint)


def _record(design_path, summary, run_dir, fingerprint):
    lock = lock_file(design_path)
    why = (f"it is open ({lock.name})" if lock else None) or _would_lose(design_path)
    target = design_path.with_name(f"{design_path.stem}-{run_dir.name}.xlsx") if why else design_path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl's notes on what it does not read
        wb = openpyxl.load_workbook(design_path)
    ws = wb[runs_sheet.RUNS] if runs_sheet.RUNS in wb.sheetnames else None
    if ws is None:
        ws = wb.create_sheet(runs_sheet.RUNS)
        runs_sheet.write_empty(ws)
    report = Path(os.path.relpath(run_dir / "report.xlsx", target.parent))
    runs_sheet.append_run(ws, summary, fingerprint, report.as_posix())
    wb.calculation.fullCalcOnLoad = True
    write_atomically(target, wb.save)
    return target, why
