"""exam-desktop: proctored exams on university lab machines."""

__version__ = "0.1.0"
