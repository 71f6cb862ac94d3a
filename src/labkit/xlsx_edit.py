"""Edits of a workbook's parts (ooxml_edit.Package) that leave the rest as it was: cells filled
through new cell styles, each cloned from the cell's own; a sheet of text put first, with every
index that counts sheets shifted after it."""
import copy
import itertools

from lxml import etree
from lxml.builder import ElementMaker
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

from labkit import ooxml
from labkit.ooxml_edit import RELATIONSHIPS, insert_in_order

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# What CT_Stylesheet's sequence puts after fills, and after cellXfs.
AFTER_FILLS = {"borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles", "colors", "extLst"}
AFTER_CELL_XFS = AFTER_FILLS - {"borders", "cellStyleXfs"}
# Fill 0 and 1 are reserved (none, gray125); a styles part without fills or cellXfs gets these.
DEFAULT_FILLS = ('<fills xmlns="{ns}"><fill><patternFill patternType="none"/></fill>'
                 '<fill><patternFill patternType="gray125"/></fill></fills>')
DEFAULT_CELL_XFS = '<cellXfs xmlns="{ns}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
SOLID_FILL = ('<fill xmlns="{ns}"><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/>'
              '</patternFill></fill>')


def qualified(element, name):
    """name in element's own namespace: a new element speaks its part's dialect."""
    return f"{{{etree.QName(element).namespace}}}{name}"


def _fragment(template, element, **fields):
    return ooxml.parse("template", template.format(ns=etree.QName(element).namespace, **fields).encode())


def _rid(element):
    return next((value for key, value in element.attrib.items() if key.endswith("}id")), None)


def workbook_part(package):
    return package.related("", "officeDocument")[0]


def sheet_parts(package):
    """{sheet name: its part} of the workbook's sheets, in their order."""
    book = workbook_part(package)
    targets = {link.id: link.target for link in package.relationships(book)}
    root = package.read(book)
    return {sheet.get("name"): targets.get(_rid(sheet)) for sheet in root.iter(qualified(root, "sheet"))}


def _child(parent, tag, position, position_of, r):
    """(parent's child element tag at position (a row's number, a cell's column), whether it was
    made): made in order where there is none. position_of reads a child's own position; one that
    does not say is the one before's next."""
    previous, following = 0, None
    for element in parent.iterchildren(tag):
        previous = position_of(element) or previous + 1
        if previous == position:
            return element, False
        if previous > position:
            following = element
            break
    made = etree.Element(tag, r=r)
    if following is None:
        parent.append(made)
    else:
        following.addprevious(made)
    return made, True


def cell(sheet, ref):
    """The sheet's <c> element of ref (A1): made, with the style its row or column gives it, where
    the sheet has none."""
    row_number, column = coordinate_to_tuple(ref)
    data = sheet.find(qualified(sheet, "sheetData"))
    row, _ = _child(data, qualified(sheet, "row"), row_number, lambda e: int(e.get("r") or 0), str(row_number))
    found, made = _child(row, qualified(sheet, "c"), column,
                         lambda e: e.get("r") and coordinate_to_tuple(e.get("r"))[1], ref)
    if made:
        style = row.get("s") if row.get("customFormat") in ("1", "true") else next(
            (col.get("style") for col in sheet.iter(qualified(sheet, "col"))
             if int(col.get("min", 0)) <= column <= int(col.get("max", 0))), None)
        if style:
            found.set("s", style)
    return found


def fill(package, cells, rgb):
    """A solid fill of rgb (ARGB, e.g. FFFFC7CE) on each cell of {sheet part: [A1 ...]}, through
    new cell styles, each the clone of a cell's own with the fill: its number format, font and
    borders stay. Appended to the styles part's fills and cellXfs; nothing else changes."""
    marked = [cell(package.edit(part), ref) for part, refs in cells.items() for ref in refs]
    styles = _styles(package)
    fills = styles.find(qualified(styles, "fills"))
    if fills is None:
        fills = insert_in_order(styles, _fragment(DEFAULT_FILLS, styles), AFTER_FILLS)
    xfs = styles.find(qualified(styles, "cellXfs"))
    if xfs is None:
        xfs = insert_in_order(styles, _fragment(DEFAULT_CELL_XFS, styles), AFTER_CELL_XFS)
    fills.append(_fragment(SOLID_FILL, styles, rgb=rgb))
    fills.set("count", str(len(fills)))
    own = xfs.findall(qualified(styles, "xf"))
    clones = {}
    for style in sorted({int(c.get("s", 0)) for c in marked}):
        clone = copy.deepcopy(own[style] if style < len(own) else own[0])
        clone.set("fillId", str(len(fills) - 1))
        clone.set("applyFill", "1")
        xfs.append(clone)
        clones[style] = len(own) + len(clones)
    xfs.set("count", str(len(xfs)))
    for c in marked:
        c.set("s", str(clones[int(c.get("s", 0))]))


def _styles(package):
    book = workbook_part(package)
    found = package.related(book, "styles")
    if found:
        return package.edit(found[0])
    part = package.free_name("xl/styles{}.xml")
    package.add(part, etree.Element(f"{{{MAIN}}}styleSheet", nsmap={None: MAIN}), STYLES_TYPE)
    package.relate(book, "styles", part)
    return package.edit(part)


def text_sheet(rows, widths, links=()):
    """A worksheet of text alone: rows of strings, inline (the shared strings stay as they were),
    columns widths wide (in characters), and links [(cell, place in the workbook)]."""
    E = ElementMaker(namespace=MAIN, nsmap={None: MAIN})
    cols = E.cols(*[E.col(min=str(k), max=str(k), width=str(w), customWidth="1") for k, w in enumerate(widths, 1)])
    data = E.sheetData(*[E.row(*[E.c(E("is", E.t(text, {XML_SPACE: "preserve"})), r=f"{get_column_letter(k)}{n}",
                                     t="inlineStr") for k, text in enumerate(row, 1) if text], r=str(n))
                         for n, row in enumerate(rows, 1)])
    sheet = E.worksheet(cols, data)
    if links:
        sheet.append(E.hyperlinks(*[E.hyperlink(ref=ref, location=place) for ref, place in links]))
    return sheet


def add_first_sheet(package, name, sheet):
    """The worksheet root sheet added as the workbook's first sheet, named name (name 2, 3, ...
    where a sheet has that name); returns the name. Every index that counts sheets is shifted
    after it: each defined name's localSheetId, and each window's active tab (the learner's sheet
    stays in front). A window's first tab in view is shifted only where the tabs were scrolled,
    so that the new tab shows."""
    book = workbook_part(package)
    part = package.free_name("xl/worksheets/sheet{}.xml")
    package.add(part, sheet, WORKSHEET_TYPE)
    rid = package.relate(book, "worksheet", part)
    workbook = package.edit(book)
    sheets = workbook.find(qualified(workbook, "sheets"))
    taken = {element.get("name", "").lower() for element in sheets}
    name = next(n for n in itertools.chain([name], (f"{name} {k}" for k in itertools.count(2)))
                if n.lower() not in taken)
    ids = [int(element.get("sheetId")) for element in sheets if (element.get("sheetId") or "").isdigit()]
    first = etree.Element(qualified(workbook, "sheet"), name=name, sheetId=str(max(ids, default=0) + 1))
    first.set(f"{{{RELATIONSHIPS}}}id", rid)
    sheets.insert(0, first)
    for defined in workbook.iter(qualified(workbook, "definedName")):
        if defined.get("localSheetId") is not None:
            defined.set("localSheetId", str(int(defined.get("localSheetId")) + 1))
    views = workbook.find(qualified(workbook, "bookViews"))
    if views is None:
        views = insert_in_order(workbook, etree.Element(qualified(workbook, "bookViews")), {"sheets"})
        etree.SubElement(views, qualified(workbook, "workbookView"))
    for view in views.iter(qualified(workbook, "workbookView")):
        view.set("activeTab", str(int(view.get("activeTab", 0)) + 1))
        if int(view.get("firstSheet", 0)) > 0:
            view.set("firstSheet", str(int(view.get("firstSheet")) + 1))
    return name
