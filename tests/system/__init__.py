"""System tests: the course in JupyterLab in a real browser, the nbgrader exchange with real users, JupyterHub.

A package, so that this folder's ``conftest.py`` does not shadow ``tests/conftest.py``.
"""
