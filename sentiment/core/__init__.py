"""What every deployment unit shares (standard library only): names and paths, errors, atomic file writes,
command-line helpers and markdown tables."""
