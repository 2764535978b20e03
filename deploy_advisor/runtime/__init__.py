"""The model server (ASGI app, micro-batcher, process runner) and the model loader.

Self-contained on purpose: scaffolds copy this package verbatim as ``model_server/``, so it
imports only the standard library, its own modules (relative imports), numpy, orjson and
uvicorn, plus scikit-learn/joblib or onnxruntime as the model needs. It never imports
``deploy_advisor``.
"""
