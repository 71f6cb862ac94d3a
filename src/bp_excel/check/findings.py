"""What check finds wrong in a column of a learner's table: a Finding, a record built whole in one
place, grading.Grader.finding (a table's columns and a summary's alike), and read by the report, the
gradebook and the annotated copy. Its likely mistake is a kind, a short stable identifier that
decisions and counts read (the gradebook counts a class's mistakes by kind), beside the sentence a
learner reads, which names the quantities of this table ("uses a_h1 where a_h2 belongs")."""
from dataclasses import asdict, dataclass

# Every kind of mistake check names, with the words a gradebook counts it under.
KINDS = {
    "wrong-neighbour": "uses a neighbour's quantity (a_h1 for a_h2, w6 for w7, i1 for i2, ...)",
    "missing-brackets": "missing brackets around δ_o1·w + δ_o2·w in a hidden weight's gradient",
    "leaves-out-term": "E_total leaves out E1 or E2",
    "missing-half": "E = (t − a)² without its ½",
    "wrong-sign": "the update's sign: w + lr·∂E_total/∂w climbs the error",
    "input-changes": "an input or target that changes down the table (a reference that moves)",
    "rate-moves": "the learning-rate reference moves down the table",
    "rate-in-table": "the updates' learning rate is a cell of the table, not the rate",
    "rate-not-a-number": "the updates' learning-rate cell holds text",
    "rate-empty": "the updates' learning-rate cell is empty",
    "stale-summary": "a summary column pasted from an older version of the table",
    "blank": "a cell left empty",
    "no-number": "text or an error value where a number belongs",
    "unrecognized": "a wrong formula of another kind (see its hint)",
}


@dataclass(frozen=True)
class Mistake:
    """The likely mistake of a wrong column: its kind (one of KINDS) and, for a learner, the sentence
    that names it in this table's quantities (None where check has no name for it: unrecognized)."""
    kind: str
    words: str | None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"no mistake kind {self.kind!r} (kinds: {', '.join(KINDS)})")


UNRECOGNIZED = Mistake("unrecognized", None)


@dataclass(frozen=True)
class Finding:
    """A wrong column: where it first goes wrong (its column's letter and row), the value found
    there (None: no number) and the one expected, the cell's formula, the likely mistake (kind and
    sentence), a hint that gives no answer away, the right formula in the sheet's own cells (shown
    only on request), how many rows are wrong, and, for a table's first wrong column, how far the
    mistake carries into E_total."""
    quantity: str  # as reports spell it: dE/dw1
    column: str
    first_row: int
    expected: float | None
    found: float | None
    formula: str | None
    kind: str  # of the likely mistake: one of KINDS
    mistake: str | None  # its sentence
    hint: str
    rows_wrong: int
    solution: str | None = None
    carries: str | None = None

    def __post_init__(self):
        Mistake(self.kind, self.mistake)  # a kind check knows

    @property
    def cell(self):
        return f"{self.column}{self.first_row}"

    def as_json(self, solutions=False):
        """The finding for --json: its fields, the right formula only with solutions."""
        out = asdict(self)
        if not solutions:
            del out["solution"]
        return out
