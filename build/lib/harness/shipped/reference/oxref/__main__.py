"""`python3 -m oxref`: start one middleware node."""

from oxref.app import main

main()
