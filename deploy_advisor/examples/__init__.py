"""The bundled example requirements spec, shipped as package data for `quickstart`."""
