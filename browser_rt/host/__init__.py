"""Adapters to the outside world: the Pyodide fetch bridge and the page/worker embedding."""
