"""Federation: what may leave a node (aggregate export, privacy floors, egress check) and
how a hub combines the exports of several nodes (merge)."""
