"""Where the Files tab's batch runs: on this computer, or on a Ray cluster at an address (the `cluster` extra)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from translator.cluster.address import ADDRESS_FORMS
from ui.settings import SettingsStore

_HERE, _CLUSTER = "This computer", "A Ray cluster at"


class ClusterChoice(QWidget):
    """ "Run on: This computer | A Ray cluster at [ADDRESS]"; `address()` is None for this computer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.where = QComboBox()
        self.where.addItems([_HERE, _CLUSTER])
        self.where.setAccessibleName("Where the files are translated")
        self.where.setToolTip(
            "A Ray cluster spreads the files over its workers, each with the models loaded once (needs Ray: "
            "pip install -e '.[cluster]'); the models must be at the same paths on every node"
        )
        self.address_field = QLineEdit()
        self.address_field.setAccessibleName("Ray cluster address")
        self.address_field.setPlaceholderText(ADDRESS_FORMS)
        self.address_field.setToolTip(
            "auto: the cluster Ray finds ($RAY_ADDRESS, or one started here with ray start --head); "
            "ray://HOST:PORT: a cluster's Ray Client address; local:N: N workers on this computer"
        )
        self.where.currentIndexChanged.connect(lambda _: self._enable_address())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Run on"))
        layout.addWidget(self.where)
        layout.addWidget(self.address_field)
        self._enable_address()

    def address(self) -> str | None:
        """The cluster address chosen ("auto" when the field is empty), or None for this computer."""
        if self.where.currentText() != _CLUSTER:
            return None
        return self.address_field.text().strip() or "auto"

    def restore(self, settings: SettingsStore) -> None:
        self.where.setCurrentText(_CLUSTER if settings.get("files/cluster", False) else _HERE)
        self.address_field.setText(settings.get("files/cluster_address", "local:2"))

    def save(self, settings: SettingsStore) -> None:
        settings.set("files/cluster", self.where.currentText() == _CLUSTER)
        settings.set("files/cluster_address", self.address_field.text().strip())

    def _enable_address(self) -> None:
        self.address_field.setEnabled(self.where.currentText() == _CLUSTER)
