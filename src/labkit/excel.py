"""Excel through xlwings, where Excel is installed (Windows, macOS): one of the engines that
recalculate a workbook (engines.py), its session in a thread of its own so that it can be killed."""
import os
import platform
import signal
import threading
from pathlib import Path

from labkit.cli import UsageError


def excel_available():
    if platform.system() not in ("Windows", "Darwin"):
        return False
    try:
        import xlwings  # noqa: F401
    except ImportError:
        return False
    return True


def _excel_session(path, started):
    """Excel's values of every sheet; started(pid) is told Excel's process as soon as it runs."""
    import xlwings

    app = xlwings.App(visible=False, add_book=False)
    started(app.pid)
    try:
        book = app.books.open(str(Path(path).resolve()), update_links=False, read_only=True)
        try:
            app.calculate()
            return {sheet.name: sheet.used_range.options(ndim=2).value for sheet in book.sheets}
        finally:
            book.close()
    finally:
        app.quit()


def recalculate_excel(path, timeout):
    """The Excel session runs in a thread of its own (COM objects stay in the thread that made
    them), so that an Excel stuck on a dialog is killed after `timeout` seconds."""
    outcome, pids = {}, []

    def session():
        if platform.system() == "Windows":
            import pythoncom  # pywin32, which xlwings needs on Windows

            pythoncom.CoInitialize()
        try:
            outcome["values"] = _excel_session(path, pids.append)
        except Exception as e:  # reported in the calling thread
            outcome["error"] = e

    worker = threading.Thread(target=session, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        for pid in pids:
            os.kill(pid, signal.SIGTERM)  # TerminateProcess on Windows
        raise UsageError(f"Excel did not finish within {timeout:g} s (raise --timeout, or check that no "
                         f"dialog blocks it)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["values"]
