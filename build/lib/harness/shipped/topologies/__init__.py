"""Topologies, target examples, sizing designs, image build contexts and configuration templates (data)."""
