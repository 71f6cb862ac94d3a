"""python -m bp_excel build | verify | check | render | open"""
import json
import sys

from bp_excel import layout, settings
from bp_excel.build import xlsx
from bp_excel.build.plots import save_plots
from bp_excel.build.workbook import build
from bp_excel.check import annotate, gradebook, tables
from bp_excel.check.checker import check as check_workbooks
from bp_excel.check.report import check_status, details, for_json, linked_line, summary_line
from bp_excel.formulas import evaluator, parser
from bp_excel.network import Network
from bp_excel.verify import reference
from bp_excel.verify.compare import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, check
from bp_excel.verify.render import render
from labkit import desktop, engines, formats
from labkit.cli import Parser, UsageError, bounded, cell, command, finite, output_file, positive

DEFAULT_TIMEOUT_S = 120
DEFAULT_SCREENS = settings.DEFAULT_OUT.parent / "screens"
MAX_FAILURES_SHOWN = 20


def _numbers(values):
    return " ".join(f"{x:g}" for x in values)


MAX_TIMEOUT_S = 24 * 3600


def _add_timeout(p, what):
    p.add_argument("--timeout", type=bounded(float, 0.1, MAX_TIMEOUT_S), default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                   help=f"give up on {what} (default {DEFAULT_TIMEOUT_S})")


def _add_build(commands):
    b = commands.add_parser("build", help="write the workbook and its PNG error curves",
                            description="Write the workbook (one sheet and chart per learning rate, "
                                        "a summary sheet) and PNGs of the E_total curves beside it.")
    classic = Network()
    b.add_argument("--lr", type=finite, nargs="+", metavar="LR",
                   help=f"learning rates, one sheet each (default: {_numbers(settings.DEFAULT_LEARNING_RATES)})")
    b.add_argument("--iterations", type=int, metavar="N",
                   help=f"weight updates: rows for iterations 0..N (default {settings.DEFAULT_ITERATIONS}, "
                        f"at most {settings.MAX_ITERATIONS})")
    b.add_argument("--inputs", type=finite, nargs="+", metavar=("I1", "I2"),
                   help=f"inputs (default {_numbers(classic.inputs)})")
    b.add_argument("--targets", type=finite, nargs="+", metavar=("T1", "T2"),
                   help=f"targets (default {_numbers(classic.targets)})")
    b.add_argument("--weights", type=finite, nargs="+", metavar="W",
                   help=f"initial w1..w8 (default {_numbers(classic.weights)})")
    b.add_argument("--biases", type=finite, nargs="+", metavar=("B1", "B2"),
                   help=f"hidden and output biases, held fixed (default {_numbers(classic.biases)})")
    b.add_argument("--out", metavar="PATH", help=f"workbook to write (default {settings.DEFAULT_OUT}; "
                                                 f"with --exercise {settings.DEFAULT_EXERCISE_OUT})")
    b.add_argument("--exercise", action="store_true", default=None,
                   help="leave the backward pass (the tables' error signals and gradients, the start-here sheet's "
                        "chain rule) blank and shaded for the learner, its equations shown above it; "
                        "`check` grades it once filled in")
    b.add_argument("--config", metavar="FILE.toml", help="TOML file with any of the keys: "
                   + ", ".join(settings.KEYS) + " (flags take precedence)")


def _add_verify(commands):
    v = commands.add_parser("verify", help="recalculate in a spreadsheet engine and compare with NumPy",
                            description="Recalculate every cell in a real spreadsheet engine and compare each "
                                        f"computed cell with the NumPy reference: a cell passes within {RELATIVE_TOLERANCE:g} of its "
                                        f"value (near zero, of its column's largest magnitude) or within "
                                        f"{ABSOLUTE_TOLERANCE:g} absolute. Exit 1 on a mismatch.")
    v.add_argument("workbook", help="the .xlsx to verify")
    v.add_argument("--engine", choices=["auto", "all", *engines.NAMES], default="auto",
                   help="auto: the first found of LibreOffice, Gnumeric, Excel through xlwings; "
                        "all: every one found, each compared with NumPy")
    _add_timeout(v, "an engine that takes longer")
    v.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def _add_check(commands):
    c = commands.add_parser("check", help="grade hand-made backpropagation workbooks: where does each go wrong?",
                            description="Find the backpropagation tables in each workbook, recalculate them in "
                                        "LibreOffice, and check every column against the seed's equations row by "
                                        "row and the whole table against the NumPy reference. Exit 0 when every "
                                        "table is right, 1 when one is wrong (and nothing else), 2 for a file refused "
                                        "or bad usage, 3 for a file that could not be graded (LibreOffice failed or "
                                        "ran out of time on it, or an unforeseen error).")
    c.add_argument("workbooks", nargs="+", metavar="BOOK", help="workbooks (.xlsx, .ods, .xls), e.g. submissions/*")
    c.add_argument("--sheet", help="only this sheet")
    c.add_argument("--header-row", type=positive(int), metavar="N", help="the table's header row, where it is not found")
    c.add_argument("--map", nargs="+", default=[], metavar="QUANTITY=COLUMN",
                   help="columns that the headers do not name, e.g. w1=E dE/dw1=X")
    rate = c.add_mutually_exclusive_group()
    rate.add_argument("--lr", type=positive(float), help="the learning rate, where the sheet does not say it")
    rate.add_argument("--lr-cell", type=cell, metavar="CELL", help="the cell that holds the learning rate, e.g. G1")
    c.add_argument("--engine", choices=["libreoffice"], default="libreoffice", help="the engine that recalculates")
    _add_timeout(c, "LibreOffice after this long, for all the workbooks together and again for each on its own")
    c.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    c.add_argument("--solutions", action="store_true",
                   help="also give each wrong cell's right formula (by default: where it goes wrong, and a hint)")
    c.add_argument("--gradebook", type=output_file(*gradebook.SUFFIXES), metavar="GRADES.xlsx|GRADES.csv",
                   help="also write a row per workbook (those who need help first) to this .xlsx or .csv; the "
                        ".xlsx counts each kind of mistake across the class, with a chart")
    c.add_argument("--annotate", metavar="FOLDER", help="also write each graded workbook's copy into FOLDER: each wrong "
                   "column's first wrong cell marked (a red fill, a note) and a Feedback sheet in front; "
                   "an .ods or .xls gets an .xlsx copy")


def _add_render(commands):
    r = commands.add_parser("render", help="PNG pictures of each sheet's first screen (LibreOffice, pdftoppm)",
                            description="Print each sheet's first screen (the start-here sheet whole) to PDF with "
                                        "LibreOffice and turn the pages into PNGs with poppler's pdftoppm.")
    r.add_argument("workbook", nargs="?", default=str(settings.DEFAULT_OUT),
                   help=f"the .xlsx to render (default {settings.DEFAULT_OUT})")
    r.add_argument("--out", default=str(DEFAULT_SCREENS), metavar="FOLDER",
                   help=f"folder for the PNGs (default {DEFAULT_SCREENS})")
    _add_timeout(r, "LibreOffice after this long")


def parse_args(argv):
    p = Parser(prog="bp_excel", description="Backpropagation, step by step, in a live Excel workbook.")
    commands = p.add_subparsers(dest="command", required=True, metavar="{build,verify,check,render,open}")
    for add in (_add_build, _add_verify, _add_check, _add_render):
        add(commands)
    commands.add_parser("open", help="open the workbook in Excel or LibreOffice").add_argument("workbook")
    return p.parse_args(argv)


def run_build(args):
    given = settings.load_config(args.config) if args.config else {}
    given.update({key: getattr(args, key) for key in settings.KEYS if getattr(args, key) is not None})
    config = settings.resolve(given)
    sheets = {layout.sheet_name(lr): lr for lr in config.learning_rates}
    reference.trained(config.network, sheets, config.iterations)  # a UsageError where a sheet overflows
    wb = build(config)
    try:
        results = evaluator.evaluate_workbook(wb)
    except parser.FormulaError as e:
        raise UsageError(f"the workbook cannot be computed: {e}")
    column = layout.COLUMN_LETTER["E_total"]
    curves = {lr: [results[sheet][f"{column}{layout.row_of(k)}"] for k in range(config.iterations + 1)]
              for sheet, lr in sheets.items()}
    try:
        config.out.parent.mkdir(parents=True, exist_ok=True)
        xlsx.save(wb, config.out, results)
    except OSError as e:
        raise UsageError(f"cannot write {config.out}: {e.strerror or e}")
    try:
        pngs = save_plots(curves, config.out.with_suffix(""))
    except OSError as e:
        raise UsageError(f"wrote {config.out}, but cannot write its PNGs beside it: {e.strerror or e}")
    formulas = sum(len(cells) for cells in results.values())
    print(f"wrote {config.out}: {len(config.learning_rates)} learning-rate sheets, "
          f"iterations 0..{config.iterations}, {formulas:,} formulas")
    for lr, e_total in curves.items():
        print(f"  lr {lr:<8g} E_total {e_total[0]:.6e} -> {e_total[-1]:.6e}")
    print("wrote " + ", ".join(str(p) for p in pngs))
    return 0


def _fmt(x):
    return f"{x:.2e}"


def _print_table(path, engine, results):
    print(f"{path}, recalculated by {engines.NAMES[engine]}, against NumPy float64:")
    print(f"  {'sheet':<14}{'lr':>8}{'cells':>10}{'max abs error':>16}{'max rel error':>16}")
    for r in results:
        lr = f"{r.learning_rate:g}" if r.learning_rate is not None else ""
        print(f"  {r.sheet:<14}{lr:>8}{r.cells_compared:>10,}{_fmt(r.max_abs_error):>16}{_fmt(r.max_rel_error):>16}")
    failures = sum(len(r.failures) for r in results)
    verdict = "OK" if not failures else f"{failures:,} FAILED"
    print(f"{sum(r.cells_compared for r in results):,} computed cells, tolerance {RELATIVE_TOLERANCE:g} relative "
          f"({ABSOLUTE_TOLERANCE:g} absolute): {verdict}")


def run_verify(args):
    path = formats.xlsx_workbook(args.workbook)
    reports, failures = [], []
    for engine in engines.choose(args.engine):
        results = check(engines.recalculate(path, engine, args.timeout))
        failures += [f"{engines.NAMES[engine]}: {f}" for r in results for f in r.failures]
        reports.append((engine, results))
    if args.json:
        print(json.dumps({"engines": [
            {"engine": engines.NAMES[engine], "ok": not any(r.failures for r in results),
             "cells_compared": sum(r.cells_compared for r in results),
             "sheets": [r.as_json() for r in results]} for engine, results in reports]}))
    else:
        for engine, results in reports:
            _print_table(path, engine, results)
    for failure in failures[:MAX_FAILURES_SHOWN]:
        print(f"mismatch: {failure}", file=sys.stderr)
    return 1 if failures else 0


def run_check(args):
    folder = annotate.prepare(args.annotate, args.workbooks) if args.annotate else None
    reports = check_workbooks(args.workbooks, args.timeout, args.sheet, args.header_row, tables.parse_map(args.map),
                          args.lr, args.lr_cell)
    if args.json:
        print(json.dumps({"workbooks": [for_json(r, args.solutions) for r in reports]}))
    for report in reports:
        if "error" in report:
            print(f"bp_excel check: error: {report['error']}", file=sys.stderr)
        elif "not_graded" in report:
            print(f"bp_excel check: {report['file']} not graded: {report['not_graded']}", file=sys.stderr)
        elif not args.json:
            print("\n".join(details(report, args.solutions) if len(reports) == 1
                            else [summary_line(report), *linked_line(report)]))
    if args.gradebook:
        gradebook.write(args.gradebook, reports)
        print(f"wrote {args.gradebook}: {gradebook.tally(reports)}", file=sys.stderr if args.json else sys.stdout)
    if folder:
        written = annotate.write(reports, folder, args.solutions, args.timeout)
        print("\n".join(written), file=sys.stderr if args.json else sys.stdout)
    return check_status(reports)


def run_render(args):
    try:
        paths = render(formats.xlsx_workbook(args.workbook), args.out, args.timeout)
    except OSError as e:
        raise UsageError(f"cannot write {e.filename or args.out}: {e.strerror or e}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def run_open(args):
    path = formats.xlsx_workbook(args.workbook)
    print(f"opening {path} in {desktop.open_in_spreadsheet(path)}")
    return 0


def main(argv=None):
    args = parse_args(argv)
    run = {"build": run_build, "verify": run_verify, "check": run_check, "render": run_render,
           "open": run_open}[args.command]
    return command(f"bp_excel {args.command}")(run)(args)
