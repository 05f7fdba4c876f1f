"""Instructor-only tools: reference solutions, hidden checks and grading.

Never shipped to students: ``course/`` is the package they import.
"""
