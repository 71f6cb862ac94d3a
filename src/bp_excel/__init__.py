"""Backpropagation of a 2-2-2 sigmoid network, step by step, in a live Excel workbook."""
