"""`python3 -m oxref`: start one middleware node (its supervisor and worker processes)."""

from oxref.workers import main

main()
