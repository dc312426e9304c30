"""The web service and page (FastAPI). Torch-free by contract: it only runs ONNX models."""
