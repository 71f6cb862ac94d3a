"""docs/architecture.md's picture holds every import arrow between the parts of src/, and no other."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src"
SUBPACKAGES = ["bp_excel.build", "bp_excel.verify", "bp_excel.check", "bp_excel.formulas", "mnist_keras.bench",
               "mnist_keras.reports", "mnist_keras.sweep", "mnist_keras.design"]
# The modules drawn as each package's commands: they sit above its subpackages.
COMMANDS = {"bp_excel.cli", "bp_excel.__main__", "mnist_keras.train", "mnist_keras.evaluate", "mnist_keras.results",
            "mnist_keras.training_loop", "mnist_keras.design.cli", "mnist_keras.design.__main__"}


def part(module):
    if module in COMMANDS:
        return module.split(".")[0] + " commands"
    found = [sub for sub in SUBPACKAGES if module == sub or module.startswith(sub + ".")]
    top = module.split(".")[0]
    return found[0] if found else top if top in ("labkit", "bp_excel", "mnist_keras") else None


def imported(node):
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [alias.name for alias in node.names] if isinstance(node, ast.Import) else []


def code_arrows():
    arrows = set()
    for file in SRC.rglob("*.py"):
        source = part(".".join(file.relative_to(SRC).with_suffix("").parts))
        for node in ast.walk(ast.parse(file.read_text())):
            # A module named in "from PACKAGE import module" counts as that module's part.
            names = imported(node)
            targets = {part(name) for name in names[1:]} if isinstance(node, ast.ImportFrom) else set()
            targets = {t for t in targets if t} or {part(name) for name in names[:1]}
            arrows |= {(source, target) for target in targets if target and target != source}
    return arrows


def drawn_arrows():
    text = (ROOT / "docs" / "architecture.md").read_text()
    labels = dict(re.findall(r'^\s*(\w+)\["([^"]+)"\]\s*$', text, re.M))
    return {(labels[a], labels[b]) for a, b in re.findall(r"^\s*(\w+) --> (\w+)\s*$", text, re.M)}


def test_the_picture_shows_every_import_between_parts_and_no_other():
    assert code_arrows() == drawn_arrows()


def test_no_module_imports_from_a_part_above_it():
    # labkit is shared by both packages and imports neither; neither package imports the other.
    arrows = code_arrows()
    assert not [a for a in arrows if a[0] == "labkit"]
    assert not [a for a in arrows if {a[0].split(" ")[0].split(".")[0], a[1].split(" ")[0].split(".")[0]}
                == {"bp_excel", "mnist_keras"}]
