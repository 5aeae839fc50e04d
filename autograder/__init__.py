"""Autograder for deep-learning fundamentals in NumPy."""

__version__ = "0.1.0"
