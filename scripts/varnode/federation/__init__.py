"""Federation: what a node shares (aggregate export), how it is discovered (Beacon v2,
BFF) and who may see what (GA4GH Passport visas)."""
