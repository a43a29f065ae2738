"""Which models to use and where they come from.

Imports run one way, from the bottom up: `catalog` (the catalog file and its types) and `planning`
(profiles, hardware, whole chains, sizes) know nothing of the disk; `installed` (a model folder, its
manifest and checks), `hub` (downloads) and `importing` (imports and verification) build on them;
`store` (`ModelStore`, the one object callers hold) uses those; `choice` (which models a session
loads) uses the store. `loading` turns chosen paths into loaded stages; `convert` and `demo` make models.
"""
