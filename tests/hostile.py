"""Hostile workbooks, built here byte by byte from a plain hand-made one: the tests of check's
inspection and of LibreOffice's sandbox share them."""
import zipfile

import handmade

SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def plain(folder, name="plain.xlsx"):
    return handmade.save(handmade.write(rows=3), folder / name)


def book_with_formula(folder, formula):
    wb = handmade.write(rows=3)
    wb.active["AH3"] = formula
    return handmade.save(wb, folder / "hostile.xlsx")


def rewritten(folder, changes, added=None, renamed=None):
    """A copy of a plain workbook with {part: change(bytes) -> bytes} applied, {part: bytes} added
    and {old part: new part} renamed."""
    source_path = plain(folder)
    path = folder / "hostile.xlsx"
    with zipfile.ZipFile(source_path) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            name = (renamed or {}).get(item.filename, item.filename)
            target.writestr(name, changes.get(item.filename, lambda d: d)(data))
        for name, data in (added or {}).items():
            target.writestr(name, data)
    source_path.unlink()
    return path


def with_member(folder, name, data):
    return rewritten(folder, {}, added={name: data})


def with_sheet_xml(folder, change):
    return rewritten(folder, {SHEET: change})


def in_sheet(folder, before, xml):
    """The sheet's XML with xml inserted before its first <before> element."""
    return with_sheet_xml(folder, lambda d: d.replace(before, xml + before, 1))


def formula_cell(folder, formula_xml, cell=b'<c r="AH3" t="str">'):
    """A cell whose <f> element is formula_xml, written as given (entities, CDATA, comments)."""
    return in_sheet(folder, b"</sheetData>", b'<row r="40">' + cell + b"<f>" + formula_xml + b"</f><v>0</v></c></row>")


def with_content_type(folder, part, content_type, data, rels=None):
    """A part at any path, declared by an Override of its content type (and a relationship from the
    workbook, where rels names its type)."""
    changes = {"[Content_Types].xml": lambda d: d.replace(
        b"</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'.encode())}
    if rels:
        changes["xl/_rels/workbook.xml.rels"] = lambda d: d.replace(
            b"</Relationships>", f'<Relationship Id="rIdX" Type="{rels}" Target="/{part}"/></Relationships>'.encode())
    return rewritten(folder, changes, added={part: data})


def with_workbook_relationship(folder, rel_type, target, mode="External"):
    return rewritten(folder, {"xl/_rels/workbook.xml.rels": lambda d: d.replace(
        b"</Relationships>", f'<Relationship Id="rIdX" Type="{rel_type}" Target="{target}" '
                             f'TargetMode="{mode}"/></Relationships>'.encode())})


def linked_picture(folder, url):
    """A right workbook with a picture that is not in the file but linked to url (an image
    relationship with TargetMode="External", drawn through r:link): LibreOffice fetches it on load."""
    import io
    import re

    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    wb = handmade.write(rows=3)
    png = io.BytesIO()
    Picture.new("RGB", (4, 4)).save(png, "PNG")
    wb.active.add_image(Image(png), "AK2")
    embedded = handmade.save(wb, folder / "embedded.xlsx")
    path = folder / "linked.xlsx"
    with zipfile.ZipFile(embedded) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/drawings/_rels/"):
                data = re.sub(rb'Target="[^"]*"', f'Target="{url}" TargetMode="External"'.encode(), data)
            elif item.filename.startswith("xl/drawings/drawing"):
                data = data.replace(b"r:embed=", b"r:link=")
            target.writestr(item, data)
    embedded.unlink()
    return path
