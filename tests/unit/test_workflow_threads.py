"""A job's thread pools follow the threads its rule declares (brainlike.workflow.use_threads)."""

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from brainlike.workflow import use_threads
if sys.argv[2] == "before":
    import numpy, torch
use_threads(int(sys.argv[1]))
import numpy, torch
from threadpoolctl import threadpool_info
print(json.dumps({"torch": torch.get_num_threads(),
                  "blas": [p["num_threads"] for p in threadpool_info()
                           if p["user_api"] == "blas"]}))
"""


# Raising the count is checked with torch loaded first: a torch started later caps
# OMP_NUM_THREADS at the core count, and Snakemake never grants more threads than cores.
@pytest.mark.parametrize("threads,torch_loaded", [(1, "before"), (3, "before"), (1, "after")])
def test_use_threads_caps_torch_and_blas(threads, torch_loaded):
    # A fresh interpreter: the limits are process-wide and must not leak into other tests.
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE, str(threads), torch_loaded], env=env,
                         capture_output=True, text=True, check=True).stdout
    pools = json.loads(out.strip().splitlines()[-1])
    assert pools["torch"] == threads
    assert pools["blas"], "numpy's BLAS was not found by threadpoolctl"
    assert set(pools["blas"]) == {threads}
