"""The desktop app: a PySide6 window over the `translator` core.

Widgets present; the core does the work off the GUI thread and its events reach widgets only through
`ui.bridge.CoreBridge`, as Qt signals.
"""
