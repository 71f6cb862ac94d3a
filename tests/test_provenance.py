"""What a result records of the machine that made it: the CPU's model and its vector extensions,
as lscpu (util-linux, independent of this code) reports them."""
import shutil
import subprocess

import pytest

from labkit import provenance


@pytest.mark.skipif(not shutil.which("lscpu"), reason="no lscpu: not Linux")
def test_the_cpu_record_is_what_lscpu_says():
    lscpu = dict(line.split(":", 1) for line in subprocess.run(["lscpu"], capture_output=True, text=True,
                                                              env={"LC_ALL": "C"}).stdout.splitlines() if ":" in line)
    lscpu = {key.strip(): value.strip() for key, value in lscpu.items()}
    flags = lscpu["Flags"].split()
    cpu = provenance.cpu()
    assert cpu["model"] == lscpu["Model name"]
    assert ("AVX2" in cpu["extensions"]) == ("avx2" in flags)
    assert ("AVX-512" in cpu["extensions"]) == ("avx512f" in flags)
    assert ("AMX" in cpu["extensions"]) == ("amx_tile" in flags)
    assert 1 <= cpu["cores"] <= int(lscpu["CPU(s)"])
