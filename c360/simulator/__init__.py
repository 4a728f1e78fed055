"""The silo simulator: writes data as contracts/SOURCES.md specifies, plus the truth file."""
