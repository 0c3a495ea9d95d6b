"""varnode: germline variant analysis for federated genomic data nodes."""

__version__ = "0.1.0"
