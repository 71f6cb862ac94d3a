"""What check says of each workbook: one line each for a class, the details for one, and the exit status."""
import math


def check_status(reports):
    """The exit status: 2 where a file was refused, else 3 where one could not be graded, else 1
    where a table is wrong, else 0: 1 means a wrong table and nothing else."""
    if any("error" in r for r in reports):
        return 2
    if any("not_graded" in r for r in reports):
        return 3
    return 0 if all(r["ok"] for r in reports) else 1


def _number(x, missing="no number (an error, text or nothing)"):
    if x is None:
        return missing
    return f"{x:.6g}" if isinstance(x, float) and math.isfinite(x) else str(x)


def first_wrong(report):
    """(table, finding) of a wrong workbook's first wrong column: its first wrong table's first."""
    return next((t, f) for t in report["tables"] for f in t["wrong"][:1])


def summary_line(report):
    """One line for a workbook: OK, or its first wrong quantity, column and row."""
    if "error" in report:
        return f"{report['file']}: REFUSED: {report['error']}"
    if "not_graded" in report:
        return f"{report['file']}: NOT GRADED: {report['not_graded']}"
    if report["ok"]:
        return f"{report['file']}: OK ({len(report['tables'])} table{'s' * (len(report['tables']) > 1)})"
    table, finding = first_wrong(report)
    return (f"{report['file']}: WRONG: sheet {table['sheet']!r}: {finding.quantity} (column {finding.column}) "
            f"from row {finding.first_row}" + (f": {finding.mistake}" if finding.mistake else ""))


def linked_line(report):
    """The note, in a list, of how many formulas reached another workbook and were graded from their
    saved values; [] where the workbook links to none. A class's summary line gets it too."""
    linked = report.get("linked")
    if not linked:
        return []
    n, books = linked["formulas"], ", ".join(linked["books"]) or "not named"
    if n == 0:  # a link left by copying sheets, which no formula uses any more
        return [f"  note: it links to another workbook ({books}), which none of its formulas uses; the link was "
                "not followed"]
    return [f"  note: {n} formula{'s' * (n != 1)} reached another workbook ({books}) and {'was' if n == 1 else 'were'} "
            f"graded from {'its' if n == 1 else 'their'} saved value{'s' * (n != 1)}; the link was not followed"]


def details(report, solutions=False):
    """The lines a learner reads for one workbook: where each column goes wrong and a hint; the
    right formula in the sheet's own cells only with solutions (a teacher's, or a learner's who has
    given up: an exercise is over once its answer is printed)."""
    if "error" in report or "not_graded" in report:
        return [summary_line(report)]
    lines = [summary_line(report), *linked_line(report)] + [f"  note: {line}" for line in report.get("removed", [])]
    for t in report["tables"]:
        lines.append(f"  {table_line(t)}")
        for f in t["wrong"]:
            first, *rest = finding_lines(f, solutions)
            lines += [f"    {first}"] + [f"      {line}" for line in rest]
        for w in t["warnings"]:
            lines.append(f"    warning: {w}")
    return lines


def table_line(t):
    """Where a table is, its learning rate (a summary's: one per column), and whether it is right."""
    lr = "a learning rate per column" if t["kind"] == "summary" else (
        f"learning rate {_number(t['learning_rate'], 'not found')}"
        + (f" from {t['learning_rate_cell']}" if t["learning_rate_cell"] else ""))
    return (f"sheet {t['sheet']!r}, header row {t['header_row']}, rows {t['first_row']}-{t['last_row']} "
            f"({t['kind']}), {lr}: {'OK' if t['ok'] else 'WRONG'}")


def finding_lines(f, solutions=False):
    """A wrong column: where it goes wrong, then what the learner reads of it (the found and
    expected values, its formula, the likely mistake, a hint; the answer only with solutions)."""
    lines = [f"{f.quantity} (column {f.column}) is wrong from row {f.first_row}: "
             f"found {_number(f.found)}, expected {_number(f.expected, 'a number')}"]
    if f.formula:
        lines.append(f"its formula: {f.formula}")
    if f.mistake:
        lines.append(f"likely mistake: {f.mistake}")
    lines.append(f.hint)
    if solutions and f.solution:
        lines.append(f"the answer: {f.solution}")
    if f.carries:
        lines.append(f"how far it carries: {f.carries}")
    return lines


def for_json(report, solutions=False):
    """A workbook's record for --json: each finding as its fields (Finding.as_json), the right formula
    only with solutions."""
    tables = [{**t, "wrong": [f.as_json(solutions) for f in t["wrong"]]} for t in report.get("tables", [])]
    return {**report, "tables": tables} if "tables" in report else report
