"""Federation: what may leave a node (aggregate export, privacy floors, egress check), how
a hub combines the exports of several nodes (merge), how a node is discovered (Beacon v2,
BFF) and who may see what (GA4GH Passport visas)."""
