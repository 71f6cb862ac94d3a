"""Links to another workbook, as Excel leaves them when sheets are copied from one book into another:
never followed. Where the inspection is told to accept them (untrusted.inspect(path,
allow_stale_links=True), which check does), the private copy that LibreOffice reads leaves out the
external-link parts, every relationship that names them and the workbook's list of them, and pins each
cell formula that reaches another workbook to the value the file saved for it. LibreOffice is never
told where the other book is, whatever its settings; what is graded is what the learner's own
spreadsheet last computed. (LibreOffice reading Excel's saved copy of the other book's cells instead
would keep the link's target in the copy, and gives #N/A for a shared formula that reaches it.)"""
import collections
from dataclasses import dataclass

from labkit import formulas, ooxml
from labkit.cli import UsageError, shown

MAX_PINNED_PART_BYTES = 16 * 2**20  # a sheet whose formulas are pinned is read whole, as a tree


@dataclass(frozen=True)
class StaleLinks:
    books: tuple  # each other workbook's name, as the file gives it
    formulas: int  # cell formulas that reach another workbook, graded from their saved values
    parts: frozenset  # the external-link parts and their .rels parts: left out of the copy
    workbooks: frozenset  # the parts whose list of external references is left out
    sheets: tuple  # (part, the shared formulas' indexes that reach another workbook) of each part pinned


class Pins:
    """The formulas of one part's cells that reach another workbook, counted as the part is read: a
    shared formula's later cells (<f t="shared" si="0"/>) reach it where the first cell's text does."""

    def __init__(self):
        self.own, self.shared, self.followers = 0, set(), collections.Counter()

    def saw(self, formula, reaches):
        shared = formula.get("si") if formula.get("t") == "shared" else None
        if reaches:
            self.own += 1
            if shared is not None:
                self.shared.add(shared)
        elif shared is not None and not ooxml.text(formula).strip():
            self.followers[shared] += 1

    @property
    def count(self):
        return self.own + sum(self.followers[si] for si in self.shared)


def found(path, named, relationships):
    """(parts left out, other books, the (.rels part, relationship) of each externalLink, the parts
    whose list of external references is left out) of a package whose parts `named` are named or
    typed as links to another workbook. Left out: those, the parts an externalLink relationship names,
    and their .rels parts; UsageError for any other relationship that names one.
    relationships: {.rels part: [ooxml.Relationship]}."""
    linking = [(name, link) for name, links in relationships.items() for link in links
               if link.kind.lower() == "externallink" and not link.external and link.target]
    books = {name for name in named if not name.endswith(".rels")} | {link.target for _, link in linking}
    rels = {name for name in named if name.endswith(".rels")} | {
        name for name in relationships if ooxml.rels_source(name) in books}
    for name, links in relationships.items():
        for link in links:
            if name not in rels and not link.external and link.target in books and (name, link) not in linking:
                raise UsageError(f"{path} links to another workbook ({name}: {shown(link.kind)} "
                                 f"{shown(link.target)}): refused")
    others = {shown(link.target) for name in rels for link in relationships.get(name, []) if link.external}
    return (frozenset(books | rels), tuple(sorted(others)),
            frozenset(linking), frozenset(link.source for _, link in linking))


def copied(links, name, data):
    """A part's bytes as the private copy holds them: a sheet's formulas that reach another workbook
    pinned to their saved values, the workbook without its list of external references,
    [Content_Types].xml without the parts left out."""
    pinned = dict(links.sheets)
    if name in pinned:
        root = ooxml.parse(name, data)
        for formula in [e for e in root.iter() if formulas.in_cell(e)]:
            text = ooxml.text(formula)
            follows = formula.get("t") == "shared" and formula.get("si") in pinned[name] and not text.strip()
            if follows or formulas.reaches_another_book(text):
                _saved_value(formula.getparent(), formula)
    elif name in links.workbooks:
        root = ooxml.parse(name, data)
        for element in [e for e in root if ooxml.local(e) == "externalReferences"]:
            root.remove(element)
    elif name == "[Content_Types].xml":
        root = ooxml.parse(name, data)
        left_out = {ooxml.part_name(part).lower() for part in links.parts}
        for element in [e for e in root if ooxml.local(e) == "Override" and e.get("PartName", "").lower() in left_out]:
            root.remove(element)
    else:
        return data
    return ooxml.written(root)


def _saved_value(cell, formula):
    """The cell without its formula: the value saved with it stays, a formula's text as inline text."""
    cell.remove(formula)
    value = next((e for e in cell if ooxml.local(e) == "v"), None)
    if value is not None and value.text is None:
        cell.remove(value)
        value = None
    if value is None:
        cell.attrib.pop("t", None)
    elif cell.get("t") == "str":  # str is a formula's text; without one, it is an inline string
        namespace = formula.tag[:-1]  # "{...main}" or ""
        inline = value.makeelement(namespace + "is", {})
        text = inline.makeelement(namespace + "t", {})
        text.text = value.text
        if value.text != value.text.strip():
            text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        inline.append(text)
        value.addprevious(inline)
        cell.remove(value)
        cell.set("t", "inlineStr")
