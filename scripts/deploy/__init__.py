"""One command per operator task: `python -m scripts.deploy deploy|destroy|package|channels|...`.

The Makefile's deploy, destroy, package and channels targets call it; README "Deploying".
"""
