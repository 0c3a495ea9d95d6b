"""What ran: run metadata, Workflow Run RO-Crate, job records, timings, verification."""
