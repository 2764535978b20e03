"""One module per model format; each turns a file (or a loaded object) into a `LoadedModel`."""
