"""Saving the workbook: every formula carries its value as the cached result (so that viewers
which do not calculate still show numbers), and a rebuild is the same file byte for byte."""
import datetime
import re
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl.writer.excel import ExcelWriter

from .common import write_atomically

# A fixed creation date keeps a rebuild identical to the committed workbook.
BUILD_DATE = datetime.datetime(2026, 1, 1)
# openpyxl writes a formula cell as <c r="B5" ...><f ...>formula</f><v /></c> (<v></v> with lxml),
# without a result.
FORMULA_CELL = re.compile(r'<c r="(?P<cell>[A-Z]+[0-9]+)"(?P<attributes>[^>]*)><f(?P<kind>[^>]*)>(?P<formula>[^<]*)</f>'
                          r'(?:<v\s*/>|<v></v>)')


def _cached(value):
    """(type attribute, <v> text) of a cached result."""
    if isinstance(value, str):
        return ' t="str"', escape(value)
    return "", repr(value) if isinstance(value, float) else str(value)


def _with_results(xml, results):
    def fill(match):
        if match["cell"] not in results:
            return match[0]
        kind, text = _cached(results[match["cell"]])
        return (f'<c r="{match["cell"]}"{match["attributes"]}{kind}><f{match["kind"]}>{match["formula"]}</f>'
                f'<v>{text}</v>')
    return FORMULA_CELL.sub(fill, xml)


class _Archive(ZipFile):
    """A zip archive whose members all carry BUILD_DATE (a plain ZipFile stamps each with the
    current time), and whose worksheets get their formulas' cached results."""

    def __init__(self, path, results_by_member):
        super().__init__(path, "w", ZIP_DEFLATED, allowZip64=True)
        self.results_by_member = results_by_member

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            if zinfo_or_arcname in self.results_by_member:
                text = data.decode() if isinstance(data, bytes) else data
                data = _with_results(text, self.results_by_member[zinfo_or_arcname])
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=BUILD_DATE.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16  # what ZipFile gives a member it names itself
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        # openpyxl writes some worksheets from a temporary file, which would carry its time.
        with open(filename, "rb") as f:
            self.writestr(arcname or str(filename), f.read())


def save(wb, path, results):
    """Write wb to path atomically. results: {sheet: {cell: value}}, each formula's cached result."""
    wb.properties.created = wb.properties.modified = BUILD_DATE
    members = {f"xl/worksheets/sheet{k}.xml": results.get(ws.title, {})
               for k, ws in enumerate(wb.worksheets, start=1)}

    def write(tmp):
        # ExcelWriter directly, because openpyxl's save_workbook stamps the current time.
        with _Archive(tmp, members) as archive:
            ExcelWriter(wb, archive).save()
    write_atomically(path, write)
