"""What the Snakefile runs around the jobs: live-run guard, end-of-run summary."""
