"""Files written whole or not at all, and figures that a rebuild writes byte for byte again."""
import json
import os
import tempfile
from pathlib import Path


def write_atomically(path, write):
    """Call write(temporary path) and rename the result onto path, so that path is either
    the old file or the complete new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's files are private; a build's are not
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path, obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
    write_atomically(path, write)


def save_figure(fig, path, dpi=100):
    """A matplotlib figure as a PNG, atomically, and closed. No software version in the
    metadata, so that the same figure from another matplotlib is the same file."""
    import matplotlib.pyplot as plt

    write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None}))
    plt.close(fig)
