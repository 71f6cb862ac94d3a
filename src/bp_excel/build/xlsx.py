"""Saving the workbook: every formula carries its value as the cached result (so that viewers
which do not calculate still show numbers), text sits in a shared-strings table as Excel writes
it (openpyxl writes inline strings, which Excel rewrites on its next save), and a rebuild is the
same file byte for byte."""
import datetime
import math
import re
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl.writer.excel import ExcelWriter

from labkit.files import write_atomically

# A fixed creation date keeps a rebuild identical to the committed workbook.
BUILD_DATE = datetime.datetime(2026, 1, 1)
# openpyxl writes a formula cell as <c r="B5" ...><f ...>formula</f><v /></c> (<v></v> with lxml),
# without a result.
FORMULA_CELL = re.compile(r'<c r="(?P<cell>[A-Z]+[0-9]+)"(?P<attributes>[^>]*)><f(?P<kind>[^>]*)>(?P<formula>[^<]*)</f>'
                          r'(?:<v\s*/>|<v></v>)')


def _cached(value):
    """(type attribute, <v> text) of a cached result: a string, or a finite number written as the
    shortest decimal that reads back as the same double (never a NumPy scalar's repr)."""
    if isinstance(value, str):
        return ' t="str"', escape(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"a cached result must be a string or a finite number, got {value!r}")
    return "", repr(float(value)) if isinstance(value, float) else str(int(value))


INLINE_STRING = re.compile(r'<c (?P<attributes>[^>]*) t="inlineStr"><is><t(?P<space>[^>]*)>(?P<text>[^<]*)</t></is></c>')
SHARED_STRINGS = "xl/sharedStrings.xml"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


class _SharedStrings:
    """The workbook's text, each distinct string once, in the order the sheets first use it."""

    def __init__(self):
        self.index, self.uses = {}, 0

    def replace_inline(self, xml):
        def shared(match):
            self.uses += 1
            key = (match["space"], match["text"])
            number = self.index.setdefault(key, len(self.index))
            return f'<c {match["attributes"]} t="s"><v>{number}</v></c>'
        # An empty string is written as an empty inline string: there it is just a styled empty cell.
        return INLINE_STRING.sub(shared, xml).replace(' t="inlineStr"></c>', "></c>").replace(' t="inlineStr"/>', "/>")

    def xml(self):
        items = "".join(f"<si><t{space}>{text}</t></si>" for space, text in self.index)
        return (f'<sst xmlns="{MAIN_NS}" count="{self.uses}" uniqueCount="{len(self.index)}">'
                f"{items}</sst>")


def _with_relation(rels_xml):
    ids = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels_xml)]
    relation = (f'<Relationship Type="{SHARED_STRINGS_RELATION}" Target="sharedStrings.xml" '
                f'Id="rId{max(ids, default=0) + 1}"/>')
    return rels_xml.replace("</Relationships>", relation + "</Relationships>")


def _with_content_type(types_xml):
    override = f'<Override PartName="/{SHARED_STRINGS}" ContentType="{SHARED_STRINGS_TYPE}"/>'
    return types_xml.replace("</Types>", override + "</Types>")


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
        self.strings = _SharedStrings()

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            name = zinfo_or_arcname
            if name in self.results_by_member:
                text = data.decode() if isinstance(data, bytes) else data
                data = self.strings.replace_inline(_with_results(text, self.results_by_member[name]))
            elif name == "xl/_rels/workbook.xml.rels":
                # openpyxl writes the workbook's relations after every worksheet: the table is complete.
                self.writestr(SHARED_STRINGS, self.strings.xml())
                data = _with_relation(data.decode() if isinstance(data, bytes) else data)
            elif name == "[Content_Types].xml":
                data = _with_content_type(data.decode() if isinstance(data, bytes) else data)
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
