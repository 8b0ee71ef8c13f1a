"""oxref: the reference OX-compatible middleware node that ox-harness qualifies in CI."""
