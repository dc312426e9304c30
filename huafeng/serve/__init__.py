"""The web service and page (FastAPI). Torch-free by contract: it only runs ONNX models.

Front door: ``huafeng.serve.app.create_app(ServeSettings(...)) -> FastAPI`` (``huafeng serve``
runs it under uvicorn). Modules, outside in: ``app`` (guards, errors, page), ``api`` and
``extras_api`` (routes), ``service`` (pool, thumbnails, job threads), ``jobs`` (stories, videos),
``pool`` (bounded workers), ``store`` (SQLite WAL + content-addressed files), ``uploads``
(body cap, content sniffing), ``metrics`` (Prometheus), ``settings``. See docs/service.md.
"""
