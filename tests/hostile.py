"""Hostile workbooks, built here byte by byte from a plain hand-made one: the tests of check's
inspection and of LibreOffice's sandbox share them."""
import zipfile

import handmade

SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


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



def _then(first, second):
    return lambda data: second(first(data))


def linked_book(folder, target, h1="0.0275", book=None, more=None, added=None):
    """A right workbook that links to another workbook at target, as Excel leaves one after sheets
    are copied: an externalLink part (book: what Excel saved of the other book), its relationship,
    and five formulas that reach it, each with its saved value: h1 of the first row (the right
    0.0275), a shared formula over three cells and a formula of text. more: {part: change} and
    added: {part: bytes} besides."""
    book = book or (b'<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
                    b'<sheetData sheetId="0"><row r="1"><cell r="A1"><v>0.0275</v></cell></row></sheetData>'
                    b"</sheetDataSet></externalBook>")
    path_rels = (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                 f'Id="rId1" Type="{RELATIONSHIPS}/externalLinkPath" Target="{target}" TargetMode="External"/>'
                 f"</Relationships>").encode()
    cells = (b'<row r="40"><c r="AH40"><f t="shared" ref="AH40:AJ40" si="0">[1]Sheet1!A1*2</f><v>0.055</v></c>'
             b'<c r="AI40"><f t="shared" si="0"/><v>0.1</v></c><c r="AJ40"><f t="shared" si="0"/><v>0.2</v></c>'
             b'<c r="AK40" t="str"><f>[1]Sheet1!B1&amp;"x"</f><v>saved text</v></c></row>')
    changes = {
        SHEET: lambda d: d.replace(b'<c r="I3"><f>E3*C3+F3*D3</f><v></v></c>',
                                   b'<c r="I3"><f>[1]Sheet1!$A$1</f><v>' + h1.encode() + b"</v></c>")
                          .replace(b"</sheetData>", cells + b"</sheetData>"),
        "xl/workbook.xml": lambda d: d.replace(b"</sheets>", f'</sheets><externalReferences><externalReference '
                                               f'xmlns:r="{RELATIONSHIPS}" r:id="rIdL"/>'
                                               f"</externalReferences>".encode()),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            f'<Relationship Id="rIdL" Type="{RELATIONSHIPS}/externalLink" Target="externalLinks/externalLink1.xml"/>'
            f"</Relationships>").encode()),
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.'
                                                   b'xml" ContentType="application/vnd.openxmlformats-officedocument.'
                                                   b'spreadsheetml.externalLink+xml"/></Types>')}
    for part, change in (more or {}).items():
        changes[part] = _then(changes[part], change) if part in changes else change
    link = b"<externalLink " + MAIN + f' xmlns:r="{RELATIONSHIPS}">'.encode() + book + b"</externalLink>"
    return rewritten(folder, changes, added={"xl/externalLinks/externalLink1.xml": link,
                                             "xl/externalLinks/_rels/externalLink1.xml.rels": path_rels,
                                             **(added or {})})
