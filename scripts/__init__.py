"""Developer and operator tooling: `python -m scripts.deploy` (deploy, destroy, package, ...)."""
