"""Real spreadsheet engines that recalculate a workbook: LibreOffice headless, Gnumeric's
ssconvert, and Excel through xlwings where Excel is installed (Windows, macOS).

Each engine returns {sheet name: rows of cell values}, row 1 first, as the engine computed them.
"""
import functools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple

from labkit.cli import UsageError
from labkit.excel import excel_available, recalculate_excel

INSTALL_HINT = ("install LibreOffice (Debian/Ubuntu: sudo apt-get install libreoffice-calc-nogui; "
                "macOS: brew install --cask libreoffice) or Gnumeric (sudo apt-get install gnumeric), "
                "or use --engine excel where Excel is installed")
NAMES = {"libreoffice": "LibreOffice", "gnumeric": "Gnumeric", "excel": "Excel (xlwings)"}
STANDARD_SOFFICE = {
    "Darwin": ["/Applications/LibreOffice.app/Contents/MacOS/soffice"],
    "Windows": [r"C:\Program Files\LibreOffice\program\soffice.exe"],
}
# LibreOffice's default profile keeps the values stored in an .xlsx instead of recalculating;
# this profile makes it always recalculate on load, never run macros, never update links to other
# files and never load linked pictures (check grades workbooks that strangers send).
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


def find_soffice():
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in STANDARD_SOFFICE.get(platform.system(), []) if os.path.exists(p)), None)


def available():
    """The engines installed here, in order of preference."""
    found = {"libreoffice": find_soffice(), "gnumeric": shutil.which("ssconvert"), "excel": excel_available()}
    return [engine for engine, there in found.items() if there]


def choose(engine):
    """The engines to run: one named, the first found ('auto'), or every one found ('all')."""
    found = available()
    if engine == "all" and found:
        return found
    if engine == "auto" and found:
        return found[:1]
    if engine in found:
        return [engine]
    if engine == "excel":
        raise UsageError("Excel through xlwings needs Windows or macOS with Excel and `pip install xlwings`")
    if engine == "gnumeric":
        raise UsageError("Gnumeric's ssconvert not found (Debian/Ubuntu: sudo apt-get install gnumeric)")
    raise UsageError(f"no spreadsheet engine found: {INSTALL_HINT}")


def value(rows, cell):
    """The value of one cell ("B5" or "$B$5") in an engine's rows; None beyond them."""
    row, col = coordinate_to_tuple(cell.replace("$", ""))
    return rows[row - 1][col - 1] if row <= len(rows) and col <= len(rows[row - 1]) else None


def saved_values(path):
    with warnings.catch_warnings():
        # Gnumeric's files have no default cell style, which openpyxl reports on every load.
        warnings.filterwarnings("ignore", "Workbook contains no default style", UserWarning)
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


@functools.cache
def _network_namespace():
    """The command prefix that runs an engine in a network namespace of its own, with no interface
    but a loopback that is down, so that a workbook which slipped through the inspection still
    cannot make it reach a server ([] where Linux's unshare cannot make one here)."""
    found = shutil.which("unshare") or shutil.which("unshare", path="/usr/bin:/bin")
    if not found:
        return []
    prefix = [found, "--net", "--map-root-user"]
    try:
        works = subprocess.run([*prefix, sys.executable, "-c", ""], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        works = False
    return prefix if works else []


def _run(engine, args, timeout, env=None):
    # Its own session, so that a hung engine and every child it started can be killed.
    process = subprocess.Popen([*_network_namespace(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                               env=env)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups; the engine itself
            process.kill()
        process.communicate()
        raise UsageError(f"{NAMES[engine]} did not finish within {timeout:g} s (raise --timeout, or check "
                         f"that no dialog or stale process blocks it)")
    return process.returncode, output.decode(errors="replace").strip()


def _convert(paths, extension, out_dir, timeout):
    """(exit code, output) of one LibreOffice process converting every path into out_dir."""
    soffice = find_soffice()
    if soffice is None:
        raise UsageError(f"LibreOffice not found: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="bp_excel_lo_") as tmp:
        # A throw-away profile per run: concurrent runs sharing one lose conversions.
        profile = Path(tmp, "profile")
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE)
        # Its temporary files in the folder that is removed below, even after a kill at the timeout.
        return _run("libreoffice", [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                                    "--norestore", "--convert-to", extension, "--outdir", str(out_dir),
                                    *map(str, paths)], timeout, env={**os.environ, "TMPDIR": tmp})


def convert_with_libreoffice(path, extension, out_dir, timeout):
    """LibreOffice's conversion of path to the given format, in out_dir, recalculated on load."""
    code, output = _convert([path], extension, out_dir, timeout)
    converted = Path(out_dir, Path(path).stem + "." + extension)
    if not converted.exists():
        raise UsageError(f"LibreOffice could not convert {path} to {extension} (exit {code}): {output or 'no output'}")
    return converted


def convert_many_with_libreoffice(paths, out_dir, timeout):
    """[its .xlsx in out_dir, recalculated, or what LibreOffice said] of each workbook, from one
    LibreOffice process (its start-up costs more than a small workbook's recalculation), each read
    from a private copy (book0.ods, ...): nothing is written beside the originals. Text in place of
    a path: its exit status and its own last words."""
    with tempfile.TemporaryDirectory(prefix="bp_excel_batch_") as tmp:
        inputs = [Path(tmp, f"book{k}{Path(path).suffix.lower()}") for k, path in enumerate(paths)]
        for path, private in zip(paths, inputs):
            shutil.copyfile(path, private)
        code, output = _convert(inputs, "xlsx", out_dir, timeout)
    said = f"could not read it (exit {code}: {output.splitlines()[-1] if output else 'no output'})"
    return [Path(out_dir, p.stem + ".xlsx") if Path(out_dir, p.stem + ".xlsx").exists() else said for p in inputs]


def recalculate_many_with_libreoffice(paths, timeout):
    """[values, or what LibreOffice said] of each workbook, recalculated by one LibreOffice process."""
    with tempfile.TemporaryDirectory(prefix="bp_excel_out_") as out_dir:
        return [saved_values(path) if isinstance(path, Path) else path
                for path in convert_many_with_libreoffice(paths, out_dir, timeout)]


def each_with_libreoffice(run, paths, timeout):
    """run(paths, timeout): [a result, or what LibreOffice said] of each path, from one LibreOffice
    process; then, with several, each that got none is run again alone, so that a slow or broken
    file costs only its own result and LibreOffice's words are about it alone. (A file alone already
    was: running it again would only double the wait.)"""
    def attempt(some):
        try:
            return run(some, timeout)
        except UsageError as e:  # it ran out of time
            return [str(e).removeprefix("LibreOffice ")] * len(some)

    results = attempt(paths) if paths else []
    if len(paths) > 1:
        results = [attempt([path])[0] if isinstance(result, str) else result for path, result in zip(paths, results)]
    return results


def recalculate_libreoffice(path, timeout):
    with tempfile.TemporaryDirectory(prefix="bp_excel_out_") as out_dir:
        return saved_values(convert_with_libreoffice(path, "xlsx", out_dir, timeout))


def recalculate_gnumeric(path, timeout):
    ssconvert = shutil.which("ssconvert")
    if ssconvert is None:
        raise UsageError("Gnumeric's ssconvert not found (Debian/Ubuntu: sudo apt-get install gnumeric)")
    with tempfile.TemporaryDirectory(prefix="bp_excel_gnumeric_") as tmp:
        converted = Path(tmp, "recalculated.xlsx")
        # Its settings in memory and a throw-away HOME: nothing of the user's is read or written.
        env = {**os.environ, "HOME": tmp, "GSETTINGS_BACKEND": "memory"}
        code, output = _run("gnumeric", [ssconvert, "--recalc", "--export-type=Gnumeric_Excel:xlsx2",
                                         str(path), str(converted)], timeout, env)
        if not converted.exists():
            raise UsageError(f"Gnumeric could not recalculate {path} (exit {code}): {output or 'no output'}")
        return saved_values(converted)


def recalculate(path, engine, timeout):
    if engine == "excel":
        return recalculate_excel(path, timeout)
    if engine == "gnumeric":
        return recalculate_gnumeric(path, timeout)
    return recalculate_libreoffice(path, timeout)

