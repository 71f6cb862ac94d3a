"""What a formula in a stranger's workbook may reach: nothing outside the book. untrusted.py finds
each formula as the XML element it is (a cell's, a defined name's, a conditional format's, a data
validation's) and hands its text here; stale_links.py pins a cell's reference to another workbook."""
import re

from labkit import ooxml
from labkit.cli import UsageError, shown

ELEMENTS = {"f", "formula", "formula1", "formula2", "definedName"}
STRING = re.compile(r'"(?:[^"]|"")*"')
INDIRECT = re.compile(r"\bINDIRECT\s*\(", re.IGNORECASE)
# A reference in one literal, within the book: no [book], no Calc-style 'file'#$Sheet.A1.
LITERAL_INDIRECT = re.compile(r'\bINDIRECT\s*\(\s*"[^"\[#]*"\s*[,)]', re.IGNORECASE)
# [1]Sheet1!A1, '[book.xlsx]Sheet 1'!A1, [1]!name; not a table's structured reference (Table1[Amount]).
EXTERNAL_REFERENCE = re.compile(r"\[[^\]]*\][^\[\]!(),;]*!")
# What may reach outside the workbook: another file (external references, [1]Sheet!A1), the web,
# DDE (=cmd|'/c calc'!A1), add-in and user-defined functions.
DANGEROUS = [
    (EXTERNAL_REFERENCE, "an external workbook reference"),
    (re.compile(r"\b(WEBSERVICE|FILTERXML|RTD|CALL|REGISTER\.ID|REGISTER|EXEC|HYPERLINK|IMAGE|STOCKHISTORY|DDE)\s*\(",
                re.IGNORECASE), "the function {0}"),
    (re.compile(r"\b_xludf\.\w+", re.IGNORECASE), "the user-defined function {0}"),
    (re.compile(r"\|"), "a DDE link"),
    (re.compile(r"(file|https?|ftp):", re.IGNORECASE), "a link ({0})"),
]


def in_cell(element):
    """Whether an element is a cell's formula (<c><f>), the only kind that has a saved value."""
    parent = element.getparent()
    return ooxml.local(element) == "f" and parent is not None and ooxml.local(parent) == "c"


def reaches_another_book(formula):
    """Whether a formula refers to a cell or a name of another workbook (text in quotes aside)."""
    return bool(EXTERNAL_REFERENCE.search(STRING.sub('""', formula)))


def inspect(path, part, element, allow_stale_links=False):
    """Whether the element, a cell's formula, reaches another workbook where that is allowed;
    UsageError, naming the part and the cell or element, for anything else that reaches outside."""
    formula = ooxml.text(element)
    stale = allow_stale_links and in_cell(element)
    found = reaching(formula, stale)
    if found:
        raise UsageError(f"{path}: {shown(part)}, {_where(part, element)} {found}: refused")
    return stale and reaches_another_book(formula)


def reaching(formula, allow_other_books=False):
    """What a formula's text reaches outside the book, in words ("uses the function WEBSERVICE"), or
    None. Any formula language: Excel's (A1, [1]Sheet!A1) or OpenDocument's ([.A1], 'file:...'#$S.A1)."""
    if len(INDIRECT.findall(formula)) > len(LITERAL_INDIRECT.findall(formula)):
        return "builds a reference from text (INDIRECT)"
    text = STRING.sub(lambda m: m[0] if "://" in m[0] or "file:" in m[0].lower() else '""', formula)
    for pattern, what in DANGEROUS:
        match = pattern.search(text)
        if match and not (allow_other_books and pattern is EXTERNAL_REFERENCE):
            return "uses " + what.format(shown(match[0].rstrip("( ")))
    return None


def _where(part, element):
    parent = element.getparent()
    if ooxml.local(element) == "definedName":
        return f"the defined name {shown(element.get('name', '?'))}"
    if parent is not None and ooxml.local(parent) == "c" and parent.get("r"):
        return f"cell {shown(parent.get('r'))}"
    owner = parent.getparent() if parent is not None else None
    if parent is not None and ooxml.local(parent) == "cfRule":
        return f"a conditional format of {shown(owner.get('sqref', '?')) if owner is not None else '?'}"
    if parent is not None and ooxml.local(parent) == "dataValidation":
        return f"a data validation of {shown(parent.get('sqref', '?'))}"
    return f"a {ooxml.local(element)} element"
