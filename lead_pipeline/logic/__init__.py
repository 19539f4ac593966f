"""Plain-Python decision logic, free of the ORM, so it reads and tests alone."""
