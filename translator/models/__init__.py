"""Which models to use and where they come from: catalog, store, downloads, choice, loading, demo models."""
