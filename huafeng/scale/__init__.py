"""Beyond one machine: batch stylization of large collections on Ray Data (``huafeng batch``).

Needs the ``[scale]`` extra (ray[data], pyarrow, fsspec). Torch-free, like ``infer/``: a
cluster that only stylizes never installs PyTorch. Multi-GPU *training* lives in
:mod:`huafeng.train.distributed` (torchrun); both are described in ``docs/scale.md``.
"""

from huafeng.scale.batch import BatchCfg, BatchReport, run_batch

__all__ = ["BatchCfg", "BatchReport", "run_batch"]
