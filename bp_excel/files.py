"""Files appear whole or not at all."""
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
