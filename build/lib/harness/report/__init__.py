"""Run folders: results.json, JUnit XML and a self-contained HTML report organised by requirement."""
