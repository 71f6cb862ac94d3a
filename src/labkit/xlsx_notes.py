"""Notes (Excel's cell comments) put on a sheet's cells: the comments part that holds their text,
and the VML drawing that shows each as a box beside its cell. Where the sheet has notes already
they are merged into its own parts: a cell's own note keeps its text and the new one follows it."""
import re

from lxml import etree
from openpyxl.utils.cell import coordinate_to_tuple

from labkit import ooxml
from labkit.ooxml_edit import RELATIONSHIPS, insert_in_order
from labkit.xlsx_edit import MAIN, XML_SPACE, qualified

COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
VML_NAMESPACES = ('xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                  'xmlns:x="urn:schemas-microsoft-com:office:excel"')
OFFICE = "urn:schemas-microsoft-com:office:office"
NOTE_BOX = "_x0000_t202"  # the shape type of a note's box
VML = (f'<xml {VML_NAMESPACES}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{{block}}"/></o:shapelayout>'
       '</xml>')
SHAPE_TYPE = (f'<xml {VML_NAMESPACES}><v:shapetype id="{NOTE_BOX}" coordsize="21600,21600" o:spt="202" '
              'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
              '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype></xml>')
# A hidden box (it shows when the pointer is on the cell), five columns wide and ten rows high.
SHAPE = (f'<xml {VML_NAMESPACES}><v:shape id="_x0000_s{{id}}" type="#{NOTE_BOX}" style="position:absolute;'
         'margin-left:60pt;margin-top:2pt;width:300pt;height:140pt;z-index:{z};visibility:hidden" '
         'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
         'obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
         '<div style="text-align:left"/></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
         '<x:SizeWithCells/><x:Anchor>{left}, 15, {top}, 10, {right}, 15, {bottom}, 4</x:Anchor>'
         '<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData>'
         '</v:shape></xml>')
SHAPES_PER_BLOCK = 1024  # a drawing's idmap block n holds the shape ids n*1024 + 1 onwards
SHAPE_ID = re.compile(r"_x0000_s(\d+)")
# What CT_Worksheet's sequence puts after legacyDrawing (mc:AlternateContent wraps controls, oleObjects).
AFTER_LEGACY_DRAWING = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                        "tableParts", "extLst", "AlternateContent"}


def add(package, sheet_part, notes, author):
    """Notes {cell (A1): text} on the sheet's cells, by author."""
    comments = next(iter(package.related(sheet_part, "comments")), None)
    if comments is None:
        comments = package.free_name("xl/comments{}.xml")
        package.add(comments, ooxml.parse(comments, f'<comments xmlns="{MAIN}"><authors/><commentList/></comments>'
                                                    .encode()), COMMENTS_TYPE)
        package.relate(sheet_part, "comments", comments)
    new = _comment(package.edit(comments), notes, author)
    if not new:
        return
    drawing = package.edit(_drawing(package, sheet_part), recover=True)
    if not any(ooxml.local(e) == "shapetype" and e.get("id") == NOTE_BOX for e in drawing.iter()):
        drawing.append(_vml(SHAPE_TYPE))
    used = [int(match[1]) for e in drawing.iter() if ooxml.local(e) == "shape"
            for match in (SHAPE_ID.fullmatch(e.get(key, "")) for key in ("id", f"{{{OFFICE}}}spid")) if match]
    first = max(used, default=min(_blocks(drawing), default=1) * SHAPES_PER_BLOCK) + 1
    for k, ref in enumerate(new):
        row, column = (n - 1 for n in coordinate_to_tuple(ref))
        top = max(row - 1, 0)
        drawing.append(_vml(SHAPE, id=first + k, z=len(used) + k + 1, left=column + 1, right=column + 6, top=top,
                            bottom=top + 10, row=row, column=column))


def _vml(template, **fields):
    """The VML element in template (wrapped in an <xml> root that declares the v, o and x prefixes)."""
    (element,) = ooxml.parse("template", template.format(**fields).encode())
    return element


def _blocks(drawing):
    """The blocks of shape ids that a VML drawing's idmap claims ("1" or "1,2")."""
    return [int(n) for e in drawing.iter() if ooxml.local(e) == "idmap"
            for n in e.get("data", "").split(",") if n.strip().isdigit()]


def _comment(root, notes, author):
    """The cells of notes that had no note: each gets one; a cell's own note gets the new text after its own."""
    authors = root.find(qualified(root, "authors"))
    names = [ooxml.text(name) for name in authors]
    if author not in names:
        etree.SubElement(authors, qualified(root, "author")).text = author
        names.append(author)
    listed = root.find(qualified(root, "commentList"))
    own = {comment.get("ref"): comment for comment in listed}
    new = []
    for ref, note in notes.items():
        if ref in own:  # a run after the note's own text, before its phonetic guides
            text = own[ref].find(qualified(root, "text"))
            run = insert_in_order(text, etree.Element(qualified(root, "r")), {"rPh", "phoneticPr"})
            etree.SubElement(run, qualified(root, "t"), {XML_SPACE: "preserve"}).text = "\n\n" + note
        else:
            comment = etree.SubElement(listed, qualified(root, "comment"), ref=ref, authorId=str(names.index(author)))
            etree.SubElement(etree.SubElement(comment, qualified(root, "text")), qualified(root, "t"),
                             {XML_SPACE: "preserve"}).text = note
            new.append(ref)
    return new


def _drawing(package, sheet_part):
    """The sheet's VML drawing part (its <legacyDrawing>), made where it has none: a block of shape
    ids of its own, and the sheet's <legacyDrawing> in its place in the schema's order."""
    sheet = package.read(sheet_part)
    legacy = sheet.find(qualified(sheet, "legacyDrawing"))
    if legacy is not None:
        rid = next(value for key, value in legacy.attrib.items() if key.endswith("}id"))
        return next(link.target for link in package.relationships(sheet_part) if link.id == rid)
    blocks = [n for name in package.names if name.lower().endswith(".vml") for n in _blocks(package.read(name, True))]
    part = package.free_name("xl/drawings/vmlDrawing{}.vml")
    package.add(part, ooxml.parse(part, VML.format(block=max(blocks, default=0) + 1).encode()), VML_TYPE)
    rid = package.relate(sheet_part, "vmlDrawing", part)
    sheet = package.edit(sheet_part)
    legacy = insert_in_order(sheet, etree.Element(qualified(sheet, "legacyDrawing")), AFTER_LEGACY_DRAWING)
    legacy.set(f"{{{RELATIONSHIPS}}}id", rid)
    return part
