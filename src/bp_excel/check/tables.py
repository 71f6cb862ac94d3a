"""Finding the backpropagation tables in a hand-made workbook: the header row, which column holds
which quantity, the data rows, and the inputs given once beside the table; each Table is built
whole here (its learning rate is learning_rate.py's, found when it is graded).

Quantities take the names of the seed's equations (network.py): i1 i2 t1 t2 w1..w8 h1 h2 a_h1
a_h2 o1 o2 a_o1 a_o2 E1 E2 E_total dE_dw1..dE_dw8; reports spell the gradients dE/dw1.
"""
import math
import re
import unicodedata
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string

from bp_excel.equations import WEIGHTS
from labkit.cli import UsageError
from labkit.engines import value

GRADIENTS = [f"dE_d{w}" for w in WEIGHTS]
QUANTITIES = ["i1", "i2", "t1", "t2", *WEIGHTS, "h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2",
              "E1", "E2", "E_total", *GRADIENTS]
NEEDED = ["i1", "i2", "t1", "t2", *WEIGHTS]  # what the reference computes from
MIN_HEADERS = 12  # a row naming fewer quantities is prose or a partial table
MAX_GAP = 6  # columns without a quantity name inside one table (Step, δ_o1, ∂E_total/∂a_h1, a spacer)
def display(name):
    """A quantity's name as reports print it: dE_dw1 -> dE/dw1."""
    return name.replace("dE_dw", "dE/dw")


def internal(name):
    """A quantity's name as given on the command line (dE/dw1 or dE_dw1) -> dE_dw1."""
    return name.replace("dE/dw", "dE_dw")


def quantity_of(header):
    """The quantity a header cell names, in any of the spellings seen in hand-made workbooks
    (a_h1, act_h1, a_01, E_tot, Etotal, ∂E/∂w1, ∂E_total/∂W5, δE_tot/δw1, dE/dw1, Etotaldw1, dw1,
    E∂w1, 𝟃w1...), or None. Letters of Unicode's mathematical alphabets read as the plain ones (𝟃 as
    ∂, w₁ as w1); Δw1, the step a weight takes, is no gradient."""
    if not isinstance(header, str) or len(header) > 40:
        return None
    plain = unicodedata.normalize("NFKC", header).replace("∂", "d").replace("δ", "d")
    key = re.sub(r"[\s_\-.()]", "", plain.lower()).rstrip("=:")
    patterns = [
        (r"(?:d?e(?:total|tot|t)?/?d?|d)w([1-8])", "dE_dw{}"),
        (r"(?:i|in|input)([12])", "i{}"), (r"(?:b|bias)([12])", "b{}"), (r"(?:t|target)([12])", "t{}"),
        (r"w([1-8])", "w{}"),
        (r"(?:net)?h([12])", "h{}"), (r"(?:net)?o([12])", "o{}"),
        (r"(?:a|act|out|σ|sig|sigmoid)h([12])", "a_h{}"), (r"(?:a|act|out|σ|sig|sigmoid)[o0]([12])", "a_o{}"),
        (r"e([12])", "E{}"), (r"e(?:total|tot|t)|totalerror|error", "E_total"),
    ]
    for pattern, name in patterns:
        match = re.fullmatch(pattern, key)
        if match:
            return name.format(*match.groups())
    return None


@dataclass(frozen=True)
class Table:
    """Where a table is in its sheet and how it is laid out: what check grades."""
    sheet: str
    header_row: int
    columns: dict  # {quantity: column letter}
    first_row: int
    last_row: int
    kind: str = "table"  # "table" (formulas), "pasted" (typed values) or "summary" (summaries.py)
    # The last row holds only the weights after the last update (and the inputs): nothing computed.
    last_row_weights_only: bool = False
    constants: dict = field(default_factory=dict)  # {input: cell} of inputs given once, beside the table
    warnings: tuple = ()  # what the layout shows that a learner should know (rows left out)

    def cell(self, quantity, row):
        """The cell of a quantity on a data row: its column's, or the one cell of an input given once."""
        if quantity in self.constants:
            return absolute(self.constants[quantity])
        return f"{self.columns[quantity]}{row}"


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _header_groups(row_cells):
    """[(column index, quantity)] of one row, split into tables: a table ends where a quantity
    it already has appears again (a second table beside it), or after MAX_GAP unnamed columns."""
    groups, current, last_col = [], {}, None
    for col, quantity in row_cells:
        if current and (quantity in current or col - last_col > MAX_GAP + 1):
            groups.append(current)
            current = {}
        current[quantity] = col
        last_col = col
    if current:
        groups.append(current)
    return [g for g in groups if len(g) >= MIN_HEADERS]


def _header_rows(cells):
    """{row: [{quantity: column index}]} of a sheet's header rows, one group per table on the row.
    A header may be written over two rows ("out" over "h1", "∂E_total" over "/∂w1"): a cell is read
    with the text above it where the two together name a quantity, and the table starts under it."""
    by_row = {}
    for cell, content in cells.items():
        letters, row = coordinate_from_string(cell)
        above = cells.get(f"{letters}{row - 1}")
        two_rows = quantity_of(f"{above} {content}") if isinstance(above, str) and isinstance(content, str) else None
        quantity = two_rows or quantity_of(content)
        if quantity:
            by_row.setdefault(row, []).append((column_index_from_string(letters), quantity))
    return {row: groups for row, found in by_row.items() if (groups := _header_groups(sorted(found)))}


def _next_header_row(header_row, columns, headers):
    """The first header row below a table's whose table shares any of its columns: where it ends."""
    columns = [column_index_from_string(c) for c in columns.values()]
    return min((row for row, groups in headers.items() if row > header_row
                and any(min(g.values()) <= max(columns) and max(g.values()) >= min(columns) for g in groups)),
               default=None)


def find(formulas, values, sheet=None, header_row=None, mapping=None):
    """Every table of the workbook. formulas: {sheet: {cell: content}} as typed (formulas as
    text); values: {sheet: rows} as an engine computed them. sheet, header_row, mapping
    ({quantity: letter}) override what cannot be found."""
    tables = []
    for name, cells in formulas.items():
        if sheet and name != sheet:
            continue
        headers = _header_rows(cells)
        for row in [header_row] if header_row else sorted(headers):
            groups = headers.get(row, [])
            if header_row and mapping and not groups:
                groups = [{}]
            for group in groups:
                columns = {q: get_column_letter(c) for q, c in group.items()}
                columns.update(mapping or {})
                first, last, weights_only, warnings = _data_rows(
                    row, columns, values[name], cells, _next_header_row(row, columns, headers))
                tables.append(Table(name, row, columns, first, last, _kind(columns, first, cells), weights_only,
                                    _constants(columns, cells, values[name]), warnings))
    return [t for t in tables if t.last_row >= t.first_row]


def _constants(columns, cells, rows):
    """{name: cell} of the inputs, targets and biases that the table has no column for, where a cell
    labelled with the name (i1, t2, b1, ...) has a number below it or right of it."""
    constants = {}
    for cell, content in cells.items():
        name = quantity_of(content)
        if name in ("i1", "i2", "t1", "t2", "b1", "b2") and name not in columns and name not in constants:
            letters, row = coordinate_from_string(cell)
            col = column_index_from_string(letters)
            for candidate in (f"{letters}{row + 1}", f"{get_column_letter(col + 1)}{row}"):
                if is_number(value(rows, candidate)):
                    constants[name] = candidate
                    break
    return constants


def _data_rows(header_row, columns, rows, cells, end=None):
    """(first row, last row, whether the last holds only weights, warnings) of the rows under the
    header that hold weights (numbers, formulas, or anything else typed there, which the grader
    reports): the table ends at the first row with no weight at all, or where another table's header
    row begins (end). Repeated trailing rows of typed values (a last row pasted several times) are
    reported and left out."""
    weights = [w for w in WEIGHTS if w in columns]
    row = first = header_row + 1
    while row != end and any(cells.get(f"{columns[w]}{row}") is not None for w in weights):
        row += 1
    last = row - 1

    def key(r):
        return [value(rows, f"{c}{r}") for c in columns.values()]

    def typed(r):
        return all(is_number(cells.get(f"{columns[w]}{r}")) for w in weights)
    repeated = last
    while (repeated > first and typed(repeated) and key(repeated) == key(repeated - 1)
           and all(is_number(x) for x in key(repeated))):
        repeated -= 1
    warnings = (f"rows {repeated + 1}-{last} repeat row {repeated}: left out",) if repeated < last else ()
    computed = [q for q in columns if q not in NEEDED]
    weights_only = repeated > first and all(cells.get(f"{columns[q]}{repeated}") is None for q in computed)
    return first, repeated, weights_only, warnings


def _kind(columns, first_row, cells):
    """"table" where most computed columns start with a formula, else "pasted"."""
    computed = [q for q in columns if q not in NEEDED]
    formulas = sum(isinstance(cells.get(f"{columns[q]}{first_row}"), str)
                   and cells[f"{columns[q]}{first_row}"].startswith("=") for q in computed)
    return "table" if formulas * 2 >= len(computed) else "pasted"


def absolute(cell):
    """G1 -> $G$1"""
    letters, row = coordinate_from_string(cell)
    return f"${letters}${row}"


def quantity_at(table, cell):
    """The quantity a cell of the table's data rows holds, or None for a cell outside them."""
    letters, row = coordinate_from_string(cell)
    names = [q for q, c in table.columns.items() if c == letters]
    return names[0] if names and table.first_row <= row <= table.last_row else None


def parse_map(items):
    """['w1=E', 'dE/dw1=X'] -> {'w1': 'E', 'dE_dw1': 'X'}; UsageError on a bad item."""
    mapping = {}
    for item in items or []:
        quantity, _, letter = item.partition("=")
        quantity = internal(quantity.strip())
        if quantity not in QUANTITIES or not re.fullmatch(r"[A-Za-z]{1,3}", letter.strip()):
            raise UsageError(f"--map takes QUANTITY=COLUMN such as w1=E or dE/dw1=X, got {item!r} "
                             f"(quantities: {' '.join(display(q) for q in QUANTITIES)})")
        mapping[quantity] = letter.strip().upper()
    return mapping
