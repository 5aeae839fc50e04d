"""Gradescope autograder archives: export an assignment, and grade inside Gradescope's container.

``archive.write_archive`` (the `autograder gradescope` command) writes the zip; in the container,
``setup.sh`` installs this package from the wheel inside it and ``run_autograder`` calls
``python -m autograder.gradescope.run``. See docs/GRADESCOPE.md.
"""
