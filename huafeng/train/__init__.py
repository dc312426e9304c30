"""Training: the loop, checkpoints, distributed helpers and ONNX export.

Front doors: :func:`huafeng.train.loop.train`, :func:`huafeng.train.checkpoint.load_generator`
and :func:`huafeng.train.export.export_onnx`. Import the submodules directly; this package
``__init__`` stays empty so that importing one part does not pull in the others.
"""
