"""3GPP cell search (LTE and NR): sync signals to a cell identity, the broadcast channel to a
decoded MIB. A second opinion beside the neural classifier; no GNU Radio here."""

from .cell import Cell

__all__ = ["Cell"]
