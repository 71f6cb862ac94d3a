"""A workbook opened on the user's screen: in Excel through xlwings, or in LibreOffice's window."""
import os
import platform
import subprocess
from pathlib import Path

from labkit.cli import UsageError
from labkit.engines import INSTALL_HINT, find_soffice
from labkit.excel import excel_available


def open_in_spreadsheet(path):
    """Open the workbook for a person: Excel through xlwings, else LibreOffice."""
    if excel_available():
        import xlwings

        xlwings.Book(str(Path(path).resolve()))
        return "Excel"
    soffice = find_soffice()
    if soffice is None:
        raise UsageError(f"no spreadsheet program found: {INSTALL_HINT}")
    if platform.system() == "Linux":
        _check_linux_can_show(soffice, path)
    subprocess.Popen([soffice, "--calc", str(path)], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return "LibreOffice"


def _check_linux_can_show(soffice, path):
    """UsageError where LibreOffice could not show a window: without it, soffice exits at once
    and leaves a stale lock file beside the workbook."""
    instead = f"copy {path} to a machine with a desktop, or look at its sheets with `python -m bp_excel render`"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError(f"no display to open {path} on (DISPLAY and WAYLAND_DISPLAY are unset): {instead}")
    program = Path(os.path.realpath(soffice)).parent
    if not any(program.glob("libvclplug_*")):  # only the headless backend: Debian's -nogui packages
        raise UsageError(f"this LibreOffice is a build without windows (libreoffice-calc-nogui): install "
                         f"libreoffice-calc to open {path}, or {instead}")
