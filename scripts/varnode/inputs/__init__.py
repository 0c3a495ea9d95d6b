"""Start-up checks of the config, the sample sheet and the files they name (check-inputs)."""
