"""Edge deployment: export to ONNX, check parity, quantise, bundle and bench on limits."""
