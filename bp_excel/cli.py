"""python -m bp_excel build | verify | open"""
import argparse
import json
import math
import sys
import zipfile
from pathlib import Path

from . import engines, layout, settings
from .errors import UsageError
from .network import train
from .plots import save_plots
from .verify import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, check
from .workbook import build, save

DEFAULT_TIMEOUT_S = 120
MAX_FAILURES_SHOWN = 20


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not argparse's usage block: the line says what to fix.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args(argv):
    parser = Parser(prog="bp_excel", description="Backpropagation, step by step, in a live Excel workbook.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,verify,open}")

    b = commands.add_parser("build", help="write the workbook and its PNG error curves",
                            description="Write the workbook (one sheet and chart per learning rate, "
                                        "a summary sheet) and PNGs of the E_total curves beside it.")
    b.add_argument("--lr", type=float, nargs="+", metavar="LR",
                   help=f"learning rates, one sheet each (default: {' '.join(f'{x:g}' for x in settings.DEFAULT_LEARNING_RATES)})")
    b.add_argument("--iterations", type=int, metavar="N",
                   help=f"weight updates: rows for iterations 0..N (default {settings.DEFAULT_ITERATIONS}, "
                        f"at most {settings.MAX_ITERATIONS})")
    b.add_argument("--inputs", type=float, nargs="+", metavar=("I1", "I2"), help="inputs (default 0.05 0.1)")
    b.add_argument("--targets", type=float, nargs="+", metavar=("T1", "T2"), help="targets (default 0.5 0.5)")
    b.add_argument("--weights", type=float, nargs="+", metavar="W",
                   help="initial w1..w8 (default 0.15 0.2 0.25 0.3 0.4 0.45 0.5 0.55)")
    b.add_argument("--biases", type=float, nargs="+", metavar=("B1", "B2"),
                   help="hidden and output biases, held fixed (default 0 0)")
    b.add_argument("--out", metavar="PATH", help=f"workbook to write (default {settings.DEFAULT_OUT})")
    b.add_argument("--config", metavar="FILE.toml", help="TOML file with any of the keys: "
                   + ", ".join(settings.KEYS) + " (flags take precedence)")

    v = commands.add_parser("verify", help="recalculate in a spreadsheet engine and compare with NumPy",
                            description="Recalculate every cell in a real spreadsheet engine and compare each "
                                        f"computed cell with the NumPy reference: a cell passes within {RELATIVE_TOLERANCE:g} of its "
                                        f"value (near zero, of its column's largest magnitude) or within "
                                        f"{ABSOLUTE_TOLERANCE:g} absolute. Exit 1 on a mismatch.")
    v.add_argument("workbook", help="the .xlsx to verify")
    v.add_argument("--engine", choices=["auto", "libreoffice", "excel"], default="auto",
                   help="auto: LibreOffice where installed, else Excel through xlwings")
    v.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                   help=f"give up on an engine that takes longer (default {DEFAULT_TIMEOUT_S})")
    v.add_argument("--json", action="store_true", help="print one JSON object instead of the table")

    o = commands.add_parser("open", help="open the workbook in Excel or LibreOffice")
    o.add_argument("workbook")
    return parser.parse_args(argv)


def run_build(args):
    given = settings.load_config(args.config) if args.config else {}
    given.update({key: getattr(args, key) for key in settings.KEYS if getattr(args, key) is not None})
    config = settings.resolve(given)
    try:
        config.out.parent.mkdir(parents=True, exist_ok=True)
        save(build(config), config.out)
        curves = {lr: train(config.network, lr, config.iterations)["E_total"] for lr in config.learning_rates}
        pngs = save_plots(curves, config.out.with_suffix(""))
    except OSError as e:
        raise UsageError(f"cannot write {config.out}: {e.strerror or e}")
    formulas = len(config.learning_rates) * (config.iterations + 1) * (len(layout.COLUMNS) - 1)
    print(f"wrote {config.out}: {len(config.learning_rates)} learning-rate sheets, "
          f"iterations 0..{config.iterations}, {formulas:,} formulas")
    for lr, e_total in curves.items():
        print(f"  lr {lr:<8g} E_total {e_total[0]:.6e} -> {e_total[-1]:.6e}")
    print("wrote " + ", ".join(str(p) for p in pngs))
    return 0


def _check_workbook_file(path):
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if not zipfile.is_zipfile(path) or "xl/workbook.xml" not in zipfile.ZipFile(path).namelist():
        raise UsageError(f"{path} is not an .xlsx workbook")
    return path


def _fmt(x):
    return f"{x:.2e}"


def run_verify(args):
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    path = _check_workbook_file(args.workbook)
    engine = engines.choose(args.engine)
    sheets, summary = check(engines.recalculate(path, engine, args.timeout))
    failures = [f for result in sheets + [summary] for f in result.failures]
    if args.json:
        print(json.dumps({"engine": engines.engine_name(engine), "sheets": [s.as_json() for s in sheets],
                          "summary": {key: value for key, value in summary.as_json().items()
                                      if key in ("cells_compared", "max_abs_error", "max_rel_error")}}))
    else:
        print(f"{path}, recalculated by {engines.engine_name(engine)}, against NumPy float64:")
        print(f"  {'sheet':<14}{'lr':>8}{'cells':>10}{'max abs error':>16}{'max rel error':>16}")
        for r in sheets + [summary]:
            lr = f"{r.learning_rate:g}" if r.learning_rate is not None else ""
            print(f"  {r.sheet:<14}{lr:>8}{r.cells_compared:>10,}{_fmt(r.max_abs_error):>16}{_fmt(r.max_rel_error):>16}")
        total = sum(r.cells_compared for r in sheets + [summary])
        verdict = "OK" if not failures else f"{len(failures):,} FAILED"
        print(f"{total:,} computed cells, tolerance {RELATIVE_TOLERANCE:g} relative "
              f"({ABSOLUTE_TOLERANCE:g} absolute): {verdict}")
    for failure in failures[:MAX_FAILURES_SHOWN]:
        print(f"mismatch: {failure}", file=sys.stderr)
    return 1 if failures else 0


def run_open(args):
    path = _check_workbook_file(args.workbook)
    print(f"opening {path} in {engines.open_in_spreadsheet(path)}")
    return 0


def main(argv=None):
    args = parse_args(argv)
    command = {"build": run_build, "verify": run_verify, "open": run_open}[args.command]
    try:
        return command(args)
    except UsageError as e:
        print(f"bp_excel {args.command}: error: {e}", file=sys.stderr)
        return 2
