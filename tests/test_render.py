"""Pictures of the sheets' first screens, printed by a real LibreOffice."""
import numpy as np
import pytest
from PIL import Image

from bp_excel.cli import main

pytestmark = pytest.mark.usefixtures("libreoffice", "pdftoppm")


def test_render_writes_one_picture_per_sheet_with_something_on_it(tmp_path, capsys):
    path = tmp_path / "w.xlsx"
    assert main(["build", "--lr", "0.5", "2", "--iterations", "20", "--out", str(path)]) == 0
    assert main(["render", str(path), "--out", str(tmp_path / "screens")]) == 0
    names = sorted(p.name for p in (tmp_path / "screens").iterdir())
    assert names == ["lr-0.5.png", "lr-2.png", "start-here.png", "summary.png"]
    for name in names:
        with Image.open(tmp_path / "screens" / name) as image:
            pixels = np.asarray(image.convert("L"))
        assert pixels.shape[0] > 500 and pixels.shape[1] > 500
        assert (pixels < 128).mean() > 0.005, name  # text and lines, not a blank page
        # The start-here sheet's picture and inputs are coloured; so is each chart's curve.
        with Image.open(tmp_path / "screens" / name) as image:
            rgb = np.asarray(image.convert("RGB")).astype(int)
        assert (rgb.max(axis=2) - rgb.min(axis=2) > 60).mean() > 0.001, name
