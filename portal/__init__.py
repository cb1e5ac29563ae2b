"""The ``portal`` command: the top layer, wiring the build core, the deploy and the local system."""
