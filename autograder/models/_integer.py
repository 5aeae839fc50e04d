"""The values the models' Integer columns (ids, seeds) hold: 32 bits on PostgreSQL, the narrower database.

A number outside the range names no row; passed to a driver it may overflow (a 500), so the web
and the services test it first.
"""

INTEGER_RANGE = range(-(2**31), 2**31)
