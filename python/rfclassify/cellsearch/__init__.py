"""3GPP cell search (LTE and NR): sync signals to a cell identity, the broadcast channel to a
decoded MIB. A second opinion beside the neural classifier; no GNU Radio here."""

from .cell import Cell
from .lte_search import search_lte
from .nr_search import search_nr

__all__ = ["Cell", "search_lte", "search_nr"]
